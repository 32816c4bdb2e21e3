//! The verification result and its ABI encoding.

use crate::{
    TdxInputError,
    abi::{encode_bytes_tuple, padded_len, push_bytes, uint_word},
};
use alloy_primitives::B256;

/// Verdict of a verification: which check failed first, or [`Status::Ok`].
///
/// The code is chosen by the check that failed (see the crate documentation for the
/// order of the checks), never by an error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    /// All checks passed.
    Ok = 0,
    /// The quote is malformed, too long, zero-padded, or of an unsupported version, TEE
    /// type, body type, key type or QE vendor.
    BadQuote = 1,
    /// The collateral cannot be decoded, or the signature on TCB Info / QE Identity is bad.
    BadCollateral = 2,
    /// A collateral item (TCB Info, QE Identity, a CRL or a certificate) is not yet valid
    /// or has expired at the given timestamp.
    CollateralTime = 3,
    /// A certificate chain or CRL does not verify, has the wrong shape, or a certificate is
    /// revoked.
    CertChain = 4,
    /// QE report signature, QE report data hash, or QE Identity check failed.
    Qe = 5,
    /// The quote signature by the attestation key is invalid.
    QuoteSignature = 6,
    /// The platform matches no TCB level of the TCB Info (or the TCB Info is for another
    /// platform, TEE or TDX module).
    TcbNoMatch = 7,
    /// The matched TCB level is revoked.
    TcbRevoked = 8,
    /// The TD (or enclave) attributes are not acceptable: debug, reserved or forbidden bits,
    /// or a service TD without the flag.
    TdPolicy = 9,
}

/// TCB status of a verified quote (the `tcbStatus` output byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum TcbStatus {
    /// `UpToDate`.
    #[default]
    UpToDate = 0,
    /// `SWHardeningNeeded`.
    SwHardeningNeeded = 1,
    /// `ConfigurationAndSWHardeningNeeded`.
    ConfigurationAndSwHardeningNeeded = 2,
    /// `ConfigurationNeeded`.
    ConfigurationNeeded = 3,
    /// `OutOfDate`.
    OutOfDate = 4,
    /// `OutOfDateConfigurationNeeded`.
    OutOfDateConfigurationNeeded = 5,
    /// `Revoked` (never part of an OK result: a revoked TCB gives [`Status::TcbRevoked`]).
    Revoked = 6,
    /// `TDRelaunchAdvised`.
    TdRelaunchAdvised = 7,
    /// `TDRelaunchAdvisedConfigurationNeeded`.
    TdRelaunchAdvisedConfigurationNeeded = 8,
}

impl From<dcap_qvl::TcbStatus> for TcbStatus {
    fn from(status: dcap_qvl::TcbStatus) -> Self {
        use dcap_qvl::TcbStatus as D;
        match status {
            D::UpToDate => Self::UpToDate,
            D::SWHardeningNeeded => Self::SwHardeningNeeded,
            D::ConfigurationAndSWHardeningNeeded => Self::ConfigurationAndSwHardeningNeeded,
            D::ConfigurationNeeded => Self::ConfigurationNeeded,
            D::OutOfDate => Self::OutOfDate,
            D::OutOfDateConfigurationNeeded => Self::OutOfDateConfigurationNeeded,
            D::Revoked => Self::Revoked,
            D::TDRelaunchAdvised => Self::TdRelaunchAdvised,
            D::TDRelaunchAdvisedConfigurationNeeded => Self::TdRelaunchAdvisedConfigurationNeeded,
        }
    }
}

/// Result of one verification, field for field the precompile output.
///
/// Which fields are filled depends on how far the verification got:
/// - always: `status`, `quote_hash`, `collateral_hash`;
/// - once the quote passed the shape checks (every status except
///   [`Status::BadQuote`]): `quote_version`, `tee_body_type`, `report_body`,
///   `workload_id`;
/// - only when `status` is [`Status::Ok`]: `tcb_status`, `fmspc`, `tcb_eval_data_number`,
///   `tcb_date`, `collateral_not_before`, `collateral_not_after`, `advisory_ids`.
///
/// Unfilled fields are zero / empty. In particular `tcb_status` is 0 (`UpToDate`) on
/// failure and must be ignored unless `status` is OK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationOutcome {
    /// Verdict.
    pub status: Status,
    /// TCB status (meaningful only when OK).
    pub tcb_status: TcbStatus,
    /// Quote format version (3, 4 or 5).
    pub quote_version: u16,
    /// Report body type: 1 SGX enclave, 2 TD 1.0, 3 TD 1.5, 4 TD 1.5ex. Quote versions 3
    /// and 4 have no body type field; the type is implied by the TEE type.
    pub tee_body_type: u16,
    /// FMSPC of the platform (from the PCK certificate).
    pub fmspc: [u8; 6],
    /// TCB evaluation data number: the lower of TCB Info's and QE Identity's.
    pub tcb_eval_data_number: u32,
    /// `tcbDate` of the matched platform TCB level (unix seconds).
    pub tcb_date: u64,
    /// Latest issue time over all collateral items and certificates on the verified paths.
    pub collateral_not_before: u64,
    /// Earliest expiry over the same items. CRLs expire at their `nextUpdate` second
    /// (exclusive); the other items are valid through their expiry second.
    pub collateral_not_after: u64,
    /// SHA-256 of the quote.
    pub quote_hash: B256,
    /// keccak256(tcbInfo ‖ qeIdentity ‖ pckCrl ‖ rootCaCrl).
    pub collateral_hash: B256,
    /// TDX: keccak256(MRTD ‖ RTMR0..3 ‖ MRCONFIGID ‖ XFAM ‖ TDATTRIBUTES), raw report
    /// bytes. SGX: keccak256(MRENCLAVE ‖ MRSIGNER ‖ ATTRIBUTES ‖ MISCSELECT), raw bytes.
    pub workload_id: B256,
    /// Raw report body (TD report or SGX enclave report) as in the quote.
    pub report_body: Vec<u8>,
    /// Intel security advisories of the matched TCB levels (platform, TDX module, QE).
    pub advisory_ids: Vec<String>,
}

/// Number of head words of the output tuple.
const OUTPUT_HEAD_WORDS: usize = 14;

impl VerificationOutcome {
    /// An outcome with the given status and every other field zero / empty.
    pub fn empty(status: Status) -> Self {
        Self {
            status,
            tcb_status: TcbStatus::UpToDate,
            quote_version: 0,
            tee_body_type: 0,
            fmspc: [0; 6],
            tcb_eval_data_number: 0,
            tcb_date: 0,
            collateral_not_before: 0,
            collateral_not_after: 0,
            quote_hash: B256::ZERO,
            collateral_hash: B256::ZERO,
            workload_id: B256::ZERO,
            report_body: Vec::new(),
            advisory_ids: Vec::new(),
        }
    }

    /// `abi.encode(uint8 status, uint8 tcbStatus, uint16 quoteVersion, uint16 teeBodyType,
    /// bytes6 fmspc, uint32 tcbEvalDataNumber, uint64 tcbDate, uint64 collateralNotBefore,
    /// uint64 collateralNotAfter, bytes32 quoteHash, bytes32 collateralHash,
    /// bytes32 workloadId, bytes reportBody, string[] advisoryIds)`.
    pub fn abi_encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            (OUTPUT_HEAD_WORDS + 2 + self.advisory_ids.len() * 2) * 32
                + padded_len(self.report_body.len()),
        );
        out.extend_from_slice(&uint_word(self.status as u64));
        out.extend_from_slice(&uint_word(self.tcb_status as u64));
        out.extend_from_slice(&uint_word(u64::from(self.quote_version)));
        out.extend_from_slice(&uint_word(u64::from(self.tee_body_type)));
        let mut fmspc = [0u8; 32];
        fmspc[..6].copy_from_slice(&self.fmspc);
        out.extend_from_slice(&fmspc);
        out.extend_from_slice(&uint_word(u64::from(self.tcb_eval_data_number)));
        out.extend_from_slice(&uint_word(self.tcb_date));
        out.extend_from_slice(&uint_word(self.collateral_not_before));
        out.extend_from_slice(&uint_word(self.collateral_not_after));
        out.extend_from_slice(self.quote_hash.as_slice());
        out.extend_from_slice(self.collateral_hash.as_slice());
        out.extend_from_slice(self.workload_id.as_slice());
        let body_offset = OUTPUT_HEAD_WORDS * 32;
        out.extend_from_slice(&uint_word(body_offset as u64));
        let advisories_offset = body_offset + 32 + padded_len(self.report_body.len());
        out.extend_from_slice(&uint_word(advisories_offset as u64));
        push_bytes(&mut out, &self.report_body);
        out.extend_from_slice(&uint_word(self.advisory_ids.len() as u64));
        let ids: Vec<&[u8]> = self.advisory_ids.iter().map(|s| s.as_bytes()).collect();
        out.extend_from_slice(&encode_bytes_tuple(&ids));
        out
    }

    /// Decodes an output produced by [`Self::abi_encode`] (strictly: values must be in
    /// range, enums known, strings UTF-8). Meant for callers and tests.
    pub fn abi_decode(data: &[u8]) -> Result<Self, TdxInputError> {
        let r = OutputReader(data);
        let small = |i: usize, max: u64| -> Result<u64, TdxInputError> {
            let v = r.uint(i * 32)?;
            if v > max {
                return Err(TdxInputError::OutOfRange);
            }
            Ok(v)
        };
        let status = match small(0, 9)? {
            0 => Status::Ok,
            1 => Status::BadQuote,
            2 => Status::BadCollateral,
            3 => Status::CollateralTime,
            4 => Status::CertChain,
            5 => Status::Qe,
            6 => Status::QuoteSignature,
            7 => Status::TcbNoMatch,
            8 => Status::TcbRevoked,
            _ => Status::TdPolicy,
        };
        let tcb_status = match small(1, 8)? {
            0 => TcbStatus::UpToDate,
            1 => TcbStatus::SwHardeningNeeded,
            2 => TcbStatus::ConfigurationAndSwHardeningNeeded,
            3 => TcbStatus::ConfigurationNeeded,
            4 => TcbStatus::OutOfDate,
            5 => TcbStatus::OutOfDateConfigurationNeeded,
            6 => TcbStatus::Revoked,
            7 => TcbStatus::TdRelaunchAdvised,
            _ => TcbStatus::TdRelaunchAdvisedConfigurationNeeded,
        };
        let fmspc_word = r.word(4 * 32)?;
        if fmspc_word[6..].iter().any(|&b| b != 0) {
            return Err(TdxInputError::OutOfRange);
        }
        let mut fmspc = [0u8; 6];
        fmspc.copy_from_slice(&fmspc_word[..6]);
        let report_body = r.bytes(0, 12 * 32)?.to_vec();
        let adv_base = r.offset(13 * 32)?;
        let count = r.offset(adv_base)?;
        let items = adv_base.checked_add(32).ok_or(TdxInputError::OutOfRange)?;
        // Each entry needs at least one head word: bound the count before allocating.
        if count > data.len() / 32 {
            return Err(TdxInputError::OutOfRange);
        }
        let mut advisory_ids = Vec::with_capacity(count);
        for i in 0..count {
            let raw = r.bytes(items, items + i * 32)?;
            advisory_ids.push(String::from_utf8(raw.to_vec()).map_err(out_of_range)?);
        }
        Ok(Self {
            status,
            tcb_status,
            quote_version: u16::try_from(small(2, u16::MAX.into())?).map_err(out_of_range)?,
            tee_body_type: u16::try_from(small(3, u16::MAX.into())?).map_err(out_of_range)?,
            fmspc,
            tcb_eval_data_number: u32::try_from(small(5, u32::MAX.into())?)
                .map_err(out_of_range)?,
            tcb_date: r.uint(6 * 32)?,
            collateral_not_before: r.uint(7 * 32)?,
            collateral_not_after: r.uint(8 * 32)?,
            quote_hash: B256::from_slice(r.word(9 * 32)?),
            collateral_hash: B256::from_slice(r.word(10 * 32)?),
            workload_id: B256::from_slice(r.word(11 * 32)?),
            report_body,
            advisory_ids,
        })
    }
}

fn out_of_range<E>(_: E) -> TdxInputError {
    TdxInputError::OutOfRange
}

struct OutputReader<'a>(&'a [u8]);

impl<'a> OutputReader<'a> {
    fn word(&self, at: usize) -> Result<&'a [u8], TdxInputError> {
        let end = at.checked_add(32).ok_or(TdxInputError::OutOfRange)?;
        self.0.get(at..end).ok_or(TdxInputError::Truncated)
    }

    fn uint(&self, at: usize) -> Result<u64, TdxInputError> {
        let w = self.word(at)?;
        if w[..24].iter().any(|&b| b != 0) {
            return Err(TdxInputError::OutOfRange);
        }
        let mut be = [0u8; 8];
        be.copy_from_slice(&w[24..]);
        Ok(u64::from_be_bytes(be))
    }

    fn offset(&self, at: usize) -> Result<usize, TdxInputError> {
        usize::try_from(self.uint(at)?).map_err(|_| TdxInputError::OutOfRange)
    }

    fn bytes(&self, base: usize, head: usize) -> Result<&'a [u8], TdxInputError> {
        let start = base.checked_add(self.offset(head)?).ok_or(TdxInputError::OutOfRange)?;
        let len = self.offset(start)?;
        let from = start.checked_add(32).ok_or(TdxInputError::OutOfRange)?;
        let to = from.checked_add(len).ok_or(TdxInputError::OutOfRange)?;
        self.0.get(from..to).ok_or(TdxInputError::Truncated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let outcome = VerificationOutcome {
            status: Status::Ok,
            tcb_status: TcbStatus::OutOfDate,
            quote_version: 4,
            tee_body_type: 2,
            fmspc: [0, 0x80, 0x6f, 5, 0, 0],
            tcb_eval_data_number: 17,
            tcb_date: 1_691_539_200,
            collateral_not_before: 1,
            collateral_not_after: 2,
            quote_hash: B256::repeat_byte(1),
            collateral_hash: B256::repeat_byte(2),
            workload_id: B256::repeat_byte(3),
            report_body: vec![7; 584],
            advisory_ids: vec!["INTEL-SA-00960".into(), "INTEL-SA-00982".into()],
        };
        let enc = outcome.abi_encode();
        assert_eq!(enc.len() % 32, 0);
        assert_eq!(VerificationOutcome::abi_decode(&enc), Ok(outcome));
    }

    #[test]
    fn layout_of_empty_failure() {
        let outcome = VerificationOutcome::empty(Status::BadQuote);
        let enc = outcome.abi_encode();
        // 14 head words, empty bytes (1 word), empty string[] (1 word).
        assert_eq!(enc.len(), 16 * 32);
        assert_eq!(enc[31], 1);
        assert_eq!(&enc[12 * 32..13 * 32], &uint_word(14 * 32));
        assert_eq!(&enc[13 * 32..14 * 32], &uint_word(15 * 32));
        assert_eq!(VerificationOutcome::abi_decode(&enc).map(|o| o.status), Ok(Status::BadQuote));
    }
}
