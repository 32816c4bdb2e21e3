//! Errors of the L1 clients, the wallet, anvil and the deployer.

use alloy_primitives::{Address, B256};
use std::path::PathBuf;

/// Why an L1 operation failed.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The L1 URL is not one the HTTP client accepts.
    #[error("invalid L1 RPC URL {url:?}: {source}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// The client's reason.
        #[source]
        source: jsonrpsee::core::ClientError,
    },
    /// A JSON-RPC call failed (transport, or an error response).
    #[error("L1 {method} failed: {source}")]
    Rpc {
        /// The JSON-RPC method.
        method: &'static str,
        /// The client's error, with the node's error message when it answered one.
        #[source]
        source: jsonrpsee::core::ClientError,
    },
    /// The L1 has no block where one was expected.
    #[error("the L1 has no block {0}")]
    MissingBlock(String),
    /// A beacon-API request failed.
    #[error("beacon API {url}: {reason}")]
    Beacon {
        /// The request URL.
        url: String,
        /// What went wrong (status code, transport error, malformed body).
        reason: BeaconFailure,
    },
    /// A blob named by a transaction was not among the beacon node's blobs.
    #[error("the beacon API returned no blob with versioned hash {0}")]
    MissingBlob(B256),
    /// Computing blob commitments or proofs failed.
    #[error("KZG: {0}")]
    Kzg(#[from] alloy_eips::eip4844::c_kzg::Error),
    /// Signing a transaction failed.
    #[error("signing an L1 transaction failed: {0}")]
    Signing(#[from] alloy_signer::Error),
    /// An L1 transaction was mined and reverted.
    #[error("L1 transaction {hash} ({what}) reverted")]
    Reverted {
        /// The transaction hash.
        hash: B256,
        /// What it was for.
        what: &'static str,
    },
    /// An L1 transaction was not mined in time.
    #[error("L1 transaction {hash} ({what}) was not mined within {seconds} s")]
    NotMined {
        /// The transaction hash.
        hash: B256,
        /// What it was for.
        what: &'static str,
        /// How long we waited.
        seconds: u64,
    },
    /// A deployment left a contract without code.
    #[error("no code at {address} after deploying {contract}")]
    NotDeployed {
        /// The contract name.
        contract: &'static str,
        /// Where it should be.
        address: Address,
    },
    /// The pinned contracts package lacks a contract the deployer needs.
    #[error("the contracts-bedrock artifacts have no creation code for {0}")]
    MissingArtifact(&'static str),
    /// anvil could not be started.
    #[error("cannot start anvil ({path}): {source}")]
    AnvilSpawn {
        /// The anvil binary.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// anvil exited before it served JSON-RPC.
    #[error("anvil ({path}) exited with {status} before it was ready; its output:\n{output}")]
    AnvilExited {
        /// The anvil binary.
        path: PathBuf,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The end of what it printed.
        output: String,
    },
    /// anvil did not answer in time.
    #[error("anvil ({path}) did not answer on {url} within {seconds} s")]
    AnvilNotReady {
        /// The anvil binary.
        path: PathBuf,
        /// Its URL.
        url: String,
        /// How long we waited.
        seconds: u64,
    },
    /// No anvil binary was found.
    #[error(
        "no anvil found: pass --l1.anvil <path>, put anvil on PATH, or run `cd contracts && npm ci` \
         (which installs @foundry-rs/anvil-linux-amd64)"
    )]
    AnvilNotFound,
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// How a beacon-API request failed.
#[derive(Debug, thiserror::Error)]
pub enum BeaconFailure {
    /// The server answered with an error status.
    #[error("HTTP status {0}")]
    Status(u16),
    /// The request did not complete.
    #[error("transport: {0}")]
    Transport(Box<dyn std::error::Error + Send + Sync>),
    /// The body is not the JSON the API specifies.
    #[error("malformed response: {0}")]
    Malformed(#[from] serde_json::Error),
}

/// The result type of this crate.
pub type L1Result<T> = Result<T, L1Error>;
