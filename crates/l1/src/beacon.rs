//! [`BeaconClient`]: the consensus layer's blobs (`GET /eth/v1/beacon/blobs/{block_id}`), which is
//! where a verifier reads batches posted as blobs. Anvil serves the same endpoint.

use crate::{BeaconFailure, L1Error, L1Result};
use alloy_eips::eip4844::Blob;
use alloy_primitives::B256;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes as BodyBytes;
use hyper_rustls::HttpsConnector;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde::Deserialize;
use std::time::Duration;

/// A client of a beacon node's HTTP API.
#[derive(Debug, Clone)]
pub struct BeaconClient {
    base: String,
    http: Client<HttpsConnector<HttpConnector>, Empty<BodyBytes>>,
}

/// `data` of a beacon-API response.
#[derive(Debug, Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Debug, Deserialize)]
struct Genesis {
    #[serde(with = "alloy_serde_quoted")]
    genesis_time: u64,
}

/// The beacon API quotes its integers.
mod alloy_serde_quoted {
    use serde::{Deserialize, Deserializer, de::Error};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(D::Error::custom)
    }
}

/// Seconds per slot of Ethereum (and of anvil's beacon API).
pub const SECONDS_PER_SLOT: u64 = 12;

impl BeaconClient {
    /// A client of the beacon API at `base` (e.g. `http://localhost:5052`; for anvil, its RPC URL).
    pub fn new(base: &str) -> L1Result<Self> {
        let tls = <rustls::ClientConfig as rustls_platform_verifier::ConfigVerifierExt>::with_platform_verifier();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let http = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { base: base.trim_end_matches('/').to_string(), http })
    }

    async fn get<T: for<'de> Deserialize<'de>>(&self, path: &str) -> L1Result<T> {
        let url = format!("{}{path}", self.base);
        let failure = |reason| L1Error::Beacon { url: url.clone(), reason };
        let uri: hyper::Uri =
            url.parse().map_err(|err| failure(BeaconFailure::Transport(Box::new(err))))?;
        let request = hyper::Request::get(uri)
            .header(hyper::header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|err| failure(BeaconFailure::Transport(Box::new(err))))?;
        let response = tokio::time::timeout(Duration::from_secs(30), self.http.request(request))
            .await
            .map_err(|err| failure(BeaconFailure::Transport(Box::new(err))))?
            .map_err(|err| failure(BeaconFailure::Transport(Box::new(err))))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|err| failure(BeaconFailure::Transport(Box::new(err))))?
            .to_bytes();
        if !status.is_success() {
            return Err(failure(BeaconFailure::Status(status.as_u16())));
        }
        serde_json::from_slice(&body).map_err(|err| failure(BeaconFailure::Malformed(err)))
    }

    /// The beacon chain's genesis time.
    pub async fn genesis_time(&self) -> L1Result<u64> {
        Ok(self.get::<Data<Genesis>>("/eth/v1/beacon/genesis").await?.data.genesis_time)
    }

    /// The slot of the L1 block with timestamp `timestamp`.
    pub async fn slot_at(&self, timestamp: u64) -> L1Result<u64> {
        Ok(timestamp.saturating_sub(self.genesis_time().await?) / SECONDS_PER_SLOT)
    }

    /// The blobs with `versioned_hashes` of the L1 block `block_hash` at `timestamp`, in the
    /// order asked for. The beacon API names blocks by slot, which a beacon chain derives from
    /// the time; anvil names them by execution block number or hash instead, so when the slot
    /// does not have them the block hash is asked. A missing blob is an error: a verifier cannot
    /// go on without the data.
    pub async fn block_blobs(
        &self,
        timestamp: u64,
        block_hash: B256,
        versioned_hashes: &[B256],
    ) -> L1Result<Vec<Blob>> {
        let slot = self.slot_at(timestamp).await?;
        match self.blobs(&slot.to_string(), versioned_hashes).await {
            Ok(blobs) => Ok(blobs),
            Err(_) => self.blobs(&block_hash.to_string(), versioned_hashes).await,
        }
    }

    /// The blobs with `versioned_hashes` of the block `block_id` (a slot, a block root, or for
    /// anvil an execution block number or hash), in the order asked for.
    pub async fn blobs(&self, block_id: &str, versioned_hashes: &[B256]) -> L1Result<Vec<Blob>> {
        if versioned_hashes.is_empty() {
            return Ok(Vec::new());
        }
        let query: Vec<String> = versioned_hashes.iter().map(|hash| hash.to_string()).collect();
        let path = format!("/eth/v1/beacon/blobs/{block_id}?versioned_hashes={}", query.join(","));
        let blobs: Vec<Blob> = self.get::<Data<Vec<Blob>>>(&path).await?.data;
        // The data is checked against the commitments the L1 transactions carry, as op-node does:
        // the beacon node is not trusted with it.
        let hashed: Vec<(B256, Blob)> = blobs
            .into_iter()
            .map(|blob| Ok((blob_versioned_hash(&blob)?, blob)))
            .collect::<L1Result<_>>()?;
        versioned_hashes
            .iter()
            .map(|wanted| {
                hashed
                    .iter()
                    .find(|(hash, _)| hash == wanted)
                    .map(|(_, blob)| *blob)
                    .ok_or(L1Error::MissingBlob(*wanted))
            })
            .collect()
    }
}

/// The versioned hash of a blob's KZG commitment.
pub fn blob_versioned_hash(blob: &Blob) -> L1Result<B256> {
    use alloy_eips::eip4844::{c_kzg, env_settings::EnvKzgSettings, kzg_to_versioned_hash};
    let settings = EnvKzgSettings::Default.get();
    let blob = c_kzg::Blob::new(blob.0);
    let commitment = settings.blob_to_kzg_commitment(&blob)?;
    Ok(kzg_to_versioned_hash(commitment.as_slice()))
}
