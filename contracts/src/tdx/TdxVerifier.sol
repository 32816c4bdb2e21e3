// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ITdxVerifier} from "./ITdxVerifier.sol";

/// @title Calls the TDX attestation precompile and decodes its verdict.
library TdxVerifier {
    /// The precompile's address (ASCII "TDX").
    address internal constant PRECOMPILE = address(0x544458);

    uint8 internal constant STATUS_OK = 0;
    uint8 internal constant STATUS_BAD_QUOTE = 1;
    uint8 internal constant STATUS_BAD_COLLATERAL = 2;
    uint8 internal constant STATUS_COLLATERAL_TIME = 3;
    uint8 internal constant STATUS_CERT_CHAIN = 4;
    uint8 internal constant STATUS_QE = 5;
    uint8 internal constant STATUS_QUOTE_SIGNATURE = 6;
    uint8 internal constant STATUS_TCB_NO_MATCH = 7;
    uint8 internal constant STATUS_TCB_REVOKED = 8;
    uint8 internal constant STATUS_TD_POLICY = 9;

    uint8 internal constant TCB_UP_TO_DATE = 0;
    uint8 internal constant TCB_OUT_OF_DATE = 4;
    uint8 internal constant TCB_REVOKED = 6;

    /// Flag bit 0: accept a TD bound to a service TD (non-zero MR_SERVICETD).
    uint32 internal constant FLAG_ALLOW_SERVICE_TD = 1;
    /// Flag bit 1: accept SGX quotes besides TDX quotes.
    uint32 internal constant FLAG_ALLOW_SGX = 2;

    /// The SGX enclave report body type (report data at another offset than a TD report's).
    uint16 internal constant BODY_TYPE_SGX = 1;

    /// The call itself failed: malformed input, or an input over the size limit.
    error TdxPrecompileFailed();
    /// Nothing answered at the precompile address: the chain has not activated it yet.
    error TdxPrecompileMissing();
    /// A report body too short for the field asked for.
    error TdxReportBodyTooShort();

    /// The precompile input for `quote`, `collateral` and `flags`.
    function encodeInput(bytes memory quote, ITdxVerifier.Collateral memory collateral, uint32 flags)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encode(quote, collateral, flags);
    }

    /// Verifies `quote` at `block.timestamp`. Reverts only when the call fails; check
    /// `result.status` for the verdict.
    function verify(bytes memory quote, ITdxVerifier.Collateral memory collateral, uint32 flags)
        internal
        view
        returns (ITdxVerifier.Result memory result)
    {
        (bool ok, bytes memory output) = PRECOMPILE.staticcall(encodeInput(quote, collateral, flags));
        if (!ok) revert TdxPrecompileFailed();
        if (output.length == 0) revert TdxPrecompileMissing();
        return decodeResult(output);
    }

    /// Decodes the precompile's output. The output is the encoding of the result's fields as
    /// top-level values, which is a struct's encoding without the leading offset word.
    function decodeResult(bytes memory output) internal pure returns (ITdxVerifier.Result memory) {
        return abi.decode(bytes.concat(bytes32(uint256(32)), output), (ITdxVerifier.Result));
    }

    /// Whether the quote verified (any TCB status; check `tcbStatus` for the policy).
    function isOk(ITdxVerifier.Result memory result) internal pure returns (bool) {
        return result.status == STATUS_OK;
    }

    /// MRTD of a TD report (48 bytes at offset 136 of the body).
    function mrTd(ITdxVerifier.Result memory result) internal pure returns (bytes memory) {
        return slice(result.reportBody, 136, 48);
    }

    /// RTMR `index` (0..3) of a TD report.
    function rtmr(ITdxVerifier.Result memory result, uint256 index) internal pure returns (bytes memory) {
        require(index < 4, "rtmr index");
        return slice(result.reportBody, 328 + 48 * index, 48);
    }

    /// The 64 bytes of report data the workload bound into the report.
    function reportData(ITdxVerifier.Result memory result) internal pure returns (bytes memory) {
        uint256 offset = result.teeBodyType == BODY_TYPE_SGX ? 320 : 520;
        return slice(result.reportBody, offset, 64);
    }

    /// The first 20 bytes of the report data as an address (a worker's key, by convention).
    function reportDataAddress(ITdxVerifier.Result memory result) internal pure returns (address) {
        return address(bytes20(reportData(result)));
    }

    function slice(bytes memory data, uint256 start, uint256 length) private pure returns (bytes memory out) {
        if (data.length < start + length) revert TdxReportBodyTooShort();
        out = new bytes(length);
        for (uint256 i = 0; i < length; i++) {
            out[i] = data[start + i];
        }
    }
}
