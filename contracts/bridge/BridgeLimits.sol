// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {BridgeValidators} from "./BridgeValidators.sol";

/// @title BridgeLimits
/// @notice What both bridges share: the validator set they trust, the request-side limits
/// (per transaction and per day) and the confirmation depth the validators wait for.
abstract contract BridgeLimits is Ownable {
    BridgeValidators public immutable validatorContract;

    uint256 public minPerTx;
    uint256 public maxPerTx;
    uint256 public dailyLimit;
    uint256 public requiredBlockConfirmations;
    /// @notice Amount requested through the contract on each day (block.timestamp / 1 days).
    mapping(uint256 day => uint256) public totalSpentPerDay;

    modifier onlyValidator() {
        require(validatorContract.isValidator(msg.sender), "Bridge: caller is not a validator");
        _;
    }

    constructor(
        address owner,
        address validatorContract_,
        uint256 minPerTx_,
        uint256 maxPerTx_,
        uint256 dailyLimit_,
        uint256 requiredBlockConfirmations_
    ) Ownable(owner) {
        require(validatorContract_.code.length > 0, "Bridge: validatorContract is not a contract");
        validatorContract = BridgeValidators(validatorContract_);
        _setLimits(minPerTx_, maxPerTx_, dailyLimit_);
        _setRequiredBlockConfirmations(requiredBlockConfirmations_);
    }

    function getCurrentDay() public view returns (uint256) {
        return block.timestamp / 1 days;
    }

    /// @notice Read through to the validator contract, so M is set in one place per chain.
    function requiredSignatures() public view returns (uint256) {
        return validatorContract.requiredSignatures();
    }

    /// @notice Whether a request of `amount` now would pass the per-transaction and daily limits.
    function withinLimit(uint256 amount) public view returns (bool) {
        return amount >= minPerTx && amount <= maxPerTx && totalSpentPerDay[getCurrentDay()] + amount <= dailyLimit;
    }

    function setLimits(uint256 minPerTx_, uint256 maxPerTx_, uint256 dailyLimit_) external onlyOwner {
        _setLimits(minPerTx_, maxPerTx_, dailyLimit_);
    }

    function setRequiredBlockConfirmations(uint256 confirmations) external onlyOwner {
        _setRequiredBlockConfirmations(confirmations);
    }

    /// @dev Checks and books a request entering through the contract.
    function _spend(uint256 amount) internal {
        require(amount >= minPerTx && amount <= maxPerTx, "Bridge: amount outside minPerTx..maxPerTx");
        uint256 day = getCurrentDay();
        require(totalSpentPerDay[day] + amount <= dailyLimit, "Bridge: dailyLimit exceeded");
        totalSpentPerDay[day] += amount;
    }

    function _setLimits(uint256 minPerTx_, uint256 maxPerTx_, uint256 dailyLimit_) private {
        require(minPerTx_ > 0 && minPerTx_ <= maxPerTx_ && maxPerTx_ <= dailyLimit_,
            "Bridge: need 0 < minPerTx <= maxPerTx <= dailyLimit");
        minPerTx = minPerTx_;
        maxPerTx = maxPerTx_;
        dailyLimit = dailyLimit_;
    }

    function _setRequiredBlockConfirmations(uint256 confirmations) private {
        require(confirmations > 0, "Bridge: requiredBlockConfirmations must be > 0");
        requiredBlockConfirmations = confirmations;
    }
}
