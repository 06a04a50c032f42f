// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title NodePermission
/// @notice OpenEthereum's peer filter (`nodePermissionContract`, docs/governance.md): before
/// keeping a devp2p connection the node asks connectionAllowed(own id, peer id) at its latest
/// block. Here a connection is allowed when both node ids are in the set. Nethermind has no
/// equivalent and never reads this contract.
/// @dev A node id is the 64-byte public key of the enode URL; the client passes each as two
/// bytes32 halves (low = bytes 0..31, high = bytes 32..63). Predeployable at genesis.
contract NodePermission is Ownable {
    event NodeAllowed(bytes nodeId);
    event NodeDenied(bytes nodeId);

    error InvalidNodeId(uint256 length);
    error NodeAlreadyAllowed(bytes nodeId);
    error NodeNotAllowed(bytes nodeId);
    error LastNode(bytes nodeId);
    error EmptyNodeSet();
    error RenounceDisabled();

    bytes[] private _nodes;
    // 1-based position in _nodes by keccak256(node id); 0 means "not allowed".
    mapping(bytes32 => uint256) private _position;

    constructor(address owner, bytes[] memory enodeIds) Ownable(owner) {
        if (enodeIds.length == 0) revert EmptyNodeSet();
        for (uint256 i = 0; i < enodeIds.length; i++) {
            _allow(enodeIds[i]);
        }
    }

    /// @notice OpenEthereum's query (node-filter res/peer_set.json): sl/sh are this node's id,
    /// pl/ph the peer's.
    function connectionAllowed(bytes32 sl, bytes32 sh, bytes32 pl, bytes32 ph) external view returns (bool) {
        return _position[keccak256(abi.encodePacked(sl, sh))] != 0
            && _position[keccak256(abi.encodePacked(pl, ph))] != 0;
    }

    function isNodeAllowed(bytes calldata nodeId) external view returns (bool) {
        return _position[keccak256(nodeId)] != 0;
    }

    function nodes() external view returns (bytes[] memory) {
        return _nodes;
    }

    function allowNode(bytes calldata nodeId) external onlyOwner {
        _allow(nodeId);
    }

    /// @notice The last node cannot be denied: a node that may talk to nobody cannot even
    /// receive the transaction that would allow it again.
    function denyNode(bytes calldata nodeId) external onlyOwner {
        bytes32 key = keccak256(nodeId);
        uint256 position = _position[key];
        if (position == 0) revert NodeNotAllowed(nodeId);
        if (_nodes.length == 1) revert LastNode(nodeId);
        uint256 last = _nodes.length;
        if (position != last) {
            bytes memory moved = _nodes[last - 1];
            _nodes[position - 1] = moved;
            _position[keccak256(moved)] = position;
        }
        _nodes.pop();
        delete _position[key];
        emit NodeDenied(nodeId);
    }

    /// @notice Without an owner the set of nodes could never change again.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    function _allow(bytes memory nodeId) private {
        if (nodeId.length != 64) revert InvalidNodeId(nodeId.length);
        bytes32 key = keccak256(nodeId);
        if (_position[key] != 0) revert NodeAlreadyAllowed(nodeId);
        _nodes.push(nodeId);
        _position[key] = _nodes.length;
        emit NodeAllowed(nodeId);
    }
}
