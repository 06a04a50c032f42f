// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.20;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {BridgeLimits} from "./BridgeLimits.sol";
import {Message} from "./Message.sol";

/// @title ForeignBridge
/// @notice The public-chain side: it locks the token on deposit and releases it against a
/// message signed by M of the validators. A plain token transfer to this contract is a deposit
/// too; the contract cannot see it, the validators find it in the token's Transfer log.
contract ForeignBridge is BridgeLimits, ReentrancyGuard {
    using SafeERC20 for IERC20;

    event UserRequestForAffirmation(address recipient, uint256 value);
    event RelayedMessage(address recipient, uint256 value, bytes32 transactionHash);

    IERC20 public immutable erc20token;

    /// @notice Whether the withdrawal of a home transaction (or a refund of a foreign one) was paid.
    mapping(bytes32 transactionHash => bool) public relayedMessages;

    bool public whitelistEnabled;
    mapping(address => bool) private _whitelisted;

    constructor(
        address owner,
        address token,
        address validatorContract_,
        uint256 minPerTx_,
        uint256 maxPerTx_,
        uint256 dailyLimit_,
        uint256 requiredBlockConfirmations_
    ) BridgeLimits(owner, validatorContract_, minPerTx_, maxPerTx_, dailyLimit_, requiredBlockConfirmations_) {
        require(token.code.length > 0, "ForeignBridge: token is not a contract");
        erc20token = IERC20(token);
    }

    // ---- deposits ----

    /// @notice Deposit `amount` (approved beforehand) for `recipient` on the home chain.
    function relayTokens(address recipient, uint256 amount) external nonReentrant {
        require(recipient != address(0), "ForeignBridge: zero recipient");
        require(isWhitelisted(msg.sender), "ForeignBridge: sender is not whitelisted");
        _spend(amount);
        erc20token.safeTransferFrom(msg.sender, address(this), amount);
        emit UserRequestForAffirmation(recipient, amount);
    }

    // ---- withdrawals ----

    /// @notice Pay a withdrawal (or refund) signed by at least requiredSignatures() distinct
    /// validators. `signatures` is the concatenation of 65-byte r || s || v signatures, in any
    /// order. Anyone may relay: the signatures are the authorisation.
    function executeSignatures(bytes calldata message, bytes calldata signatures) external nonReentrant {
        (address recipient, uint256 value, bytes32 transactionHash, address bridge) = Message.parse(message);
        require(bridge == address(this), "ForeignBridge: message is for another bridge");
        require(!relayedMessages[transactionHash], "ForeignBridge: already relayed");
        _checkSignatures(message, signatures);

        // Mark before paying (checks-effects-interactions; nonReentrant as well).
        relayedMessages[transactionHash] = true;
        erc20token.safeTransfer(recipient, value);
        emit RelayedMessage(recipient, value, transactionHash);
    }

    /// @dev Every signature must come from a current validator and no validator may count twice.
    /// N is small, so a quadratic scan over the signers seen so far is cheaper than sorting rules
    /// imposed on relayers.
    function _checkSignatures(bytes calldata message, bytes calldata signatures) private view {
        require(signatures.length % Message.SIGNATURE_LENGTH == 0, "ForeignBridge: signatures must be 65 bytes each");
        uint256 count = signatures.length / Message.SIGNATURE_LENGTH;
        require(count > 0 && count >= requiredSignatures(), "ForeignBridge: not enough signatures");

        bytes32 digest = Message.digest(message);
        address[] memory seen = new address[](count);
        for (uint256 i = 0; i < count; i++) {
            bytes memory signature = signatures[i * Message.SIGNATURE_LENGTH:(i + 1) * Message.SIGNATURE_LENGTH];
            address signer = Message.signer(digest, signature);
            require(validatorContract.isValidator(signer), "ForeignBridge: signer is not a validator");
            for (uint256 j = 0; j < i; j++) {
                require(seen[j] != signer, "ForeignBridge: duplicate signer");
            }
            seen[i] = signer;
        }
    }

    // ---- whitelist ----

    /// @notice Everyone is whitelisted while the whitelist is off.
    function isWhitelisted(address account) public view returns (bool) {
        return !whitelistEnabled || _whitelisted[account];
    }

    function setWhitelistEnabled(bool enabled) external onlyOwner {
        whitelistEnabled = enabled;
    }

    function setWhitelisted(address account, bool whitelisted) external onlyOwner {
        _whitelisted[account] = whitelisted;
    }
}
