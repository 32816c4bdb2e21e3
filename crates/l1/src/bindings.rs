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
