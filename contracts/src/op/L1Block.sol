// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title L1Block, the OP Stack predeploy that holds the L1 attributes of the current L2 block.
/// @notice The implementation behind the proxy at `0x4200000000000000000000000000000000000015`
/// (code at `0xc0D3C0d3C0d3C0D3c0d3C0d3c0D3C0d3c0d30015`). The first transaction of every L2 block,
/// the L1-attributes deposit from the depositor account, writes the L1 origin and the fee
/// parameters here; the executor (op-revm) reads the fee parameters straight from this contract's
/// storage, and the GasPriceOracle reads them through the getters.
///
/// The release of OP's contracts that phala-node pins (the npm package `contracts-bedrock` of
/// eth-optimism, 0.17.3) has only the Bedrock and Ecotone setters; this contract adds the Isthmus and Jovian
/// ones (OP specs: isthmus/jovian `l1-attributes.md`) with the same selectors, getters and
/// storage layout as OP's L1Block of those upgrades, so that op-revm, OP tooling and OP's own
/// upgrade transactions see no difference.
///
/// Storage layout (slot: fields from the lowest-order byte up, as solc packs them; op-revm's byte
/// offsets count from the highest-order byte of the big-endian word):
/// - 0: `number` (uint64, offset 0), `timestamp` (uint64, offset 8)
/// - 1: `basefee`
/// - 2: `hash`
/// - 3: `sequenceNumber` (uint64, offset 0), `blobBaseFeeScalar` (uint32, offset 8; op-revm byte
///   20), `baseFeeScalar` (uint32, offset 12; op-revm byte 16)
/// - 4: `batcherHash`
/// - 5: `l1FeeOverhead` (Bedrock only)
/// - 6: `l1FeeScalar` (Bedrock only)
/// - 7: `blobBaseFee`
/// - 8: `operatorFeeConstant` (uint64, offset 0; op-revm byte 24), `operatorFeeScalar` (uint32,
///   offset 8; op-revm byte 20), `daFootprintGasScalar` (uint16, offset 12; op-revm byte 18)
contract L1Block {
    /// The caller is not the depositor account (selector `0x3cc50b45`, as OP's).
    error NotDepositor();

    /// Latest L1 origin block number.
    uint64 public number;
    /// Latest L1 origin timestamp.
    uint64 public timestamp;
    /// Latest L1 origin base fee.
    uint256 public basefee;
    /// Latest L1 origin block hash.
    bytes32 public hash;
    /// Position of the current L2 block in its epoch.
    uint64 public sequenceNumber;
    /// Ecotone: scalar of the L1 blob base fee in the L1 data fee.
    uint32 public blobBaseFeeScalar;
    /// Ecotone: scalar of the L1 base fee in the L1 data fee.
    uint32 public baseFeeScalar;
    /// Versioned hash of the batch submitter.
    bytes32 public batcherHash;
    /// Bedrock: gas added to each transaction's L1 data gas.
    uint256 public l1FeeOverhead;
    /// Bedrock: scalar of the L1 data fee, in millionths.
    uint256 public l1FeeScalar;
    /// Ecotone: latest L1 origin blob base fee.
    uint256 public blobBaseFee;
    /// Isthmus: operator fee per transaction.
    uint64 public operatorFeeConstant;
    /// Isthmus: operator fee per gas (millionths of a wei; from Jovian hundredths of a wei).
    uint32 public operatorFeeScalar;
    /// Jovian: DA footprint gas per byte of a transaction's estimated compressed size.
    uint16 public daFootprintGasScalar;

    /// The account that sends the L1-attributes deposit (no key is known for it).
    function DEPOSITOR_ACCOUNT() public pure returns (address) {
        return 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;
    }

    /// Semantic version of this implementation (phala-node's own, with the Jovian interface).
    function version() public pure returns (string memory) {
        return "1.0.0+phala.jovian";
    }

    /// The gas paying token: always ether (the ERC-7528 placeholder address, 18 decimals). Custom
    /// gas tokens were removed from the OP Stack before Isthmus; the getters stay for the WETH
    /// predeploy and the bridges, which ask.
    function gasPayingToken() public pure returns (address addr_, uint8 decimals_) {
        return (0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE, 18);
    }

    /// Name of the gas paying token.
    function gasPayingTokenName() public pure returns (string memory name_) {
        return "Ether";
    }

    /// Symbol of the gas paying token.
    function gasPayingTokenSymbol() public pure returns (string memory symbol_) {
        return "ETH";
    }

    /// Whether the chain pays gas in a token other than ether: never.
    function isCustomGasToken() public pure returns (bool) {
        return false;
    }

    /// Bedrock's ABI-encoded setter (the L1-attributes deposit up to the Ecotone activation
    /// block).
    function setL1BlockValues(
        uint64 _number,
        uint64 _timestamp,
        uint256 _basefee,
        bytes32 _hash,
        uint64 _sequenceNumber,
        bytes32 _batcherHash,
        uint256 _l1FeeOverhead,
        uint256 _l1FeeScalar
    ) external {
        require(msg.sender == DEPOSITOR_ACCOUNT(), "L1Block: only the depositor account sets L1 block values");
        number = _number;
        timestamp = _timestamp;
        basefee = _basefee;
        hash = _hash;
        sequenceNumber = _sequenceNumber;
        batcherHash = _batcherHash;
        l1FeeOverhead = _l1FeeOverhead;
        l1FeeScalar = _l1FeeScalar;
    }

    /// Ecotone's packed setter. Calldata after the selector, big-endian: baseFeeScalar u32 (4),
    /// blobBaseFeeScalar u32 (8), sequenceNumber u64 (12), timestamp u64 (20), number u64 (28),
    /// basefee (36), blobBaseFee (68), hash (100), batcherHash (132); 164 bytes in all.
    function setL1BlockValuesEcotone() public {
        _setEcotoneValues();
    }

    /// Isthmus's packed setter: the Ecotone fields, then operatorFeeScalar u32 (164) and
    /// operatorFeeConstant u64 (168); 176 bytes.
    function setL1BlockValuesIsthmus() public {
        _setEcotoneValues();
        assembly {
            // Bytes 164..176 land in the low 12 bytes of slot 8: scalar above constant.
            sstore(operatorFeeConstant.slot, shr(160, calldataload(164)))
        }
    }

    /// Jovian's packed setter: the Isthmus fields, then daFootprintGasScalar u16 (176); 178 bytes.
    function setL1BlockValuesJovian() public {
        _setEcotoneValues();
        assembly {
            let operatorFee := shr(160, calldataload(164))
            let daFootprintScalar := shr(240, calldataload(176))
            sstore(operatorFeeConstant.slot, or(shl(96, daFootprintScalar), operatorFee))
        }
    }

    /// Checks the caller and writes the fields every packed format starts with. Each 16-byte
    /// group of the calldata is stored as the low half of its slot, which is exactly the packing
    /// of the fields in slots 0 and 3.
    function _setEcotoneValues() internal {
        address depositor = DEPOSITOR_ACCOUNT();
        assembly {
            if xor(caller(), depositor) {
                mstore(0x00, 0x3cc50b45) // NotDepositor()
                revert(0x1c, 0x04)
            }
            // baseFeeScalar, blobBaseFeeScalar, sequenceNumber
            sstore(sequenceNumber.slot, shr(128, calldataload(4)))
            // timestamp, number
            sstore(number.slot, shr(128, calldataload(20)))
            sstore(basefee.slot, calldataload(36))
            sstore(blobBaseFee.slot, calldataload(68))
            sstore(hash.slot, calldataload(100))
            sstore(batcherHash.slot, calldataload(132))
        }
    }
}
