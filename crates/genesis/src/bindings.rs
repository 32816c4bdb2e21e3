//! `sol!` bindings of the genesis contracts (the functions, events and errors the builder, the
//! node and the tests use). Sources: `contracts/src`.

#![allow(missing_docs)]

use alloy_sol_types::sol;

sol! {
    /// The PHA ERC-20 (`contracts/src/token/PhalaToken.sol`).
    #[derive(Debug)]
    contract PhalaToken {
        constructor(address[] holders, uint256[] amounts);
        function name() external view returns (string);
        function symbol() external view returns (string);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function approve(address spender, uint256 value) external returns (bool);
        function allowance(address owner, address spender) external view returns (uint256);
        function nonces(address owner) external view returns (uint256);
        function DOMAIN_SEPARATOR() external view returns (bytes32);
        function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;
        error AllocationLengthMismatch(uint256 holders, uint256 amounts);
        error AllocationNotTotalSupply(uint256 allocated);
    }

    /// vPHA (`contracts/src/staking/StakedPhala.sol`).
    #[derive(Debug)]
    contract StakedPhala {
        struct UnlockRequest { address owner; uint64 unlockAt; bool claimed; uint256 assets; }
        constructor(address pha, address owner, uint256 rewardsPerSecond, uint64 lockPeriod, uint256 maxLockedAssets, uint256 rewardsReserve);
        function asset() external view returns (address);
        function totalAssets() external view returns (uint256);
        function totalSupply() external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
        function convertToAssets(uint256 shares) external view returns (uint256);
        function previewRedeem(uint256 shares) external view returns (uint256);
        function maxDeposit(address receiver) external view returns (uint256);
        function deposit(uint256 assets, address receiver) external returns (uint256);
        function withdraw(uint256 assets, address receiver, address owner) external returns (uint256);
        function redeem(uint256 shares, address receiver, address owner) external returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
        function transfer(address to, uint256 value) external returns (bool);
        function requestUnlock(uint256 shares) external returns (uint256 id);
        function claimUnlocked(uint256 id) external returns (uint256 assets);
        function unlockRequest(uint256 id) external view returns (UnlockRequest);
        function rewardsPerSecond() external view returns (uint256);
        function rewardsReserve() external view returns (uint256);
        function pendingRewards() external view returns (uint256);
        function lockPeriod() external view returns (uint64);
        function maxLockedAssets() external view returns (uint256);
        function queuedAssets() external view returns (uint256);
        function setRewardsPerSecond(uint256 rewardsPerSecond) external;
        function setLockPeriod(uint64 lockPeriod) external;
        function setMaxLockedAssets(uint256 maxLockedAssets) external;
        function pause() external;
        function unpause() external;
        function paused() external view returns (bool);
        function owner() external view returns (address);
        function getVotes(address account) external view returns (uint256);
        function delegates(address account) external view returns (address);
        function delegate(address delegatee) external;
        function clock() external view returns (uint48);
        event UnlockRequested(uint256 indexed id, address indexed owner, uint256 shares, uint256 assets, uint64 unlockAt);
        error UseUnlockQueue();
        error UnknownUnlockRequest(uint256 id);
        error StillLocked(uint256 id, uint64 unlockAt);
        error AlreadyClaimed(uint256 id);
        error ZeroAmount();
        error ERC4626ExceededMaxDeposit(address receiver, uint256 assets, uint256 max);
        error OwnableUnauthorizedAccount(address account);
        error EnforcedPause();
    }

    /// The governance timelock (`contracts/src/governance/PhalaTimelock.sol`).
    #[derive(Debug)]
    contract PhalaTimelock {
        constructor(uint256 minDelay, address[] proposers, address[] executors, address admin);
        function getMinDelay() external view returns (uint256);
        function hasRole(bytes32 role, address account) external view returns (bool);
        function PROPOSER_ROLE() external view returns (bytes32);
        function EXECUTOR_ROLE() external view returns (bytes32);
        function DEFAULT_ADMIN_ROLE() external view returns (bytes32);
    }

    /// The governor (`contracts/src/governance/PhalaGovernor.sol`).
    #[derive(Debug)]
    contract PhalaGovernor {
        constructor(address votes, address timelock, uint48 votingDelay, uint32 votingPeriod, uint256 proposalThreshold, uint256 quorumPercent, uint256 minQuorum, address[] nonVotingHolders);
        function minQuorum() external view returns (uint256);
        function setMinQuorum(uint256 minQuorum) external;
        function nonVotingHolders() external view returns (address[]);
        function name() external view returns (string);
        function token() external view returns (address);
        function timelock() external view returns (address);
        function votingDelay() external view returns (uint256);
        function votingPeriod() external view returns (uint256);
        function quorum(uint256 timepoint) external view returns (uint256);
        function quorumNumerator() external view returns (uint256);
        function proposalThreshold() external view returns (uint256);
        function propose(address[] targets, uint256[] values, bytes[] calldatas, string description) external returns (uint256);
        function castVote(uint256 proposalId, uint8 support) external returns (uint256);
        function queue(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) external returns (uint256);
        function execute(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) external payable returns (uint256);
        function state(uint256 proposalId) external view returns (uint8);
        function proposalSnapshot(uint256 proposalId) external view returns (uint256);
        function proposalDeadline(uint256 proposalId) external view returns (uint256);
        function proposalEta(uint256 proposalId) external view returns (uint256);
        function hashProposal(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) external pure returns (uint256);
        function getVotes(address account, uint256 timepoint) external view returns (uint256);
        function CLOCK_MODE() external view returns (string);
    }

    /// The parachain migration claims (`contracts/src/migration/MigrationClaims.sol`).
    #[derive(Debug)]
    contract MigrationClaims {
        constructor(address pha, address vault, bytes32 merkleRoot);
        function claim(bytes32 account, uint256 free, uint256 staked, bytes32[] proof, address recipient, uint8 scheme, bytes signature) external returns (uint256 shares);
        function claimed(bytes32 account) external view returns (bool);
        function merkleRoot() external view returns (bytes32);
        function leaf(bytes32 account, uint256 free, uint256 staked) external pure returns (bytes32);
        function claimText(address recipient) external view returns (string);
        function signedMessage(address recipient) external view returns (bytes);
        event Claimed(bytes32 indexed account, address indexed recipient, uint256 free, uint256 staked, uint256 shares);
        error AlreadyClaimed(bytes32 account);
        error InvalidProof();
        error InvalidSignature();
        error UnknownScheme(uint8 scheme);
        error ZeroRecipient();
    }
}

sol! {
    /// The TDX precompile's collateral (`contracts/src/tdx/ITdxVerifier.sol`).
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Collateral {
        string pckCrlIssuerChain;
        bytes rootCaCrl;
        bytes pckCrl;
        string tcbInfoIssuerChain;
        string tcbInfo;
        bytes tcbInfoSignature;
        string qeIdentityIssuerChain;
        string qeIdentity;
        bytes qeIdentitySignature;
        string pckCertificateChain;
    }

    /// The TDX worker registry (`contracts/src/compute/WorkerRegistry.sol`).
    #[derive(Debug)]
    contract WorkerRegistry {
        struct Worker {
            address workerKey;
            bytes32 workloadId;
            uint8 tcbStatus;
            uint32 tcbEvalDataNumber;
            bytes32 quoteHash;
            bytes32 reportHash;
            uint64 registeredAt;
            uint64 expiresAt;
            bool revoked;
        }
        constructor(address owner_, bytes32[] allowedWorkloads_, uint16 allowedTcbStatuses_, uint32 minTcbEvalDataNumber_, bool requireReportDataBinding_, uint64 attestationTtl_, uint32 verifierFlags_);
        function register(address workerKey, bytes quote, Collateral collateral, uint256 nonce) external returns (uint256 tokenId);
        function reattest(uint256 tokenId, bytes quote, Collateral collateral, uint256 nonce) external;
        function revoke(uint256 tokenId, string reason) external;
        function worker(uint256 tokenId) external view returns (Worker);
        function isActive(uint256 tokenId) external view returns (bool);
        function tokenOfWorkerKey(address workerKey) external view returns (uint256);
        function tokenOfReport(bytes32 reportHash) external view returns (uint256);
        function reportDataBinding(address workerKey, address operator, uint256 nonce) external view returns (bytes);
        function checkReportDataBinding(bytes reportData, address workerKey, address operator, uint256 nonce) external view returns (bool);
        function setWorkloadAllowed(bytes32 workloadId, bool allowed) external;
        function setAllowedTcbStatuses(uint16 mask) external;
        function setMinTcbEvalDataNumber(uint32 min) external;
        function setRequireReportDataBinding(bool required) external;
        function setAttestationTtl(uint64 ttl) external;
        function setVerifierFlags(uint32 flags) external;
        function allowedWorkloads(bytes32 workloadId) external view returns (bool);
        function allowedTcbStatuses() external view returns (uint16);
        function minTcbEvalDataNumber() external view returns (uint32);
        function requireReportDataBinding() external view returns (bool);
        function attestationTtl() external view returns (uint64);
        function verifierFlags() external view returns (uint32);
        function owner() external view returns (address);
        function ownerOf(uint256 tokenId) external view returns (address);
        function balanceOf(address owner) external view returns (uint256);
        function approve(address to, uint256 tokenId) external;
        function setApprovalForAll(address operator, bool approved) external;
        event WorkerRegistered(uint256 indexed tokenId, address indexed workerKey, address indexed operator, bytes32 workloadId, bytes32 quoteHash, uint64 expiresAt);
        event WorkerReattested(uint256 indexed tokenId, address indexed workerKey, bytes32 workloadId, bytes32 quoteHash, uint8 tcbStatus, uint32 tcbEvalDataNumber, uint64 expiresAt);
        event WorkerRevoked(uint256 indexed tokenId, string reason);
        event WorkloadAllowedSet(bytes32 indexed workloadId, bool allowed);
        error QuoteRejected(uint8 status);
        error TcbStatusNotAllowed(uint8 tcbStatus, uint16 allowed);
        error TcbEvalDataNumberTooLow(uint32 found, uint32 min);
        error WorkloadNotAllowed(bytes32 workloadId);
        error ReportAlreadyUsed(bytes32 reportHash);
        error ReportDataKeyMismatch(address expected, address found);
        error ReportDataNonceMismatch(bytes32 expected, bytes32 found);
        error ZeroWorkerKey();
        error WorkerKeyAlreadyRegistered(address workerKey, uint256 tokenId);
        error UnknownWorker(uint256 tokenId);
        error WorkerIsRevoked(uint256 tokenId);
        error NotAuthorizedToReattest(uint256 tokenId, address caller);
        error InvalidAttestationTtl(uint64 ttl);
        error TdxPrecompileFailed();
        error TdxPrecompileMissing();
        error TdxReportBodyTooShort();
        error OwnableUnauthorizedAccount(address account);
    }

    /// The compute stake pools (`contracts/src/compute/StakePools.sol`).
    #[derive(Debug)]
    contract StakePools {
        struct PoolInfo {
            address owner;
            uint16 commissionBps;
            uint256 totalAssets;
            uint256 totalShares;
            uint256 collateral;
            uint32 workerCount;
        }
        struct BoundWorkerInfo {
            uint256 poolId;
            bytes32 gpuClass;
            uint32 gpuCount;
            uint256 collateralPosted;
            uint256 collateral;
        }
        struct Withdrawal {
            address account;
            uint64 claimableAt;
            bool claimed;
            uint256 poolId;
            uint256 shares;
            uint256 assets;
        }
        constructor(address owner_, address vpha_, address registry_, address slashRecipient_, uint64 withdrawDelay_, bytes32[] gpuClasses_, uint256[] collateralPerGpu_);
        function createPool(uint16 commissionBps) external returns (uint256 poolId);
        function setCommission(uint256 poolId, uint16 commissionBps) external;
        function bindWorker(uint256 poolId, uint256 workerTokenId, bytes32 gpuClass, uint32 gpuCount) external;
        function unbindWorker(uint256 poolId, uint256 workerTokenId) external;
        function delegate(uint256 poolId, uint256 assets) external returns (uint256 shares);
        function distribute(uint256 poolId, uint256 amount) external;
        function requestWithdraw(uint256 poolId, uint256 shares) external returns (uint256 requestId);
        function claimWithdrawal(uint256 requestId) external;
        function slash(uint256 poolId, uint256 amount) external;
        function setGpuClass(bytes32 gpuClass, uint256 collateralPerGpu) external;
        function setWithdrawDelay(uint64 withdrawDelay) external;
        function pool(uint256 poolId) external view returns (PoolInfo);
        function sharesOf(uint256 poolId, address account) external view returns (uint256);
        function previewAssets(uint256 poolId, uint256 shares) external view returns (uint256);
        function previewShares(uint256 poolId, uint256 assets) external view returns (uint256);
        function boundWorker(uint256 workerTokenId) external view returns (BoundWorkerInfo);
        function withdrawal(uint256 requestId) external view returns (Withdrawal);
        function collateralPerGpu(bytes32 gpuClass) external view returns (uint256);
        function withdrawDelay() external view returns (uint64);
        function slashRecipient() external view returns (address);
        function owner() external view returns (address);
        event PoolCreated(uint256 indexed poolId, address indexed owner, uint16 commissionBps);
        event WithdrawalRequested(uint256 indexed requestId, uint256 indexed poolId, address indexed delegator, uint256 shares, uint256 assets, uint64 claimableAt);
        event PoolSlashed(uint256 indexed poolId, uint256 fromCollateral, uint256 fromDelegation, address recipient);
        error UnknownPool(uint256 poolId);
        error NotPoolOwner(uint256 poolId, address caller);
        error CommissionTooHigh(uint16 commissionBps);
        error UnknownGpuClass(bytes32 gpuClass);
        error ZeroGpuCount(uint256 workerTokenId);
        error WorkerNotActive(uint256 workerTokenId);
        error NotWorkerOwner(uint256 workerTokenId, address owner, address caller);
        error WorkerAlreadyBound(uint256 workerTokenId, uint256 poolId);
        error WorkerNotBound(uint256 workerTokenId, uint256 poolId);
        error ZeroAmount();
        error ZeroShares(uint256 poolId, uint256 assets);
        error InsufficientShares(uint256 poolId, address account, uint256 held, uint256 requested);
        error UnknownWithdrawal(uint256 requestId);
        error NotWithdrawalRequester(uint256 requestId, address caller);
        error WithdrawalAlreadyClaimed(uint256 requestId);
        error WithdrawalNotReady(uint256 requestId, uint64 claimableAt);
        error NothingToSlash(uint256 poolId);
        error OwnableUnauthorizedAccount(address account);
    }
}
