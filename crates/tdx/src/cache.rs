//! A cache that saves CPU time on repeated verifications without changing any result.
//!
//! Two things are remembered, each keyed by a SHA-256 hash of exactly the bytes it is a
//! pure function of:
//!
//! - **decoded collateral**: the parse of the TCB Info / QE Identity JSON, both CRLs and the
//!   two issuer chains (step 2), or the status that parse failed with. Key: every collateral
//!   field the decoding reads, each length-prefixed.
//! - **verified signatures**: every ECDSA P-256 verification that succeeded — the certificate,
//!   CRL, TCB Info, QE Identity, QE report and quote signatures, including the ones webpki makes
//!   while it builds a chain. Key: public key, message and signature, each length-prefixed. Only
//!   successes are stored; a failing signature is checked again on every call.
//!
//! So a later quote with the same collateral (and the same platform's PCK chain and QE report)
//! repeats only the checks that depend on the call: the exact quote shape, every validity
//! interval against the block timestamp, webpki's path building and revocation lookups, the
//! TCB and TD-policy appraisal, and the one signature that is new — the quote's own.
//!
//! Nothing here is visible in an output or in gas: an entry is a value the uncached path
//! would compute from the same bytes. Both maps are bounded least-recently-used maps, so
//! memory stays fixed whatever a caller sends, and they sit behind a mutex so that the RPC and
//! the block builder can share one cache ([`VerificationCache::shared`]).

use crate::{Collateral, Status, collateral::DecodedCollateral};
use dcap_qvl::{config::CryptoProvider, crypto::RustCryptoCrypto};
use rustls_pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};
use std::{
    collections::BTreeMap,
    fmt,
    sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError},
};

/// SHA-256 cache key.
type Key = [u8; 32];

/// The result of decoding one collateral, shared between the calls that use it.
pub(crate) type SharedDecoded = Arc<Result<DecodedCollateral, Status>>;

/// Domain tags, so that a collateral key can never equal a signature key.
const COLLATERAL_TAG: &[u8] = b"phala-tdx/collateral/v1";
const SIGNATURE_TAG: &[u8] = b"phala-tdx/ecdsa-p256-sha256/v1";

/// A bounded map that forgets its least recently used entry when full.
///
/// Two `BTreeMap`s (key → (stamp, value), stamp → key) keep every operation `O(log n)`
/// and the eviction order independent of hashing.
struct Lru<V> {
    capacity: usize,
    next_stamp: u64,
    entries: BTreeMap<Key, (u64, V)>,
    by_age: BTreeMap<u64, Key>,
}

impl<V: Clone> Lru<V> {
    const fn new(capacity: usize) -> Self {
        Self { capacity, next_stamp: 0, entries: BTreeMap::new(), by_age: BTreeMap::new() }
    }

    fn stamp(&mut self) -> u64 {
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        stamp
    }

    fn get(&mut self, key: &Key) -> Option<V> {
        let stamp = self.stamp();
        let (old, value) = self.entries.get_mut(key)?;
        self.by_age.remove(old);
        self.by_age.insert(stamp, *key);
        *old = stamp;
        Some(value.clone())
    }

    fn insert(&mut self, key: Key, value: V) {
        if self.capacity == 0 {
            return;
        }
        let stamp = self.stamp();
        if let Some((old, _)) = self.entries.insert(key, (stamp, value)) {
            self.by_age.remove(&old);
        } else if self.entries.len() > self.capacity
            && let Some((_, oldest)) = self.by_age.pop_first()
        {
            self.entries.remove(&oldest);
        }
        self.by_age.insert(stamp, key);
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Decoded collateral and verified signatures of earlier calls (see the module docs).
///
/// Safe to share between threads; every method takes `&self`.
pub struct VerificationCache {
    collateral: Mutex<Lru<SharedDecoded>>,
    signatures: Mutex<Lru<()>>,
}

impl VerificationCache {
    /// Collateral entries kept by [`Self::shared`]. Each holds the decoding of at most one
    /// input ([`MAX_INPUT_LEN`](crate::MAX_INPUT_LEN)), so this bounds the memory to a few MiB.
    pub const DEFAULT_COLLATERAL_CAPACITY: usize = 32;

    /// Verified signatures kept by [`Self::shared`] (32-byte keys). A verification checks at
    /// most nine signatures.
    pub const DEFAULT_SIGNATURE_CAPACITY: usize = 4096;

    /// An empty cache holding at most `collateral` decoded collaterals and `signatures`
    /// verified signatures. A capacity of zero turns that part off.
    pub const fn new(collateral: usize, signatures: usize) -> Self {
        Self {
            collateral: Mutex::new(Lru::new(collateral)),
            signatures: Mutex::new(Lru::new(signatures)),
        }
    }

    /// The process-wide cache with the default capacities, used by the precompile.
    pub fn shared() -> &'static Self {
        static SHARED: LazyLock<VerificationCache> = LazyLock::new(|| {
            VerificationCache::new(
                VerificationCache::DEFAULT_COLLATERAL_CAPACITY,
                VerificationCache::DEFAULT_SIGNATURE_CAPACITY,
            )
        });
        &SHARED
    }

    /// Number of decoded collaterals held.
    pub fn collateral_len(&self) -> usize {
        lock(&self.collateral).len()
    }

    /// Number of verified signatures held.
    pub fn signature_len(&self) -> usize {
        lock(&self.signatures).len()
    }

    /// The decoding of `c`: from the cache, or decoded now and remembered.
    pub(crate) fn decoded_collateral(&self, c: &Collateral<'_>) -> SharedDecoded {
        let key = collateral_key(c);
        if let Some(hit) = lock(&self.collateral).get(&key) {
            return hit;
        }
        // Decode outside the lock: other threads keep going meanwhile.
        let decoded = Arc::new(crate::collateral::decode(c));
        lock(&self.collateral).insert(key, decoded.clone());
        decoded
    }

    fn signature_verified(&self, key: &Key) -> bool {
        lock(&self.signatures).get(key).is_some()
    }

    fn remember_signature(&self, key: Key) {
        lock(&self.signatures).insert(key, ());
    }
}

impl fmt::Debug for VerificationCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationCache")
            .field("collateral", &self.collateral_len())
            .field("signatures", &self.signature_len())
            .finish()
    }
}

/// The maps hold no invariant a panic elsewhere could break, so a poisoned lock is used as is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// SHA-256 of the tag and each part, every part prefixed by its length (so no two different
/// lists of parts hash the same bytes).
fn key_of(tag: &[u8], parts: &[&[u8]]) -> Key {
    let mut buf = Vec::with_capacity(tag.len() + parts.iter().map(|p| p.len() + 8).sum::<usize>());
    buf.extend_from_slice(tag);
    for part in parts {
        buf.extend_from_slice(&(part.len() as u64).to_be_bytes());
        buf.extend_from_slice(part);
    }
    RustCryptoCrypto::sha256(&buf)
}

/// Key of the decoding of `c`: every field [`crate::collateral::decode`] reads.
fn collateral_key(c: &Collateral<'_>) -> Key {
    key_of(
        COLLATERAL_TAG,
        &[
            c.root_ca_crl,
            c.pck_crl,
            c.tcb_info_issuer_chain,
            c.tcb_info,
            c.tcb_info_signature,
            c.qe_identity_issuer_chain,
            c.qe_identity,
            c.qe_identity_signature,
        ],
    )
}

/// dcap-qvl's RustCrypto ECDSA P-256 / SHA-256 verifier, remembering its successes in a cache.
///
/// Passed to webpki in place of the plain verifier, so that the signatures webpki checks while
/// it builds a chain are remembered too. Without a cache it is the plain verifier.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemoizedP256<'c> {
    cache: Option<&'c VerificationCache>,
}

impl<'c> MemoizedP256<'c> {
    pub(crate) const fn new(cache: Option<&'c VerificationCache>) -> Self {
        Self { cache }
    }

    fn inner() -> &'static dyn SignatureVerificationAlgorithm {
        RustCryptoCrypto::sig_algo()
    }
}

impl SignatureVerificationAlgorithm for MemoizedP256<'_> {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let Some(cache) = self.cache else {
            return Self::inner().verify_signature(public_key, message, signature);
        };
        let key = key_of(SIGNATURE_TAG, &[public_key, message, signature]);
        if cache.signature_verified(&key) {
            return Ok(());
        }
        Self::inner().verify_signature(public_key, message, signature)?;
        cache.remember_signature(key);
        Ok(())
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        Self::inner().public_key_alg_id()
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        Self::inner().signature_alg_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> Key {
        [n; 32]
    }

    #[test]
    fn lru_evicts_least_recently_used() {
        let mut lru = Lru::new(2);
        lru.insert(key(1), 1);
        lru.insert(key(2), 2);
        assert_eq!(lru.get(&key(1)), Some(1)); // 2 is now the oldest
        lru.insert(key(3), 3);
        assert_eq!(lru.len(), 2);
        assert_eq!(lru.get(&key(2)), None);
        assert_eq!(lru.get(&key(1)), Some(1));
        assert_eq!(lru.get(&key(3)), Some(3));
        // Re-inserting a key replaces it without evicting anything.
        lru.insert(key(3), 30);
        assert_eq!(lru.len(), 2);
        assert_eq!(lru.get(&key(3)), Some(30));
        assert_eq!(lru.get(&key(1)), Some(1));
        assert_eq!(lru.entries.len(), lru.by_age.len());
    }

    #[test]
    fn zero_capacity_holds_nothing() {
        let mut lru = Lru::new(0);
        lru.insert(key(1), ());
        assert_eq!(lru.len(), 0);
        assert_eq!(lru.get(&key(1)), None);
    }

    #[test]
    fn keys_separate_fields() {
        // Moving a byte from one field to the next changes the key.
        let a = key_of(SIGNATURE_TAG, &[b"ab", b"c"]);
        let b = key_of(SIGNATURE_TAG, &[b"a", b"bc"]);
        assert_ne!(a, b);
        assert_ne!(key_of(COLLATERAL_TAG, &[b"x"]), key_of(SIGNATURE_TAG, &[b"x"]));
        let c = Collateral { tcb_info: b"{}", ..Default::default() };
        let d = Collateral { qe_identity: b"{}", ..Default::default() };
        assert_ne!(collateral_key(&c), collateral_key(&d));
        // The PCK CRL issuer chain is not read by the decoding, so it is not part of the key.
        let e = Collateral { pck_crl_issuer_chain: b"unused", ..c };
        assert_eq!(collateral_key(&c), collateral_key(&e));
    }

    #[test]
    fn failed_signatures_are_not_remembered() {
        let cache = VerificationCache::new(1, 8);
        let p256 = MemoizedP256::new(Some(&cache));
        assert!(p256.verify_signature(&[4; 65], b"message", &[0x30, 0]).is_err());
        assert_eq!(cache.signature_len(), 0);
    }
}
