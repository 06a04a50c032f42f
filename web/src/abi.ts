// Human-readable fragments of what the page calls (contracts/bridge/*.sol): a small bundle,
// instead of the artifacts with their bytecode.
export const ERC20 = [
  'function balanceOf(address) view returns (uint256)',
  'function transfer(address to, uint256 value) returns (bool)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
];
const LIMITS = [
  'function minPerTx() view returns (uint256)',
  'function maxPerTx() view returns (uint256)',
  'function dailyLimit() view returns (uint256)',
  'function totalSpentPerDay(uint256 day) view returns (uint256)',
  'function getCurrentDay() view returns (uint256)',
  'function requiredBlockConfirmations() view returns (uint256)',
  'function requiredSignatures() view returns (uint256)',
];
export const HOME_BRIDGE = [
  ...LIMITS,
  'function totalFunded() view returns (uint256)',
  'function affirmationsSigned(bytes32 hash) view returns (uint256)',
  'function numMessagesSigned(bytes32 hash) view returns (uint256)',
  'event AffirmationCompleted(address recipient, uint256 value, bytes32 transactionHash)',
];
export const FOREIGN_BRIDGE = [
  ...LIMITS,
  'function isWhitelisted(address account) view returns (bool)',
  'event RelayedMessage(address recipient, uint256 value, bytes32 transactionHash)',
];
