// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {ITdxVerifier} from "../tdx/ITdxVerifier.sol";
import {TdxVerifier} from "../tdx/TdxVerifier.sol";

/// @title Registry of attested TEE workers, one ERC-721 token per worker.
/// @notice A worker proves with an Intel TDX quote, checked by the chain's native verifier
/// precompile, that it runs an approved workload on an acceptable platform. The operator who
/// submits the quote receives a token that stands for the worker; pools and schedulers look the
/// worker up by that token. An attestation lasts `attestationTtl` seconds and is refreshed with
/// `reattest`. Governance (the owner) sets the policy and can revoke a worker.
/// @dev A genesis predeploy at 0x5048410000000000000000000000000000000005. The constructor only
/// writes storage: other predeploys and the precompile may not exist at that moment.
contract WorkerRegistry is ERC721, Ownable {
    /// The record of one worker.
    struct Worker {
        /// The key the worker holds inside its TEE (bound into the quote's report data).
        address workerKey;
        /// The workload measurement of the latest accepted quote.
        bytes32 workloadId;
        /// The TCB status of the latest accepted quote (see `ITdxVerifier.Result.tcbStatus`).
        uint8 tcbStatus;
        /// The TCB evaluation data number of the collateral of the latest accepted quote.
        uint32 tcbEvalDataNumber;
        /// The sha256 of the latest accepted quote.
        bytes32 quoteHash;
        /// keccak256 of the latest accepted quote's TD report body: what identifies an
        /// attestation (see `tokenOfReport`).
        bytes32 reportHash;
        /// When the token was minted.
        uint64 registeredAt;
        /// When the latest attestation stops counting; the worker is inactive from then on.
        uint64 expiresAt;
        /// Whether governance revoked the worker. A revoked worker cannot be reattested.
        bool revoked;
    }

    /// The longest attestation lifetime governance may set (ten years), which also keeps
    /// `block.timestamp + attestationTtl` far from overflowing.
    uint64 public constant MAX_ATTESTATION_TTL = 3650 days;

    /// Whether a workload measurement (`ITdxVerifier.Result.workloadId`) may register.
    mapping(bytes32 workloadId => bool allowed) public allowedWorkloads;
    /// Bit `i` set allows a quote whose TCB status is `i`.
    uint16 public allowedTcbStatuses;
    /// The lowest TCB evaluation data number accepted; older collateral is refused.
    uint32 public minTcbEvalDataNumber;
    /// Whether the quote's report data must bind the worker key, this chain, this registry, the
    /// submitting operator and a nonce (see `reportDataBinding`).
    bool public requireReportDataBinding;
    /// How long an attestation lasts, in seconds.
    uint64 public attestationTtl;
    /// The flags passed to the verifier precompile (bit 0 allows a service TD, bit 1 allows SGX).
    uint32 public verifierFlags;

    /// The id the next registered worker gets. Ids start at 1, so 0 means "none".
    uint256 public nextTokenId = 1;

    mapping(uint256 tokenId => Worker) private _workers;
    mapping(address workerKey => uint256 tokenId) private _tokenOfWorkerKey;
    mapping(bytes32 reportHash => uint256 tokenId) private _tokenOfReport;

    /// A worker registered: token `tokenId` was minted to `operator`.
    event WorkerRegistered(
        uint256 indexed tokenId,
        address indexed workerKey,
        address indexed operator,
        bytes32 workloadId,
        bytes32 quoteHash,
        uint64 expiresAt
    );
    /// A worker presented a fresh quote; its record now holds these values.
    event WorkerReattested(
        uint256 indexed tokenId,
        address indexed workerKey,
        bytes32 workloadId,
        bytes32 quoteHash,
        uint8 tcbStatus,
        uint32 tcbEvalDataNumber,
        uint64 expiresAt
    );
    /// Governance revoked a worker.
    event WorkerRevoked(uint256 indexed tokenId, string reason);
    /// Governance allowed or disallowed a workload measurement.
    event WorkloadAllowedSet(bytes32 indexed workloadId, bool allowed);
    /// Governance set the allowed TCB statuses bitmask.
    event AllowedTcbStatusesSet(uint16 allowedTcbStatuses);
    /// Governance set the lowest accepted TCB evaluation data number.
    event MinTcbEvalDataNumberSet(uint32 minTcbEvalDataNumber);
    /// Governance turned the report data binding requirement on or off.
    event RequireReportDataBindingSet(bool required);
    /// Governance set the attestation lifetime.
    event AttestationTtlSet(uint64 attestationTtl);
    /// Governance set the verifier precompile flags.
    event VerifierFlagsSet(uint32 verifierFlags);

    /// The precompile did not accept the quote; `status` is its verdict (see `TdxVerifier`).
    error QuoteRejected(uint8 status);
    /// The quote's TCB status is not in the allowed bitmask.
    error TcbStatusNotAllowed(uint8 tcbStatus, uint16 allowedTcbStatuses);
    /// The collateral's TCB evaluation data number is older than governance accepts.
    error TcbEvalDataNumberTooLow(uint32 tcbEvalDataNumber, uint32 minTcbEvalDataNumber);
    /// The quote's workload measurement is not allowed.
    error WorkloadNotAllowed(bytes32 workloadId);
    /// This quote's TD report was already used (by any registration or reattestation, ever).
    error ReportAlreadyUsed(bytes32 reportHash);
    /// The report data does not start with the worker key.
    error ReportDataKeyMismatch(address expected, address found);
    /// The report data's bytes 20..52 are not
    /// `keccak256(abi.encode(chainid, registry, operator, nonce))`.
    error ReportDataNonceMismatch(bytes32 expected, bytes32 found);
    /// The worker key is the zero address.
    error ZeroWorkerKey();
    /// The worker key already has a live (not revoked) token.
    error WorkerKeyAlreadyRegistered(address workerKey, uint256 tokenId);
    /// No worker has this token id.
    error UnknownWorker(uint256 tokenId);
    /// The worker was revoked.
    error WorkerIsRevoked(uint256 tokenId);
    /// Only the token's owner, an address it approved, or the worker key itself may reattest.
    error NotAuthorizedToReattest(uint256 tokenId, address caller);
    /// The attestation lifetime is zero or above `MAX_ATTESTATION_TTL`.
    error InvalidAttestationTtl(uint64 attestationTtl);

    /// Sets the owner (the governance timelock) and the initial policy. Writes storage only.
    /// @param owner_ The governance timelock.
    /// @param allowedWorkloads_ Workload measurements allowed from genesis.
    /// @param allowedTcbStatuses_ Bitmask of allowed TCB statuses.
    /// @param minTcbEvalDataNumber_ Lowest accepted TCB evaluation data number.
    /// @param requireReportDataBinding_ Whether report data must bind key, chain, registry, operator and nonce.
    /// @param attestationTtl_ Attestation lifetime in seconds.
    /// @param verifierFlags_ Flags for the verifier precompile.
    constructor(
        address owner_,
        bytes32[] memory allowedWorkloads_,
        uint16 allowedTcbStatuses_,
        uint32 minTcbEvalDataNumber_,
        bool requireReportDataBinding_,
        uint64 attestationTtl_,
        uint32 verifierFlags_
    ) ERC721("Phala TDX Worker", "PWORKER") Ownable(owner_) {
        for (uint256 i = 0; i < allowedWorkloads_.length; i++) {
            _setWorkloadAllowed(allowedWorkloads_[i], true);
        }
        _setAllowedTcbStatuses(allowedTcbStatuses_);
        _setMinTcbEvalDataNumber(minTcbEvalDataNumber_);
        _setRequireReportDataBinding(requireReportDataBinding_);
        _setAttestationTtl(attestationTtl_);
        _setVerifierFlags(verifierFlags_);
    }

    // ---------------------------------------------------------------- workers

    /// Registers a worker and mints its token to the caller (the operator).
    /// @param workerKey The key the worker holds inside its TEE.
    /// @param quote The worker's TDX quote.
    /// @param collateral Intel collateral for the quote.
    /// @param nonce The nonce bound into the report data (see `reportDataBinding`).
    /// @return tokenId The new token's id.
    function register(
        address workerKey,
        bytes calldata quote,
        ITdxVerifier.Collateral calldata collateral,
        uint256 nonce
    ) external returns (uint256 tokenId) {
        if (workerKey == address(0)) revert ZeroWorkerKey();
        uint256 current = _tokenOfWorkerKey[workerKey];
        if (current != 0 && !_workers[current].revoked) revert WorkerKeyAlreadyRegistered(workerKey, current);

        ITdxVerifier.Result memory result = _verify(quote, collateral, workerKey, msg.sender, nonce);

        tokenId = nextTokenId++;
        uint64 expiresAt = uint64(block.timestamp) + attestationTtl;
        _workers[tokenId] = Worker({
            workerKey: workerKey,
            workloadId: result.workloadId,
            tcbStatus: result.tcbStatus,
            tcbEvalDataNumber: result.tcbEvalDataNumber,
            quoteHash: result.quoteHash,
            reportHash: keccak256(result.reportBody),
            registeredAt: uint64(block.timestamp),
            expiresAt: expiresAt,
            revoked: false
        });
        _tokenOfWorkerKey[workerKey] = tokenId;
        _tokenOfReport[keccak256(result.reportBody)] = tokenId;
        // `_mint`, not `_safeMint`: no callback into the operator while registering.
        _mint(msg.sender, tokenId);

        emit WorkerRegistered(tokenId, workerKey, msg.sender, result.workloadId, result.quoteHash, expiresAt);
    }

    /// Refreshes a worker's attestation with a new quote, under the same checks as `register`
    /// (the report data must bind the worker's recorded key). Also restores an expired worker.
    /// @dev Callable by the token's owner or an address it approved, and by the worker key
    /// itself: a worker bound into a stake pool is owned by the pool contract, and its worker
    /// keeps it attested.
    /// @param tokenId The worker's token.
    /// @param quote A fresh TDX quote from the worker.
    /// @param collateral Intel collateral for the quote.
    /// @param nonce The nonce bound into the report data.
    function reattest(
        uint256 tokenId,
        bytes calldata quote,
        ITdxVerifier.Collateral calldata collateral,
        uint256 nonce
    ) external {
        Worker storage w = _workers[tokenId];
        address workerKey = w.workerKey;
        if (workerKey == address(0)) revert UnknownWorker(tokenId);
        if (w.revoked) revert WorkerIsRevoked(tokenId);
        if (msg.sender != workerKey && !_isAuthorized(_ownerOf(tokenId), msg.sender, tokenId)) {
            revert NotAuthorizedToReattest(tokenId, msg.sender);
        }

        ITdxVerifier.Result memory result = _verify(quote, collateral, workerKey, msg.sender, nonce);

        uint64 expiresAt = uint64(block.timestamp) + attestationTtl;
        w.workloadId = result.workloadId;
        w.tcbStatus = result.tcbStatus;
        w.tcbEvalDataNumber = result.tcbEvalDataNumber;
        w.quoteHash = result.quoteHash;
        w.reportHash = keccak256(result.reportBody);
        w.expiresAt = expiresAt;
        _tokenOfReport[w.reportHash] = tokenId;

        emit WorkerReattested(
            tokenId,
            workerKey,
            result.workloadId,
            result.quoteHash,
            result.tcbStatus,
            result.tcbEvalDataNumber,
            expiresAt
        );
    }

    /// Revokes a worker for good; its key may register again with a new quote.
    /// @param tokenId The worker's token.
    /// @param reason Why, for the record.
    function revoke(uint256 tokenId, string calldata reason) external onlyOwner {
        Worker storage w = _workers[tokenId];
        if (w.workerKey == address(0)) revert UnknownWorker(tokenId);
        if (w.revoked) revert WorkerIsRevoked(tokenId);
        w.revoked = true;
        emit WorkerRevoked(tokenId, reason);
    }

    // ---------------------------------------------------------------- views

    /// The record of a worker; all zero for an unknown token id.
    /// @param tokenId The worker's token.
    function worker(uint256 tokenId) external view returns (Worker memory) {
        return _workers[tokenId];
    }

    /// Whether the worker exists, is not revoked and its attestation has not expired.
    /// @param tokenId The worker's token.
    function isActive(uint256 tokenId) external view returns (bool) {
        Worker storage w = _workers[tokenId];
        return w.workerKey != address(0) && !w.revoked && block.timestamp < w.expiresAt;
    }

    /// The latest token registered for a worker key (possibly revoked or expired), or 0.
    /// @param workerKey The worker key.
    function tokenOfWorkerKey(address workerKey) external view returns (uint256) {
        return _tokenOfWorkerKey[workerKey];
    }

    /// The token whose registration or reattestation used a TD report, or 0 if it is unused.
    /// A quote is single-use by its report body, not by its bytes: the quote's ECDSA signatures
    /// are malleable (`s` and `n - s` both verify) and its certificates can be re-encoded, so
    /// one attestation has several valid quote encodings with different sha256 hashes.
    /// @param reportHash keccak256 of the quote's TD report body (`Result.reportBody`).
    function tokenOfReport(bytes32 reportHash) external view returns (uint256) {
        return _tokenOfReport[reportHash];
    }

    /// The 52 bytes a worker puts at the start of its report data when binding is required:
    /// `workerKey ‖ keccak256(abi.encode(block.chainid, address(this), operator, nonce))`. The
    /// operator is the account that will send `register` (or `reattest`): binding it means a
    /// copied pending transaction cannot take the worker's token.
    /// @param workerKey The worker key.
    /// @param operator The account that submits the quote.
    /// @param nonce Any value the worker picks; quotes are single use whatever the nonce.
    function reportDataBinding(address workerKey, address operator, uint256 nonce)
        external
        view
        returns (bytes memory)
    {
        return abi.encodePacked(workerKey, _bindingHash(operator, nonce));
    }

    /// Whether report data carries the binding of `workerKey` and `nonce`; the check `register`
    /// and `reattest` make when binding is required.
    /// @param reportData The report data (64 bytes in a quote; at least 52 are read).
    /// @param workerKey The worker key.
    /// @param operator The account that submits the quote.
    /// @param nonce The nonce.
    function checkReportDataBinding(bytes memory reportData, address workerKey, address operator, uint256 nonce)
        public
        view
        returns (bool)
    {
        if (reportData.length < 52) return false;
        (address key, bytes32 hash) = _splitReportData(reportData);
        return key == workerKey && hash == _bindingHash(operator, nonce);
    }

    // ---------------------------------------------------------------- policy

    /// Allows or disallows a workload measurement.
    /// @param workloadId The measurement (`ITdxVerifier.Result.workloadId`).
    /// @param allowed Whether it may register and reattest.
    function setWorkloadAllowed(bytes32 workloadId, bool allowed) external onlyOwner {
        _setWorkloadAllowed(workloadId, allowed);
    }

    /// Sets the allowed TCB statuses (bit `i` allows status `i`).
    /// @param allowedTcbStatuses_ The bitmask.
    function setAllowedTcbStatuses(uint16 allowedTcbStatuses_) external onlyOwner {
        _setAllowedTcbStatuses(allowedTcbStatuses_);
    }

    /// Sets the lowest accepted TCB evaluation data number.
    /// @param minTcbEvalDataNumber_ The number.
    function setMinTcbEvalDataNumber(uint32 minTcbEvalDataNumber_) external onlyOwner {
        _setMinTcbEvalDataNumber(minTcbEvalDataNumber_);
    }

    /// Turns the report data binding requirement on or off.
    /// @param required Whether report data must bind key, chain, registry, operator and nonce.
    function setRequireReportDataBinding(bool required) external onlyOwner {
        _setRequireReportDataBinding(required);
    }

    /// Sets the attestation lifetime for future registrations and reattestations.
    /// @param attestationTtl_ Seconds, from 1 to `MAX_ATTESTATION_TTL`.
    function setAttestationTtl(uint64 attestationTtl_) external onlyOwner {
        _setAttestationTtl(attestationTtl_);
    }

    /// Sets the flags passed to the verifier precompile.
    /// @param verifierFlags_ Bit 0 allows a service TD, bit 1 allows SGX quotes.
    function setVerifierFlags(uint32 verifierFlags_) external onlyOwner {
        _setVerifierFlags(verifierFlags_);
    }

    // ---------------------------------------------------------------- internals

    /// Verifies a quote against the policy, de-duplication and the binding to `workerKey` and
    /// `operator`.
    function _verify(
        bytes calldata quote,
        ITdxVerifier.Collateral calldata collateral,
        address workerKey,
        address operator,
        uint256 nonce
    ) private view returns (ITdxVerifier.Result memory result) {
        result = TdxVerifier.verify(quote, collateral, verifierFlags);
        if (!TdxVerifier.isOk(result)) revert QuoteRejected(result.status);
        uint16 allowed = allowedTcbStatuses;
        if ((allowed >> result.tcbStatus) & 1 == 0) revert TcbStatusNotAllowed(result.tcbStatus, allowed);
        uint32 minEval = minTcbEvalDataNumber;
        if (result.tcbEvalDataNumber < minEval) revert TcbEvalDataNumberTooLow(result.tcbEvalDataNumber, minEval);
        if (!allowedWorkloads[result.workloadId]) revert WorkloadNotAllowed(result.workloadId);
        bytes32 reportHash = keccak256(result.reportBody);
        if (_tokenOfReport[reportHash] != 0) revert ReportAlreadyUsed(reportHash);
        if (requireReportDataBinding) {
            (address key, bytes32 hash) = _splitReportData(TdxVerifier.reportData(result));
            if (key != workerKey) revert ReportDataKeyMismatch(workerKey, key);
            bytes32 expected = _bindingHash(operator, nonce);
            if (hash != expected) revert ReportDataNonceMismatch(expected, hash);
        }
    }

    function _bindingHash(address operator, uint256 nonce) private view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), operator, nonce));
    }

    /// Bytes 0..20 as an address and bytes 20..52 as a word. The caller ensures length >= 52.
    function _splitReportData(bytes memory reportData) private pure returns (address key, bytes32 hash) {
        assembly ("memory-safe") {
            key := shr(96, mload(add(reportData, 32)))
            hash := mload(add(reportData, 52))
        }
    }

    function _setWorkloadAllowed(bytes32 workloadId, bool allowed) private {
        allowedWorkloads[workloadId] = allowed;
        emit WorkloadAllowedSet(workloadId, allowed);
    }

    function _setAllowedTcbStatuses(uint16 allowedTcbStatuses_) private {
        allowedTcbStatuses = allowedTcbStatuses_;
        emit AllowedTcbStatusesSet(allowedTcbStatuses_);
    }

    function _setMinTcbEvalDataNumber(uint32 minTcbEvalDataNumber_) private {
        minTcbEvalDataNumber = minTcbEvalDataNumber_;
        emit MinTcbEvalDataNumberSet(minTcbEvalDataNumber_);
    }

    function _setRequireReportDataBinding(bool required) private {
        requireReportDataBinding = required;
        emit RequireReportDataBindingSet(required);
    }

    function _setAttestationTtl(uint64 attestationTtl_) private {
        if (attestationTtl_ == 0 || attestationTtl_ > MAX_ATTESTATION_TTL) {
            revert InvalidAttestationTtl(attestationTtl_);
        }
        attestationTtl = attestationTtl_;
        emit AttestationTtlSet(attestationTtl_);
    }

    function _setVerifierFlags(uint32 verifierFlags_) private {
        verifierFlags = verifierFlags_;
        emit VerifierFlagsSet(verifierFlags_);
    }
}
