// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title TxPermission
/// @notice Aura transaction permissioning (`transactionPermissionContract`), version 4, read by
/// OpenEthereum and Nethermind (docs/governance.md, "Transaction permission contract"). Before a
/// transaction enters a block or the pool, the node asks allowedTxTypes(...) at the parent block
/// and admits the transaction when the returned mask has the bit of its type.
/// @dev Permissions depend only on the sender, so every answer says "cache": the node may reuse it
/// for that sender's other transactions on the same parent block. Predeployable at genesis: no
/// immutables, nothing read from the block.
contract TxPermission is Ownable {
    /// @notice A transfer to an account without code.
    uint32 public constant BASIC = 0x01;
    /// @notice A call to an account with code.
    uint32 public constant CALL = 0x02;
    /// @notice A contract creation (to = 0x0 in the query).
    uint32 public constant CREATE = 0x04;
    /// @notice OpenEthereum's private transactions; never granted here.
    uint32 public constant PRIVATE = 0x08;
    uint32 public constant NONE = 0x00;
    uint32 public constant ALL = BASIC | CALL | CREATE;

    event TypesChanged(address indexed who, uint32 types);
    event DefaultTypesChanged(uint32 types);

    error InvalidTypes(uint32 types);
    error ZeroAccount();
    error DuplicateAccount(address who);
    error OwnerKeepsAll();
    error RenounceDisabled();

    mapping(address => uint32) private _types;
    // An account with an entry gets _types[who], even NONE; the others get _defaultTypes.
    mapping(address => bool) private _listed;
    uint32 private _defaultTypes;

    /// @param fullAccess validators and the accounts that execute the multisig's transactions: ALL.
    /// @param deployers BASIC | CALL | CREATE: a deployer must be able to call what it deploys.
    /// @param transactors BASIC | CALL.
    /// @param defaultTypes what every account not listed may do (NONE for a closed chain).
    constructor(
        address owner,
        address[] memory fullAccess,
        address[] memory deployers,
        address[] memory transactors,
        uint32 defaultTypes
    ) Ownable(owner) {
        _checkTypes(defaultTypes);
        _defaultTypes = defaultTypes;
        _listAll(fullAccess, ALL);
        _listAll(deployers, BASIC | CALL | CREATE);
        _listAll(transactors, BASIC | CALL);
    }

    function contractVersion() external pure returns (uint256) {
        return 4;
    }

    function contractName() public pure returns (string memory) {
        return "TX_PERMISSION_CONTRACT";
    }

    function contractNameHash() external pure returns (bytes32) {
        return keccak256(bytes(contractName()));
    }

    /// @notice Version 2 query (OpenEthereum tx_acl.json, Nethermind TransactionPermissionContractV2).
    function allowedTxTypes(address sender, address, uint256)
        external
        view
        returns (uint32 typesMask, bool cache)
    {
        return (typesOf(sender), true);
    }

    /// @notice Version 3 query (tx_acl_gas_price.json, TransactionPermissionContractV3).
    function allowedTxTypes(address sender, address, uint256, uint256, bytes calldata)
        external
        view
        returns (uint32 typesMask, bool cache)
    {
        return (typesOf(sender), true);
    }

    /// @notice Version 4 query, with the EIP-1559 fields (tx_acl_1559.json,
    /// TransactionPermissionContractV4): sender, to, value, maxFeePerGas, maxPriorityFeePerGas,
    /// gasLimit, data.
    function allowedTxTypes(address sender, address, uint256, uint256, uint256, uint256, bytes calldata)
        external
        view
        returns (uint32 typesMask, bool cache)
    {
        return (typesOf(sender), true);
    }

    /// @notice What `who` may send: ALL for the owner, its own entry if listed, else the default.
    function typesOf(address who) public view returns (uint32) {
        if (who == owner()) return ALL;
        if (_listed[who]) return _types[who];
        return _defaultTypes;
    }

    function getDefaultTypes() external view returns (uint32) {
        return _defaultTypes;
    }

    function isListed(address who) external view returns (bool) {
        return _listed[who];
    }

    /// @notice Give `who` exactly `types` (NONE blocks it even when the default allows more).
    function setTypes(address who, uint32 types) external onlyOwner {
        _checkTypes(types);
        if (who == address(0)) revert ZeroAccount();
        if (who == owner() && types != ALL) revert OwnerKeepsAll();
        _set(who, types);
    }

    function setDefaultTypes(uint32 types) external onlyOwner {
        _checkTypes(types);
        _defaultTypes = types;
        emit DefaultTypesChanged(types);
    }

    /// @notice Without an owner nobody could ever change the permissions again.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    function _listAll(address[] memory accounts, uint32 types) private {
        for (uint256 i = 0; i < accounts.length; i++) {
            address who = accounts[i];
            if (who == address(0)) revert ZeroAccount();
            if (_listed[who]) revert DuplicateAccount(who);
            _set(who, types);
        }
    }

    function _set(address who, uint32 types) private {
        _listed[who] = true;
        _types[who] = types;
        emit TypesChanged(who, types);
    }

    function _checkTypes(uint32 types) private pure {
        if (types & ~ALL != 0) revert InvalidTypes(types);
    }
}
