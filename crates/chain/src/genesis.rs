use crate::BlockError;
use alloy_genesis::GenesisAccount;
use alloy_primitives::{Address, B256};
use phala_primitives::{
    Account, AccountChange, ChainSpec, StateChanges,
    genesis::{genesis_code_hash, genesis_storage},
};
use phala_storage::{Database, KeyValueRead, StateWriter, StorageError};
use std::{collections::BTreeMap, path::Path, sync::Arc};

/// The genesis allocation as state changes.
pub fn genesis_state_changes(spec: &ChainSpec) -> StateChanges {
    alloc_state_changes(&spec.genesis.alloc)
}

/// An allocation (a genesis `alloc`, or a state file read with
/// [`parse_alloc`](phala_primitives::genesis::parse_alloc)) as state changes: every account set
/// to its nonce, balance and code, and its listed slots written over whatever storage it has
/// (set `storage_wiped` on a change to replace an existing account's storage instead).
pub fn alloc_state_changes(alloc: &BTreeMap<Address, GenesisAccount>) -> StateChanges {
    let mut changes = StateChanges::default();
    for (address, account) in alloc {
        let code_hash = genesis_code_hash(account);
        if let Some(code) = account.code.as_ref().filter(|code| !code.is_empty()) {
            changes.bytecodes.insert(code_hash, code.clone());
        }
        changes.accounts.insert(
            *address,
            AccountChange {
                account: Some(Account {
                    nonce: account.nonce.unwrap_or_default(),
                    balance: account.balance,
                    code_hash,
                }),
                storage_wiped: false,
                storage: genesis_storage(account)
                    .map(|(slot, value)| (slot.into(), value))
                    .collect(),
            },
        );
    }
    changes
}

/// Writes the genesis block of `spec` into `db` if it is empty; checks that it matches if not.
/// Returns the genesis hash.
pub fn init_genesis(db: &Database, spec: &ChainSpec) -> Result<B256, BlockError> {
    let expected = spec.genesis_hash();
    if let Some(stored) = db.genesis_hash()? {
        if stored != expected {
            return Err(StorageError::GenesisMismatch { stored, expected }.into());
        }
        return Ok(stored);
    }
    let header = &spec.genesis_header;
    let chain_config = serde_json::to_vec(&spec.genesis).unwrap_or_default();
    let mut writes = db.write_set();
    let root = StateWriter::new(&mut writes).init_genesis(
        header,
        &genesis_state_changes(spec),
        chain_config,
    )?;
    if root != header.state_root {
        return Err(BlockError::StateRoot { header: header.state_root, computed: root });
    }
    writes.commit()?;
    Ok(expected)
}

/// Opens the database in `datadir` and the chain it was initialised with. A directory without a
/// database is [`StorageError::NoDatabase`]; none is created.
pub fn open_chain(datadir: &Path) -> Result<(Database, Arc<ChainSpec>), BlockError> {
    let db = Database::open_existing(datadir)?;
    let config = db.chain_config()?.ok_or(StorageError::NotInitialised)?;
    let genesis = serde_json::from_slice(&config)
        .map_err(|err| BlockError::Header(format!("stored chain config is unreadable: {err}")))?;
    let spec = ChainSpec::from_genesis(genesis)
        .map_err(|err| BlockError::Header(format!("stored chain config is invalid: {err}")))?;
    Ok((db, Arc::new(spec)))
}
