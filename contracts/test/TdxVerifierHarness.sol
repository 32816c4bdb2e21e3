// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ITdxVerifier} from "../src/tdx/ITdxVerifier.sol";
import {TdxVerifier} from "../src/tdx/TdxVerifier.sol";

/// Exposes the library to tests: the calldata of `check` after the selector is exactly the
/// precompile's input, so a test can reuse one encoder for both.
contract TdxVerifierHarness {
    function check(bytes calldata quote, ITdxVerifier.Collateral calldata collateral, uint32 flags)
        external
        view
        returns (uint8 status, uint8 tcbStatus, bytes32 workloadId, bytes memory mrTd, address reportDataAddress)
    {
        ITdxVerifier.Result memory result = TdxVerifier.verify(quote, collateral, flags);
        status = result.status;
        tcbStatus = result.tcbStatus;
        workloadId = result.workloadId;
        if (TdxVerifier.isOk(result)) {
            mrTd = TdxVerifier.mrTd(result);
            reportDataAddress = TdxVerifier.reportDataAddress(result);
        }
    }
}
