use alloy_primitives::{Address, B256, U256};
use phala_primitives::{StateReadError, StateReader};
use revm::{
    bytecode::Bytecode,
    database_interface::{DBErrorMarker, DatabaseRef},
    state::AccountInfo,
};

/// A storage error surfaced through revm.
#[derive(Debug, thiserror::Error)]
#[error("state read failed: {0}")]
pub struct StateDatabaseError(pub StateReadError);

impl DBErrorMarker for StateDatabaseError {}

/// Adapts a [`StateReader`] to revm's [`DatabaseRef`].
pub struct StateDatabase<R>(pub R);

impl<R> std::fmt::Debug for StateDatabase<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateDatabase")
    }
}

impl<R: StateReader> DatabaseRef for StateDatabase<R> {
    type Error = StateDatabaseError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.0.account(address).map_err(StateDatabaseError)?.map(|account| AccountInfo {
            balance: account.balance,
            nonce: account.nonce,
            code_hash: account.code_hash,
            account_id: None,
            code: None,
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        let code = self.0.bytecode(code_hash).map_err(StateDatabaseError)?.unwrap_or_default();
        // Stored code was deployed by this EVM, so it always decodes; fall back to raw legacy
        // bytes rather than failing if it somehow does not.
        Ok(Bytecode::new_raw_checked(code.clone()).unwrap_or_else(|_| Bytecode::new_legacy(code)))
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        self.0.storage(address, index).map_err(StateDatabaseError)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        Ok(self.0.block_hash(number).map_err(StateDatabaseError)?.unwrap_or_default())
    }
}
