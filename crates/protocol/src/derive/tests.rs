//! End-to-end tests of derivation: a sequencer builds L2 blocks with [`build_attributes`], a
//! batcher posts them as real channels (span and singular batches, zlib and brotli) on a
//! synthetic L1 chain, and the pipeline must derive the very same attributes, or drop what the
//! spec drops.

use super::*;
use crate::{
    L1BlockInfo, TRANSACTION_DEPOSITED_TOPIC,
    batch::{Batch, Frame, SingularBatch, SpanBatch, SpanBlock},
    rollup::{BlockRef, GenesisSystemConfig, RollupConfig, RollupForks, RollupGenesis},
};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, crypto::secp256k1};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B64, B256, Bytes, Log, LogData, TxKind, U256, keccak256};
use alloy_rlp::Encodable;
use std::{collections::BTreeMap, io::Write};

const L1_GENESIS_TIME: u64 = 1_700_000_000;
const L1_BLOCK_TIME: u64 = 12;
const BATCHER: Address = Address::repeat_byte(0xba);
const INBOX: Address = Address::repeat_byte(0x1b);
const PORTAL: Address = Address::repeat_byte(0xd0);
const SYSTEM_CONFIG: Address = Address::repeat_byte(0x5c);
const L2_CHAIN_ID: u64 = 2036;

fn rollup() -> RollupConfig {
    let at_genesis = Some(0);
    RollupConfig {
        genesis: RollupGenesis {
            l1: BlockRef { hash: l1_hash(0), number: 0 },
            l2: BlockRef { hash: B256::repeat_byte(0x22), number: 0 },
            l2_time: L1_GENESIS_TIME,
            system_config: GenesisSystemConfig {
                batcher_addr: BATCHER,
                scalar: B256::from(
                    ((U256::from(1) << 248usize)
                        | (U256::from(810_949) << 32usize)
                        | U256::from(1368))
                    .to_be_bytes::<32>(),
                ),
                gas_limit: 30_000_000,
                eip1559_params: Some(Bytes::from(vec![0, 0, 0, 250, 0, 0, 0, 6])),
                operator_fee_params: Some(Bytes::from(vec![0; 32])),
                min_base_fee: Some(1_000),
                da_footprint_gas_scalar: Some(0),
                ..Default::default()
            },
        },
        block_time: 2,
        max_sequencer_drift: 600,
        seq_window_size: 4,
        channel_timeout: 300,
        granite_channel_timeout: Some(3),
        l1_chain_id: 1,
        l2_chain_id: L2_CHAIN_ID,
        forks: RollupForks {
            regolith_time: at_genesis,
            canyon_time: at_genesis,
            delta_time: at_genesis,
            ecotone_time: at_genesis,
            fjord_time: at_genesis,
            granite_time: at_genesis,
            holocene_time: at_genesis,
            pectra_blob_schedule_time: None,
            isthmus_time: at_genesis,
            jovian_time: at_genesis,
            interop_time: None,
        },
        batch_inbox_address: INBOX,
        deposit_contract_address: PORTAL,
        l1_system_config_address: SYSTEM_CONFIG,
        protocol_versions_address: None,
        superchain_config_address: None,
        chain_op_config: None,
    }
}

fn l1_hash(number: u64) -> B256 {
    keccak256([b"l1".as_slice(), &number.to_be_bytes()].concat())
}

fn l1_header(number: u64) -> L1Header {
    L1Header {
        number,
        hash: l1_hash(number),
        parent_hash: if number == 0 { B256::ZERO } else { l1_hash(number - 1) },
        timestamp: L1_GENESIS_TIME + L1_BLOCK_TIME * number,
        base_fee: 1_000_000_000 + number,
        blob_base_fee: 1,
        mix_hash: keccak256([b"randao".as_slice(), &number.to_be_bytes()].concat()),
        parent_beacon_block_root: Some(B256::repeat_byte(number as u8)),
    }
}

/// A portal `TransactionDeposited` log depositing `value` from `from` to itself.
fn deposit_log(from: Address, value: u64) -> Log {
    let mut opaque = U256::ZERO.to_be_bytes::<32>().to_vec(); // mint
    opaque.extend_from_slice(&U256::from(value).to_be_bytes::<32>());
    opaque.extend_from_slice(&100_000u64.to_be_bytes());
    opaque.push(0);
    let mut data = U256::from(32).to_be_bytes::<32>().to_vec();
    data.extend_from_slice(&U256::from(opaque.len()).to_be_bytes::<32>());
    data.extend_from_slice(&opaque);
    data.resize(data.len().next_multiple_of(32), 0);
    Log {
        address: PORTAL,
        data: LogData::new_unchecked(
            vec![TRANSACTION_DEPOSITED_TOPIC, from.into_word(), from.into_word(), B256::ZERO],
            data.into(),
        ),
    }
}

/// A SystemConfig `ConfigUpdate` log setting the batcher.
fn batcher_update_log(batcher: Address) -> Log {
    let mut data = U256::from(32).to_be_bytes::<32>().to_vec();
    data.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    data.extend_from_slice(batcher.into_word().as_slice());
    Log {
        address: SYSTEM_CONFIG,
        data: LogData::new_unchecked(
            vec![CONFIG_UPDATE_TOPIC, B256::ZERO, B256::ZERO],
            data.into(),
        ),
    }
}

fn transfer(nonce: u64) -> TxEnvelope {
    let tx = TxEip1559 {
        chain_id: L2_CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::repeat_byte(0x33)),
        value: U256::from(nonce + 1),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let signature = secp256k1::sign_message(B256::repeat_byte(1), tx.signature_hash()).unwrap();
    TxEnvelope::Eip1559(tx.into_signed(signature))
}

/// The engine of the tests: a block's hash commits to its parent, time and transactions.
fn execute(parent: &L2BlockRef, attributes: &L2Attributes) -> L2BlockRef {
    let mut preimage = attributes.parent_hash.to_vec();
    preimage.extend_from_slice(&attributes.timestamp.to_be_bytes());
    for tx in &attributes.transactions {
        preimage.extend_from_slice(&keccak256(tx).0);
    }
    L2BlockRef {
        hash: keccak256(preimage),
        number: parent.number + 1,
        parent_hash: parent.hash,
        timestamp: attributes.timestamp,
        l1_origin: attributes.l1_origin,
        sequence_number: attributes.sequence_number,
    }
}

/// The synthetic L1 chain: its logs per block, and the system config after each block.
struct L1Chain {
    rollup: RollupConfig,
    logs: BTreeMap<u64, Vec<L1Log>>,
}

impl L1Chain {
    fn new(logs: BTreeMap<u64, Vec<Log>>) -> Self {
        let logs = logs
            .into_iter()
            .map(|(number, logs)| {
                let indexed = logs
                    .into_iter()
                    .enumerate()
                    .map(|(index, log)| L1Log { log_index: index as u64, log })
                    .collect();
                (number, indexed)
            })
            .collect();
        Self { rollup: rollup(), logs }
    }

    fn input(&self, number: u64) -> L1BlockInput {
        let logs = self.logs.get(&number).map(Vec::as_slice).unwrap_or_default();
        L1BlockInput::from_logs(&self.rollup, l1_header(number), logs).unwrap()
    }

    /// The system config of epoch `number`: every update up to and including it.
    fn config(&self, number: u64) -> SystemConfig {
        let mut config = SystemConfig::from_genesis(&self.rollup.genesis.system_config).unwrap();
        for block in 1..=number {
            for update in &self.input(block).config_updates {
                config.apply_update(update, true).unwrap();
            }
        }
        config
    }
}

/// A block the sequencer built.
struct Built {
    block: L2BlockRef,
    attributes: L2Attributes,
    txs: Vec<TxEnvelope>,
}

/// The sequencer: `count` blocks on genesis, block `n` carrying `txs(n)` (none past the
/// drift), knowing L1 up to `l1_head`.
fn sequence(
    l1: &L1Chain,
    count: u64,
    l1_head: u64,
    txs: impl Fn(u64) -> Vec<TxEnvelope>,
) -> Vec<Built> {
    let rollup = &l1.rollup;
    let mut parent = L2BlockRef::genesis(rollup);
    let mut built = Vec::new();
    for number in 1..=count {
        let current = l1_header(parent.l1_origin.number).block_ref();
        let next = (current.number < l1_head).then(|| l1_header(current.number + 1).block_ref());
        let selection =
            select_sequencer_origin(rollup, &current, next.as_ref(), parent.timestamp + 2).unwrap();
        let block_txs = if selection.deposits_only { Vec::new() } else { txs(number) };
        let epoch = l1.input(selection.origin.number).epoch;
        let encoded = block_txs.iter().map(|tx| Bytes::from(tx.encoded_2718())).collect();
        let attributes =
            build_attributes(rollup, &parent, &epoch, &l1.config(epoch.header.number), encoded)
                .unwrap();
        let block = execute(&parent, &attributes);
        built.push(Built { block, attributes, txs: block_txs });
        parent = block;
    }
    built
}

fn singular(built: &Built) -> Batch {
    Batch::Singular(SingularBatch {
        parent_hash: built.block.parent_hash,
        epoch_num: built.block.l1_origin.number,
        epoch_hash: built.block.l1_origin.hash,
        timestamp: built.block.timestamp,
        transactions: built.txs.iter().map(|tx| Bytes::from(tx.encoded_2718())).collect(),
    })
}

/// The span batch of consecutive blocks; `parent_epoch` is the origin of the first's parent.
fn span(blocks: &[Built], parent_epoch: u64) -> Batch {
    let span_blocks: Vec<_> = blocks
        .iter()
        .map(|built| SpanBlock {
            timestamp: built.block.timestamp,
            epoch_num: built.block.l1_origin.number,
            epoch_hash: built.block.l1_origin.hash,
            parent_hash: built.block.parent_hash,
            transactions: &built.txs,
        })
        .collect();
    Batch::Span(SpanBatch::from_blocks(&span_blocks, L1_GENESIS_TIME, parent_epoch).unwrap())
}

#[derive(Clone, Copy)]
enum Compression {
    Zlib,
    Brotli,
}

/// Channel data: the batches as RLP strings, compressed.
fn channel(batches: &[Batch], compression: Compression) -> Vec<u8> {
    let mut rlp = Vec::new();
    for batch in batches {
        Bytes::from(batch.encode()).encode(&mut rlp);
    }
    match compression {
        Compression::Zlib => {
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            encoder.write_all(&rlp).unwrap();
            encoder.finish().unwrap()
        }
        Compression::Brotli => {
            let mut out = vec![crate::batch::BROTLI_VERSION_BYTE];
            let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
            writer.write_all(&rlp).unwrap();
            drop(writer);
            out
        }
    }
}

/// The channel's frames, `pieces` of them.
fn frames(id: u8, data: &[u8], pieces: usize) -> Vec<Frame> {
    let size = data.len().div_ceil(pieces);
    let chunks: Vec<_> = data.chunks(size).collect();
    chunks
        .iter()
        .enumerate()
        .map(|(number, chunk)| Frame {
            channel_id: [id; 16],
            number: number as u16,
            data: Bytes::copy_from_slice(chunk),
            is_last: number == chunks.len() - 1,
        })
        .collect()
}

/// A batcher transaction's calldata carrying `frames`.
fn calldata(frames: &[Frame]) -> Bytes {
    let mut out = vec![crate::batch::DERIVATION_VERSION_0];
    for frame in frames {
        frame.encode(&mut out);
    }
    out.into()
}

/// The verifier: the pipeline, the engine, and the safe chain it reports.
struct Verifier {
    pipeline: DerivationPipeline,
    safe: BTreeMap<u64, L2BlockRef>,
    derived: Vec<DerivedAttributes>,
}

impl Verifier {
    fn from_genesis() -> Self {
        let rollup = rollup();
        let genesis = L2BlockRef::genesis(&rollup);
        let config = SystemConfig::from_genesis(&rollup.genesis.system_config).unwrap();
        let start = rollup.genesis.l1;
        let pipeline = DerivationPipeline::new(rollup, genesis, start, config).unwrap();
        Self { pipeline, safe: BTreeMap::from([(0, genesis)]), derived: Vec::new() }
    }

    /// Derives until the pipeline asks for an L1 block past `l1_head`; block `n` carries
    /// `data[n]`.
    fn run(&mut self, l1: &L1Chain, l1_head: u64, data: &mut BTreeMap<u64, Vec<Bytes>>) {
        loop {
            let safe = self.safe.clone();
            match self.pipeline.next(&|number| safe.get(&number).copied()).unwrap() {
                Step::Attributes(derived) => {
                    let block = execute(self.pipeline.safe_head(), &derived.attributes);
                    self.pipeline.on_safe_head(block).unwrap();
                    self.safe.insert(block.number, block);
                    self.derived.push(*derived);
                }
                Step::NeedL1Block { number } if number <= l1_head => {
                    let mut input = l1.input(number);
                    input.batcher_data = data.remove(&number).unwrap_or_default();
                    self.pipeline.add_l1_block(input).unwrap();
                }
                Step::NeedL1Block { .. } => return,
            }
        }
    }

    fn attributes(&self) -> Vec<&L2Attributes> {
        self.derived.iter().map(|derived| &derived.attributes).collect()
    }

    fn dropped(&mut self) -> Vec<DropReason> {
        self.pipeline.take_dropped().into_iter().map(|dropped| dropped.reason).collect()
    }
}

/// The calldata of an encoded L1-info deposit.
fn l1_info_calldata(tx: &Bytes) -> Bytes {
    let deposit = op_alloy_consensus::TxDeposit::decode_2718(&mut tx.as_ref()).unwrap();
    assert!(tx.as_ref() == deposit.encoded_2718().as_slice());
    deposit.input
}

fn built_attributes(built: &[Built]) -> Vec<&L2Attributes> {
    built.iter().map(|built| &built.attributes).collect()
}

fn with_txs(number: u64) -> Vec<TxEnvelope> {
    (0..number % 3).map(|index| transfer(number * 10 + index)).collect()
}

fn l1_with_a_deposit() -> L1Chain {
    L1Chain::new(BTreeMap::from([(1, vec![deposit_log(Address::repeat_byte(0xde), 5)])]))
}

#[test]
fn derives_exactly_what_the_sequencer_built() {
    let l1 = l1_with_a_deposit();
    let built = sequence(&l1, 12, 3, with_txs);
    // Blocks 1..=5 in epoch 0, 6..=11 in epoch 1, 12 in epoch 2.
    assert_eq!(built[5].block.l1_origin.number, 1);
    assert_eq!(built[11].block.l1_origin.number, 2);
    // L1 block 2: a span batch of blocks 1..=8 (zlib, one frame). L1 block 3: singular
    // batches of blocks 9..=12 (brotli), in two frames in two batcher transactions.
    let span_channel = channel(&[span(&built[..8], 0)], Compression::Zlib);
    let singulars: Vec<_> = built[8..].iter().map(singular).collect();
    let singular_frames = frames(2, &channel(&singulars, Compression::Brotli), 2);
    let mut data = BTreeMap::from([
        (2, vec![calldata(&frames(1, &span_channel, 1))]),
        (3, vec![calldata(&singular_frames[..1]), calldata(&singular_frames[1..])]),
    ]);
    let mut verifier = Verifier::from_genesis();
    verifier.run(&l1, 3, &mut data);
    assert_eq!(verifier.attributes(), built_attributes(&built));
    assert_eq!(verifier.dropped(), []);
    assert_eq!(verifier.pipeline.safe_head(), &built[11].block);
    let derived_from: Vec<_> = verifier.derived.iter().map(|d| d.derived_from.number).collect();
    assert_eq!(derived_from, [2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3]);

    // What the attributes hold: the Jovian L1-info deposit, the deposit only in block 6.
    for (index, attributes) in verifier.attributes().into_iter().enumerate() {
        let number = index as u64 + 1;
        assert_eq!(attributes.timestamp, L1_GENESIS_TIME + 2 * number);
        let info_tx = &attributes.transactions[0];
        assert_eq!(info_tx[0], 0x7e);
        let input = l1_info_calldata(info_tx);
        assert_eq!(input.len(), crate::L1InfoFormat::Jovian.calldata_len());
        let info = L1BlockInfo::decode(&input).unwrap();
        assert_eq!(info.number, attributes.l1_origin.number);
        assert_eq!(info.sequence_number, attributes.sequence_number);
        assert_eq!(info.batcher_hash, BATCHER.into_word());
        assert_eq!((info.base_fee_scalar, info.blob_base_fee_scalar), (1368, 810_949));
        assert_eq!(info.da_footprint_gas_scalar, DEFAULT_DA_FOOTPRINT_GAS_SCALAR);
        assert_eq!(attributes.deposit_count, if number == 6 { 2 } else { 1 });
        assert_eq!(attributes.sequencer_transactions().len(), with_txs(number).len());
        assert_eq!(attributes.fee_recipient, SEQUENCER_FEE_VAULT);
        assert_eq!(attributes.gas_limit, 30_000_000);
        assert_eq!(attributes.eip1559_params, Some(B64::from([0, 0, 0, 250, 0, 0, 0, 6])));
        assert_eq!(attributes.min_base_fee, Some(1_000));
        let origin = l1_header(attributes.l1_origin.number);
        assert_eq!(attributes.prev_randao, origin.mix_hash);
        assert_eq!(attributes.parent_beacon_block_root, origin.parent_beacon_block_root);
        assert!(attributes.no_tx_pool);
    }
    // The block refs read back from their L1-info deposits.
    let block6 = &built[5];
    let calldata = l1_info_calldata(&block6.attributes.transactions[0]);
    let read = L2BlockRef::from_block(
        &rollup(),
        block6.block.hash,
        6,
        block6.block.parent_hash,
        block6.block.timestamp,
        &calldata,
    )
    .unwrap();
    assert_eq!(read, block6.block);
}

#[test]
fn garbage_and_out_of_order_frames_are_dropped() {
    let l1 = L1Chain::new(BTreeMap::new());
    let built = sequence(&l1, 3, 2, with_txs);
    let data = channel(&built.iter().map(singular).collect::<Vec<_>>(), Compression::Zlib);
    let pieces = frames(7, &data, 3);
    let mut inputs = BTreeMap::from([
        // Garbage, a wrong version, then frame 0; frame 2 before frame 1 is dropped.
        (
            1,
            vec![
                Bytes::from_static(b"\x00garbage"),
                Bytes::from_static(b"\x01"),
                calldata(&pieces[..1]),
                calldata(&pieces[2..]),
                calldata(&pieces[1..2]),
            ],
        ),
        // Frame 2 again completes the channel.
        (2, vec![calldata(&pieces[2..])]),
    ]);
    let mut verifier = Verifier::from_genesis();
    verifier.run(&l1, 1, &mut inputs);
    assert!(verifier.derived.is_empty());
    let dropped = verifier.dropped();
    assert!(matches!(dropped[0], DropReason::BatcherData(_)), "{dropped:?}");
    assert!(matches!(dropped[1], DropReason::BatcherData(_)), "{dropped:?}");
    assert_eq!(dropped[2], DropReason::FrameOutOfOrder { channel: [7; 16], number: 2 });
    verifier.run(&l1, 2, &mut inputs);
    assert_eq!(verifier.attributes(), built_attributes(&built));
}

#[test]
fn batcher_data_comes_from_the_batcher_to_the_inbox_only() {
    let rollup = rollup();
    let stranger = Address::repeat_byte(0x99);
    assert!(is_batcher_transaction(&rollup, BATCHER, 2, Some(INBOX), BATCHER));
    assert!(is_batcher_transaction(&rollup, BATCHER, 3, Some(INBOX), BATCHER));
    assert!(!is_batcher_transaction(&rollup, BATCHER, 2, Some(INBOX), stranger));
    assert!(!is_batcher_transaction(&rollup, BATCHER, 2, Some(stranger), BATCHER));
    assert!(!is_batcher_transaction(&rollup, BATCHER, 2, None, BATCHER));
    assert!(!is_batcher_transaction(&rollup, BATCHER, 4, Some(INBOX), BATCHER));
}

#[test]
fn a_batcher_change_applies_to_its_own_block() {
    let new_batcher = Address::repeat_byte(0xb2);
    let update = batcher_update_log(new_batcher);
    let l1 = L1Chain::new(BTreeMap::from([(2, vec![update.clone()])]));
    let built = sequence(&l1, 14, 3, with_txs);
    let data = channel(&built.iter().map(singular).collect::<Vec<_>>(), Compression::Zlib);
    let mut verifier = Verifier::from_genesis();
    verifier.run(&l1, 1, &mut BTreeMap::new());
    // The I/O layer asks which batcher to accept in block 2: already the new one.
    assert_eq!(verifier.pipeline.batcher_for(&[update], l1_header(2).timestamp), new_batcher);
    verifier.run(&l1, 3, &mut BTreeMap::from([(3, vec![calldata(&frames(1, &data, 1))])]));
    assert_eq!(verifier.pipeline.system_config().batcher, new_batcher);
    assert_eq!(verifier.attributes(), built_attributes(&built));
    // Blocks of epoch 2 record the new batcher, those before the old one.
    for attributes in verifier.attributes() {
        let info = L1BlockInfo::decode(&l1_info_calldata(&attributes.transactions[0])).unwrap();
        let expected = if info.number >= 2 { new_batcher } else { BATCHER };
        assert_eq!(info.batcher_hash, expected.into_word(), "epoch {}", info.number);
    }
}

#[test]
fn a_channel_times_out_after_the_granite_timeout() {
    let l1 = L1Chain::new(BTreeMap::new());
    let built = sequence(&l1, 2, 1, with_txs);
    let data = channel(&built.iter().map(singular).collect::<Vec<_>>(), Compression::Zlib);
    let pieces = frames(3, &data, 2);
    // Opened in block 1, timeout 3: block 4 may still close it, block 5 may not.
    let mut late =
        BTreeMap::from([(1, vec![calldata(&pieces[..1])]), (5, vec![calldata(&pieces[1..])])]);
    let mut verifier = Verifier::from_genesis();
    verifier.run(&l1, 5, &mut late);
    assert!(verifier.derived.iter().all(|derived| derived.attributes.is_deposit_only()));
    let dropped = verifier.dropped();
    assert!(dropped.contains(&DropReason::ChannelTimedOut { channel: [3; 16], opened_in: 1 }));
    assert!(dropped.contains(&DropReason::FrameOutOfOrder { channel: [3; 16], number: 1 }));

    let mut in_time =
        BTreeMap::from([(1, vec![calldata(&pieces[..1])]), (4, vec![calldata(&pieces[1..])])]);
    let mut verifier = Verifier::from_genesis();
    verifier.run(&l1, 4, &mut in_time);
    assert_eq!(verifier.attributes()[..2], built_attributes(&built)[..]);
}

#[test]
fn a_span_batch_with_a_wrong_parent_check_flushes_its_channel() {
    let l1 = L1Chain::new(BTreeMap::new());
    let built = sequence(&l1, 3, 1, with_txs);
    let Batch::Span(mut bad) = span(&built, 0) else { unreachable!() };
    bad.parent_check = [0xee; 20];
    // The valid singular batch after it in the channel goes with it.
    let flushed = channel(&[Batch::Span(bad), singular(&built[0])], Compression::Zlib);
    let good = channel(&[span(&built, 0)], Compression::Brotli);
    let mut data = BTreeMap::from([(
        1,
        vec![calldata(&frames(1, &flushed, 1)), calldata(&frames(2, &good, 1))],
    )]);
    let mut verifier = Verifier::from_genesis();
    verifier.run(&l1, 1, &mut data);
    assert_eq!(verifier.attributes(), built_attributes(&built));
    assert_eq!(
        verifier.dropped(),
        [DropReason::InvalidBatch {
            timestamp: L1_GENESIS_TIME + 2,
            reason: BatchDropReason::SpanParentCheckMismatch
        }]
    );
}

#[test]
fn future_batches_are_dropped_and_past_ones_skipped() {
    let l1 = L1Chain::new(BTreeMap::new());
    let built = sequence(&l1, 3, 1, with_txs);
    // A batch for block 2 before block 1's: dropped (Holocene has no future buffer), and
    // block 1's batch after it in the channel goes with it.
    let future = channel(&[singular(&built[1]), singular(&built[0])], Compression::Zlib);
    // Block 1, block 1 again (past: skipped, the channel goes on), blocks 2 and 3.
    let repeated = channel(
        &[singular(&built[0]), singular(&built[0]), singular(&built[1]), singular(&built[2])],
        Compression::Zlib,
    );
    let mut data = BTreeMap::from([(
        1,
        vec![calldata(&frames(1, &future, 1)), calldata(&frames(2, &repeated, 1))],
    )]);
    let mut verifier = Verifier::from_genesis();
    verifier.run(&l1, 1, &mut data);
    assert_eq!(verifier.attributes(), built_attributes(&built));
    assert_eq!(
        verifier.dropped(),
        [
            DropReason::InvalidBatch {
                timestamp: L1_GENESIS_TIME + 4,
                reason: BatchDropReason::FutureTimestamp
            },
            DropReason::PastBatch { timestamp: L1_GENESIS_TIME + 2 },
        ]
    );
}

#[test]
fn an_expired_sequencing_window_gives_deposit_only_blocks() {
    let l1 = l1_with_a_deposit();
    // The sequencer's blocks without transactions are what the verifier must generate.
    let built = sequence(&l1, 6, 2, |_| Vec::new());
    let mut verifier = Verifier::from_genesis();
    // Epoch 0's window (size 4) is open through L1 block 3: nothing yet.
    verifier.run(&l1, 3, &mut BTreeMap::new());
    assert!(verifier.derived.is_empty());
    // Block 4 expires it: the five blocks of epoch 0 (up to epoch 1's time).
    verifier.run(&l1, 4, &mut BTreeMap::new());
    assert_eq!(verifier.attributes(), built_attributes(&built[..5]));
    assert!(verifier.derived.iter().all(|derived| derived.derived_from.number == 4));
    // Block 5 expires epoch 1: its first block carries the deposit.
    verifier.run(&l1, 5, &mut BTreeMap::new());
    assert_eq!(verifier.attributes()[..6], built_attributes(&built)[..]);
    let first_of_epoch_1 = &verifier.derived[5].attributes;
    assert_eq!((first_of_epoch_1.l1_origin.number, first_of_epoch_1.sequence_number), (1, 0));
    assert_eq!(first_of_epoch_1.deposit_count, 2);
    assert!(verifier.derived.iter().all(|derived| derived.attributes.is_deposit_only()));
}

#[test]
fn an_invalid_payload_is_replaced_by_its_deposits_and_flushes_the_span() {
    let l1 = L1Chain::new(BTreeMap::new());
    let built = sequence(&l1, 3, 1, |number| vec![transfer(number)]);
    let data = channel(&[span(&built, 0)], Compression::Zlib);
    let rollup = rollup();
    let config = SystemConfig::from_genesis(&rollup.genesis.system_config).unwrap();
    let genesis = L2BlockRef::genesis(&rollup);
    let mut pipeline =
        DerivationPipeline::new(rollup.clone(), genesis, rollup.genesis.l1, config).unwrap();
    let none = |_: u64| None;
    assert_eq!(pipeline.next(&none).unwrap(), Step::NeedL1Block { number: 0 });
    assert_eq!(pipeline.on_invalid_payload(), Err(DeriveError::NoPendingAttributes));
    pipeline.add_l1_block(l1.input(0)).unwrap();
    assert_eq!(pipeline.next(&none).unwrap(), Step::NeedL1Block { number: 1 });
    let mut input = l1.input(1);
    input.batcher_data = vec![calldata(&frames(1, &data, 1))];
    pipeline.add_l1_block(input).unwrap();
    let Step::Attributes(first) = pipeline.next(&none).unwrap() else { panic!("no attributes") };
    assert_eq!(first.attributes, built[0].attributes);
    // Asking again hands out the same attributes.
    assert_eq!(pipeline.next(&none).unwrap(), Step::Attributes(first.clone()));

    let replaced = pipeline.on_invalid_payload().unwrap();
    assert_eq!(replaced.attributes, first.attributes.to_deposit_only());
    assert_eq!(replaced.attributes.transactions.len(), 1);
    assert_eq!(replaced.attributes.timestamp, first.attributes.timestamp);
    assert_eq!(
        pipeline.on_invalid_payload(),
        Err(DeriveError::DepositOnlyPayloadInvalid { timestamp: first.attributes.timestamp })
    );
    let wrong = execute(&genesis, &first.attributes);
    let block = execute(&genesis, &replaced.attributes);
    assert_ne!(wrong.hash, block.hash);
    pipeline.on_safe_head(block).unwrap();
    // The rest of the span went with it: nothing more from block 1.
    assert_eq!(pipeline.next(&none).unwrap(), Step::NeedL1Block { number: 2 });
    assert_eq!(
        pipeline.take_dropped(),
        [Dropped {
            l1_block: 1,
            reason: DropReason::InvalidPayload { timestamp: first.attributes.timestamp }
        }]
    );
}

#[test]
fn l1_blocks_must_chain_and_come_when_asked() {
    let l1 = L1Chain::new(BTreeMap::new());
    let mut verifier = Verifier::from_genesis();
    verifier.run(&l1, 1, &mut BTreeMap::new());
    let none = |_: u64| None;
    assert_eq!(verifier.pipeline.next(&none).unwrap(), Step::NeedL1Block { number: 2 });
    let mut forked = l1.input(2);
    forked.epoch.header.parent_hash = B256::repeat_byte(0xf0);
    assert!(matches!(verifier.pipeline.add_l1_block(forked), Err(DeriveError::Reorg { .. })));
    assert_eq!(
        verifier.pipeline.add_l1_block(l1.input(3)),
        Err(DeriveError::L1BlockOutOfOrder { expected: 2, got: 3 })
    );
    verifier.pipeline.add_l1_block(l1.input(2)).unwrap();
    assert_eq!(verifier.pipeline.add_l1_block(l1.input(3)), Err(DeriveError::L1BlockNotExpected));

    let rollup = rollup();
    let config = SystemConfig::from_genesis(&rollup.genesis.system_config).unwrap();
    let mut pipeline = DerivationPipeline::new(
        rollup.clone(),
        L2BlockRef::genesis(&rollup),
        rollup.genesis.l1,
        config,
    )
    .unwrap();
    assert!(matches!(pipeline.add_l1_block(l1.input(1)), Err(DeriveError::NotStartBlock { .. })));
}

#[test]
fn an_overlapping_span_batch_is_checked_against_the_safe_chain() {
    let l1 = L1Chain::new(BTreeMap::new());
    let built = sequence(&l1, 6, 1, with_txs);
    let first = channel(&built[..4].iter().map(singular).collect::<Vec<_>>(), Compression::Zlib);
    // Blocks 2..=6: its parent is block 1, already safe; only 5 and 6 are new.
    let overlapping = channel(&[span(&built[1..], 0)], Compression::Zlib);
    let data = || {
        BTreeMap::from([
            (1, vec![calldata(&frames(1, &first, 1))]),
            (2, vec![calldata(&frames(2, &overlapping, 1))]),
        ])
    };

    let mut verifier = Verifier::from_genesis();
    verifier.run(&l1, 2, &mut data());
    assert_eq!(verifier.attributes(), built_attributes(&built));

    // Without block 1 the batch waits; with the wrong block 1 it is dropped.
    let mut verifier = Verifier::from_genesis();
    verifier.run(&l1, 1, &mut data());
    let mut input = l1.input(2);
    input.batcher_data = data().remove(&2).unwrap();
    verifier.pipeline.add_l1_block(input).unwrap();
    assert_eq!(verifier.pipeline.next(&|_| None), Err(DeriveError::SafeBlockUnknown { number: 1 }));
    let mut wrong = built[0].block;
    wrong.hash = B256::repeat_byte(0x0b);
    assert_eq!(
        verifier.pipeline.next(&|number| (number == 1).then_some(wrong)).unwrap(),
        Step::NeedL1Block { number: 3 }
    );
    assert_eq!(
        verifier.dropped().last(),
        Some(&DropReason::InvalidBatch {
            timestamp: L1_GENESIS_TIME + 4,
            reason: BatchDropReason::SpanParentCheckMismatch
        })
    );
}

#[test]
fn restarting_from_a_safe_head_reads_back_a_channel_timeout() {
    let l1 = L1Chain::new(BTreeMap::new());
    let built = sequence(&l1, 12, 3, with_txs);
    let early = channel(&built[..6].iter().map(singular).collect::<Vec<_>>(), Compression::Zlib);
    // A channel opened in L1 block 2 and closed in block 3 holds blocks 7..=12.
    let late = frames(
        2,
        &channel(&built[6..].iter().map(singular).collect::<Vec<_>>(), Compression::Zlib),
        2,
    );
    let mut data = BTreeMap::from([
        (2, vec![calldata(&frames(1, &early, 1)), calldata(&late[..1])]),
        (3, vec![calldata(&late[1..])]),
    ]);
    // Restart with block 6 (origin 1) safe, from L1 block 0 with the genesis config.
    let rollup = rollup();
    let config = SystemConfig::from_genesis(&rollup.genesis.system_config).unwrap();
    let safe = built[5].block;
    assert!(matches!(
        DerivationPipeline::new(
            rollup.clone(),
            safe,
            BlockRef { hash: l1_hash(2), number: 2 },
            config
        ),
        Err(DeriveError::StartAfterSafeHeadOrigin { .. })
    ));
    // Origin 1 with a timeout of 3: back to the genesis L1 block.
    assert_eq!(DerivationPipeline::latest_restart_l1(&rollup, &safe, l1_header(1).timestamp), 0);
    let far = L2BlockRef { l1_origin: BlockRef { hash: l1_hash(10), number: 10 }, ..safe };
    assert_eq!(DerivationPipeline::latest_restart_l1(&rollup, &far, l1_header(10).timestamp), 7);
    let pipeline =
        DerivationPipeline::new(rollup.clone(), safe, rollup.genesis.l1, config).unwrap();
    let mut verifier = Verifier {
        pipeline,
        safe: built.iter().map(|b| (b.block.number, b.block)).collect(),
        derived: Vec::new(),
    };
    verifier.run(&l1, 3, &mut data);
    assert_eq!(verifier.attributes(), built_attributes(&built[6..]));
}

#[test]
fn the_sequencer_adopts_the_next_origin_in_time_and_must_past_the_drift() {
    let rollup = rollup();
    let current = l1_header(1).block_ref();
    let next = l1_header(2).block_ref();
    let select =
        |next: Option<&L1BlockRef>, time| select_sequencer_origin(&rollup, &current, next, time);
    let keep = select(Some(&next), next.timestamp - 1).unwrap();
    assert_eq!((keep.origin, keep.advanced, keep.deposits_only), (current, false, false));
    let advance = select(Some(&next), next.timestamp).unwrap();
    assert_eq!((advance.origin, advance.advanced, advance.deposits_only), (next, true, false));
    assert_eq!(select(None, current.timestamp + 1800).unwrap().origin, current);
    assert_eq!(
        select(None, current.timestamp + 1802),
        Err(OriginSelectionError::NextOriginRequired {
            current: current.id(),
            next_l2_time: current.timestamp + 1802
        })
    );
    // Past the drift with the next block still newer: keep the origin, deposits only.
    let late = L1BlockRef { timestamp: current.timestamp + 2000, ..next };
    let stuck = select(Some(&late), current.timestamp + 1802).unwrap();
    assert_eq!((stuck.origin, stuck.deposits_only), (current, true));
    let stranger = L1BlockRef { parent_hash: B256::ZERO, ..next };
    assert!(matches!(
        select(Some(&stranger), next.timestamp),
        Err(OriginSelectionError::NextNotChild { .. })
    ));
    assert!(matches!(
        select(None, current.timestamp - 1),
        Err(OriginSelectionError::TimeBeforeOrigin { .. })
    ));
}

#[test]
fn forks_after_genesis_are_refused() {
    let mut late = rollup();
    late.forks.jovian_time = Some(L1_GENESIS_TIME + 10);
    assert_eq!(
        check_rollup_support(&late),
        Err(RollupSupportError::ScheduledAfterGenesis {
            fork: "jovian",
            activation: L1_GENESIS_TIME + 10,
            genesis_time: L1_GENESIS_TIME
        })
    );
    let mut no_holocene = rollup();
    no_holocene.forks.holocene_time = None;
    assert!(matches!(
        check_rollup_support(&no_holocene),
        Err(RollupSupportError::RequiredAtGenesis { fork: "holocene", .. })
    ));
    let config = SystemConfig::from_genesis(&late.genesis.system_config).unwrap();
    let genesis = L2BlockRef::genesis(&late);
    let start = late.genesis.l1;
    assert!(matches!(
        DerivationPipeline::new(late, genesis, start, config),
        Err(DeriveError::Rollup(RollupSupportError::ScheduledAfterGenesis { .. }))
    ));
    // Isthmus without Jovian: the Isthmus L1-info format, no minimum base fee.
    let mut isthmus = rollup();
    isthmus.forks.jovian_time = None;
    let l1 = L1Chain::new(BTreeMap::new());
    let attributes = build_attributes(
        &isthmus,
        &L2BlockRef::genesis(&isthmus),
        &l1.input(0).epoch,
        &l1.config(0),
        Vec::new(),
    )
    .unwrap();
    let calldata = l1_info_calldata(&attributes.transactions[0]);
    assert_eq!(calldata.len(), crate::L1InfoFormat::Isthmus.calldata_len());
    assert_eq!(attributes.min_base_fee, None);
}
