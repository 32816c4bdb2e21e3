// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title The governance timelock, owner of every protocol parameter and of the treasury.
/// @notice A genesis predeploy at `0x5048410000000000000000000000000000000003`. The governor is
/// its only proposer (and canceller); anyone may execute a proposal once its delay has passed.
contract PhalaTimelock is TimelockController {
    /// A timelock with `minDelay` seconds between queueing and execution.
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
