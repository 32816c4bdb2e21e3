//! Strict quote shape check, then parsing with dcap-qvl's quote decoder.
//!
//! Before any cryptography the whole quote is walked with our own bounds-checked reader:
//! every length field (body size, signature data length, certification data sizes, QE
//! authentication data size) must add up to exactly the quote length, so trailing bytes
//! (such as the zero padding some tools append) are refused. Only then is the quote
//! decoded with [`dcap_qvl::quote::Quote`], whose decoder must consume every byte as well.

use crate::{Flags, MAX_QUOTE_LEN, Status};
use alloy_primitives::{B256, keccak256};
use dcap_qvl::quote::{Quote, Report};
use parity_scale_codec::Decode;

const HEADER_LEN: usize = 48;
const TEE_TYPE_SGX: u32 = 0x0000_0000;
const TEE_TYPE_TDX: u32 = 0x0000_0081;
/// ECDSA-256 with P-256.
const ATTESTATION_KEY_TYPE_P256: u16 = 2;

/// Report body type of an SGX enclave report.
pub(crate) const BODY_SGX: u16 = 1;
/// Report body type of a TD 1.0 report.
pub(crate) const BODY_TD10: u16 = 2;
/// Report body type of a TD 1.5 report.
pub(crate) const BODY_TD15: u16 = 3;
/// Report body type of a TD 1.5ex report.
pub(crate) const BODY_TD15_EX: u16 = 4;

const SGX_REPORT_LEN: usize = 384;
const TD10_REPORT_LEN: usize = 584;
const TD15_REPORT_LEN: usize = 648;
const TD15_EX_REPORT_LEN: usize = 885;

/// Certification data type 5: PEM PCK certificate chain.
const CERT_TYPE_PCK_CHAIN: u16 = 5;
/// Certification data type 6: QE report certification data (v4/v5 quotes).
const CERT_TYPE_QE_REPORT: u16 = 6;

const ECDSA_SIG_LEN: usize = 64;
const ECDSA_KEY_LEN: usize = 64;
const QE_REPORT_LEN: usize = 384;

/// Intel's QE vendor ID.
const INTEL_QE_VENDOR_ID: [u8; 16] = dcap_qvl::INTEL_QE_VENDOR_ID;

/// A quote that passed the shape checks, with the parsed form and byte ranges of its parts.
pub(crate) struct CheckedQuote<'a> {
    /// The raw quote (exactly its own declared length).
    pub(crate) raw: &'a [u8],
    /// dcap-qvl's parsed quote.
    pub(crate) parsed: Quote,
    /// Quote format version.
    pub(crate) version: u16,
    /// Report body type ([`BODY_SGX`], [`BODY_TD10`], ...).
    pub(crate) body_type: u16,
    /// The raw report body.
    pub(crate) body: &'a [u8],
    /// Length of the signed part (header, body descriptor, body).
    pub(crate) signed_len: usize,
    /// The innermost certification data (the PEM PCK chain for type 5).
    pub(crate) cert_data: &'a [u8],
}

impl CheckedQuote<'_> {
    /// Whether this is a TDX quote.
    pub(crate) fn is_tdx(&self) -> bool {
        self.body_type != BODY_SGX
    }

    /// The workload identifier, see [`crate::VerificationOutcome::workload_id`].
    pub(crate) fn workload_id(&self) -> B256 {
        match &self.parsed.report {
            Report::SgxEnclave(r) => {
                let mut buf = Vec::with_capacity(32 + 32 + 16 + 4);
                buf.extend_from_slice(&r.mr_enclave);
                buf.extend_from_slice(&r.mr_signer);
                buf.extend_from_slice(&r.attributes);
                buf.extend_from_slice(&r.misc_select.to_le_bytes());
                keccak256(&buf)
            }
            report => match report.as_td10() {
                Some(td) => {
                    let mut buf = Vec::with_capacity(48 * 6 + 8 + 8);
                    buf.extend_from_slice(&td.mr_td);
                    buf.extend_from_slice(&td.rt_mr0);
                    buf.extend_from_slice(&td.rt_mr1);
                    buf.extend_from_slice(&td.rt_mr2);
                    buf.extend_from_slice(&td.rt_mr3);
                    buf.extend_from_slice(&td.mr_config_id);
                    buf.extend_from_slice(&td.xfam);
                    buf.extend_from_slice(&td.td_attributes);
                    keccak256(&buf)
                }
                None => B256::ZERO,
            },
        }
    }
}

/// Bounds-checked little-endian reader.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2)?.try_into().ok().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)?.try_into().ok().map(u32::from_le_bytes)
    }

    fn len_prefixed_u32(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u32()?).ok()?;
        self.take(len)
    }

    fn is_empty(&self) -> bool {
        self.pos == self.data.len()
    }
}

/// Layout of the quote found by the shape walk.
struct Layout<'a> {
    version: u16,
    body_type: u16,
    body: &'a [u8],
    signed_len: usize,
    cert_type: u16,
    cert_data: &'a [u8],
}

fn walk(quote: &[u8], flags: Flags) -> Option<Layout<'_>> {
    let mut r = Reader::new(quote);
    let version = r.u16()?;
    let key_type = r.u16()?;
    let tee_type = r.u32()?;
    let _qe_svn = r.u16()?;
    let _pce_svn = r.u16()?;
    let vendor = r.take(16)?;
    let _user_data = r.take(20)?;
    if key_type != ATTESTATION_KEY_TYPE_P256 || vendor != INTEL_QE_VENDOR_ID {
        return None;
    }
    let body_type = match (tee_type, version) {
        (TEE_TYPE_SGX, 3) if flags.allow_sgx() => BODY_SGX,
        (TEE_TYPE_TDX, 4) => BODY_TD10,
        (TEE_TYPE_TDX, 5) => {
            let body_type = r.u16()?;
            let size = usize::try_from(r.u32()?).ok()?;
            let expected = match body_type {
                BODY_TD10 => TD10_REPORT_LEN,
                BODY_TD15 => TD15_REPORT_LEN,
                BODY_TD15_EX => TD15_EX_REPORT_LEN,
                _ => return None,
            };
            if size != expected {
                return None;
            }
            body_type
        }
        _ => return None,
    };
    let body_len = match body_type {
        BODY_SGX => SGX_REPORT_LEN,
        BODY_TD10 => TD10_REPORT_LEN,
        BODY_TD15 => TD15_REPORT_LEN,
        _ => TD15_EX_REPORT_LEN,
    };
    let body = r.take(body_len)?;
    let signed_len = r.pos;
    debug_assert!(signed_len >= HEADER_LEN);

    // Quote signature data: must end exactly at the end of the quote.
    let auth = r.len_prefixed_u32()?;
    if !r.is_empty() {
        return None;
    }
    let mut a = Reader::new(auth);
    let _sig = a.take(ECDSA_SIG_LEN)?;
    let _key = a.take(ECDSA_KEY_LEN)?;
    let (cert_type, cert_data) = if version == 3 {
        // v3: QE report, its signature, QE auth data and certification data inline.
        let (cert_type, cert_data) = qe_report_cert_data(&mut a)?;
        (cert_type, cert_data)
    } else {
        // v4/v5: certification data of type 6 wrapping the QE report certification data.
        if a.u16()? != CERT_TYPE_QE_REPORT {
            return None;
        }
        let inner = a.len_prefixed_u32()?;
        let mut q = Reader::new(inner);
        let out = qe_report_cert_data(&mut q)?;
        if !q.is_empty() {
            return None;
        }
        out
    };
    if !a.is_empty() {
        return None;
    }
    Some(Layout { version, body_type, body, signed_len, cert_type, cert_data })
}

/// QE report, QE report signature, QE authentication data, certification data.
fn qe_report_cert_data<'a>(r: &mut Reader<'a>) -> Option<(u16, &'a [u8])> {
    let _qe_report = r.take(QE_REPORT_LEN)?;
    let _qe_sig = r.take(ECDSA_SIG_LEN)?;
    let auth_len = usize::from(r.u16()?);
    let _auth = r.take(auth_len)?;
    let cert_type = r.u16()?;
    let cert_data = r.len_prefixed_u32()?;
    Some((cert_type, cert_data))
}

/// Checks the quote's shape and parses it. Every failure is [`Status::BadQuote`].
///
/// `chain_in_collateral`: the collateral carries the PCK chain, so the quote's own
/// certification data need not be a PCK chain (type 5).
pub(crate) fn check(
    quote: &[u8],
    flags: Flags,
    chain_in_collateral: bool,
) -> Result<CheckedQuote<'_>, Status> {
    if quote.len() > MAX_QUOTE_LEN {
        return Err(Status::BadQuote);
    }
    let layout = walk(quote, flags).ok_or(Status::BadQuote)?;
    if !chain_in_collateral && layout.cert_type != CERT_TYPE_PCK_CHAIN {
        return Err(Status::BadQuote);
    }
    let mut rest = quote;
    let parsed = Quote::decode(&mut rest).map_err(|_| Status::BadQuote)?;
    let body_matches = matches!(
        (&parsed.report, layout.body_type),
        (Report::SgxEnclave(_), BODY_SGX)
            | (Report::TD10(_), BODY_TD10)
            | (Report::TD15(_), BODY_TD15)
            | (Report::TD15Ex(_), BODY_TD15_EX)
    );
    if !rest.is_empty()
        || !body_matches
        || parsed.header.version != layout.version
        || parsed.signed_length() != layout.signed_len
        || parsed.inner_cert_type() != layout.cert_type
        || parsed.inner_cert_data() != layout.cert_data
    {
        return Err(Status::BadQuote);
    }
    Ok(CheckedQuote {
        raw: quote,
        parsed,
        version: layout.version,
        body_type: layout.body_type,
        body: layout.body,
        signed_len: layout.signed_len,
        cert_data: layout.cert_data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A syntactically valid v4 TDX quote with an empty PCK chain.
    fn synthetic_v4() -> Vec<u8> {
        let mut q = Vec::new();
        q.extend_from_slice(&4u16.to_le_bytes());
        q.extend_from_slice(&2u16.to_le_bytes());
        q.extend_from_slice(&TEE_TYPE_TDX.to_le_bytes());
        q.extend_from_slice(&[0; 4]);
        q.extend_from_slice(&INTEL_QE_VENDOR_ID);
        q.extend_from_slice(&[0; 20]);
        q.extend_from_slice(&[0; TD10_REPORT_LEN]);
        let mut inner = vec![0; QE_REPORT_LEN + ECDSA_SIG_LEN];
        inner.extend_from_slice(&32u16.to_le_bytes());
        inner.extend_from_slice(&[0; 32]);
        inner.extend_from_slice(&5u16.to_le_bytes());
        inner.extend_from_slice(&0u32.to_le_bytes());
        let mut auth = vec![0; ECDSA_SIG_LEN + ECDSA_KEY_LEN];
        auth.extend_from_slice(&6u16.to_le_bytes());
        auth.extend_from_slice(&(inner.len() as u32).to_le_bytes());
        auth.extend_from_slice(&inner);
        q.extend_from_slice(&(auth.len() as u32).to_le_bytes());
        q.extend_from_slice(&auth);
        q
    }

    #[test]
    fn synthetic_quote_shapes() {
        let q = synthetic_v4();
        let checked = check(&q, Flags::default(), false).expect("valid shape");
        assert_eq!(checked.version, 4);
        assert_eq!(checked.body_type, BODY_TD10);
        assert_eq!(checked.signed_len, HEADER_LEN + TD10_REPORT_LEN);
        assert!(checked.cert_data.is_empty());

        // Trailing byte, truncation, wrong version / key type / vendor.
        let mut padded = q.clone();
        padded.push(0);
        assert_eq!(check(&padded, Flags::default(), false).err(), Some(Status::BadQuote));
        for len in 0..q.len() {
            assert_eq!(check(&q[..len], Flags::default(), false).err(), Some(Status::BadQuote));
        }
        for (at, value) in [(0, 7u8), (2, 3), (4, 0), (12, 0x55)] {
            let mut bad = q.clone();
            bad[at] = value;
            assert_eq!(check(&bad, Flags::default(), false).err(), Some(Status::BadQuote));
        }
        // Over the size limit.
        let big = vec![0u8; MAX_QUOTE_LEN + 1];
        assert_eq!(check(&big, Flags::default(), false).err(), Some(Status::BadQuote));
    }

    #[test]
    fn inner_lengths_must_add_up() {
        let q = synthetic_v4();
        // The QE auth data length (2 bytes after QE report + signature) is inside the
        // inner certification data; growing it overruns the inner data.
        let auth_len_at = HEADER_LEN + TD10_REPORT_LEN + 4 + 128 + 6 + QE_REPORT_LEN + 64;
        let mut bad = q.clone();
        bad[auth_len_at] = 33;
        assert_eq!(check(&bad, Flags::default(), false).err(), Some(Status::BadQuote));
        bad[auth_len_at] = 31;
        assert_eq!(check(&bad, Flags::default(), false).err(), Some(Status::BadQuote));
        // Outer certification data type must be 6.
        let mut bad = q;
        bad[HEADER_LEN + TD10_REPORT_LEN + 4 + 128] = 5;
        assert_eq!(check(&bad, Flags::default(), false).err(), Some(Status::BadQuote));
    }
}
