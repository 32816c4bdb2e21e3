//! The OP Stack derivation pipeline, pure (no I/O) and deterministic, with Holocene's rules
//! (`protocol/derivation.md` and the Delta to Jovian derivation specs): every fork through
//! Holocene must be active at the L2 genesis; Isthmus and Jovian at genesis or never.
//!
//! Key components:
//! - [`DerivationPipeline`]: fed one [`L1BlockInput`] at a time, it derives the
//!   [`DerivedAttributes`] of the block after the safe head; Holocene's frame queue and
//!   single-channel assembly, the batch stage with span batches and empty batches once a
//!   sequencing window expires, and deposit-only replacement of invalid payloads
//!   ([`DerivationPipeline::on_invalid_payload`]). Dropped data is recorded as [`Dropped`].
//! - [`build_attributes`] and [`L2Attributes`]: the payload attributes builder the sequencer
//!   and the verifier share.
//! - [`select_sequencer_origin`]: the sequencer's L1 origin choice under the sequencer drift.
//! - [`SystemConfig`]: the L1 SystemConfig's values, its `ConfigUpdate` logs and the L1-info
//!   fields of an epoch ([`SystemConfig::l1_block_info`]).
//! - [`L1BlockRef`], [`L2BlockRef`], [`L1Header`], [`L1Epoch`]: blocks and epochs.
//! - [`is_batcher_transaction`]: which L1 transactions carry batcher data.
//! - [`DeriveError`], [`AttributesError`], [`SystemConfigError`], [`OriginSelectionError`],
//!   [`RollupSupportError`]: refused calls; [`DropReason`] and [`BatchDropReason`]: dropped data.
//!
//! The caller does the I/O: it reads L1 headers, receipts and batcher transactions (and blobs),
//! executes the attributes, and reports the blocks back.

mod attributes;
mod channels;
mod error;
mod pipeline;
mod refs;
mod sequencer;
mod system_config;
mod validity;

pub use attributes::{
    L2Attributes, SEQUENCER_FEE_VAULT, build_attributes, check_rollup_support, op_spec_at,
};
pub use error::{
    AttributesError, BatchDropReason, DeriveError, DropReason, Dropped, OriginSelectionError,
    RollupSupportError, SystemConfigError,
};
pub use pipeline::{
    BATCHER_TX_TYPES, DerivationPipeline, DerivedAttributes, MAX_DROP_RECORDS, SafeChain, Step,
    is_batcher_transaction,
};
pub use refs::{L1BlockInput, L1BlockRef, L1Epoch, L1Header, L1Log, L2BlockRef};
pub use sequencer::{OriginSelection, select_sequencer_origin};
pub use system_config::{
    CONFIG_UPDATE_TOPIC, ConfigUpdateKind, ConfigUpdateOutcome, DEFAULT_DA_FOOTPRINT_GAS_SCALAR,
    SystemConfig,
};

#[cfg(test)]
mod tests;
