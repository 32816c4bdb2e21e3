//! Collateral decoding (JSON, CRLs, PEM chains) and the validity-time check.

use crate::Status;
use dcap_qvl::{QeIdentity, TcbInfo};
use der::Decode as _;
use rustls_pki_types::CertificateDer;
use webpki::OwnedCertRevocationList;

/// Length of a raw `r ‖ s` P-256 signature.
pub(crate) const RAW_SIGNATURE_LEN: usize = 64;

/// Validity interval of one collateral item, in unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Validity {
    /// Issue date / `notBefore` / `thisUpdate`.
    pub(crate) from: u64,
    /// Expiry: `nextUpdate` / `notAfter`.
    pub(crate) until: u64,
    /// Whether the item is already invalid at `until` (CRLs, as webpki enforces them),
    /// rather than valid through that second (certificates, TCB Info, QE Identity).
    pub(crate) until_exclusive: bool,
}

impl Validity {
    fn contains(&self, now: u64) -> bool {
        now >= self.from && if self.until_exclusive { now < self.until } else { now <= self.until }
    }
}

/// A certificate chain decoded from PEM, with each certificate's validity.
pub(crate) struct Chain {
    /// DER certificates in the given order (leaf first).
    pub(crate) certs: Vec<CertificateDer<'static>>,
    /// Validity of each certificate.
    pub(crate) validity: Vec<Validity>,
}

/// Decodes a PEM chain: only `CERTIFICATE` blocks, each a DER X.509 certificate.
pub(crate) fn decode_chain(pem_text: &[u8]) -> Option<Chain> {
    let blocks = pem::parse_many(pem_text).ok()?;
    let mut certs = Vec::with_capacity(blocks.len());
    let mut validity = Vec::with_capacity(blocks.len());
    for block in blocks {
        if block.tag() != "CERTIFICATE" {
            return None;
        }
        let der = block.into_contents();
        validity.push(cert_validity(&der)?);
        certs.push(CertificateDer::from(der));
    }
    Some(Chain { certs, validity })
}

fn cert_validity(der: &[u8]) -> Option<Validity> {
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let v = cert.tbs_certificate().validity();
    Some(Validity {
        from: v.not_before.to_unix_duration().as_secs(),
        until: v.not_after.to_unix_duration().as_secs(),
        until_exclusive: false,
    })
}

/// A CRL checked to parse with both webpki (which enforces it) and x509-cert (dates).
pub(crate) struct Crl {
    /// The CRL parsed by webpki, signature not yet verified.
    pub(crate) parsed: OwnedCertRevocationList,
    /// `thisUpdate` .. `nextUpdate`.
    pub(crate) validity: Validity,
}

fn decode_crl(der: &[u8]) -> Option<Crl> {
    let parsed = OwnedCertRevocationList::from_der(der).ok()?;
    let list =
        x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(der).ok()?;
    let tbs = &list.tbs_cert_list;
    Some(Crl {
        parsed,
        validity: Validity {
            from: tbs.this_update.to_unix_duration().as_secs(),
            // webpki refuses a CRL without nextUpdate, so this is always present here.
            until: tbs.next_update?.to_unix_duration().as_secs(),
            until_exclusive: true,
        },
    })
}

/// Parses an RFC 3339 timestamp to unix seconds (as dcap-qvl does, with chrono).
pub(crate) fn parse_rfc3339(s: &str) -> Option<u64> {
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    u64::try_from(t.timestamp()).ok()
}

/// The collateral after decoding, before any signature or chain verification.
pub(crate) struct DecodedCollateral {
    pub(crate) tcb_info: TcbInfo,
    pub(crate) tcb_info_validity: Validity,
    pub(crate) qe_identity: QeIdentity,
    pub(crate) qe_identity_validity: Validity,
    pub(crate) root_ca_crl: Crl,
    pub(crate) pck_crl: Crl,
    pub(crate) tcb_info_chain: Chain,
    pub(crate) qe_identity_chain: Chain,
}

/// Decodes everything except the PCK chain. Every failure is [`Status::BadCollateral`]:
/// JSON that is not UTF-8 or does not parse into dcap-qvl's `TcbInfo` / `QeIdentity`, bad
/// dates, a signature that is not 64 bytes, an undecodable CRL or issuer chain.
pub(crate) fn decode(c: &crate::Collateral<'_>) -> Result<DecodedCollateral, Status> {
    const BAD: Status = Status::BadCollateral;
    let tcb_info_text = core::str::from_utf8(c.tcb_info).map_err(|_| BAD)?;
    let tcb_info: TcbInfo = serde_json::from_str(tcb_info_text).map_err(|_| BAD)?;
    let tcb_info_validity = json_validity(&tcb_info.issue_date, &tcb_info.next_update)?;
    let qe_text = core::str::from_utf8(c.qe_identity).map_err(|_| BAD)?;
    let qe_identity: QeIdentity = serde_json::from_str(qe_text).map_err(|_| BAD)?;
    let qe_identity_validity = json_validity(&qe_identity.issue_date, &qe_identity.next_update)?;
    if c.tcb_info_signature.len() != RAW_SIGNATURE_LEN
        || c.qe_identity_signature.len() != RAW_SIGNATURE_LEN
    {
        return Err(BAD);
    }
    Ok(DecodedCollateral {
        tcb_info,
        tcb_info_validity,
        qe_identity,
        qe_identity_validity,
        root_ca_crl: decode_crl(c.root_ca_crl).ok_or(BAD)?,
        pck_crl: decode_crl(c.pck_crl).ok_or(BAD)?,
        tcb_info_chain: decode_chain(c.tcb_info_issuer_chain).ok_or(BAD)?,
        qe_identity_chain: decode_chain(c.qe_identity_issuer_chain).ok_or(BAD)?,
    })
}

fn json_validity(issue: &str, next: &str) -> Result<Validity, Status> {
    Ok(Validity {
        from: parse_rfc3339(issue).ok_or(Status::BadCollateral)?,
        until: parse_rfc3339(next).ok_or(Status::BadCollateral)?,
        until_exclusive: false,
    })
}

/// Checks that every item is valid at `now` and returns the window
/// `(latest issue, earliest expiry)`. Failure is [`Status::CollateralTime`].
pub(crate) fn check_time<'a>(
    items: impl IntoIterator<Item = &'a Validity>,
    now: u64,
) -> Result<(u64, u64), Status> {
    let mut window = (0u64, u64::MAX);
    for item in items {
        if !item.contains(now) {
            return Err(Status::CollateralTime);
        }
        window.0 = window.0.max(item.from);
        window.1 = window.1.min(item.until);
    }
    Ok(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_bounds() {
        let cert = Validity { from: 10, until: 20, until_exclusive: false };
        let crl = Validity { until_exclusive: true, ..cert };
        assert!(!cert.contains(9) && cert.contains(10) && cert.contains(20) && !cert.contains(21));
        assert!(crl.contains(19) && !crl.contains(20));
        assert_eq!(check_time([&cert, &crl], 15), Ok((10, 20)));
        assert_eq!(check_time([&cert, &crl], 20), Err(Status::CollateralTime));
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("2025-07-01T00:00:00Z"), Some(1_751_328_000));
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), None);
        assert_eq!(parse_rfc3339("2025-07-01"), None);
    }

    #[test]
    fn pem_chain_rejects_other_blocks() {
        assert!(decode_chain(b"").is_some_and(|c| c.certs.is_empty()));
        assert!(decode_chain(b"-----BEGIN X-----\nAAAA\n-----END X-----\n").is_none());
        assert!(
            decode_chain(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .is_none()
        );
    }
}
