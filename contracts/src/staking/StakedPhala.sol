// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title vPHA: staked PHA, an ERC-4626 vault with streamed rewards, an unlock queue and votes.
/// @notice A genesis predeploy at `0x5048410000000000000000000000000000000002`.
/// - Rewards stream from the vault's rewards reserve at `rewardsPerSecond` into the staked
///   assets, so the share price rises; nothing streams while no vPHA exists.
/// - Leaving goes through the unlock queue: `requestUnlock` burns shares at the current price and
///   the PHA is claimable `lockPeriod` later (21 days by default). ERC-4626 `withdraw`/`redeem`
///   are disabled (`maxWithdraw`/`maxRedeem` are 0). Queued PHA earns nothing.
/// - `maxLockedAssets` caps the staked PHA; the owner (the governance timelock) can pause.
/// - The genesis builder stakes 1 PHA for the burn address `0x…dEaD` before anyone else, so the
///   share price cannot be inflated through a near-empty vault (the classic ERC-4626 first
///   depositor attack), and deposits worth less than one share are refused.
/// - ERC20Votes with a timestamp clock: every holder delegates to itself on first receipt, so
///   staked PHA votes without an extra transaction; holders may delegate elsewhere.
contract StakedPhala is ERC4626, ERC20Permit, ERC20Votes, Ownable, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// A queued withdrawal.
    struct UnlockRequest {
        /// Who receives the PHA.
        address owner;
        /// When it becomes claimable.
        uint64 unlockAt;
        /// Whether it has been paid.
        bool claimed;
        /// PHA owed.
        uint256 assets;
    }

    /// PHA streamed to stakers per second while the reserve lasts.
    uint256 public rewardsPerSecond;
    /// PHA held for future rewards (not yet part of the staked assets).
    uint256 public rewardsReserve;
    /// When rewards were last moved from the reserve into the staked assets.
    uint64 public lastRewardsUpdate;
    /// Seconds between an unlock request and its claim.
    uint64 public lockPeriod;
    /// The cap on staked PHA (`totalAssets`) that deposits may reach.
    uint256 public maxLockedAssets;
    /// PHA owed to unclaimed unlock requests.
    uint256 public queuedAssets;
    /// The id the next unlock request gets (ids start at 1).
    uint256 public nextUnlockId = 1;

    mapping(uint256 id => UnlockRequest) private _unlockRequests;

    /// Rewards moved from the reserve into the staked assets.
    event RewardsAccrued(uint256 amount, uint256 reserveLeft);
    /// The reserve was topped up.
    event RewardsFunded(address indexed from, uint256 amount);
    /// The reward rate changed.
    event RewardsPerSecondSet(uint256 rewardsPerSecond);
    /// The lock period changed (for new requests only).
    event LockPeriodSet(uint64 lockPeriod);
    /// The staking cap changed.
    event MaxLockedAssetsSet(uint256 maxLockedAssets);
    /// `owner` burnt `shares` for `assets` PHA claimable at `unlockAt`.
    event UnlockRequested(uint256 indexed id, address indexed owner, uint256 shares, uint256 assets, uint64 unlockAt);
    /// An unlock request was paid.
    event UnlockClaimed(uint256 indexed id, address indexed owner, uint256 assets);

    /// Leaving goes through `requestUnlock` and `claimUnlocked`.
    error UseUnlockQueue();
    /// No unlock request has this id.
    error UnknownUnlockRequest(uint256 id);
    /// The request is not claimable before `unlockAt`.
    error StillLocked(uint256 id, uint64 unlockAt);
    /// The request was already paid.
    error AlreadyClaimed(uint256 id);
    /// Zero shares or assets.
    error ZeroAmount();

    /// The vault of `pha`, owned by `owner_` (the governance timelock). `rewardsReserve_` PHA of
    /// the vault's genesis balance are the rewards budget.
    constructor(
        IERC20 pha,
        address owner_,
        uint256 rewardsPerSecond_,
        uint64 lockPeriod_,
        uint256 maxLockedAssets_,
        uint256 rewardsReserve_
    ) ERC20("Staked Phala", "vPHA") ERC4626(pha) ERC20Permit("Staked Phala") Ownable(owner_) {
        rewardsPerSecond = rewardsPerSecond_;
        lockPeriod = lockPeriod_;
        maxLockedAssets = maxLockedAssets_;
        rewardsReserve = rewardsReserve_;
        lastRewardsUpdate = uint64(block.timestamp);
    }

    // --- rewards ---

    /// Rewards earned since the last accrual and not yet moved out of the reserve. A chain whose
    /// genesis has timestamp 0 (a dev chain) starts the stream at the first accrual after genesis
    /// rather than paying the whole reserve for the years since 1970.
    function pendingRewards() public view returns (uint256) {
        if (totalSupply() == 0 || lastRewardsUpdate == 0) return 0;
        uint256 earned = (block.timestamp - lastRewardsUpdate) * rewardsPerSecond;
        return Math.min(earned, rewardsReserve);
    }

    /// Staked PHA: the vault's balance less the reserve still to stream and the queued unlocks.
    function totalAssets() public view override returns (uint256) {
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        return balance + pendingRewards() - rewardsReserve - queuedAssets;
    }

    /// Moves the pending rewards into the staked assets.
    function accrueRewards() public {
        uint256 pending = pendingRewards();
        lastRewardsUpdate = uint64(block.timestamp);
        if (pending == 0) return;
        rewardsReserve -= pending;
        emit RewardsAccrued(pending, rewardsReserve);
    }

    /// Adds `amount` PHA from the caller to the rewards reserve.
    function fundRewards(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        accrueRewards();
        IERC20(asset()).safeTransferFrom(msg.sender, address(this), amount);
        rewardsReserve += amount;
        emit RewardsFunded(msg.sender, amount);
    }

    // --- governance ---

    /// Sets the reward rate; rewards up to now are accrued at the old rate.
    function setRewardsPerSecond(uint256 rewardsPerSecond_) external onlyOwner {
        accrueRewards();
        rewardsPerSecond = rewardsPerSecond_;
        emit RewardsPerSecondSet(rewardsPerSecond_);
    }

    /// Sets the lock period of future unlock requests.
    function setLockPeriod(uint64 lockPeriod_) external onlyOwner {
        lockPeriod = lockPeriod_;
        emit LockPeriodSet(lockPeriod_);
    }

    /// Sets the staking cap.
    function setMaxLockedAssets(uint256 maxLockedAssets_) external onlyOwner {
        maxLockedAssets = maxLockedAssets_;
        emit MaxLockedAssetsSet(maxLockedAssets_);
    }

    /// Stops deposits, unlock requests and claims.
    function pause() external onlyOwner {
        _pause();
    }

    /// Resumes deposits, unlock requests and claims.
    function unpause() external onlyOwner {
        _unpause();
    }

    // --- ERC-4626 entry ---

    /// How much PHA may still be staked: the room under `maxLockedAssets`, 0 while paused.
    function maxDeposit(address) public view override returns (uint256) {
        if (paused()) return 0;
        uint256 staked = totalAssets();
        return staked >= maxLockedAssets ? 0 : maxLockedAssets - staked;
    }

    /// The shares `maxDeposit` buys.
    function maxMint(address receiver) public view override returns (uint256) {
        return _convertToShares(maxDeposit(receiver), Math.Rounding.Floor);
    }

    /// Stakes `assets` PHA for `receiver`. A deposit worth less than one share is refused rather
    /// than donated to the other stakers.
    function deposit(uint256 assets, address receiver) public override nonReentrant returns (uint256) {
        accrueRewards();
        if (previewDeposit(assets) == 0) revert ZeroAmount();
        return super.deposit(assets, receiver);
    }

    /// Mints `shares` vPHA for `receiver`.
    function mint(uint256 shares, address receiver) public override nonReentrant returns (uint256) {
        if (shares == 0) revert ZeroAmount();
        accrueRewards();
        return super.mint(shares, receiver);
    }

    // --- leaving: the unlock queue ---

    /// Always 0: leaving goes through the unlock queue.
    function maxWithdraw(address) public pure override returns (uint256) {
        return 0;
    }

    /// Always 0: leaving goes through the unlock queue.
    function maxRedeem(address) public pure override returns (uint256) {
        return 0;
    }

    /// Disabled: use `requestUnlock`.
    function withdraw(uint256, address, address) public pure override returns (uint256) {
        revert UseUnlockQueue();
    }

    /// Disabled: use `requestUnlock`.
    function redeem(uint256, address, address) public pure override returns (uint256) {
        revert UseUnlockQueue();
    }

    /// Burns `shares` of the caller at the current price; the PHA is claimable after `lockPeriod`.
    function requestUnlock(uint256 shares) external nonReentrant whenNotPaused returns (uint256 id) {
        if (shares == 0) revert ZeroAmount();
        accrueRewards();
        uint256 assets = previewRedeem(shares);
        if (assets == 0) revert ZeroAmount();
        _burn(msg.sender, shares);
        queuedAssets += assets;
        id = nextUnlockId++;
        uint64 unlockAt = uint64(block.timestamp) + lockPeriod;
        _unlockRequests[id] = UnlockRequest({owner: msg.sender, unlockAt: unlockAt, claimed: false, assets: assets});
        emit UnlockRequested(id, msg.sender, shares, assets, unlockAt);
    }

    /// Pays unlock request `id` to its owner once its lock period is over.
    function claimUnlocked(uint256 id) external nonReentrant whenNotPaused returns (uint256 assets) {
        UnlockRequest storage request = _unlockRequests[id];
        if (request.owner == address(0)) revert UnknownUnlockRequest(id);
        if (request.claimed) revert AlreadyClaimed(id);
        if (block.timestamp < request.unlockAt) revert StillLocked(id, request.unlockAt);
        request.claimed = true;
        assets = request.assets;
        queuedAssets -= assets;
        IERC20(asset()).safeTransfer(request.owner, assets);
        emit UnlockClaimed(id, request.owner, assets);
    }

    /// Unlock request `id`.
    function unlockRequest(uint256 id) external view returns (UnlockRequest memory) {
        return _unlockRequests[id];
    }

    // --- votes ---

    /// Seconds, like the governor's delays.
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// The EIP-6372 description of `clock`.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    // --- inheritance plumbing ---

    /// vPHA has PHA's 18 decimals.
    function decimals() public view override(ERC20, ERC4626) returns (uint8) {
        return super.decimals();
    }

    /// @inheritdoc Nonces
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// A first-time receiver delegates to itself, so its stake votes.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        if (to != address(0) && delegates(to) == address(0)) _delegate(to, to);
        super._update(from, to, value);
    }

    function _deposit(address caller, address receiver, uint256 assets, uint256 shares)
        internal
        override
        whenNotPaused
    {
        super._deposit(caller, receiver, assets, shares);
    }
}
