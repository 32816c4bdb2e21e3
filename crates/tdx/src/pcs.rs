//! Building precompile inputs from collateral as tools store it: the JSON of dcap-qvl's
//! `QuoteCollateralV3` (Intel PCS responses: PEM and JSON as text, CRLs and signatures as hex),
//! and quotes that arrive zero-padded to a fixed buffer size.

use crate::{Collateral, Flags, encode_input};
use alloy_primitives::hex;

/// Why a collateral JSON document could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CollateralJsonError {
    /// Not JSON, or not an object.
    #[error("collateral is not a JSON object")]
    NotAnObject,
    /// A required field is missing or not a string.
    #[error("collateral field {0} is missing or not a string")]
    Missing(&'static str),
    /// A hex field does not decode.
    #[error("collateral field {0} is not hex")]
    NotHex(&'static str),
}

/// The ten collateral fields, owned, in the precompile's ABI order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedCollateral {
    pub(crate) fields: [Vec<u8>; 10],
}

impl OwnedCollateral {
    /// Reads dcap-qvl's `QuoteCollateralV3` JSON. `pck_certificate_chain` may be absent (the
    /// chain inside the quote is used then).
    pub fn from_dcap_json(json: &[u8]) -> Result<Self, CollateralJsonError> {
        let value: serde_json::Value =
            serde_json::from_slice(json).map_err(|_| CollateralJsonError::NotAnObject)?;
        let object = value.as_object().ok_or(CollateralJsonError::NotAnObject)?;
        let text = |key: &'static str| -> Result<Vec<u8>, CollateralJsonError> {
            object
                .get(key)
                .and_then(|v| v.as_str())
                .map(|s| s.as_bytes().to_vec())
                .ok_or(CollateralJsonError::Missing(key))
        };
        let bin = |key: &'static str| -> Result<Vec<u8>, CollateralJsonError> {
            let text = object
                .get(key)
                .and_then(|v| v.as_str())
                .ok_or(CollateralJsonError::Missing(key))?;
            hex::decode(text).map_err(|_| CollateralJsonError::NotHex(key))
        };
        let chain = object
            .get("pck_certificate_chain")
            .and_then(|v| v.as_str())
            .map(|s| s.as_bytes().to_vec())
            .unwrap_or_default();
        Ok(Self {
            fields: [
                text("pck_crl_issuer_chain")?,
                bin("root_ca_crl")?,
                bin("pck_crl")?,
                text("tcb_info_issuer_chain")?,
                text("tcb_info")?,
                bin("tcb_info_signature")?,
                text("qe_identity_issuer_chain")?,
                text("qe_identity")?,
                bin("qe_identity_signature")?,
                chain,
            ],
        })
    }

    /// Borrowed view for [`encode_input`].
    pub fn as_collateral(&self) -> Collateral<'_> {
        let f = &self.fields;
        Collateral {
            pck_crl_issuer_chain: &f[0],
            root_ca_crl: &f[1],
            pck_crl: &f[2],
            tcb_info_issuer_chain: &f[3],
            tcb_info: &f[4],
            tcb_info_signature: &f[5],
            qe_identity_issuer_chain: &f[6],
            qe_identity: &f[7],
            qe_identity_signature: &f[8],
            pck_certificate_chain: &f[9],
        }
    }

    /// The precompile input for `quote` with this collateral.
    pub fn encode_input(&self, quote: &[u8], flags: Flags) -> Vec<u8> {
        encode_input(quote, &self.as_collateral(), flags)
    }
}

/// The length a quote declares through its own header and signature-data length fields, or
/// `None` if it is too short to say. The precompile refuses any other length, so a quote taken
/// from a zero-padded buffer must be cut to this length first.
pub fn declared_quote_len(quote: &[u8]) -> Option<usize> {
    let u32_at =
        |at: usize| Some(u32::from_le_bytes(quote.get(at..at + 4)?.try_into().ok()?) as usize);
    let version = *quote.first()?;
    let body_end = if version == 5 {
        54usize.checked_add(u32_at(50)?)?
    } else if *quote.get(4)? == 0 {
        // Version 3/4 with TEE type 0: an SGX enclave report.
        48 + 384
    } else {
        48 + 584
    };
    body_end.checked_add(4)?.checked_add(u32_at(body_end)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_json_is_an_error_not_a_panic() {
        assert_eq!(OwnedCollateral::from_dcap_json(b"[]"), Err(CollateralJsonError::NotAnObject));
        assert_eq!(
            OwnedCollateral::from_dcap_json(b"{}"),
            Err(CollateralJsonError::Missing("pck_crl_issuer_chain"))
        );
        assert_eq!(declared_quote_len(&[5, 0]), None);
        assert_eq!(declared_quote_len(&[]), None);
    }
}
