//! The verification pipeline: one check after the other, each mapped to one [`Status`].

use crate::{
    PrecompileInput, Status, VerificationCache, VerificationOutcome,
    cache::MemoizedP256,
    collateral::{self, Chain, Validity},
    quote::{self, CheckedQuote},
    tcb::{self, PlatformSvns},
};
use alloy_primitives::{B256, keccak256};
use core::time::Duration;
use dcap_qvl::{
    config::{CryptoProvider, EcdsaSigEncoder},
    configs::RustCryptoConfig,
    crypto::RustCryptoCrypto,
    intel::parse_pck_extension_with,
    quote::{AuthData, EnclaveReport, Report, TDAttributes},
    signature::DerSigEncoder,
};
use parity_scale_codec::Decode;
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use std::sync::Arc;
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage, OwnedCertRevocationList,
    RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};

/// Intel SGX Provisioning Certification Root CA (DER), the only trust anchor.
///
/// Byte-identical to dcap-qvl 0.7.1's `TrustedRootCA.der` and to Intel's published
/// `Intel_SGX_Provisioning_Certification_RootCA.cer` (checked by a test).
pub const INTEL_ROOT_CA_DER: &[u8] = include_bytes!("intel_sgx_root_ca.der");

/// TDX module / TD attribute bits checked by the TD policy.
const TUD_DEBUG: u8 = 0x01;
/// TUD bits 4..6 (profiling / other debug features).
const TUD_PROFILING: u8 = 0x70;
/// SGX enclave attribute DEBUG bit (byte 0).
const SGX_ATTRIBUTE_DEBUG: u8 = 0x02;

/// Raw `r ‖ s` to the DER form webpki verifies.
fn der_signature(raw: &[u8]) -> Option<Vec<u8>> {
    let (r, s) = raw.split_at_checked(32)?;
    if s.len() != 32 {
        return None;
    }
    DerSigEncoder::encode_ecdsa_sig(r, s).ok()
}

/// keccak256(tcbInfo ‖ qeIdentity ‖ pckCrl ‖ rootCaCrl).
fn collateral_hash(c: &crate::Collateral<'_>) -> B256 {
    let mut buf = Vec::with_capacity(
        c.tcb_info.len() + c.qe_identity.len() + c.pck_crl.len() + c.root_ca_crl.len(),
    );
    buf.extend_from_slice(c.tcb_info);
    buf.extend_from_slice(c.qe_identity);
    buf.extend_from_slice(c.pck_crl);
    buf.extend_from_slice(c.root_ca_crl);
    keccak256(&buf)
}

/// Verifies a decoded input at `timestamp` (unix seconds). Never fails: a failed check
/// is reported in [`VerificationOutcome::status`].
pub fn verify(input: &PrecompileInput<'_>, timestamp: u64) -> VerificationOutcome {
    verify_with(input, timestamp, None)
}

/// Like [`verify`], reusing and filling `cache`. The outcome is the same as [`verify`]'s
/// for every input, whatever the cache holds; only the time taken differs.
pub fn verify_cached(
    input: &PrecompileInput<'_>,
    timestamp: u64,
    cache: &VerificationCache,
) -> VerificationOutcome {
    verify_with(input, timestamp, Some(cache))
}

fn verify_with(
    input: &PrecompileInput<'_>,
    timestamp: u64,
    cache: Option<&VerificationCache>,
) -> VerificationOutcome {
    let mut out = VerificationOutcome::empty(Status::Ok);
    out.quote_hash = B256::from(RustCryptoCrypto::sha256(input.quote));
    out.collateral_hash = collateral_hash(&input.collateral);

    // Step 1: quote shape.
    let chain_in_collateral = !input.collateral.pck_certificate_chain.is_empty();
    let quote = match quote::check(input.quote, input.flags, chain_in_collateral) {
        Ok(q) => q,
        Err(status) => {
            out.status = status;
            return out;
        }
    };
    out.quote_version = quote.version;
    out.tee_body_type = quote.body_type;
    out.report_body = quote.body.to_vec();
    out.workload_id = quote.workload_id();

    let p256 = MemoizedP256::new(cache);
    match appraise(&quote, input, timestamp, cache, &p256) {
        Ok(verdict) => {
            out.tcb_status = verdict.tcb.status.into();
            out.fmspc = verdict.fmspc;
            out.tcb_eval_data_number = verdict.tcb_eval_data_number;
            out.tcb_date = verdict.tcb.tcb_date;
            out.collateral_not_before = verdict.window.0;
            out.collateral_not_after = verdict.window.1;
            out.advisory_ids = verdict.tcb.advisory_ids;
        }
        Err(status) => out.status = status,
    }
    out
}

struct Verdict {
    tcb: tcb::TcbEvaluation,
    fmspc: [u8; 6],
    tcb_eval_data_number: u32,
    window: (u64, u64),
}

/// A certificate chain must be `leaf, [intermediates...], Intel root`, exactly
/// `expected_len` certificates, ending with the trusted root itself.
fn check_chain_shape(chain: &Chain, expected_len: usize) -> Result<(), Status> {
    match chain.certs.last() {
        Some(root) if chain.certs.len() == expected_len && root.as_ref() == INTEL_ROOT_CA_DER => {
            Ok(())
        }
        _ => Err(Status::CertChain),
    }
}

/// Verifies `chain[0]` up to the trust anchor through `chain[1..len-1]`, checking
/// revocation of every certificate on the path with both CRLs. Returns the parsed leaf.
fn verify_chain<'c>(
    sig_algo: &dyn SignatureVerificationAlgorithm,
    chain: &'c Chain,
    anchor: &TrustAnchor<'_>,
    crls: &[&CertRevocationList<'_>],
    now: UnixTime,
) -> Result<EndEntityCert<'c>, Status> {
    const BAD: Status = Status::CertChain;
    let (leaf, rest) = chain.certs.split_first().ok_or(BAD)?;
    let intermediates = rest.split_last().map(|(_root, mid)| mid).ok_or(BAD)?;
    let leaf = EndEntityCert::try_from(leaf).map_err(|_| BAD)?;
    let revocation = RevocationOptionsBuilder::new(crls)
        .map_err(|_| BAD)?
        .with_depth(RevocationCheckDepth::Chain)
        .with_status_policy(UnknownStatusPolicy::Deny)
        .with_expiration_policy(ExpirationPolicy::Enforce)
        .build();
    let path = leaf
        .verify_for_usage(
            &[sig_algo],
            core::slice::from_ref(anchor),
            intermediates,
            now,
            KeyUsage::server_auth(),
            Some(revocation),
            None,
        )
        .map_err(|_| BAD)?;
    // Every given intermediate must be on the path, so that the time window covers
    // exactly the certificates that were verified.
    if path.intermediate_certificates().count() != intermediates.len() {
        return Err(BAD);
    }
    Ok(leaf)
}

/// The raw signature-data fields of the quote.
struct AuthFields<'a> {
    quote_signature: &'a [u8; 64],
    attestation_key: &'a [u8; 64],
    qe_report: &'a [u8; 384],
    qe_report_signature: &'a [u8; 64],
    qe_auth_data: &'a [u8],
}

fn auth_fields<'q>(quote: &'q CheckedQuote<'_>) -> AuthFields<'q> {
    match &quote.parsed.auth_data {
        AuthData::V3(a) => AuthFields {
            quote_signature: &a.ecdsa_signature,
            attestation_key: &a.ecdsa_attestation_key,
            qe_report: &a.qe_report,
            qe_report_signature: &a.qe_report_signature,
            qe_auth_data: &a.qe_auth_data.data,
        },
        AuthData::V4(a) => AuthFields {
            quote_signature: &a.ecdsa_signature,
            attestation_key: &a.ecdsa_attestation_key,
            qe_report: &a.qe_report_data.qe_report,
            qe_report_signature: &a.qe_report_data.qe_report_signature,
            qe_auth_data: &a.qe_report_data.qe_auth_data.data,
        },
    }
}

/// Steps 2 to 11. See the crate documentation for the table of steps and statuses.
///
/// `cache` only saves work: the decoded collateral comes from it when present, and
/// `sig_algo` (the RustCrypto P-256 verifier, memoized in the same cache) does every
/// signature check, webpki's included.
fn appraise(
    quote: &CheckedQuote<'_>,
    input: &PrecompileInput<'_>,
    timestamp: u64,
    cache: Option<&VerificationCache>,
    sig_algo: &dyn SignatureVerificationAlgorithm,
) -> Result<Verdict, Status> {
    let c = &input.collateral;

    // Step 2: decode the collateral.
    let shared = match cache {
        Some(cache) => cache.decoded_collateral(c),
        None => Arc::new(collateral::decode(c)),
    };
    let decoded = shared.as_ref().as_ref().map_err(|status| *status)?;

    // Step 3: decode the PCK chain and check the shape of every chain.
    let pck_chain_text =
        if c.pck_certificate_chain.is_empty() { quote.cert_data } else { c.pck_certificate_chain };
    let pck_chain = collateral::decode_chain(pck_chain_text).ok_or(Status::CertChain)?;
    check_chain_shape(&pck_chain, 3)?;
    check_chain_shape(&decoded.tcb_info_chain, 2)?;
    check_chain_shape(&decoded.qe_identity_chain, 2)?;

    // Step 4: every item must be valid at the timestamp.
    let validities: [&[Validity]; 4] = [
        &[
            decoded.tcb_info_validity,
            decoded.qe_identity_validity,
            decoded.root_ca_crl.validity,
            decoded.pck_crl.validity,
        ],
        &decoded.tcb_info_chain.validity,
        &decoded.qe_identity_chain.validity,
        &pck_chain.validity,
    ];
    let window = collateral::check_time(validities.into_iter().flatten(), timestamp)?;
    let now = UnixTime::since_unix_epoch(Duration::from_secs(timestamp));

    // Step 5: CRLs and the TCB Info / QE Identity signers.
    let root = CertificateDer::from_slice(INTEL_ROOT_CA_DER);
    let anchor = webpki::anchor_from_trusted_cert(&root).map_err(|_| Status::CertChain)?;
    let root_crl: CertRevocationList<'_> = OwnedCertRevocationList::from_der_verified(
        c.root_ca_crl,
        &anchor.subject_public_key_info,
        &[sig_algo],
    )
    .map_err(|_| Status::CertChain)?
    .into();
    let pck_crl: CertRevocationList<'_> = decoded.pck_crl.parsed.clone().into();
    let crls = [&root_crl, &pck_crl];
    webpki::check_single_cert_revocation(INTEL_ROOT_CA_DER, &crls, &[sig_algo], now)
        .map_err(|_| Status::CertChain)?;

    let tcb_signer = verify_chain(sig_algo, &decoded.tcb_info_chain, &anchor, &crls, now)?;
    let tcb_sig = der_signature(c.tcb_info_signature).ok_or(Status::BadCollateral)?;
    tcb_signer
        .verify_signature(sig_algo, c.tcb_info, &tcb_sig)
        .map_err(|_| Status::BadCollateral)?;

    // Intel signs both with the same certificate: its chain was just verified.
    let qe_signer = if decoded.qe_identity_chain.certs == decoded.tcb_info_chain.certs {
        tcb_signer
    } else {
        verify_chain(sig_algo, &decoded.qe_identity_chain, &anchor, &crls, now)?
    };
    let qe_sig = der_signature(c.qe_identity_signature).ok_or(Status::BadCollateral)?;
    qe_signer
        .verify_signature(sig_algo, c.qe_identity, &qe_sig)
        .map_err(|_| Status::BadCollateral)?;

    // Step 6: the QE Identity must be for the quoting enclave of this TEE type.
    let identity = &decoded.qe_identity;
    let identity_fits = if quote.is_tdx() {
        identity.id == "TD_QE" && [2, 3].contains(&identity.version)
    } else {
        identity.id == "QE" && identity.version == 2
    };
    if !identity_fits {
        return Err(Status::Qe);
    }

    // Step 7: the PCK chain, and the platform values in the PCK certificate.
    let pck_leaf = verify_chain(sig_algo, &pck_chain, &anchor, &crls, now)?;
    let pck_leaf_der = pck_chain.certs.first().ok_or(Status::CertChain)?;
    let pck_ext = parse_pck_extension_with::<RustCryptoConfig>(pck_leaf_der)
        .map_err(|_| Status::CertChain)?;

    // Step 8: the QE report: signed by the PCK key, binds the attestation key, and
    // matches the QE Identity.
    let auth = auth_fields(quote);
    let qe_sig = der_signature(auth.qe_report_signature).ok_or(Status::Qe)?;
    pck_leaf.verify_signature(sig_algo, auth.qe_report, &qe_sig).map_err(|_| Status::Qe)?;
    let qe_report = EnclaveReport::decode(&mut &auth.qe_report[..]).map_err(|_| Status::Qe)?;
    if auth.qe_auth_data.len() != 32 {
        return Err(Status::Qe);
    }
    let mut hashed = [0u8; 96];
    hashed[..64].copy_from_slice(auth.attestation_key);
    hashed[64..].copy_from_slice(auth.qe_auth_data);
    if RustCryptoCrypto::sha256(&hashed)[..] != qe_report.report_data[..32] {
        return Err(Status::Qe);
    }
    let qe_level = tcb::check_qe_identity(&qe_report, identity)?;

    // Step 9: the quote signature by the attestation key.
    let mut key = [0x04u8; 65];
    key[1..].copy_from_slice(auth.attestation_key);
    let quote_sig = der_signature(auth.quote_signature).ok_or(Status::QuoteSignature)?;
    let signed = quote.raw.get(..quote.signed_len).ok_or(Status::QuoteSignature)?;
    sig_algo.verify_signature(&key, signed, &quote_sig).map_err(|_| Status::QuoteSignature)?;

    // Step 10: platform TCB.
    let platform =
        PlatformSvns { fmspc: &pck_ext.fmspc, cpu_svn: &pck_ext.cpu_svn, pce_svn: pck_ext.pce_svn };
    let tcb = tcb::evaluate(&decoded.tcb_info, &quote.parsed.report, &platform, &qe_level)?;

    // Step 11: TD / enclave attributes.
    check_td_policy(&quote.parsed.report, input.flags.allow_service_td())?;

    Ok(Verdict {
        tcb,
        fmspc: pck_ext.fmspc,
        tcb_eval_data_number: decoded
            .tcb_info
            .tcb_evaluation_data_number
            .min(identity.tcb_evaluation_data_number),
        window,
    })
}

/// TD attributes policy (dcap-qvl's rules with debug never allowed):
/// no debug or profiling TUD bits, no reserved bits, not migratable, `SEPT_VE_DISABLE`
/// set, and a service TD (`SERVTD_EXT` or a non-zero `MR_SERVICETD`) only with the flag
/// and only in a TD 1.5 report. SGX: no DEBUG attribute.
fn check_td_policy(report: &Report, allow_service_td: bool) -> Result<(), Status> {
    const BAD: Status = Status::TdPolicy;
    let (td, service_td_allowed) = match report {
        Report::SgxEnclave(r) => {
            return if r.attributes[0] & SGX_ATTRIBUTE_DEBUG != 0 { Err(BAD) } else { Ok(()) };
        }
        Report::TD10(td) => (td, false),
        Report::TD15(td15) => (&td15.base, allow_service_td),
        Report::TD15Ex(ex) => (&ex.base.base, allow_service_td),
    };
    if let Some(td15) = report.as_td15()
        && !allow_service_td
        && td15.mr_service_td != [0u8; 48]
    {
        return Err(BAD);
    }
    let attrs = TDAttributes::parse(td.td_attributes).map_err(|_| BAD)?;
    if attrs.tud & (TUD_DEBUG | TUD_PROFILING) != 0
        || attrs.reserved != 0
        || attrs.sec.migratable
        || (attrs.sec.servtd_ext && !service_td_allowed)
        || !attrs.sec.sept_ve_disable
    {
        return Err(BAD);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dcap_qvl::quote::{TDReport10, TDReport15};

    fn td10(attributes: u64) -> TDReport10 {
        let mut td = TDReport10::decode(&mut &[0u8; 584][..]).expect("584 bytes");
        td.td_attributes = attributes.to_le_bytes();
        td
    }

    const SEPT_VE_DISABLE: u64 = 1 << 28;

    #[test]
    fn td_policy() {
        let ok = |report: &Report, flag| check_td_policy(report, flag).is_ok();
        let v10 = |attrs| Report::TD10(td10(attrs));
        let v15 = |attrs, service: u8| {
            Report::TD15(TDReport15 {
                base: td10(attrs),
                tee_tcb_svn2: [0; 16],
                mr_service_td: [service; 48],
            })
        };
        assert!(ok(&v10(SEPT_VE_DISABLE), false));
        assert!(!ok(&v10(0), false), "SEPT_VE_DISABLE required");
        for bad in [1 << 0, 1 << 4, 1 << 6, 1 << 1, 1 << 29, 1 << 40] {
            // Debug and profiling are rejected even with every flag set.
            assert!(!ok(&v10(SEPT_VE_DISABLE | bad), true), "bit {bad:#x}");
            assert!(!ok(&v15(SEPT_VE_DISABLE | bad, 0), true), "bit {bad:#x}");
        }
        // SERVTD_EXT: only TD 1.5 and only with the flag.
        let servtd_ext = SEPT_VE_DISABLE | 1 << 17;
        assert!(!ok(&v10(servtd_ext), true));
        assert!(!ok(&v15(servtd_ext, 0), false));
        assert!(ok(&v15(servtd_ext, 0), true));
        // Non-zero MR_SERVICETD: only with the flag.
        assert!(!ok(&v15(SEPT_VE_DISABLE, 1), false));
        assert!(ok(&v15(SEPT_VE_DISABLE, 1), true));
        // SGX: the DEBUG attribute.
        let mut sgx = EnclaveReport::decode(&mut &[0u8; 384][..]).expect("384 bytes");
        assert!(ok(&Report::SgxEnclave(sgx), false));
        sgx.attributes[0] = SGX_ATTRIBUTE_DEBUG;
        assert!(!ok(&Report::SgxEnclave(sgx), true));
    }

    #[test]
    fn signature_encoding() {
        assert!(der_signature(&[1; 64]).is_some());
        assert!(der_signature(&[1; 63]).is_none());
        assert!(der_signature(&[1; 65]).is_none());
    }
}
