// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title PHA, the Phala Network token on its L2.
/// @notice A genesis predeploy at `0x5048410000000000000000000000000000000001`. The whole supply,
/// 1,000,000,000 PHA, is minted by the constructor at genesis (migration claims, treasury, rewards
/// budget); there is no mint function afterwards. EIP-2612 permits are supported.
contract PhalaToken is ERC20, ERC20Permit {
    /// The fixed total supply: one billion PHA with 18 decimals.
    uint256 public constant TOTAL_SUPPLY = 1_000_000_000 ether;

    /// The genesis allocation lists differ in length.
    error AllocationLengthMismatch(uint256 holders, uint256 amounts);
    /// The genesis allocation does not add up to `TOTAL_SUPPLY`.
    error AllocationNotTotalSupply(uint256 allocated);

    /// Mints `amounts[i]` to `holders[i]`; the amounts must add up to `TOTAL_SUPPLY`.
    constructor(address[] memory holders, uint256[] memory amounts) ERC20("Phala", "PHA") ERC20Permit("Phala") {
        if (holders.length != amounts.length) revert AllocationLengthMismatch(holders.length, amounts.length);
        for (uint256 i = 0; i < holders.length; i++) {
            _mint(holders[i], amounts[i]);
        }
        if (totalSupply() != TOTAL_SUPPLY) revert AllocationNotTotalSupply(totalSupply());
    }
}
