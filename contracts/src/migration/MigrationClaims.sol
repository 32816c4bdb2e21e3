// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @title Claims of PHA balances migrated from the Phala parachain.
/// @notice A genesis predeploy at `0x5048410000000000000000000000000000000007`, holding the PHA of
/// every parachain account in the snapshot. The genesis builder scales the parachain's 12-decimal
/// balances by 10^6 and stores the Merkle root of the leaves
/// `keccak256(bytes.concat(keccak256(abi.encode(account, free, staked))))` (sorted-pair hashing).
/// A holder claims by proving its leaf and signing the recipient with its parachain key (sr25519
/// or ed25519), as the polkadot.js extension's `signRaw` does: the signed bytes are
/// `<Bytes>` ‖ `claimText(recipient)` ‖ `</Bytes>`. Free balance arrives as PHA, staked balance
/// as vPHA. No trusted signer is involved.
///
/// The snapshot's staked PHA is staked in the vault at genesis for this contract (at the genesis
/// price of one share per PHA), so a claim transfers exactly `staked` vPHA: unclaimed stake earns
/// rewards from genesis, and a paused or full vault cannot hold a claim up.
contract MigrationClaims {
    using SafeERC20 for IERC20;

    /// Signature scheme of a parachain key: schnorrkel/sr25519 (the Substrate default).
    uint8 public constant SCHEME_SR25519 = 0;
    /// Signature scheme of a parachain key: ed25519.
    uint8 public constant SCHEME_ED25519 = 1;
    /// The ed25519 verification precompile.
    address public constant ED25519_VERIFY = address(0x544459);
    /// The sr25519 verification precompile.
    address public constant SR25519_VERIFY = address(0x54445a);

    /// The PHA token.
    IERC20 public immutable pha;
    /// The vPHA vault; this contract holds the snapshot's staked balances as its shares.
    IERC20 public immutable vault;
    /// Root of the snapshot's Merkle tree.
    bytes32 public immutable merkleRoot;
    /// When claiming ends (a timestamp; 0: never). After it, what is left goes to `treasury`.
    uint64 public immutable claimDeadline;
    /// Where unclaimed balances go after the deadline (the governance timelock).
    address public immutable treasury;

    /// Whether a parachain account (its 32-byte public key) has claimed.
    mapping(bytes32 account => bool) public claimed;

    /// `account` claimed `free` PHA and `staked` PHA (as `shares` vPHA) to `recipient`.
    event Claimed(bytes32 indexed account, address indexed recipient, uint256 free, uint256 staked, uint256 shares);
    /// The unclaimed `pha` PHA and `shares` vPHA went to the treasury.
    event UnclaimedSwept(address indexed treasury, uint256 pha, uint256 shares);

    /// The account has already claimed.
    error AlreadyClaimed(bytes32 account);
    /// The proof does not lead from the leaf to `merkleRoot`.
    error InvalidProof();
    /// The signature is not the account's over the claim message.
    error InvalidSignature();
    /// Only `SCHEME_SR25519` and `SCHEME_ED25519` exist.
    error UnknownScheme(uint8 scheme);
    /// The recipient may not be the zero address.
    error ZeroRecipient();
    /// Claiming ended at `deadline`.
    error ClaimPeriodOver(uint64 deadline);
    /// Claiming is still open (until `deadline`; 0: it never closes).
    error ClaimPeriodOpen(uint64 deadline);

    /// Claims of the snapshot with root `merkleRoot_`, paid in `pha_` and `vault_` shares, open
    /// until `claimDeadline_` (0: forever); leftovers then go to `treasury_`.
    constructor(IERC20 pha_, IERC20 vault_, bytes32 merkleRoot_, uint64 claimDeadline_, address treasury_) {
        pha = pha_;
        vault = vault_;
        merkleRoot = merkleRoot_;
        claimDeadline = claimDeadline_;
        treasury = treasury_;
    }

    /// Pays `account`'s snapshot balances to `recipient`: `free` as PHA, `staked` as vPHA shares
    /// (one per PHA staked, as at genesis). `signature` is the account's `scheme` signature over
    /// `signedMessage(recipient)`; `proof` is the leaf's Merkle proof.
    function claim(
        bytes32 account,
        uint256 free,
        uint256 staked,
        bytes32[] calldata proof,
        address recipient,
        uint8 scheme,
        bytes calldata signature
    ) external returns (uint256 shares) {
        if (claimDeadline != 0 && block.timestamp >= claimDeadline) revert ClaimPeriodOver(claimDeadline);
        if (recipient == address(0)) revert ZeroRecipient();
        if (claimed[account]) revert AlreadyClaimed(account);
        if (!MerkleProof.verifyCalldata(proof, merkleRoot, leaf(account, free, staked))) revert InvalidProof();
        if (!verifySignature(scheme, account, signature, signedMessage(recipient))) revert InvalidSignature();
        claimed[account] = true;
        if (free > 0) pha.safeTransfer(recipient, free);
        shares = staked;
        if (shares > 0) vault.safeTransfer(recipient, shares);
        emit Claimed(account, recipient, free, staked, shares);
    }

    /// After the deadline, sends every unclaimed PHA and vPHA to the treasury. Anyone may call it.
    function sweepUnclaimed() external returns (uint256 phaSwept, uint256 sharesSwept) {
        if (claimDeadline == 0 || block.timestamp < claimDeadline) revert ClaimPeriodOpen(claimDeadline);
        phaSwept = pha.balanceOf(address(this));
        sharesSwept = vault.balanceOf(address(this));
        if (phaSwept > 0) pha.safeTransfer(treasury, phaSwept);
        if (sharesSwept > 0) vault.safeTransfer(treasury, sharesSwept);
        emit UnclaimedSwept(treasury, phaSwept, sharesSwept);
    }

    /// The Merkle leaf of a snapshot entry (balances already in 18 decimals).
    function leaf(bytes32 account, uint256 free, uint256 staked) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, free, staked))));
    }

    /// The text a holder signs to claim to `recipient`, naming the chain and this contract so the
    /// signature cannot be replayed elsewhere.
    function claimText(address recipient) public view returns (string memory) {
        return string.concat(
            "Claim my Phala parachain PHA to ",
            Strings.toHexString(recipient),
            " on chain ",
            Strings.toString(block.chainid),
            " via ",
            Strings.toHexString(address(this))
        );
    }

    /// The bytes the parachain key signs: `claimText` wrapped as polkadot.js `signRaw` wraps data.
    function signedMessage(address recipient) public view returns (bytes memory) {
        return bytes.concat("<Bytes>", bytes(claimText(recipient)), "</Bytes>");
    }

    /// Whether `signature` is `account`'s `scheme` signature over `message`, by the chain's
    /// signature precompiles (input `publicKey ‖ signature ‖ message`, output the word 1 if valid).
    function verifySignature(uint8 scheme, bytes32 account, bytes calldata signature, bytes memory message)
        public
        view
        returns (bool)
    {
        address precompile;
        if (scheme == SCHEME_SR25519) precompile = SR25519_VERIFY;
        else if (scheme == SCHEME_ED25519) precompile = ED25519_VERIFY;
        else revert UnknownScheme(scheme);
        // Nobody holds the zero key (the sr25519 identity point verifies forged signatures).
        if (signature.length != 64 || account == bytes32(0)) return false;
        (bool ok, bytes memory output) = precompile.staticcall(bytes.concat(account, signature, message));
        return ok && output.length == 32 && abi.decode(output, (uint256)) == 1;
    }
}
