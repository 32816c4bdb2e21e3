// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title The native TDX attestation precompile of the Phala L2.
/// @notice Lives at `0x0000000000000000000000000000000000544458` ("TDX") from the chain's
/// `tdxAttestationTime` hardfork on. Input is `abi.encode(bytes quote, Collateral collateral,
/// uint32 flags)`; output is the `abi.encode` of the fields of `Result`, in order. The verdict is
/// a pure function of the input and `block.timestamp`. Gas: `200_000 + 6 * ceil(len / 32)`.
/// The call itself fails only for malformed ABI or an input over 64 KiB; a quote that does not
/// verify returns normally with `status != 0`.
interface ITdxVerifier {
    /// Intel collateral, field for field as Intel PCS serves it (PEM and JSON as text, hex
    /// fields as raw bytes). An empty `pckCertificateChain` uses the chain inside the quote.
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

    /// The precompile's verdict.
    struct Result {
        /// 0 OK, 1 BAD_QUOTE, 2 BAD_COLLATERAL, 3 COLLATERAL_TIME, 4 CERT_CHAIN, 5 QE,
        /// 6 QUOTE_SIGNATURE, 7 TCB_NO_MATCH, 8 TCB_REVOKED, 9 TD_POLICY.
        uint8 status;
        /// 0 UpToDate, 1 SWHardeningNeeded, 2 ConfigurationAndSWHardeningNeeded,
        /// 3 ConfigurationNeeded, 4 OutOfDate, 5 OutOfDateConfigurationNeeded, 6 Revoked,
        /// 7 TDRelaunchAdvised, 8 TDRelaunchAdvisedConfigurationNeeded.
        uint8 tcbStatus;
        uint16 quoteVersion;
        uint16 teeBodyType;
        bytes6 fmspc;
        uint32 tcbEvalDataNumber;
        uint64 tcbDate;
        uint64 collateralNotBefore;
        uint64 collateralNotAfter;
        /// sha256 of the quote. Not an attestation's identity: the quote's ECDSA signatures are
        /// malleable, so one TD report has several valid encodings. To make a quote single-use,
        /// key on keccak256(reportBody).
        bytes32 quoteHash;
        /// keccak256 over tcbInfo, qeIdentity, pckCrl and rootCaCrl.
        bytes32 collateralHash;
        /// keccak256(mrTd ‖ rtmr0..3 ‖ mrConfigId ‖ xfam ‖ tdAttributes).
        bytes32 workloadId;
        /// The raw TD (or enclave) report body.
        bytes reportBody;
        string[] advisoryIds;
    }
}
