//! Consensus checks of headers and bodies, and of execution results against the header.

use crate::BlockError;
use alloy_consensus::{
    EMPTY_OMMER_ROOT_HASH, Header, TxReceipt,
    proofs::{
        calculate_ommers_root, calculate_receipt_root, calculate_transaction_root,
        calculate_withdrawals_root,
    },
};
use alloy_eips::{eip1559::GAS_LIMIT_BOUND_DIVISOR, eip4844::DATA_GAS_PER_BLOB};
use alloy_primitives::{B64, B256, Bloom, U256, keccak256};
use phala_evm::{ExecutionOutcome, blob_gas_of};
use phala_primitives::predeploys::L2_TO_L1_MESSAGE_PASSER;
use phala_primitives::{
    Block, ChainSpec, Eip1559ExtraData, EthereumHardforks, OpHardforks, PhalaReceiptEnvelope,
    PhalaTxEnvelope, PhalaTxType,
};
use phala_protocol::{L1_BLOCK_ADDRESS, L1_INFO_DEPOSITOR};
use phala_storage::{
    KeyValueRead,
    trie::{TrieId, trie_root},
};

/// Largest gas limit a header may carry (2^63 - 1).
pub const MAXIMUM_GAS_LIMIT: u64 = i64::MAX as u64;
/// Smallest gas limit a header may carry.
pub const MINIMUM_GAS_LIMIT: u64 = 5000;
/// Longest `extra_data` allowed.
pub const MAXIMUM_EXTRA_DATA_SIZE: usize = 32;
/// How many generations back an ommer may be.
const MAX_OMMER_DEPTH: u64 = 6;

fn header_error(message: impl Into<String>) -> BlockError {
    BlockError::Header(message.into())
}

fn body_error(message: impl Into<String>) -> BlockError {
    BlockError::Body(message.into())
}

/// Checks a header on its own: sizes, and that exactly the fields of the active forks are set.
pub fn validate_header(spec: &ChainSpec, header: &Header) -> Result<(), BlockError> {
    if header.extra_data.len() > MAXIMUM_EXTRA_DATA_SIZE {
        return Err(header_error(format!(
            "extra data is {} bytes, more than {MAXIMUM_EXTRA_DATA_SIZE}",
            header.extra_data.len()
        )));
    }
    if header.gas_limit > MAXIMUM_GAS_LIMIT {
        return Err(header_error(format!("gas limit {} is above 2^63-1", header.gas_limit)));
    }
    if header.gas_limit < MINIMUM_GAS_LIMIT {
        return Err(header_error(format!(
            "gas limit {} is below {MINIMUM_GAS_LIMIT}",
            header.gas_limit
        )));
    }
    if header.gas_used > header.gas_limit {
        return Err(header_error(format!(
            "gas used {} exceeds gas limit {}",
            header.gas_used, header.gas_limit
        )));
    }
    let number = header.number;
    let timestamp = header.timestamp;
    if spec.is_paris_active_at_block(number) {
        if header.difficulty != U256::ZERO {
            return Err(header_error("post-merge difficulty must be zero"));
        }
        if header.nonce != B64::ZERO {
            return Err(header_error("post-merge nonce must be zero"));
        }
        if header.ommers_hash != EMPTY_OMMER_ROOT_HASH {
            return Err(header_error("post-merge ommers hash must be the empty list hash"));
        }
    } else if header.difficulty.is_zero() {
        return Err(header_error("proof-of-work block with zero difficulty"));
    }
    expect_field(
        "base fee",
        header.base_fee_per_gas.is_some(),
        spec.is_london_active_at_block(number),
    )?;
    expect_field(
        "withdrawals root",
        header.withdrawals_root.is_some(),
        spec.is_shanghai_active_at_timestamp(timestamp),
    )?;
    let cancun = spec.is_cancun_active_at_timestamp(timestamp);
    expect_field("blob gas used", header.blob_gas_used.is_some(), cancun)?;
    expect_field("excess blob gas", header.excess_blob_gas.is_some(), cancun)?;
    expect_field("parent beacon block root", header.parent_beacon_block_root.is_some(), cancun)?;
    expect_field(
        "requests hash",
        header.requests_hash.is_some(),
        spec.is_prague_active_at_timestamp(timestamp),
    )?;
    if spec.is_optimism() && spec.is_holocene_active_at_timestamp(timestamp) {
        validate_eip1559_extra_data(spec, header)?;
    }
    Ok(())
}

/// Holocene puts the block's EIP-1559 parameters into `extraData` (version 0); Jovian adds the
/// minimum base fee (version 1). A zero denominator would divide by zero in the next base fee.
fn validate_eip1559_extra_data(spec: &ChainSpec, header: &Header) -> Result<(), BlockError> {
    let params = Eip1559ExtraData::decode(&header.extra_data)
        .map_err(|err| header_error(err.to_string()))?;
    let jovian = spec.is_jovian_active_at_timestamp(header.timestamp);
    if params.min_base_fee.is_some() != jovian {
        return Err(header_error(format!(
            "extraData version {} is not the one of {}",
            header.extra_data[0],
            if jovian { "Jovian (1)" } else { "Holocene (0)" }
        )));
    }
    if params.denominator == 0 {
        return Err(header_error("extraData holds a zero EIP-1559 denominator"));
    }
    Ok(())
}

fn expect_field(name: &str, present: bool, active: bool) -> Result<(), BlockError> {
    match (present, active) {
        (true, false) => Err(header_error(format!("{name} is set before its fork"))),
        (false, true) => Err(header_error(format!("{name} is missing"))),
        _ => Ok(()),
    }
}

/// Checks a header against its parent: number, time, gas limit bounds, base fee, blob gas.
pub fn validate_against_parent(
    spec: &ChainSpec,
    header: &Header,
    parent: &Header,
) -> Result<(), BlockError> {
    if header.number != parent.number + 1 {
        return Err(header_error(format!(
            "number {} does not follow parent number {}",
            header.number, parent.number
        )));
    }
    if header.timestamp <= parent.timestamp {
        return Err(header_error(format!(
            "timestamp {} is not after parent timestamp {}",
            header.timestamp, parent.timestamp
        )));
    }
    // At the London block the gas target stays, so the limit doubles (EIP-1559 elasticity).
    let parent_gas_limit = if spec.is_london_active_at_block(header.number)
        && !spec.is_london_active_at_block(parent.number)
    {
        parent.gas_limit * spec.base_fee_params.elasticity_multiplier as u64
    } else {
        parent.gas_limit
    };
    let max_delta = parent_gas_limit / GAS_LIMIT_BOUND_DIVISOR;
    // An OP chain's gas limit is whatever the L1 system config sets, not a drift from the parent.
    if !spec.is_optimism() && header.gas_limit.abs_diff(parent_gas_limit) >= max_delta {
        return Err(header_error(format!(
            "gas limit {} differs from parent gas limit {parent_gas_limit} by {} or more",
            header.gas_limit, max_delta
        )));
    }
    let expected_base_fee = spec.next_block_base_fee(parent, header.timestamp);
    if header.base_fee_per_gas != expected_base_fee {
        return Err(header_error(format!(
            "base fee {:?} is not the expected {:?}",
            header.base_fee_per_gas, expected_base_fee
        )));
    }
    if spec.is_optimism() {
        // No blob fee market on an OP chain.
        if spec.is_cancun_active_at_timestamp(header.timestamp) && header.excess_blob_gas != Some(0)
        {
            return Err(header_error(format!(
                "excess blob gas {:?} on an OP chain, expected 0",
                header.excess_blob_gas
            )));
        }
    } else if let Some(params) = spec.blob_params_at_timestamp(header.timestamp) {
        let parent_excess = parent.excess_blob_gas.unwrap_or_default();
        let parent_used = parent.blob_gas_used.unwrap_or_default();
        let expected = params.next_block_excess_blob_gas_osaka(
            parent_excess,
            parent_used,
            parent.base_fee_per_gas.unwrap_or_default(),
        );
        if header.excess_blob_gas != Some(expected) {
            return Err(header_error(format!(
                "excess blob gas {:?} is not the expected {expected}",
                header.excess_blob_gas
            )));
        }
    }
    Ok(())
}

/// Checks the body against the header: transactions root, ommers, withdrawals, blob gas.
pub fn validate_body(spec: &ChainSpec, block: &Block) -> Result<(), BlockError> {
    let header = &block.header;
    let body = &block.body;
    // A block carries blob transactions in their canonical form; the blobs, commitments and
    // proofs of the network form travel beside the block, never in it.
    if let Some(index) = body.transactions.iter().position(carries_blob_sidecar) {
        return Err(body_error(format!(
            "transaction {index} is a blob transaction with its sidecar (network form)"
        )));
    }
    if spec.is_optimism() {
        validate_op_body(spec, block)?;
    }
    let tx_root = calculate_transaction_root(&body.transactions);
    if tx_root != header.transactions_root {
        return Err(body_error(format!(
            "transactions root {tx_root} does not match header {}",
            header.transactions_root
        )));
    }
    let ommers_root = calculate_ommers_root(&body.ommers);
    if ommers_root != header.ommers_hash {
        return Err(body_error(format!(
            "ommers hash {ommers_root} does not match header {}",
            header.ommers_hash
        )));
    }
    if !body.ommers.is_empty() {
        if spec.is_paris_active_at_block(header.number) {
            return Err(body_error("ommers are not allowed after the merge"));
        }
        if body.ommers.len() > 2 {
            return Err(body_error(format!("{} ommers, at most 2 allowed", body.ommers.len())));
        }
        for ommer in &body.ommers {
            if ommer.number >= header.number || ommer.number + MAX_OMMER_DEPTH < header.number {
                return Err(body_error(format!(
                    "ommer #{} is not within {MAX_OMMER_DEPTH} generations below #{}",
                    ommer.number, header.number
                )));
            }
        }
        if body.ommers.len() == 2 && body.ommers[0].hash_slow() == body.ommers[1].hash_slow() {
            return Err(body_error("duplicate ommer"));
        }
    }
    match (&body.withdrawals, header.withdrawals_root) {
        // From Isthmus the root is the L2ToL1MessagePasser's storage root, checked after
        // execution; the (empty) list is checked above.
        (Some(_), Some(_))
            if spec.is_optimism() && spec.is_isthmus_active_at_timestamp(header.timestamp) => {}
        (Some(withdrawals), Some(expected)) => {
            let root = calculate_withdrawals_root(withdrawals);
            if root != expected {
                return Err(body_error(format!(
                    "withdrawals root {root} does not match header {expected}"
                )));
            }
        }
        (None, None) => {}
        (Some(_), None) => return Err(body_error("withdrawals before Shanghai")),
        (None, Some(_)) => return Err(body_error("withdrawals missing")),
    }
    // An OP chain has no blob transactions; from Jovian its header's blob gas is the DA
    // footprint, checked after execution.
    if let Some(header_blob_gas) = header.blob_gas_used.filter(|_| !spec.is_optimism()) {
        let blob_gas = blob_gas_of(block);
        if blob_gas != header_blob_gas {
            return Err(body_error(format!(
                "blob gas used {blob_gas} does not match header {header_blob_gas}"
            )));
        }
        if let Some(params) = spec.blob_params_at_timestamp(header.timestamp) {
            let max = params.max_blob_gas_per_block();
            if blob_gas > max {
                return Err(body_error(format!(
                    "blob gas used {blob_gas} exceeds the maximum {max} ({} blobs)",
                    max / DATA_GAS_PER_BLOB
                )));
            }
        }
    }
    Ok(())
}

/// The OP Stack's body rules: no blob transactions, and no withdrawals (value leaves an L2
/// through the L2ToL1MessagePasser, not the beacon chain).
fn validate_op_body(spec: &ChainSpec, block: &Block) -> Result<(), BlockError> {
    // Every OP block opens with the L1-attributes deposit, and deposits come before any other
    // transaction.
    match block.body.transactions.first().and_then(PhalaTxEnvelope::as_deposit) {
        Some(deposit)
            if deposit.from == L1_INFO_DEPOSITOR
                && deposit.to == alloy_primitives::TxKind::Call(L1_BLOCK_ADDRESS) => {}
        _ => {
            return Err(body_error(
                "the first transaction of an OP block must be the L1-attributes deposit",
            ));
        }
    }
    let first_regular = block.body.transactions.iter().position(|tx| !tx.is_deposit());
    if let Some(first) = first_regular
        && let Some(late) =
            block.body.transactions[first..].iter().position(PhalaTxEnvelope::is_deposit)
    {
        return Err(body_error(format!(
            "transaction {} is a deposit after a non-deposit transaction",
            first + late
        )));
    }
    if let Some(index) =
        block.body.transactions.iter().position(|tx| tx.tx_type() == PhalaTxType::Eip4844)
    {
        return Err(body_error(format!(
            "transaction {index} is a blob transaction, refused on an OP chain"
        )));
    }
    if spec.is_canyon_active_at_timestamp(block.header.timestamp)
        && block.body.withdrawals.as_ref().is_some_and(|withdrawals| !withdrawals.is_empty())
    {
        return Err(body_error("withdrawals are not allowed on an OP chain"));
    }
    Ok(())
}

/// Whether `tx` is a blob transaction in its network form, with blobs, commitments and proofs.
pub fn carries_blob_sidecar(tx: &PhalaTxEnvelope) -> bool {
    matches!(tx, PhalaTxEnvelope::Eip4844(signed) if signed.tx().sidecar().is_some())
}

/// The header bloom of a block's receipts: the union of their blooms.
pub fn receipts_bloom(receipts: &[PhalaReceiptEnvelope]) -> Bloom {
    let mut bloom = Bloom::ZERO;
    for receipt in receipts {
        bloom.accrue_bloom(&receipt.bloom());
    }
    bloom
}

/// Checks execution results against the header (all but the state root).
pub fn validate_execution(
    spec: &ChainSpec,
    header: &Header,
    outcome: &ExecutionOutcome,
) -> Result<(), BlockError> {
    if outcome.gas_used != header.gas_used {
        return Err(BlockError::GasUsed { header: header.gas_used, computed: outcome.gas_used });
    }
    // Before Byzantium (EIP-658) receipts carry the state root after their transaction, which
    // the importer fills in, so the root is checked for every fork.
    let receipts_root = calculate_receipt_root(&outcome.receipts);
    if receipts_root != header.receipts_root {
        return Err(BlockError::ReceiptsRoot {
            header: header.receipts_root,
            computed: receipts_root,
        });
    }
    let bloom = receipts_bloom(&outcome.receipts);
    if bloom != header.logs_bloom {
        return Err(BlockError::LogsBloom {
            header: Box::new(header.logs_bloom),
            computed: Box::new(bloom),
        });
    }
    let requests_hash = spec
        .is_prague_active_at_timestamp(header.timestamp)
        .then(|| outcome.requests.requests_hash());
    if requests_hash != header.requests_hash {
        return Err(BlockError::RequestsHash {
            header: header.requests_hash,
            computed: requests_hash,
        });
    }
    Ok(())
}

/// From Isthmus, an OP block's withdrawals root: the L2ToL1MessagePasser's storage root in the
/// post-state `state` (`None` before, and on an Ethereum chain).
pub fn message_passer_root(
    spec: &ChainSpec,
    header: &Header,
    state: &impl KeyValueRead,
) -> Result<Option<B256>, BlockError> {
    if !(spec.is_optimism() && spec.is_isthmus_active_at_timestamp(header.timestamp)) {
        return Ok(None);
    }
    let hashed = keccak256(L2_TO_L1_MESSAGE_PASSER);
    Ok(Some(trie_root(state, TrieId::Storage(hashed))?))
}

/// The OP checks after execution: blob gas used (the DA footprint from Jovian, else zero) and,
/// from Isthmus, the withdrawals root against `message_passer_root`.
pub fn validate_op_execution(
    spec: &ChainSpec,
    header: &Header,
    outcome: &ExecutionOutcome,
    message_passer_root: Option<B256>,
) -> Result<(), BlockError> {
    if !spec.is_optimism() {
        return Ok(());
    }
    if spec.is_cancun_active_at_timestamp(header.timestamp)
        && header.blob_gas_used != Some(outcome.blob_gas_used)
    {
        return Err(BlockError::BlobGasUsed {
            header: header.blob_gas_used,
            computed: outcome.blob_gas_used,
        });
    }
    if let Some(root) = message_passer_root
        && header.withdrawals_root != Some(root)
    {
        return Err(BlockError::WithdrawalsRoot {
            header: header.withdrawals_root,
            computed: root,
        });
    }
    Ok(())
}

/// The gas each transaction used, from the receipts' cumulative gas.
pub fn gas_used_per_tx(receipts: &[PhalaReceiptEnvelope]) -> impl Iterator<Item = u64> + '_ {
    let mut previous = 0;
    receipts.iter().map(move |receipt| {
        let used = receipt.cumulative_gas_used() - previous;
        previous = receipt.cumulative_gas_used();
        used
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{Signed, TxEip4844, TxEip4844Variant};
    use alloy_primitives::{Bytes, Signature};
    use phala_primitives::BlockBody;

    /// An OP chain with every fork up to Holocene at genesis (Isthmus and Jovian later).
    fn op_spec() -> ChainSpec {
        let genesis = serde_json::from_value(serde_json::json!({
            "config": {
                "chainId": 901, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
                "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0,
                "petersburgBlock": 0, "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0,
                "mergeNetsplitBlock": 0, "terminalTotalDifficulty": 0, "bedrockBlock": 0,
                "regolithTime": 0, "canyonTime": 0, "ecotoneTime": 0, "fjordTime": 0,
                "graniteTime": 0, "holoceneTime": 0, "isthmusTime": 1000, "jovianTime": 2000
            },
            "gasLimit": "0x1c9c380", "difficulty": "0x0", "alloc": {}
        }))
        .unwrap();
        ChainSpec::from_genesis(genesis).unwrap()
    }

    fn holocene_header(spec: &ChainSpec, timestamp: u64, extra_data: Vec<u8>) -> Header {
        Header {
            number: 1,
            timestamp,
            gas_limit: 30_000_000,
            base_fee_per_gas: Some(1),
            withdrawals_root: Some(alloy_consensus::constants::EMPTY_WITHDRAWALS),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(Default::default()),
            requests_hash: spec.is_prague_active_at_timestamp(timestamp).then(Default::default),
            extra_data: Bytes::from(extra_data),
            ..Default::default()
        }
    }

    #[test]
    fn holocene_and_jovian_headers_carry_their_eip1559_parameters() {
        let spec = op_spec();
        let holocene = Eip1559ExtraData { denominator: 250, elasticity: 6, min_base_fee: None };
        let jovian = Eip1559ExtraData { min_base_fee: Some(1), ..holocene };
        validate_header(&spec, &holocene_header(&spec, 10, holocene.encode())).unwrap();
        validate_header(&spec, &holocene_header(&spec, 2000, jovian.encode())).unwrap();
        let refused = [
            holocene_header(&spec, 10, Vec::new()),
            holocene_header(&spec, 10, jovian.encode()),
            holocene_header(&spec, 2000, holocene.encode()),
            holocene_header(&spec, 10, Eip1559ExtraData { denominator: 0, ..holocene }.encode()),
        ];
        for header in refused {
            let err = validate_header(&spec, &header).unwrap_err();
            assert!(matches!(err, BlockError::Header(_)), "{err}");
        }
        // An Ethereum chain has no such rule.
        let ethereum = ChainSpec::with_all_forks_up_to(
            phala_primitives::EthereumHardfork::Cancun,
            1,
            Default::default(),
            Vec::new(),
            None,
        );
        let mut header = holocene_header(&ethereum, 10, Vec::new());
        header.requests_hash = None;
        validate_header(&ethereum, &header).unwrap();
    }

    #[test]
    fn an_op_gas_limit_may_jump_to_the_system_configs() {
        let spec = op_spec();
        let params = Eip1559ExtraData { denominator: 250, elasticity: 6, min_base_fee: None };
        let parent = Header { number: 0, ..holocene_header(&spec, 0, params.encode()) };
        let mut header = holocene_header(&spec, 2, params.encode());
        header.gas_limit = 60_000_000;
        header.base_fee_per_gas = spec.next_block_base_fee(&parent, 2);
        validate_against_parent(&spec, &header, &parent).unwrap();
    }

    #[test]
    fn an_op_body_holds_no_blob_transaction_and_no_withdrawal() {
        let spec = op_spec();
        let blob = PhalaTxEnvelope::Eip4844(Signed::new_unchecked(
            TxEip4844Variant::TxEip4844(TxEip4844::default()),
            Signature::test_signature(),
            Default::default(),
        ));
        let header = holocene_header(&spec, 10, Vec::new());
        let with_blob = Block {
            header: header.clone(),
            body: BlockBody {
                transactions: vec![l1_info_deposit(), blob],
                withdrawals: Some(Default::default()),
                ..Default::default()
            },
        };
        let err = validate_body(&spec, &with_blob).unwrap_err();
        assert!(err.to_string().contains("blob transaction, refused on an OP chain"), "{err}");
        let withdrawal = alloy_eips::eip4895::Withdrawal {
            index: 0,
            validator_index: 0,
            address: Default::default(),
            amount: 1,
        };
        let with_withdrawal = Block {
            header,
            body: BlockBody {
                transactions: vec![l1_info_deposit()],
                withdrawals: Some(vec![withdrawal].into()),
                ..Default::default()
            },
        };
        let err = validate_body(&spec, &with_withdrawal).unwrap_err();
        assert!(err.to_string().contains("withdrawals are not allowed"), "{err}");
    }

    fn l1_info_deposit() -> PhalaTxEnvelope {
        phala_primitives::TxDeposit {
            from: L1_INFO_DEPOSITOR,
            to: alloy_primitives::TxKind::Call(L1_BLOCK_ADDRESS),
            gas_limit: 1_000_000,
            ..Default::default()
        }
        .into()
    }

    #[test]
    fn an_op_block_opens_with_the_l1_attributes_deposit_and_deposits_come_first() {
        let spec = op_spec();
        let header = holocene_header(&spec, 10, Vec::new());
        let block = |transactions| Block {
            header: header.clone(),
            body: BlockBody {
                transactions,
                withdrawals: Some(Default::default()),
                ..Default::default()
            },
        };
        let user_deposit: PhalaTxEnvelope = phala_primitives::TxDeposit {
            from: alloy_primitives::Address::repeat_byte(1),
            gas_limit: 21_000,
            ..Default::default()
        }
        .into();
        let transfer = crate::test_utils::signed_transfer(0, alloy_primitives::Address::ZERO, 1);
        for transactions in [vec![], vec![user_deposit.clone()], vec![transfer.clone()]] {
            let err = validate_body(&spec, &block(transactions)).unwrap_err();
            assert!(err.to_string().contains("must be the L1-attributes deposit"), "{err}");
        }
        let late = block(vec![l1_info_deposit(), transfer.clone(), user_deposit.clone()]);
        let err = validate_body(&spec, &late).unwrap_err();
        assert!(err.to_string().contains("transaction 2 is a deposit after"), "{err}");
        // Deposits first is an OP block's order; the tx root is the only other thing wrong.
        let ordered = block(vec![l1_info_deposit(), user_deposit, transfer]);
        let err = validate_body(&spec, &ordered).unwrap_err();
        assert!(err.to_string().contains("transactions root"), "{err}");
    }
}
