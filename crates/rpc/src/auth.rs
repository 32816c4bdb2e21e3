//! JWT (HS256) authentication of the Engine API, as the Engine API spec requires: a 32-byte
//! shared secret, a bearer token whose `iat` claim is within 60 seconds of the node's clock.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use jsonrpsee::server::{HttpBody, HttpResponse};
use sha2::Sha256;
use std::{
    future::Future,
    io::Read,
    path::Path,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{SystemTime, UNIX_EPOCH},
};

/// Largest allowed distance between a token's `iat` and the node's clock, in seconds.
const MAX_CLOCK_SKEW: u64 = 60;

/// Errors of secret loading and token validation.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    /// The secret file is not 32 bytes of hex.
    #[error("invalid JWT secret in {path}: expected 64 hex characters")]
    InvalidSecret {
        /// The file.
        path: String,
    },
    /// The secret file could not be read or written.
    #[error("JWT secret file {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
    /// No `Authorization: Bearer …` header.
    #[error("missing authorization header")]
    MissingToken,
    /// The token is not three base64url parts, or its JSON is malformed.
    #[error("malformed token")]
    Malformed,
    /// The token's algorithm is not HS256.
    #[error("unsupported algorithm")]
    Algorithm,
    /// The signature does not match the secret.
    #[error("invalid signature")]
    Signature,
    /// `iat` is missing or too far from the node's clock.
    #[error("stale token (iat out of range)")]
    Stale,
}

/// The Engine API's shared secret.
#[derive(Clone)]
pub struct JwtSecret([u8; 32]);

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtSecret(..)")
    }
}

impl JwtSecret {
    /// A secret from raw bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 hex characters (optionally `0x`-prefixed, surrounding whitespace ignored).
    pub fn from_hex(text: &str, path: &Path) -> Result<Self, JwtError> {
        let text = text.trim();
        let digits = text.strip_prefix("0x").unwrap_or(text);
        let invalid = || JwtError::InvalidSecret { path: path.display().to_string() };
        if digits.len() != 64 {
            return Err(invalid());
        }
        let mut bytes = [0u8; 32];
        for (index, chunk) in digits.as_bytes().chunks(2).enumerate() {
            let pair = std::str::from_utf8(chunk).map_err(|_| invalid())?;
            bytes[index] = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
        }
        Ok(Self(bytes))
    }

    /// Reads the secret from `path`, or creates a random one there if the file does not exist
    /// (as reth and geth do).
    pub fn load_or_create(path: &Path) -> Result<Self, JwtError> {
        let io = |err: std::io::Error| JwtError::Io {
            path: path.display().to_string(),
            message: err.to_string(),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(&text, path),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                std::fs::File::open("/dev/urandom")
                    .and_then(|mut f| f.read_exact(&mut bytes))
                    .map_err(io)?;
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(io)?;
                }
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                std::fs::write(path, hex).map_err(io)?;
                Ok(Self(bytes))
            }
            Err(err) => Err(io(err)),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length")
    }

    /// A token issued at `iat` (seconds since the epoch).
    pub fn token(&self, iat: u64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(format!(r#"{{"iat":{iat}}}"#));
        let signing_input = format!("{header}.{claims}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// Checks a bearer token against the secret and the clock `now`.
    pub fn validate(&self, token: &str, now: u64) -> Result<(), JwtError> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| JwtError::Malformed)?;
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(claims.as_bytes());
        mac.verify_slice(&signature).map_err(|_| JwtError::Signature)?;
        let header: serde_json::Value = URL_SAFE_NO_PAD
            .decode(header)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(JwtError::Malformed)?;
        if header.get("alg").and_then(|alg| alg.as_str()) != Some("HS256") {
            return Err(JwtError::Algorithm);
        }
        let claims: serde_json::Value = URL_SAFE_NO_PAD
            .decode(claims)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(JwtError::Malformed)?;
        let iat = claims.get("iat").and_then(|iat| iat.as_u64()).ok_or(JwtError::Stale)?;
        if iat.abs_diff(now) > MAX_CLOCK_SKEW {
            return Err(JwtError::Stale);
        }
        Ok(())
    }
}

/// Seconds since the Unix epoch (token freshness only; never used by consensus code).
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// Tower layer that refuses HTTP requests without a valid token with `401 Unauthorized`.
#[derive(Debug, Clone)]
pub struct JwtAuthLayer {
    secret: Arc<JwtSecret>,
}

impl JwtAuthLayer {
    /// A layer checking tokens against `secret`.
    pub fn new(secret: JwtSecret) -> Self {
        Self { secret: Arc::new(secret) }
    }
}

impl<S> tower::Layer<S> for JwtAuthLayer {
    type Service = JwtAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        JwtAuth { inner, secret: self.secret.clone() }
    }
}

/// The service [`JwtAuthLayer`] wraps around the RPC server.
#[derive(Debug, Clone)]
pub struct JwtAuth<S> {
    inner: S,
    secret: Arc<JwtSecret>,
}

impl<S, B> tower::Service<http::Request<B>> for JwtAuth<S>
where
    S: tower::Service<http::Request<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let token = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::to_owned);
        let verdict = match token {
            Some(token) => self.secret.validate(&token, unix_now()),
            None => Err(JwtError::MissingToken),
        };
        match verdict {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(error) => Box::pin(async move {
                let mut response = http::Response::new(HttpBody::from(error.to_string()));
                *response.status_mut() = http::StatusCode::UNAUTHORIZED;
                Ok(response)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_checked() {
        let secret = JwtSecret::from_bytes([7; 32]);
        let token = secret.token(1_000);
        assert_eq!(secret.validate(&token, 1_030), Ok(()));
        assert_eq!(secret.validate(&token, 1_061), Err(JwtError::Stale));
        let other = JwtSecret::from_bytes([8; 32]);
        assert_eq!(other.validate(&token, 1_000), Err(JwtError::Signature));
        assert_eq!(secret.validate("a.b", 1_000), Err(JwtError::Malformed));
        let mut tampered = token;
        tampered.push('A');
        assert!(secret.validate(&tampered, 1_000).is_err());
    }

    #[test]
    fn secrets_parse_from_hex() {
        let path = Path::new("jwt.hex");
        let secret = JwtSecret::from_hex(&format!("0x{}\n", "ab".repeat(32)), path).unwrap();
        assert_eq!(secret.0, [0xab; 32]);
        assert!(JwtSecret::from_hex("abcd", path).is_err());
        assert!(JwtSecret::from_hex(&"zz".repeat(32), path).is_err());
    }
}
