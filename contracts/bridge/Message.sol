// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.20;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title Message
/// @notice The 104-byte message that releases tokens on the foreign chain:
/// abi.encodePacked(address recipient, uint256 value, bytes32 transactionHash, address foreignBridge).
/// Validators sign it as an EIP-191 personal message.
library Message {
    uint256 internal constant LENGTH = 104;
    uint256 internal constant SIGNATURE_LENGTH = 65;

    function parse(bytes memory message)
        internal
        pure
        returns (address recipient, uint256 value, bytes32 transactionHash, address foreignBridge)
    {
        require(message.length == LENGTH, "Message: length must be 104");
        // Fixed offsets into the packed encoding (data starts 32 bytes after the pointer, after the
        // length word). The last load reads 12 bytes past the end; the shift drops them.
        assembly {
            recipient := shr(96, mload(add(message, 32)))
            value := mload(add(message, 52))
            transactionHash := mload(add(message, 84))
            foreignBridge := shr(96, mload(add(message, 116)))
        }
    }

    /// @notice The hash validators sign: "\x19Ethereum Signed Message:\n104" ++ message.
    function digest(bytes memory message) internal pure returns (bytes32) {
        return MessageHashUtils.toEthSignedMessageHash(message);
    }

    /// @notice The signer of `signature` (65 bytes, r || s || v) over `digest`. Reverts on a
    /// malformed or malleable (high-s) signature rather than returning the zero address.
    function signer(bytes32 digest_, bytes memory signature) internal pure returns (address) {
        return ECDSA.recover(digest_, signature);
    }
}
