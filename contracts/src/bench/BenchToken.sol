// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice The benchmark's ERC-20 (benches `vs-anvil`): OpenZeppelin's token, with `amount`
/// minted to each of `holders` at deployment.
contract BenchToken is ERC20 {
    constructor(address[] memory holders, uint256 amount) ERC20("Bench Token", "BENCH") {
        for (uint256 i = 0; i < holders.length; i++) {
            _mint(holders[i], amount);
        }
    }
}
