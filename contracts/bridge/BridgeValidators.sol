// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title BridgeValidators
/// @notice The set of N validators of one side of the bridge and the number M of them whose
/// votes or signatures a transfer needs. One instance on each chain; the owner is the
/// consortium's multisig in production.
contract BridgeValidators is Ownable {
    event ValidatorAdded(address indexed validator);
    event ValidatorRemoved(address indexed validator);
    event RequiredSignaturesChanged(uint256 requiredSignatures);

    address[] private _validators;
    // 1-based position in _validators; 0 means "not a validator". Gives O(1) removal.
    mapping(address => uint256) private _position;
    uint256 private _requiredSignatures;

    constructor(address owner, address[] memory validators, uint256 requiredSignatures_) Ownable(owner) {
        for (uint256 i = 0; i < validators.length; i++) {
            _add(validators[i]);
        }
        _setRequiredSignatures(requiredSignatures_);
    }

    function isValidator(address validator) public view returns (bool) {
        return _position[validator] != 0;
    }

    function validatorList() external view returns (address[] memory) {
        return _validators;
    }

    function validatorCount() public view returns (uint256) {
        return _validators.length;
    }

    function requiredSignatures() external view returns (uint256) {
        return _requiredSignatures;
    }

    function addValidator(address validator) external onlyOwner {
        _add(validator);
    }

    /// @dev Refused when it would leave fewer validators than requiredSignatures: lower M first.
    function removeValidator(address validator) external onlyOwner {
        uint256 position = _position[validator];
        require(position != 0, "BridgeValidators: not a validator");
        require(_validators.length - 1 >= _requiredSignatures, "BridgeValidators: would leave fewer than M");
        // Move the last entry into the freed slot so the list stays dense.
        address last = _validators[_validators.length - 1];
        _validators[position - 1] = last;
        _position[last] = position;
        _validators.pop();
        delete _position[validator];
        emit ValidatorRemoved(validator);
    }

    function setRequiredSignatures(uint256 requiredSignatures_) external onlyOwner {
        _setRequiredSignatures(requiredSignatures_);
    }

    function _add(address validator) private {
        require(validator != address(0), "BridgeValidators: zero address");
        require(_position[validator] == 0, "BridgeValidators: already a validator");
        _validators.push(validator);
        _position[validator] = _validators.length;
        emit ValidatorAdded(validator);
    }

    function _setRequiredSignatures(uint256 required) private {
        require(required >= 1 && required <= _validators.length, "BridgeValidators: M must be within 1..N");
        _requiredSignatures = required;
        emit RequiredSignaturesChanged(required);
    }
}
