//! ABI bindings of the OP Bedrock L1 contracts' functions and events the node calls and reads.

#![allow(missing_docs)]

alloy_sol_types::sol! {
    interface IProxy {
        function upgradeToAndCall(address implementation, bytes data) external payable returns (bytes);
        function changeAdmin(address admin) external;
    }

    interface ISuperchainConfig {
        function initialize(address guardian, bool paused) external;
    }

    struct ResourceConfig {
        uint32 maxResourceLimit;
        uint8 elasticityMultiplier;
        uint8 baseFeeMaxChangeDenominator;
        uint32 minimumBaseFee;
        uint32 systemTxMaxGas;
        uint128 maximumBaseFee;
    }

    struct SystemConfigAddresses {
        address l1CrossDomainMessenger;
        address l1ERC721Bridge;
        address l1StandardBridge;
        address disputeGameFactory;
        address optimismPortal;
        address optimismMintableERC20Factory;
        address gasPayingToken;
    }

    interface ISystemConfig {
        function initialize(
            address owner,
            uint32 basefeeScalar,
            uint32 blobbasefeeScalar,
            bytes32 batcherHash,
            uint64 gasLimit,
            address unsafeBlockSigner,
            ResourceConfig config,
            address batchInbox,
            SystemConfigAddresses addresses
        ) external;
        function setBatcherHash(bytes32 batcherHash) external;
        function setGasLimit(uint64 gasLimit) external;
        function setGasConfigEcotone(uint32 basefeeScalar, uint32 blobbasefeeScalar) external;
        function batcherHash() external view returns (bytes32);
        function gasLimit() external view returns (uint64);

        event ConfigUpdate(uint256 indexed version, uint8 indexed updateType, bytes data);
    }

    interface IOptimismPortal {
        function initialize(address l2Oracle, address systemConfig, address superchainConfig) external;
        function depositTransaction(
            address to,
            uint256 value,
            uint64 gasLimit,
            bool isCreation,
            bytes data
        ) external payable;
        function version() external view returns (string);
        function proveWithdrawalTransaction(
            WithdrawalTransaction _tx,
            uint256 _l2OutputIndex,
            OutputRootProof _outputRootProof,
            bytes[] _withdrawalProof
        ) external;
        function finalizeWithdrawalTransaction(WithdrawalTransaction _tx) external;
        function provenWithdrawals(bytes32 withdrawalHash)
            external view returns (bytes32 outputRoot, uint128 timestamp, uint128 l2OutputIndex);
        function finalizedWithdrawals(bytes32 withdrawalHash) external view returns (bool);
        function l2Oracle() external view returns (address);
        function paused() external view returns (bool);

        event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);
        event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);
    }

    /// A withdrawal as the portal takes it (`Types.WithdrawalTransaction`).
    struct WithdrawalTransaction {
        uint256 nonce;
        address sender;
        address target;
        uint256 value;
        uint256 gasLimit;
        bytes data;
    }

    /// The preimage of a version-0 output root (`Types.OutputRootProof`).
    struct OutputRootProof {
        bytes32 version;
        bytes32 stateRoot;
        bytes32 messagePasserStorageRoot;
        bytes32 latestBlockhash;
    }

    /// An output on the oracle (`Types.OutputProposal`).
    struct OutputProposal {
        bytes32 outputRoot;
        uint128 timestamp;
        uint128 l2BlockNumber;
    }

    interface IL2OutputOracle {
        function initialize(
            uint256 submissionInterval,
            uint256 l2BlockTime,
            uint256 startingBlockNumber,
            uint256 startingTimestamp,
            address proposer,
            address challenger,
            uint256 finalizationPeriodSeconds
        ) external;
        function proposeL2Output(
            bytes32 _outputRoot,
            uint256 _l2BlockNumber,
            bytes32 _l1BlockHash,
            uint256 _l1BlockNumber
        ) external payable;
        function nextBlockNumber() external view returns (uint256);
        function latestBlockNumber() external view returns (uint256);
        function nextOutputIndex() external view returns (uint256);
        function getL2Output(uint256 _l2OutputIndex) external view returns (OutputProposal);
        function getL2OutputIndexAfter(uint256 _l2BlockNumber) external view returns (uint256);
        function proposer() external view returns (address);
        function finalizationPeriodSeconds() external view returns (uint256);
        function submissionInterval() external view returns (uint256);

        event OutputProposed(
            bytes32 indexed outputRoot,
            uint256 indexed l2OutputIndex,
            uint256 indexed l2BlockNumber,
            uint256 l1Timestamp
        );
    }

    interface IL1CrossDomainMessenger {
        function initialize(address superchainConfig, address portal, address systemConfig) external;
    }

    interface IL1StandardBridge {
        function initialize(address messenger, address superchainConfig, address systemConfig) external;
        function depositETH(uint32 minGasLimit, bytes extraData) external payable;
        function depositETHTo(address to, uint32 minGasLimit, bytes extraData) external payable;
    }
}
