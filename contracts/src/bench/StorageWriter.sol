// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The benchmark's storage load (benches `vs-anvil`): every `write` sets a slot of the
/// caller's own mapping, so new keys grow the storage trie.
contract StorageWriter {
    mapping(address => mapping(uint256 => uint256)) public values;

    function write(uint256 key, uint256 value) external {
        values[msg.sender][key] = value;
    }
}
