//! Solidity ABI codec of the precompile: a strict decoder for the input and encoders for
//! the input (for callers and tests) and the output.
//!
//! Input: `abi.encode(bytes quote, Collateral collateral, uint32 flags)` with
//! `Collateral = (string pckCrlIssuerChain, bytes rootCaCrl, bytes pckCrl,
//! string tcbInfoIssuerChain, string tcbInfo, bytes tcbInfoSignature,
//! string qeIdentityIssuerChain, string qeIdentity, bytes qeIdentitySignature,
//! string pckCertificateChain)`.
//!
//! The decoder accepts any layout a Solidity `abi.decode` would read: offsets may point
//! anywhere inside the input and padding bytes are not checked, but every word, offset and
//! length is bounds-checked with overflow-checked arithmetic, so no input can make it read
//! out of bounds or panic. `string` fields are returned as raw bytes: UTF-8 is checked
//! later, where the text is used, and a bad encoding there is a verification failure, not
//! an ABI error.

use crate::TdxInputError;

/// ABI word size.
const WORD: usize = 32;

/// Number of fields of the `Collateral` tuple.
const COLLATERAL_FIELDS: usize = 10;

/// Flag bits of the `uint32 flags` argument.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    /// Bit 0: accept a TDX 1.5 TD bound to a service TD (non-zero `MR_SERVICETD` or the
    /// `SERVTD_EXT` attribute).
    pub const ALLOW_SERVICE_TD: u32 = 1 << 0;
    /// Bit 1: accept SGX (enclave) quotes besides TDX quotes.
    pub const ALLOW_SGX: u32 = 1 << 1;
    /// All defined bits. The others are reserved and must be zero.
    pub const KNOWN: u32 = Self::ALLOW_SERVICE_TD | Self::ALLOW_SGX;

    /// Flags from raw bits. Fails if a reserved bit is set.
    pub const fn from_bits(bits: u32) -> Result<Self, TdxInputError> {
        if bits & !Self::KNOWN != 0 {
            return Err(TdxInputError::ReservedFlags(bits & !Self::KNOWN));
        }
        Ok(Self(bits))
    }

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether bit 0 ([`Self::ALLOW_SERVICE_TD`]) is set.
    pub const fn allow_service_td(self) -> bool {
        self.0 & Self::ALLOW_SERVICE_TD != 0
    }

    /// Whether bit 1 ([`Self::ALLOW_SGX`]) is set.
    pub const fn allow_sgx(self) -> bool {
        self.0 & Self::ALLOW_SGX != 0
    }
}

/// The collateral tuple, field for field, borrowed from the input.
///
/// Text fields (`string` in the ABI) are raw bytes here: PEM certificate chains and the
/// exact JSON text Intel signed. Binary fields are the DER CRLs and the raw 64-byte
/// `r ‖ s` ECDSA signatures (the hex fields of the collateral JSON, decoded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collateral<'a> {
    /// PEM issuer chain of the PCK CRL. Not used by the verification: the PCK CRL is
    /// checked against the intermediate CA of the verified PCK chain.
    pub pck_crl_issuer_chain: &'a [u8],
    /// DER Intel SGX Root CA CRL.
    pub root_ca_crl: &'a [u8],
    /// DER PCK (Platform or Processor CA) CRL.
    pub pck_crl: &'a [u8],
    /// PEM chain of the TCB Info signer: signing certificate, then the Intel root.
    pub tcb_info_issuer_chain: &'a [u8],
    /// The `tcbInfo` JSON object exactly as signed.
    pub tcb_info: &'a [u8],
    /// Raw `r ‖ s` signature over `tcb_info`.
    pub tcb_info_signature: &'a [u8],
    /// PEM chain of the QE Identity signer: signing certificate, then the Intel root.
    pub qe_identity_issuer_chain: &'a [u8],
    /// The `enclaveIdentity` JSON object exactly as signed.
    pub qe_identity: &'a [u8],
    /// Raw `r ‖ s` signature over `qe_identity`.
    pub qe_identity_signature: &'a [u8],
    /// PEM PCK chain (leaf, intermediate, root). Empty: use the chain inside the quote.
    pub pck_certificate_chain: &'a [u8],
}

impl<'a> Collateral<'a> {
    fn fields(&self) -> [&'a [u8]; COLLATERAL_FIELDS] {
        [
            self.pck_crl_issuer_chain,
            self.root_ca_crl,
            self.pck_crl,
            self.tcb_info_issuer_chain,
            self.tcb_info,
            self.tcb_info_signature,
            self.qe_identity_issuer_chain,
            self.qe_identity,
            self.qe_identity_signature,
            self.pck_certificate_chain,
        ]
    }

    fn from_fields(f: [&'a [u8]; COLLATERAL_FIELDS]) -> Self {
        let [
            pck_crl_issuer_chain,
            root_ca_crl,
            pck_crl,
            tcb_info_issuer_chain,
            tcb_info,
            tcb_info_signature,
            qe_identity_issuer_chain,
            qe_identity,
            qe_identity_signature,
            pck_certificate_chain,
        ] = f;
        Self {
            pck_crl_issuer_chain,
            root_ca_crl,
            pck_crl,
            tcb_info_issuer_chain,
            tcb_info,
            tcb_info_signature,
            qe_identity_issuer_chain,
            qe_identity,
            qe_identity_signature,
            pck_certificate_chain,
        }
    }
}

impl<'a> From<&'a dcap_qvl::QuoteCollateralV3> for Collateral<'a> {
    /// Borrows dcap-qvl's collateral (the JSON form of the fixtures and of PCCS clients):
    /// a missing `pck_certificate_chain` becomes the empty field.
    fn from(c: &'a dcap_qvl::QuoteCollateralV3) -> Self {
        Self {
            pck_crl_issuer_chain: c.pck_crl_issuer_chain.as_bytes(),
            root_ca_crl: &c.root_ca_crl,
            pck_crl: &c.pck_crl,
            tcb_info_issuer_chain: c.tcb_info_issuer_chain.as_bytes(),
            tcb_info: c.tcb_info.as_bytes(),
            tcb_info_signature: &c.tcb_info_signature,
            qe_identity_issuer_chain: c.qe_identity_issuer_chain.as_bytes(),
            qe_identity: c.qe_identity.as_bytes(),
            qe_identity_signature: &c.qe_identity_signature,
            pck_certificate_chain: c
                .pck_certificate_chain
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
        }
    }
}

/// The decoded precompile input, borrowed from the call data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrecompileInput<'a> {
    /// The raw quote.
    pub quote: &'a [u8],
    /// The collateral the quote is verified against.
    pub collateral: Collateral<'a>,
    /// Option flags.
    pub flags: Flags,
}

/// Decodes `abi.encode(bytes quote, Collateral collateral, uint32 flags)`.
///
/// Does not check the size limit of the whole input; [`crate::verify_precompile_input`]
/// does that first.
pub fn decode_input(input: &[u8]) -> Result<PrecompileInput<'_>, TdxInputError> {
    let quote = read_bytes(input, 0, 0)?;
    let collateral_base = read_offset(input, WORD)?;
    let flags_word = read_word(input, 2 * WORD)?;
    let (high, low) = flags_word.split_at(WORD - 4);
    if high.iter().any(|&b| b != 0) {
        return Err(TdxInputError::InvalidFlagsWord);
    }
    let mut low_bytes = [0u8; 4];
    low_bytes.copy_from_slice(low);
    let flags = Flags::from_bits(u32::from_be_bytes(low_bytes))?;

    let mut fields: [&[u8]; COLLATERAL_FIELDS] = [&[]; COLLATERAL_FIELDS];
    for (i, field) in fields.iter_mut().enumerate() {
        // i < 10, so this cannot overflow; the addition with the base is checked.
        let head = collateral_base.checked_add(i * WORD).ok_or(TdxInputError::OutOfRange)?;
        *field = read_bytes(input, collateral_base, head)?;
    }
    Ok(PrecompileInput { quote, collateral: Collateral::from_fields(fields), flags })
}

/// Encodes the precompile input canonically (what `abi.encode` produces).
pub fn encode_input(quote: &[u8], collateral: &Collateral<'_>, flags: Flags) -> Vec<u8> {
    let collateral_enc = encode_bytes_tuple(&collateral.fields());
    let mut out = Vec::with_capacity(5 * WORD + quote.len() + collateral_enc.len());
    out.extend_from_slice(&uint_word(3 * WORD as u64));
    out.extend_from_slice(&uint_word((4 * WORD + padded_len(quote.len())) as u64));
    out.extend_from_slice(&uint_word(u64::from(flags.bits())));
    push_bytes(&mut out, quote);
    out.extend_from_slice(&collateral_enc);
    out
}

fn read_word(data: &[u8], at: usize) -> Result<&[u8], TdxInputError> {
    let end = at.checked_add(WORD).ok_or(TdxInputError::OutOfRange)?;
    data.get(at..end).ok_or(TdxInputError::Truncated)
}

/// Reads a word that must hold an offset or length fitting in the input's address space.
fn read_offset(data: &[u8], at: usize) -> Result<usize, TdxInputError> {
    let word = read_word(data, at)?;
    let (high, low) = word.split_at(WORD - 8);
    if high.iter().any(|&b| b != 0) {
        return Err(TdxInputError::OutOfRange);
    }
    let mut be = [0u8; 8];
    be.copy_from_slice(low);
    usize::try_from(u64::from_be_bytes(be)).map_err(|_| TdxInputError::OutOfRange)
}

/// Reads a dynamic `bytes`/`string` whose offset word is at `head`, relative to `base`.
fn read_bytes(data: &[u8], base: usize, head: usize) -> Result<&[u8], TdxInputError> {
    let offset = read_offset(data, head)?;
    let start = base.checked_add(offset).ok_or(TdxInputError::OutOfRange)?;
    let len = read_offset(data, start)?;
    let from = start.checked_add(WORD).ok_or(TdxInputError::OutOfRange)?;
    let to = from.checked_add(len).ok_or(TdxInputError::OutOfRange)?;
    data.get(from..to).ok_or(TdxInputError::Truncated)
}

/// `len` rounded up to a whole number of words.
pub(crate) const fn padded_len(len: usize) -> usize {
    len.div_ceil(WORD) * WORD
}

/// A `uint<N>` word.
pub(crate) fn uint_word(value: u64) -> [u8; WORD] {
    let mut word = [0u8; WORD];
    word[WORD - 8..].copy_from_slice(&value.to_be_bytes());
    word
}

/// Appends the tail of a `bytes`/`string`: length word, data, zero padding.
pub(crate) fn push_bytes(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&uint_word(data.len() as u64));
    out.extend_from_slice(data);
    out.resize(out.len() + padded_len(data.len()) - data.len(), 0);
}

/// Encodes a tuple whose fields are all `bytes`/`string` (also the body of a `string[]`
/// after its length word): offset words relative to the tuple start, then the tails.
pub(crate) fn encode_bytes_tuple(fields: &[&[u8]]) -> Vec<u8> {
    let head_len = fields.len() * WORD;
    let tail_len: usize = fields.iter().map(|f| WORD + padded_len(f.len())).sum();
    let mut out = Vec::with_capacity(head_len + tail_len);
    let mut offset = head_len;
    for field in fields {
        out.extend_from_slice(&uint_word(offset as u64));
        offset += WORD + padded_len(field.len());
    }
    for field in fields {
        push_bytes(&mut out, field);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Collateral<'static> {
        Collateral {
            pck_crl_issuer_chain: b"a",
            root_ca_crl: &[1, 2, 3],
            pck_crl: &[],
            tcb_info_issuer_chain: &[7; 33],
            tcb_info: b"{}",
            tcb_info_signature: &[9; 64],
            qe_identity_issuer_chain: b"chain",
            qe_identity: b"{\"id\":1}",
            qe_identity_signature: &[5; 64],
            pck_certificate_chain: &[],
        }
    }

    #[test]
    fn round_trip() {
        let collateral = sample();
        let flags = Flags::from_bits(3).expect("known bits");
        let quote = [0xabu8; 70];
        let enc = encode_input(&quote, &collateral, flags);
        assert_eq!(enc.len() % WORD, 0);
        let dec = decode_input(&enc).expect("decodes");
        assert_eq!(dec.quote, &quote[..]);
        assert_eq!(dec.collateral, collateral);
        assert_eq!(dec.flags, flags);
    }

    #[test]
    fn canonical_layout_matches_solidity() {
        // abi.encode(bytes(hex"01"), ("", "", ..., ""), uint32(1)) by hand.
        let empty = Collateral::default();
        let enc = encode_input(&[1], &empty, Flags::from_bits(1).expect("known"));
        assert_eq!(&enc[..WORD], &uint_word(0x60));
        assert_eq!(&enc[WORD..2 * WORD], &uint_word(0xa0));
        assert_eq!(&enc[2 * WORD..3 * WORD], &uint_word(1));
        assert_eq!(&enc[3 * WORD..4 * WORD], &uint_word(1));
        assert_eq!(enc[4 * WORD], 1);
        // Collateral head: ten offsets 0x140, 0x160, ... each to an empty string.
        for i in 0..COLLATERAL_FIELDS {
            let at = 0xa0 + i * WORD;
            assert_eq!(&enc[at..at + WORD], &uint_word((0x140 + i * WORD) as u64));
        }
        assert_eq!(enc.len(), 0xa0 + 0x140 + COLLATERAL_FIELDS * WORD);
    }

    #[test]
    fn rejects_malformed() {
        let enc = encode_input(&[1, 2, 3], &sample(), Flags::default());
        // Every truncation fails cleanly.
        for len in 0..enc.len() {
            // A few truncations still decode when only padding is cut off.
            let _ = decode_input(&enc[..len]);
        }
        assert_eq!(decode_input(&[]), Err(TdxInputError::Truncated));
        // Offset with high bytes set.
        let mut bad = enc.clone();
        bad[0] = 1;
        assert_eq!(decode_input(&bad), Err(TdxInputError::OutOfRange));
        // Offset pointing far past the end.
        let mut bad = enc.clone();
        bad[WORD - 1] = 0xff;
        bad[WORD - 2] = 0xff;
        assert_eq!(decode_input(&bad), Err(TdxInputError::Truncated));
        // Length word making the addition overflow.
        let mut bad = enc.clone();
        bad[3 * WORD + 24..4 * WORD].copy_from_slice(&u64::MAX.to_be_bytes());
        assert!(decode_input(&bad).is_err());
        // Dirty flags word and reserved flags.
        let mut bad = enc.clone();
        bad[2 * WORD] = 1;
        assert_eq!(decode_input(&bad), Err(TdxInputError::InvalidFlagsWord));
        let mut bad = enc;
        bad[3 * WORD - 1] = 4;
        assert_eq!(decode_input(&bad), Err(TdxInputError::ReservedFlags(4)));
    }

    #[test]
    fn tolerates_non_canonical_offsets() {
        // The same data with the collateral placed after 32 bytes of junk.
        let collateral = sample();
        let canonical = encode_input(&[1, 2, 3], &collateral, Flags::default());
        let mut moved = canonical.clone();
        let base = 4 * WORD + WORD; // after the quote tail
        let coll = canonical[base..].to_vec();
        moved.truncate(base);
        moved.extend_from_slice(&[0xee; WORD]);
        moved.extend_from_slice(&coll);
        moved[WORD..2 * WORD].copy_from_slice(&uint_word((base + WORD) as u64));
        let dec = decode_input(&moved).expect("decodes");
        assert_eq!(dec.collateral, collateral);
    }
}
