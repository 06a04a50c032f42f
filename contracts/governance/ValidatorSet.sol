// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title ValidatorSet
/// @notice The Aura validator set of the chain, read by OpenEthereum and Nethermind as a
/// `safeContract` (docs/governance.md, "Validator set contract"). The owner (the consortium's
/// Safe) starts one change at a time; the change takes effect when the engine calls
/// finalizeChange() as the system address, after the block that announced it is final.
/// @dev Written to run its constructor at genesis and be predeployed: no immutables, nothing
/// read from the block in the constructor.
contract ValidatorSet is Ownable {
    /// @notice The sender of the engine's system calls (EIP-96's SUPER_USER, 2**160 - 2).
    address public constant SYSTEM_ADDRESS = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;

    /// @notice Both clients match this event by its topics: the signature and the parent hash
    /// of the block it is in. Another parent hash and they ignore it.
    event InitiateChange(bytes32 indexed _parentHash, address[] _newSet);
    event ChangeFinalized(address[] currentSet);

    error ChangePending();
    error NotSystem(address caller);
    error EmptyValidatorSet();
    error ZeroValidator();
    error DuplicateValidator(address validator);
    error UnknownValidator(address validator);
    error LastValidator(address validator);
    error RenounceDisabled();

    address[] private _current;
    address[] private _pending;
    // False from InitiateChange until the engine's finalizeChange.
    bool private _finalized;

    constructor(address owner, address[] memory initialValidators) Ownable(owner) {
        if (initialValidators.length == 0) revert EmptyValidatorSet();
        for (uint256 i = 0; i < initialValidators.length; i++) {
            address validator = initialValidators[i];
            if (validator == address(0)) revert ZeroValidator();
            if (_contains(_current, validator)) revert DuplicateValidator(validator);
            _current.push(validator);
        }
        _finalized = true;
    }

    /// @notice The set in force: the initial one, or the last one the engine finalized.
    function getValidators() external view returns (address[] memory) {
        return _current;
    }

    /// @notice The set announced by the last InitiateChange and not yet finalized (empty if none).
    function pendingValidators() external view returns (address[] memory) {
        return _pending;
    }

    /// @notice True when no change is waiting for finalizeChange.
    function finalized() external view returns (bool) {
        return _finalized;
    }

    function isValidator(address validator) external view returns (bool) {
        return _contains(_current, validator);
    }

    /// @notice Called by the engine at the start of the block after the announcing block became
    /// final, and also at the first block of this contract's validator set with nothing pending.
    /// It must not revert then: with nothing pending it returns and changes nothing.
    function finalizeChange() external {
        if (msg.sender != SYSTEM_ADDRESS) revert NotSystem(msg.sender);
        if (_finalized) return;
        _current = _pending;
        delete _pending;
        _finalized = true;
        emit ChangeFinalized(_current);
    }

    function addValidator(address validator) external onlyOwner {
        if (!_finalized) revert ChangePending();
        if (validator == address(0)) revert ZeroValidator();
        if (_contains(_current, validator)) revert DuplicateValidator(validator);
        _pending = _current;
        _pending.push(validator);
        _initiateChange();
    }

    function removeValidator(address validator) external onlyOwner {
        if (!_finalized) revert ChangePending();
        if (!_contains(_current, validator)) revert UnknownValidator(validator);
        if (_current.length == 1) revert LastValidator(validator);
        // Keep the order of the others: Aura's proposer rotation follows the list order.
        for (uint256 i = 0; i < _current.length; i++) {
            if (_current[i] != validator) _pending.push(_current[i]);
        }
        _initiateChange();
    }

    /// @notice An ownerless validator set could never change again.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    function _initiateChange() private {
        _finalized = false;
        emit InitiateChange(blockhash(block.number - 1), _pending);
    }

    function _contains(address[] storage list, address item) private view returns (bool) {
        for (uint256 i = 0; i < list.length; i++) {
            if (list[i] == item) return true;
        }
        return false;
    }
}
