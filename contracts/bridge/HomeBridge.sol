// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.20;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {BridgeLimits} from "./BridgeLimits.sol";
import {Message} from "./Message.sol";

/// @title HomeBridge
/// @notice The consortium side. Deposits made on the foreign chain are paid here once M
/// validators affirm them; withdrawals requested here are signed here by the validators and
/// the collected signatures are relayed to the foreign chain.
/// Two modes, fixed at deployment: erc_to_erc (a token on both sides) and erc_to_native (the
/// token is the zero address and the home side pays in the chain's native coin).
contract HomeBridge is BridgeLimits, ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint8 public constant MODE_ERC_TO_ERC = 0;
    uint8 public constant MODE_ERC_TO_NATIVE = 1;

    event UserRequestForSignature(address recipient, uint256 value);
    event SignedForAffirmation(address indexed signer, bytes32 transactionHash);
    event AffirmationCompleted(address recipient, uint256 value, bytes32 transactionHash);
    event SignedForUserRequest(address indexed signer, bytes32 messageHash);
    event CollectedSignatures(address authorityResponsibleForRelay, bytes32 messageHash, uint256 numberOfCollectedSignatures);
    event Funded(address from, uint256 amount);

    /// @notice The home token in erc_to_erc; the zero address in erc_to_native.
    IERC20 public immutable erc20token;

    uint256 public executionDailyLimit;
    /// @notice Everything ever put in through fund() / fundNative(). With the balance it tells
    /// how much the home side has in circulation; pay-outs and withdrawals do not change it.
    uint256 public totalFunded;
    mapping(uint256 day => uint256) public totalExecutedPerDay;

    // Affirmations, keyed by keccak256(abi.encodePacked(recipient, value, transactionHash)).
    mapping(bytes32 hash => uint256) public affirmationsSigned;
    mapping(bytes32 hash => bool) public isAffirmationProcessed;
    mapping(address validator => mapping(bytes32 hash => bool)) public hasVotedAffirmation;

    // Signatures of withdrawal messages, keyed by keccak256(message).
    mapping(bytes32 => bytes) private _messages;
    mapping(bytes32 => bytes[]) private _signatures;
    mapping(bytes32 => bool) private _collected;
    mapping(address validator => mapping(bytes32 hash => bool)) public hasSignedMessage;

    modifier onlyMode(uint8 wanted) {
        require(mode() == wanted, wanted == MODE_ERC_TO_ERC
            ? "HomeBridge: only in erc_to_erc mode" : "HomeBridge: only in erc_to_native mode");
        _;
    }

    constructor(
        address owner,
        address token,
        address validatorContract_,
        uint256 minPerTx_,
        uint256 maxPerTx_,
        uint256 dailyLimit_,
        uint256 executionDailyLimit_,
        uint256 requiredBlockConfirmations_
    ) BridgeLimits(owner, validatorContract_, minPerTx_, maxPerTx_, dailyLimit_, requiredBlockConfirmations_) {
        require(token == address(0) || token.code.length > 0, "HomeBridge: token is not a contract");
        erc20token = IERC20(token);
        executionDailyLimit = executionDailyLimit_;
    }

    function mode() public view returns (uint8) {
        return address(erc20token) == address(0) ? MODE_ERC_TO_NATIVE : MODE_ERC_TO_ERC;
    }

    function setExecutionDailyLimit(uint256 limit) external onlyOwner {
        executionDailyLimit = limit;
    }

    // ---- deposits from the foreign chain: M validators affirm, the M-th vote pays ----

    /// @notice One validator's vote that `transactionHash` on the foreign chain deposited `value`
    /// for `recipient` (or that a home transfer must be refunded). The vote that reaches
    /// requiredSignatures() pays; if the pay-out fails (execution limit, balance) that vote
    /// reverts and can be sent again later. A vote after the pay-out reverts.
    function executeAffirmation(address recipient, uint256 value, bytes32 transactionHash)
        external
        onlyValidator
        nonReentrant
    {
        require(recipient != address(0), "HomeBridge: zero recipient");
        bytes32 hash = keccak256(abi.encodePacked(recipient, value, transactionHash));
        require(!isAffirmationProcessed[hash], "HomeBridge: affirmation already processed");
        require(!hasVotedAffirmation[msg.sender][hash], "HomeBridge: validator already voted");

        hasVotedAffirmation[msg.sender][hash] = true;
        uint256 votes = ++affirmationsSigned[hash];
        emit SignedForAffirmation(msg.sender, transactionHash);

        // ">=" and not "==": M may have been lowered since the first votes.
        if (votes >= requiredSignatures()) {
            isAffirmationProcessed[hash] = true;
            uint256 day = getCurrentDay();
            require(totalExecutedPerDay[day] + value <= executionDailyLimit, "HomeBridge: executionDailyLimit exceeded");
            totalExecutedPerDay[day] += value;
            _pay(recipient, value);
            emit AffirmationCompleted(recipient, value, transactionHash);
        }
    }

    // ---- withdrawal requests ----

    /// @notice erc_to_erc: withdraw `amount` (approved beforehand) to `recipient` on the foreign chain.
    function relayTokens(address recipient, uint256 amount) external onlyMode(MODE_ERC_TO_ERC) nonReentrant {
        _request(recipient, amount);
        erc20token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice erc_to_native: withdraw the coin sent to `recipient` on the foreign chain.
    function relayTokens(address recipient) external payable onlyMode(MODE_ERC_TO_NATIVE) {
        _request(recipient, msg.value);
    }

    /// @notice erc_to_native: a plain send of native coin is a withdrawal for the sender.
    receive() external payable onlyMode(MODE_ERC_TO_NATIVE) {
        _request(msg.sender, msg.value);
    }

    /// @notice erc_to_erc, called by the token from approveAndCall(bridge, value, data): withdraw
    /// `value` to `from`, or to the address in `data` when it holds exactly 20 bytes.
    function receiveApproval(address from, uint256 value, address token, bytes calldata data)
        external
        onlyMode(MODE_ERC_TO_ERC)
        nonReentrant
    {
        require(msg.sender == address(erc20token) && token == address(erc20token), "HomeBridge: not the bridge token");
        require(data.length == 0 || data.length == 20, "HomeBridge: data must be empty or a 20-byte recipient");
        address recipient = data.length == 0 ? from : address(bytes20(data));
        _request(recipient, value);
        erc20token.safeTransferFrom(from, address(this), value);
    }

    // ---- funding the pay-out balance (never a withdrawal) ----

    function fund(uint256 amount) external onlyMode(MODE_ERC_TO_ERC) nonReentrant {
        erc20token.safeTransferFrom(msg.sender, address(this), amount);
        totalFunded += amount;
        emit Funded(msg.sender, amount);
    }

    /// @notice erc_to_native: add native coin to the pay-out balance; receive() would take it as
    /// a withdrawal request.
    function fundNative() external payable onlyMode(MODE_ERC_TO_NATIVE) {
        totalFunded += msg.value;
        emit Funded(msg.sender, msg.value);
    }

    // ---- signatures of withdrawal messages ----

    /// @notice A validator's signature of a 104-byte withdrawal (or refund) message, once per
    /// validator. The signature that brings the count to requiredSignatures() emits
    /// CollectedSignatures, naming its sender as the relayer. Later signatures are still stored
    /// (so two validators racing for the M-th slot both succeed) but do not emit it again.
    /// @dev The parameter names are the documented interface's; solc warns that they shadow the
    /// message() and signature() views, which is harmless inside this function.
    function submitSignature(bytes calldata signature, bytes calldata message) external onlyValidator {
        require(message.length == Message.LENGTH, "HomeBridge: message must be 104 bytes");
        require(Message.signer(Message.digest(message), signature) == msg.sender,
            "HomeBridge: signature is not the sender's");
        bytes32 hash = keccak256(message);
        require(!hasSignedMessage[msg.sender][hash], "HomeBridge: validator already signed");

        hasSignedMessage[msg.sender][hash] = true;
        if (_signatures[hash].length == 0) {
            _messages[hash] = message;
        }
        _signatures[hash].push(signature);
        uint256 count = _signatures[hash].length;
        emit SignedForUserRequest(msg.sender, hash);

        if (!_collected[hash] && count >= requiredSignatures()) {
            _collected[hash] = true;
            emit CollectedSignatures(msg.sender, hash, count);
        }
    }

    function message(bytes32 hash) external view returns (bytes memory) {
        return _messages[hash];
    }

    function signature(bytes32 hash, uint256 index) external view returns (bytes memory) {
        return _signatures[hash][index];
    }

    function numMessagesSigned(bytes32 hash) external view returns (uint256) {
        return _signatures[hash].length;
    }

    // ---- internals ----

    function _request(address recipient, uint256 value) private {
        require(recipient != address(0), "HomeBridge: zero recipient");
        _spend(value);
        emit UserRequestForSignature(recipient, value);
    }

    function _pay(address recipient, uint256 value) private {
        if (mode() == MODE_ERC_TO_NATIVE) {
            (bool ok, ) = recipient.call{value: value}("");
            require(ok, "HomeBridge: native pay-out failed");
        } else {
            erc20token.safeTransfer(recipient, value);
        }
    }
}
