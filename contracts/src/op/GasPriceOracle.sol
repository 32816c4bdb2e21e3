// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LibZip} from "solady/src/utils/LibZip.sol";
import {L1Block} from "./L1Block.sol";

/// @title GasPriceOracle, the OP Stack predeploy that estimates the L1 part of a transaction's fee.
/// @notice The implementation behind the proxy at `0x420000000000000000000000000000000000000F`
/// (code at `0xc0D3C0d3C0d3C0D3c0d3C0d3c0D3C0d3c0d3000f`). It holds no fee parameters of its own:
/// it reads them from the L1Block predeploy and applies the cost function of the newest upgrade
/// its flags record (OP specs: ecotone/fjord "L1 cost", isthmus/jovian "operator fee").
///
/// The release of OP's contracts that phala-node pins (the npm package `contracts-bedrock` of
/// eth-optimism, 0.17.3) stops at Fjord; this contract has the Isthmus and Jovian interface of
/// OP's GasPriceOracle (the same selectors: `isIsthmus`, `setIsthmus`, `getOperatorFee(uint256)`, `isJovian`, `setJovian`) and
/// the same storage, so OP's upgrade transactions (which call `setIsthmus()`/`setJovian()` from
/// the depositor) and OP tooling work unchanged.
///
/// Storage layout: slot 0 holds `isEcotone` (byte offset 0), `isFjord` (1), `isIsthmus` (2) and
/// `isJovian` (3); nothing else.
///
/// The estimates take the transaction *unsigned* and add 68 bytes for the signature, as OP's
/// contract does, so they approximate the fee the executor charges on the signed bytes.
contract GasPriceOracle {
    /// Decimals of the scalars.
    uint256 public constant DECIMALS = 6;

    /// Fjord's linear regression from the FastLZ size to the Brotli size, in millionths of a byte.
    int256 private constant COST_INTERCEPT = -42_585_600;
    uint256 private constant COST_FASTLZ_COEF = 836_500;
    /// The smallest size estimate, in bytes.
    uint256 private constant MIN_TRANSACTION_SIZE = 100;

    /// The L1Block predeploy (its proxy).
    L1Block private constant L1_BLOCK = L1Block(0x4200000000000000000000000000000000000015);
    /// The account that sends the L1-attributes deposit and the upgrade calls.
    address private constant DEPOSITOR = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;

    /// Ecotone is active: blob-aware L1 cost.
    bool public isEcotone;
    /// Fjord is active: L1 cost over the FastLZ size estimate.
    bool public isFjord;
    /// Isthmus is active: operator fee.
    bool public isIsthmus;
    /// Jovian is active: operator fee scalar in hundredths of a wei.
    bool public isJovian;

    /// Semantic version of this implementation (phala-node's own, with the Jovian interface).
    function version() external pure returns (string memory) {
        return "1.0.0+phala.jovian";
    }

    /// Records the Ecotone upgrade (the depositor, once).
    function setEcotone() external {
        require(msg.sender == DEPOSITOR, "GasPriceOracle: only the depositor account sets isEcotone");
        require(!isEcotone, "GasPriceOracle: Ecotone is already active");
        isEcotone = true;
    }

    /// Records the Fjord upgrade (the depositor, once, after Ecotone).
    function setFjord() external {
        require(msg.sender == DEPOSITOR, "GasPriceOracle: only the depositor account sets isFjord");
        require(isEcotone, "GasPriceOracle: Fjord needs Ecotone first");
        require(!isFjord, "GasPriceOracle: Fjord is already active");
        isFjord = true;
    }

    /// Records the Isthmus upgrade (the depositor, once, after Fjord).
    function setIsthmus() external {
        require(msg.sender == DEPOSITOR, "GasPriceOracle: only the depositor account sets isIsthmus");
        require(isFjord, "GasPriceOracle: Isthmus needs Fjord first");
        require(!isIsthmus, "GasPriceOracle: Isthmus is already active");
        isIsthmus = true;
    }

    /// Records the Jovian upgrade (the depositor, once, after Isthmus).
    function setJovian() external {
        require(msg.sender == DEPOSITOR, "GasPriceOracle: only the depositor account sets isJovian");
        require(isIsthmus, "GasPriceOracle: Jovian needs Isthmus first");
        require(!isJovian, "GasPriceOracle: Jovian is already active");
        isJovian = true;
    }

    /// The L1 data fee of the unsigned, RLP-encoded transaction `_data`.
    function getL1Fee(bytes memory _data) external view returns (uint256) {
        if (isFjord) return _fjordL1Cost(LibZip.flzCompress(_data).length + 68);
        if (isEcotone) {
            return _calldataGas(_data) * _feeWeights() / (16 * 10 ** DECIMALS);
        }
        return (_calldataGas(_data) + L1_BLOCK.l1FeeOverhead()) * l1BaseFee() * L1_BLOCK.l1FeeScalar()
            / 10 ** DECIMALS;
    }

    /// An upper bound of the L1 data fee of an unsigned transaction of `_unsignedTxSize` bytes
    /// (Fjord on), from the FastLZ bound `size + size / 255 + 16` of the signed size.
    function getL1FeeUpperBound(uint256 _unsignedTxSize) external view returns (uint256) {
        require(isFjord, "GasPriceOracle: getL1FeeUpperBound needs Fjord");
        uint256 size = _unsignedTxSize + 68;
        return _fjordL1Cost(size + size / 255 + 16);
    }

    /// The L1 gas of the unsigned transaction `_data`: from Fjord the size estimate at 16 gas a
    /// byte; before, its calldata gas (plus the overhead before Ecotone).
    function getL1GasUsed(bytes memory _data) external view returns (uint256) {
        if (isFjord) return _fjordSize(LibZip.flzCompress(_data).length + 68) * 16 / 1e6;
        if (isEcotone) return _calldataGas(_data);
        return _calldataGas(_data) + L1_BLOCK.l1FeeOverhead();
    }

    /// The operator fee of a transaction that used `_gasUsed` gas: zero before Isthmus,
    /// `gas · scalar / 1e6 + constant` from Isthmus, `gas · scalar · 100 + constant` from Jovian;
    /// saturating at the largest uint256.
    function getOperatorFee(uint256 _gasUsed) external view returns (uint256) {
        if (!isIsthmus) return 0;
        uint256 scalar_ = L1_BLOCK.operatorFeeScalar();
        uint256 constant_ = L1_BLOCK.operatorFeeConstant();
        uint256 perGas = isJovian ? _saturatingMul(_gasUsed, scalar_ * 100) : _saturatingMul(_gasUsed, scalar_) / 1e6;
        return _saturatingAdd(perGas, constant_);
    }

    /// The L2 gas price: the base fee.
    function gasPrice() external view returns (uint256) {
        return block.basefee;
    }

    /// The L2 base fee.
    function baseFee() external view returns (uint256) {
        return block.basefee;
    }

    /// Bedrock's fee overhead (refused from Ecotone on).
    function overhead() external view returns (uint256) {
        require(!isEcotone, "GasPriceOracle: overhead() is gone since Ecotone");
        return L1_BLOCK.l1FeeOverhead();
    }

    /// Bedrock's fee scalar (refused from Ecotone on).
    function scalar() external view returns (uint256) {
        require(!isEcotone, "GasPriceOracle: scalar() is gone since Ecotone");
        return L1_BLOCK.l1FeeScalar();
    }

    /// The L1 origin's base fee.
    function l1BaseFee() public view returns (uint256) {
        return L1_BLOCK.basefee();
    }

    /// The L1 origin's blob base fee.
    function blobBaseFee() public view returns (uint256) {
        return L1_BLOCK.blobBaseFee();
    }

    /// Scalar of the L1 base fee.
    function baseFeeScalar() public view returns (uint32) {
        return L1_BLOCK.baseFeeScalar();
    }

    /// Scalar of the L1 blob base fee.
    function blobBaseFeeScalar() public view returns (uint32) {
        return L1_BLOCK.blobBaseFeeScalar();
    }

    /// Decimals of the scalars.
    function decimals() external pure returns (uint256) {
        return DECIMALS;
    }

    /// Calldata gas of `_data` (4 a zero byte, 16 another) plus 68 non-zero signature bytes.
    function _calldataGas(bytes memory _data) internal pure returns (uint256 total) {
        for (uint256 i = 0; i < _data.length; i++) {
            total += _data[i] == 0 ? 4 : 16;
        }
        total += 68 * 16;
    }

    /// Fjord's L1 cost of a transaction whose FastLZ size is `_fastLzSize`.
    function _fjordL1Cost(uint256 _fastLzSize) internal view returns (uint256) {
        return _fjordSize(_fastLzSize) * _feeWeights() / 10 ** (DECIMALS * 2);
    }

    /// `16 · baseFeeScalar · l1BaseFee + blobBaseFeeScalar · blobBaseFee`, in uint256 (as op-revm
    /// computes it, so no scalar overflows).
    function _feeWeights() internal view returns (uint256) {
        return 16 * uint256(baseFeeScalar()) * l1BaseFee() + uint256(blobBaseFeeScalar()) * blobBaseFee();
    }

    /// Fjord's size estimate in millionths of a byte: `max(100e6, 836500 · fastLzSize − 42585600)`.
    function _fjordSize(uint256 _fastLzSize) internal pure returns (uint256) {
        int256 estimate = COST_INTERCEPT + int256(COST_FASTLZ_COEF * _fastLzSize);
        int256 floor = int256(MIN_TRANSACTION_SIZE * 1e6);
        return uint256(estimate < floor ? floor : estimate);
    }

    function _saturatingMul(uint256 a, uint256 b) private pure returns (uint256) {
        unchecked {
            if (a == 0) return 0;
            uint256 c = a * b;
            return c / a == b ? c : type(uint256).max;
        }
    }

    function _saturatingAdd(uint256 a, uint256 b) private pure returns (uint256) {
        unchecked {
            uint256 c = a + b;
            return c < a ? type(uint256).max : c;
        }
    }
}
