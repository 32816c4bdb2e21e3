use phala_chain::{BlockError, ImportError};
use phala_pool::PoolError;
use phala_storage::StorageError;

/// Why an engine operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A block was invalid, or could not be stored.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Building a block failed (a listed transaction was rejected, or a header check failed).
    #[error(transparent)]
    Build(#[from] BlockError),
    /// The pool refused a transaction.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// A transaction's signature does not recover to a sender.
    #[error("invalid sender")]
    InvalidSender,
    /// A dev chain's control refused.
    #[error(transparent)]
    Dev(#[from] crate::dev::DevError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}
