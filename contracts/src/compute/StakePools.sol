// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {WorkerRegistry} from "./WorkerRegistry.sol";

/// @title Stake pools of compute operators and their delegators, in vPHA.
/// @notice An operator creates a pool, binds attested workers to it (the worker's registry
/// token is held here) and posts vPHA collateral per GPU. Delegators contribute vPHA for pool
/// shares. Rewards paid into a pool go partly to its owner as commission and otherwise raise the
/// share price. Leaving a pool burns shares at the current price and queues the assets for
/// `withdrawDelay` seconds. Governance (the owner) can slash a pool: its collateral first, then
/// its delegated assets.
/// @dev A genesis predeploy at 0x5048410000000000000000000000000000000006. The constructor only
/// writes storage and immutables. All balances are internal accounting; the contract never
/// reads its own token balance, so tokens sent to it directly change nothing.
///
/// Share price. Delegation shares are priced as `(totalAssets + V) / (totalShares + V)` with
/// `V = VIRTUAL_SHARES` virtual shares and assets, so the first delegation mints 1:1 and a
/// reward paid into a nearly empty pool (the "inflation" trick) goes almost entirely to the
/// virtual shares, costing the attacker about `V` times what a later delegator loses to
/// rounding. Payouts never exceed the pool's real assets.
///
/// Collateral. Each bound worker holds collateral shares of its pool; slashing lowers the value
/// of all of them alike, and a worker leaving takes its share of what remains.
///
/// Wipes. When a slash leaves less than `1 / PRICE_FLOOR` assets per share (of delegation or of
/// collateral), the remainder is slashed too and that share class starts over: the pool's epoch
/// for it advances and the old shares count as zero. Prices thus stay above the floor, which
/// bounds how many shares one asset can buy.
contract StakePools is Ownable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// A pool as a UI sees it.
    struct PoolInfo {
        /// The operator who created the pool; zero for an unknown pool.
        address owner;
        /// The owner's cut of rewards, in basis points.
        uint16 commissionBps;
        /// Delegated vPHA, rewards included, slashes and withdrawals excluded.
        uint256 totalAssets;
        /// Delegation shares outstanding.
        uint256 totalShares;
        /// vPHA collateral its bound workers hold, after slashes.
        uint256 collateral;
        /// Workers bound to the pool.
        uint32 workerCount;
    }

    /// A bound worker as a UI sees it.
    struct BoundWorkerInfo {
        /// The pool it is bound to; zero when not bound.
        uint256 poolId;
        /// The GPU class collateral was posted for.
        bytes32 gpuClass;
        /// The number of GPUs collateral was posted for.
        uint32 gpuCount;
        /// The collateral posted at binding.
        uint256 collateralPosted;
        /// What unbinding would return now (posted collateral less its part of slashes).
        uint256 collateral;
    }

    /// A queued withdrawal.
    struct Withdrawal {
        /// The delegator who requested it; zero for an unknown request.
        address account;
        /// When it becomes claimable.
        uint64 claimableAt;
        /// Whether it was claimed.
        bool claimed;
        /// The pool the shares were burnt in.
        uint256 poolId;
        /// The shares burnt.
        uint256 shares;
        /// The vPHA owed.
        uint256 assets;
    }

    struct Pool {
        address owner;
        uint16 commissionBps;
        uint32 workerCount;
        uint32 shareEpoch;
        uint32 collateralEpoch;
        uint256 totalAssets;
        uint256 totalShares;
        uint256 collateral;
        uint256 collateralShares;
    }

    struct Stake {
        uint256 shares;
        uint32 epoch;
    }

    struct Binding {
        uint256 poolId;
        bytes32 gpuClass;
        uint32 gpuCount;
        uint32 collateralEpoch;
        uint256 collateralPosted;
        uint256 collateralShares;
    }

    /// Basis points in one whole.
    uint16 public constant MAX_COMMISSION_BPS = 10_000;
    /// Virtual shares and assets in the delegation share price (see the contract notes).
    uint256 public constant VIRTUAL_SHARES = 1e6;
    /// A slash leaving fewer than one asset per `PRICE_FLOOR` shares wipes the share class.
    uint256 public constant PRICE_FLOOR = 1e9;
    /// The longest withdrawal delay governance may set.
    uint64 public constant MAX_WITHDRAW_DELAY = 365 days;

    /// The vPHA token staked, posted as collateral and paid as rewards.
    IERC20 public immutable vpha;
    /// The worker registry whose tokens are bound.
    WorkerRegistry public immutable registry;

    /// Where slashed vPHA goes.
    address public slashRecipient;
    /// Seconds between a withdrawal request and its claim.
    uint64 public withdrawDelay;
    /// vPHA collateral per GPU of each class; zero means the class does not exist.
    mapping(bytes32 gpuClass => uint256 amount) public collateralPerGpu;
    /// Pools created so far; pool ids run from 1 to this.
    uint256 public poolCount;
    /// Withdrawal requests made so far; request ids run from 1 to this.
    uint256 public withdrawalCount;

    mapping(uint256 poolId => Pool) private _pools;
    mapping(uint256 poolId => mapping(address account => Stake)) private _stakes;
    mapping(uint256 workerTokenId => Binding) private _bindings;
    mapping(uint256 requestId => Withdrawal) private _withdrawals;

    /// A pool was created.
    event PoolCreated(uint256 indexed poolId, address indexed owner, uint16 commissionBps);
    /// A pool's commission changed.
    event CommissionSet(uint256 indexed poolId, uint16 commissionBps);
    /// A worker was bound to a pool with `collateral` vPHA.
    event WorkerBound(
        uint256 indexed poolId,
        uint256 indexed workerTokenId,
        address indexed operator,
        bytes32 gpuClass,
        uint32 gpuCount,
        uint256 collateral
    );
    /// A worker left a pool; its token and `collateralReturned` vPHA went to `operator`.
    event WorkerUnbound(
        uint256 indexed poolId, uint256 indexed workerTokenId, address indexed operator, uint256 collateralReturned
    );
    /// A delegator contributed `assets` vPHA for `shares` shares.
    event Delegated(uint256 indexed poolId, address indexed delegator, uint256 assets, uint256 shares);
    /// `payer` paid `amount` vPHA of rewards; `commission` of it went to the pool owner.
    event RewardsDistributed(uint256 indexed poolId, address indexed payer, uint256 amount, uint256 commission);
    /// A delegator burnt `shares` for `assets` vPHA, claimable at `claimableAt`.
    event WithdrawalRequested(
        uint256 indexed requestId,
        uint256 indexed poolId,
        address indexed delegator,
        uint256 shares,
        uint256 assets,
        uint64 claimableAt
    );
    /// A queued withdrawal was paid out.
    event WithdrawalClaimed(uint256 indexed requestId, address indexed delegator, uint256 assets);
    /// Governance slashed a pool; the vPHA went to `recipient`. Amounts include any remainder
    /// taken by a wipe.
    event PoolSlashed(uint256 indexed poolId, uint256 fromCollateral, uint256 fromDelegation, address recipient);
    /// A slash wiped the pool's delegation: all shares of earlier epochs are now worth nothing.
    event DelegationWiped(uint256 indexed poolId, uint32 newEpoch);
    /// A slash wiped the pool's collateral: workers bound before it return no collateral.
    event CollateralWiped(uint256 indexed poolId, uint32 newEpoch);
    /// Governance set (or, with zero, removed) a GPU class.
    event GpuClassSet(bytes32 indexed gpuClass, uint256 collateralPerGpu);
    /// Governance set the withdrawal delay.
    event WithdrawDelaySet(uint64 withdrawDelay);
    /// Governance set where slashed vPHA goes.
    event SlashRecipientSet(address slashRecipient);

    /// No pool has this id.
    error UnknownPool(uint256 poolId);
    /// Only the pool's owner may do this.
    error NotPoolOwner(uint256 poolId, address caller);
    /// Commission above 10,000 basis points.
    error CommissionTooHigh(uint16 commissionBps);
    /// The GPU class does not exist.
    error UnknownGpuClass(bytes32 gpuClass);
    /// The zero GPU class name is reserved.
    error InvalidGpuClass(bytes32 gpuClass);
    /// The GPU class list and the collateral list differ in length.
    error GpuClassLengthMismatch(uint256 classes, uint256 amounts);
    /// A worker is bound with zero GPUs.
    error ZeroGpuCount(uint256 workerTokenId);
    /// The worker is not active in the registry (unknown, revoked or expired).
    error WorkerNotActive(uint256 workerTokenId);
    /// The caller does not own the worker's token.
    error NotWorkerOwner(uint256 workerTokenId, address owner, address caller);
    /// The worker is already bound to a pool.
    error WorkerAlreadyBound(uint256 workerTokenId, uint256 poolId);
    /// The worker is not bound to this pool.
    error WorkerNotBound(uint256 workerTokenId, uint256 poolId);
    /// An amount of zero.
    error ZeroAmount();
    /// The delegation is too small to buy a single share at the current price.
    error ZeroShares(uint256 poolId, uint256 assets);
    /// The account holds fewer shares than it asked to withdraw.
    error InsufficientShares(uint256 poolId, address account, uint256 held, uint256 requested);
    /// No withdrawal request has this id.
    error UnknownWithdrawal(uint256 requestId);
    /// Only the delegator who requested a withdrawal may claim it.
    error NotWithdrawalRequester(uint256 requestId, address caller);
    /// The withdrawal was already claimed.
    error WithdrawalAlreadyClaimed(uint256 requestId);
    /// The withdrawal is still in its delay.
    error WithdrawalNotReady(uint256 requestId, uint64 claimableAt);
    /// The pool has no collateral or delegated assets to slash.
    error NothingToSlash(uint256 poolId);
    /// The slash recipient is the zero address.
    error InvalidSlashRecipient(address slashRecipient);
    /// The withdrawal delay is above `MAX_WITHDRAW_DELAY`.
    error WithdrawDelayTooLong(uint64 withdrawDelay, uint64 maxWithdrawDelay);

    /// Sets the owner (the governance timelock), the token, the registry and the parameters.
    /// Writes storage and immutables only.
    /// @param owner_ The governance timelock.
    /// @param vpha_ The vPHA token.
    /// @param registry_ The worker registry.
    /// @param slashRecipient_ Where slashed vPHA goes.
    /// @param withdrawDelay_ Seconds between a withdrawal request and its claim.
    /// @param gpuClasses_ GPU class names (e.g. "H100" as bytes32).
    /// @param collateralPerGpu_ vPHA collateral per GPU of each class, in wei.
    constructor(
        address owner_,
        IERC20 vpha_,
        address registry_,
        address slashRecipient_,
        uint64 withdrawDelay_,
        bytes32[] memory gpuClasses_,
        uint256[] memory collateralPerGpu_
    ) Ownable(owner_) {
        if (gpuClasses_.length != collateralPerGpu_.length) {
            revert GpuClassLengthMismatch(gpuClasses_.length, collateralPerGpu_.length);
        }
        vpha = vpha_;
        registry = WorkerRegistry(registry_);
        _setSlashRecipient(slashRecipient_);
        _setWithdrawDelay(withdrawDelay_);
        for (uint256 i = 0; i < gpuClasses_.length; i++) {
            _setGpuClass(gpuClasses_[i], collateralPerGpu_[i]);
        }
    }

    // ---------------------------------------------------------------- pools

    /// Creates a pool owned by the caller.
    /// @param commissionBps The owner's cut of rewards, at most 10,000.
    /// @return poolId The new pool's id (from 1).
    function createPool(uint16 commissionBps) external returns (uint256 poolId) {
        if (commissionBps > MAX_COMMISSION_BPS) revert CommissionTooHigh(commissionBps);
        poolId = ++poolCount;
        Pool storage p = _pools[poolId];
        p.owner = msg.sender;
        p.commissionBps = commissionBps;
        emit PoolCreated(poolId, msg.sender, commissionBps);
    }

    /// Changes a pool's commission; applies to rewards distributed from now on.
    /// @param poolId The pool.
    /// @param commissionBps The owner's cut of rewards, at most 10,000.
    function setCommission(uint256 poolId, uint16 commissionBps) external {
        Pool storage p = _ownedPool(poolId);
        if (commissionBps > MAX_COMMISSION_BPS) revert CommissionTooHigh(commissionBps);
        p.commissionBps = commissionBps;
        emit CommissionSet(poolId, commissionBps);
    }

    // ---------------------------------------------------------------- workers

    /// Binds an active worker to a pool: takes its registry token (approve this contract first)
    /// and `collateralPerGpu[gpuClass] * gpuCount` vPHA from the caller.
    /// @param poolId The pool; the caller must own it.
    /// @param workerTokenId The worker's registry token; the caller must own it.
    /// @param gpuClass The worker's GPU class.
    /// @param gpuCount The worker's GPU count.
    function bindWorker(uint256 poolId, uint256 workerTokenId, bytes32 gpuClass, uint32 gpuCount)
        external
        nonReentrant
    {
        Pool storage p = _ownedPool(poolId);
        uint256 perGpu = collateralPerGpu[gpuClass];
        if (perGpu == 0) revert UnknownGpuClass(gpuClass);
        if (gpuCount == 0) revert ZeroGpuCount(workerTokenId);
        uint256 bound = _bindings[workerTokenId].poolId;
        if (bound != 0) revert WorkerAlreadyBound(workerTokenId, bound);
        if (!registry.isActive(workerTokenId)) revert WorkerNotActive(workerTokenId);
        address tokenOwner = registry.ownerOf(workerTokenId);
        if (tokenOwner != msg.sender) revert NotWorkerOwner(workerTokenId, tokenOwner, msg.sender);

        uint256 amount = perGpu * gpuCount;
        uint256 shares = p.collateralShares == 0 ? amount : Math.mulDiv(amount, p.collateralShares, p.collateral);
        p.collateral += amount;
        p.collateralShares += shares;
        p.workerCount += 1;
        _bindings[workerTokenId] = Binding({
            poolId: poolId,
            gpuClass: gpuClass,
            gpuCount: gpuCount,
            collateralEpoch: p.collateralEpoch,
            collateralPosted: amount,
            collateralShares: shares
        });

        registry.transferFrom(msg.sender, address(this), workerTokenId);
        vpha.safeTransferFrom(msg.sender, address(this), amount);
        emit WorkerBound(poolId, workerTokenId, msg.sender, gpuClass, gpuCount, amount);
    }

    /// Unbinds a worker: returns its registry token and its collateral, less its part of any
    /// slash, to the caller.
    /// @param poolId The pool; the caller must own it.
    /// @param workerTokenId The worker's registry token.
    function unbindWorker(uint256 poolId, uint256 workerTokenId) external nonReentrant {
        Pool storage p = _ownedPool(poolId);
        Binding storage b = _bindings[workerTokenId];
        if (b.poolId != poolId) revert WorkerNotBound(workerTokenId, poolId);

        uint256 amount = 0;
        if (b.collateralEpoch == p.collateralEpoch) {
            amount = _collateralValue(p, b.collateralShares);
            p.collateral -= amount;
            p.collateralShares -= b.collateralShares;
        }
        p.workerCount -= 1;
        delete _bindings[workerTokenId];

        registry.transferFrom(address(this), msg.sender, workerTokenId);
        if (amount != 0) vpha.safeTransfer(msg.sender, amount);
        emit WorkerUnbound(poolId, workerTokenId, msg.sender, amount);
    }

    // ---------------------------------------------------------------- delegation

    /// Contributes vPHA to a pool for shares at its current price.
    /// @param poolId The pool.
    /// @param assets vPHA to contribute.
    /// @return shares The shares minted to the caller.
    function delegate(uint256 poolId, uint256 assets) external nonReentrant returns (uint256 shares) {
        Pool storage p = _existingPool(poolId);
        if (assets == 0) revert ZeroAmount();
        shares = _toShares(p, assets);
        if (shares == 0) revert ZeroShares(poolId, assets);

        Stake storage s = _stakes[poolId][msg.sender];
        if (s.epoch != p.shareEpoch) {
            s.shares = 0;
            s.epoch = p.shareEpoch;
        }
        s.shares += shares;
        p.totalShares += shares;
        p.totalAssets += assets;

        vpha.safeTransferFrom(msg.sender, address(this), assets);
        emit Delegated(poolId, msg.sender, assets, shares);
    }

    /// Pays vPHA rewards into a pool: `amount * commissionBps / 10000` to the pool owner, the
    /// rest to the delegators through the share price. With no shares outstanding, all of it
    /// goes to the owner.
    /// @param poolId The pool.
    /// @param amount vPHA to pay, taken from the caller.
    function distribute(uint256 poolId, uint256 amount) external nonReentrant {
        Pool storage p = _existingPool(poolId);
        if (amount == 0) revert ZeroAmount();
        uint256 commission = p.totalShares == 0 ? amount : amount * p.commissionBps / MAX_COMMISSION_BPS;
        uint256 rest = amount - commission;
        p.totalAssets += rest;

        if (rest != 0) vpha.safeTransferFrom(msg.sender, address(this), rest);
        if (commission != 0) vpha.safeTransferFrom(msg.sender, p.owner, commission);
        emit RewardsDistributed(poolId, msg.sender, amount, commission);
    }

    /// Burns shares at the current price and queues their assets for `withdrawDelay` seconds.
    /// Queued assets are out of the pool: they earn nothing and are not slashed.
    /// @param poolId The pool.
    /// @param shares Shares to burn.
    /// @return requestId The withdrawal request's id (from 1).
    function requestWithdraw(uint256 poolId, uint256 shares) external returns (uint256 requestId) {
        Pool storage p = _existingPool(poolId);
        if (shares == 0) revert ZeroAmount();
        Stake storage s = _stakes[poolId][msg.sender];
        uint256 held = s.epoch == p.shareEpoch ? s.shares : 0;
        if (held < shares) revert InsufficientShares(poolId, msg.sender, held, shares);

        uint256 assets = _toAssets(p, shares);
        s.shares = held - shares;
        p.totalShares -= shares;
        p.totalAssets -= assets;

        uint64 claimableAt = uint64(block.timestamp) + withdrawDelay;
        requestId = ++withdrawalCount;
        _withdrawals[requestId] = Withdrawal({
            account: msg.sender,
            claimableAt: claimableAt,
            claimed: false,
            poolId: poolId,
            shares: shares,
            assets: assets
        });
        emit WithdrawalRequested(requestId, poolId, msg.sender, shares, assets, claimableAt);
    }

    /// Pays out a queued withdrawal to its requester once its delay has passed.
    /// @param requestId The withdrawal request.
    function claimWithdrawal(uint256 requestId) external nonReentrant {
        Withdrawal storage w = _withdrawals[requestId];
        if (w.account == address(0)) revert UnknownWithdrawal(requestId);
        if (w.account != msg.sender) revert NotWithdrawalRequester(requestId, msg.sender);
        if (w.claimed) revert WithdrawalAlreadyClaimed(requestId);
        if (block.timestamp < w.claimableAt) revert WithdrawalNotReady(requestId, w.claimableAt);
        w.claimed = true;

        uint256 assets = w.assets;
        if (assets != 0) vpha.safeTransfer(msg.sender, assets);
        emit WithdrawalClaimed(requestId, msg.sender, assets);
    }

    // ---------------------------------------------------------------- governance

    /// Slashes up to `amount` vPHA from a pool, from its collateral first and then from its
    /// delegated assets, and sends it to `slashRecipient`. Takes what there is when the pool
    /// holds less (a timelocked proposal may find the pool smaller than when it was made).
    /// @param poolId The pool.
    /// @param amount vPHA to slash.
    function slash(uint256 poolId, uint256 amount) external onlyOwner nonReentrant {
        Pool storage p = _existingPool(poolId);
        if (amount == 0) revert ZeroAmount();

        uint256 fromCollateral = Math.min(amount, p.collateral);
        p.collateral -= fromCollateral;
        if (fromCollateral != 0 && p.collateralShares != 0 && p.collateral < p.collateralShares / PRICE_FLOOR + 1) {
            fromCollateral += p.collateral;
            p.collateral = 0;
            p.collateralShares = 0;
            p.collateralEpoch += 1;
            emit CollateralWiped(poolId, p.collateralEpoch);
        }

        uint256 fromDelegation = Math.min(amount - Math.min(amount, fromCollateral), p.totalAssets);
        p.totalAssets -= fromDelegation;
        if (fromDelegation != 0 && p.totalShares != 0 && p.totalAssets < p.totalShares / PRICE_FLOOR + 1) {
            fromDelegation += p.totalAssets;
            p.totalAssets = 0;
            p.totalShares = 0;
            p.shareEpoch += 1;
            emit DelegationWiped(poolId, p.shareEpoch);
        }

        uint256 total = fromCollateral + fromDelegation;
        if (total == 0) revert NothingToSlash(poolId);
        address recipient = slashRecipient;
        vpha.safeTransfer(recipient, total);
        emit PoolSlashed(poolId, fromCollateral, fromDelegation, recipient);
    }

    /// Adds, changes or (with zero) removes a GPU class. Bound workers keep the collateral
    /// they posted.
    /// @param gpuClass The class name (e.g. "H100" as bytes32).
    /// @param collateralPerGpu_ vPHA collateral per GPU, in wei; zero removes the class.
    function setGpuClass(bytes32 gpuClass, uint256 collateralPerGpu_) external onlyOwner {
        _setGpuClass(gpuClass, collateralPerGpu_);
    }

    /// Sets the withdrawal delay for requests made from now on.
    /// @param withdrawDelay_ Seconds, at most `MAX_WITHDRAW_DELAY`.
    function setWithdrawDelay(uint64 withdrawDelay_) external onlyOwner {
        _setWithdrawDelay(withdrawDelay_);
    }

    /// Sets where slashed vPHA goes.
    /// @param slashRecipient_ A non-zero address.
    function setSlashRecipient(address slashRecipient_) external onlyOwner {
        _setSlashRecipient(slashRecipient_);
    }

    // ---------------------------------------------------------------- views

    /// A pool's state; all zero for an unknown pool.
    /// @param poolId The pool.
    function pool(uint256 poolId) external view returns (PoolInfo memory) {
        Pool storage p = _pools[poolId];
        return PoolInfo({
            owner: p.owner,
            commissionBps: p.commissionBps,
            totalAssets: p.totalAssets,
            totalShares: p.totalShares,
            collateral: p.collateral,
            workerCount: p.workerCount
        });
    }

    /// The delegation shares an account holds in a pool (zero after a wipe).
    /// @param poolId The pool.
    /// @param account The delegator.
    function sharesOf(uint256 poolId, address account) external view returns (uint256) {
        Stake storage s = _stakes[poolId][account];
        return s.epoch == _pools[poolId].shareEpoch ? s.shares : 0;
    }

    /// The vPHA that burning `shares` of a pool would queue now.
    /// @param poolId The pool.
    /// @param shares Shares to price.
    function previewAssets(uint256 poolId, uint256 shares) external view returns (uint256) {
        return _toAssets(_pools[poolId], shares);
    }

    /// The shares delegating `assets` vPHA to a pool would mint now.
    /// @param poolId The pool.
    /// @param assets vPHA to price.
    function previewShares(uint256 poolId, uint256 assets) external view returns (uint256) {
        return _toShares(_pools[poolId], assets);
    }

    /// A worker's binding; `poolId` is zero when it is not bound.
    /// @param workerTokenId The worker's registry token.
    function boundWorker(uint256 workerTokenId) external view returns (BoundWorkerInfo memory info) {
        Binding storage b = _bindings[workerTokenId];
        if (b.poolId == 0) return info;
        Pool storage p = _pools[b.poolId];
        info = BoundWorkerInfo({
            poolId: b.poolId,
            gpuClass: b.gpuClass,
            gpuCount: b.gpuCount,
            collateralPosted: b.collateralPosted,
            collateral: b.collateralEpoch == p.collateralEpoch ? _collateralValue(p, b.collateralShares) : 0
        });
    }

    /// A withdrawal request; `account` is zero for an unknown request.
    /// @param requestId The request.
    function withdrawal(uint256 requestId) external view returns (Withdrawal memory) {
        return _withdrawals[requestId];
    }

    // ---------------------------------------------------------------- internals

    function _existingPool(uint256 poolId) private view returns (Pool storage p) {
        p = _pools[poolId];
        if (p.owner == address(0)) revert UnknownPool(poolId);
    }

    function _ownedPool(uint256 poolId) private view returns (Pool storage p) {
        p = _existingPool(poolId);
        if (p.owner != msg.sender) revert NotPoolOwner(poolId, msg.sender);
    }

    /// Shares for `assets`, rounded down (in the pool's favour).
    function _toShares(Pool storage p, uint256 assets) private view returns (uint256) {
        return Math.mulDiv(assets, p.totalShares + VIRTUAL_SHARES, p.totalAssets + VIRTUAL_SHARES);
    }

    /// Assets for `shares`, rounded down and never more than the pool holds: below a price of 1
    /// the virtual shares would otherwise let the last leavers overdraw by up to `V` wei.
    function _toAssets(Pool storage p, uint256 shares) private view returns (uint256) {
        uint256 assets = Math.mulDiv(shares, p.totalAssets + VIRTUAL_SHARES, p.totalShares + VIRTUAL_SHARES);
        return Math.min(assets, p.totalAssets);
    }

    /// The collateral behind `shares` of the current epoch; the last worker takes what is left.
    function _collateralValue(Pool storage p, uint256 shares) private view returns (uint256) {
        if (shares == p.collateralShares) return p.collateral;
        return Math.mulDiv(shares, p.collateral, p.collateralShares);
    }

    function _setGpuClass(bytes32 gpuClass, uint256 collateralPerGpu_) private {
        if (gpuClass == bytes32(0)) revert InvalidGpuClass(gpuClass);
        collateralPerGpu[gpuClass] = collateralPerGpu_;
        emit GpuClassSet(gpuClass, collateralPerGpu_);
    }

    function _setWithdrawDelay(uint64 withdrawDelay_) private {
        if (withdrawDelay_ > MAX_WITHDRAW_DELAY) revert WithdrawDelayTooLong(withdrawDelay_, MAX_WITHDRAW_DELAY);
        withdrawDelay = withdrawDelay_;
        emit WithdrawDelaySet(withdrawDelay_);
    }

    function _setSlashRecipient(address slashRecipient_) private {
        if (slashRecipient_ == address(0)) revert InvalidSlashRecipient(slashRecipient_);
        slashRecipient = slashRecipient_;
        emit SlashRecipientSet(slashRecipient_);
    }
}
