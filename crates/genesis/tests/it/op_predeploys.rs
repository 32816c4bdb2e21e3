//! The OP predeploys and preinstalls of an OP genesis, called through our EVM on the genesis
//! state: proxies, the L1-attributes deposit of every format into the L1Block, the
//! GasPriceOracle against phala-protocol's fee functions, WETH9, the fee vaults, the messenger
//! and bridges, the preinstalls, and the spec-building path.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, crypto::secp256k1};
use alloy_eips::eip2718::Decodable2718;
use alloy_evm::{Evm, EvmEnv, EvmFactory};
use alloy_genesis::{Genesis, GenesisAccount};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, hex};
use alloy_sol_types::{SolCall, SolError, sol};
use phala_evm::{PhalaEvmFactory, evm_env_for_header};
use phala_genesis::{
    GenesisContractsConfig, GenesisError, OpPredeployConfig, add_op_predeploys,
    bindings::op::{GasPriceOracle, L1Block, OperatorFeeVault},
    build_genesis, load_chain_spec_json,
    migration::sample_snapshot,
    op::{self, FeeVaultConfig, WithdrawalNetwork, artifacts},
};
use phala_primitives::{ChainSpec, genesis::genesis_header, predeploys};
use phala_protocol::{
    L1BlockInfo, L1InfoFormat, estimated_compressed_size, l1_data_fee, op_revm::OpSpecId,
    operator_fee,
};
use revm::{
    DatabaseCommit, DatabaseRef,
    bytecode::Bytecode,
    context::{TxEnv, result::ExecutionResult},
    database::{CacheDB, EmptyDB},
    state::AccountInfo,
};
use std::{path::Path, sync::Arc};

const CHAIN_ID: u64 = 1337;
/// A funded account that sends the test calls.
const USER: Address = address!("0x00000000000000000000000000000000000a11ce");

sol! {
    interface IProxyAdmin {
        function owner() external view returns (address);
        function getProxyImplementation(address proxy) external view returns (address);
        function getProxyAdmin(address proxy) external view returns (address);
    }
    interface IWeth {
        function name() external view returns (string memory);
        function symbol() external view returns (string memory);
        function deposit() external payable;
        function withdraw(uint256 wad) external;
        function balanceOf(address owner) external view returns (uint256);
        function totalSupply() external view returns (uint256);
    }
    interface IOpFeeVault {
        function RECIPIENT() external view returns (address);
        function MIN_WITHDRAWAL_AMOUNT() external view returns (uint256);
        function WITHDRAWAL_NETWORK() external view returns (uint8);
        function withdraw() external;
    }
    interface IMessenger {
        function OTHER_MESSENGER() external view returns (address);
        function initialize(address counterpart) external;
    }
    interface IBridge {
        function otherBridge() external view returns (address);
        function messenger() external view returns (address);
    }
    interface IErc20Factory {
        function bridge() external view returns (address);
    }
    interface IErc721Factory {
        function REMOTE_CHAIN_ID() external view returns (uint256);
        function BRIDGE() external view returns (address);
    }
    interface IMulticall3 {
        function getChainId() external view returns (uint256);
    }
    interface IPermit2 {
        function DOMAIN_SEPARATOR() external view returns (bytes32);
    }
    interface IMessagePasser {
        function messageNonce() external view returns (uint256);
    }
}

/// An OP genesis at `timestamp` with every Ethereum block fork, the Merge, Bedrock and the
/// time-based OP forks `forks` (Canyon, Ecotone and Isthmus bring Shanghai, Cancun and Prague),
/// [`USER`] funded.
fn op_genesis(timestamp: u64, forks: &[(&str, u64)]) -> Genesis {
    let mut config = serde_json::json!({
        "chainId": CHAIN_ID, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
        "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0,
        "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0, "mergeNetsplitBlock": 0,
        "terminalTotalDifficulty": 0, "terminalTotalDifficultyPassed": true,
        "bedrockBlock": 0, "regolithTime": 0,
    });
    for (key, time) in forks {
        config[*key] = (*time).into();
    }
    let mut genesis: Genesis = serde_json::from_value(serde_json::json!({
        "config": config, "gasLimit": "0x1c9c380", "difficulty": "0x0", "alloc": {},
        "baseFeePerGas": "0x3b9aca00", "timestamp": format!("{timestamp:#x}"),
    }))
    .unwrap();
    genesis.alloc.insert(USER, GenesisAccount::default().with_balance(U256::from(10u128.pow(22))));
    genesis
}

/// Every OP fork up to Jovian at genesis.
fn jovian_genesis() -> Genesis {
    op_genesis(
        0,
        &[
            ("canyonTime", 0),
            ("ecotoneTime", 0),
            ("fjordTime", 0),
            ("graniteTime", 0),
            ("holoceneTime", 0),
            ("isthmusTime", 0),
            ("jovianTime", 0),
        ],
    )
}

fn with_predeploys(mut genesis: Genesis, config: &OpPredeployConfig) -> Genesis {
    add_op_predeploys(&mut genesis, config).unwrap();
    genesis
}

/// The genesis state in our EVM, at the genesis block.
struct State {
    db: CacheDB<EmptyDB>,
    factory: PhalaEvmFactory,
    env: EvmEnv,
}

impl State {
    fn new(genesis: &Genesis) -> Self {
        let spec = Arc::new(ChainSpec::from_genesis(genesis.clone()).unwrap());
        let mut env = evm_env_for_header(&spec, &genesis_header(&spec));
        env.cfg_env.disable_base_fee = true;
        env.cfg_env.disable_nonce_check = true;
        let mut db = CacheDB::new(EmptyDB::default());
        for (address, account) in &genesis.alloc {
            let code = account.code.clone().map(Bytecode::new_raw);
            db.insert_account_info(
                *address,
                AccountInfo {
                    balance: account.balance,
                    nonce: account.nonce.unwrap_or_default(),
                    code_hash: code
                        .as_ref()
                        .map_or(revm::primitives::KECCAK_EMPTY, |c| c.hash_slow()),
                    account_id: None,
                    code,
                },
            );
            for (slot, value) in account.storage.iter().flatten() {
                db.insert_account_storage(*address, (*slot).into(), (*value).into()).unwrap();
            }
        }
        Self { db, factory: PhalaEvmFactory::new(spec), env }
    }

    /// Executes a call; commits it when `commit` and it succeeded.
    fn run(
        &mut self,
        from: Address,
        to: Address,
        data: Vec<u8>,
        value: U256,
        commit: bool,
    ) -> Result<Bytes, Bytes> {
        let tx = TxEnv {
            caller: from,
            kind: TxKind::Call(to),
            data: data.into(),
            value,
            gas_limit: 30_000_000,
            gas_price: 0,
            chain_id: Some(CHAIN_ID),
            ..Default::default()
        };
        let outcome = self.factory.create_evm(&mut self.db, self.env.clone()).transact(tx).unwrap();
        match outcome.result {
            ExecutionResult::Success { output, .. } => {
                if commit {
                    self.db.commit(outcome.state);
                }
                Ok(output.into_data())
            }
            ExecutionResult::Revert { output, .. } => Err(output),
            ExecutionResult::Halt { reason, .. } => panic!("halted: {reason:?}"),
        }
    }

    /// Sends `call` from `from` with `value` and commits it; panics on a revert.
    fn send<C: SolCall>(&mut self, from: Address, to: Address, call: C, value: U256) {
        self.run(from, to, call.abi_encode(), value, true)
            .unwrap_or_else(|revert| panic!("{} reverted: {revert}", C::SIGNATURE));
    }

    /// The revert data of `call` from `from`.
    fn revert<C: SolCall>(&mut self, from: Address, to: Address, call: C) -> Bytes {
        self.run(from, to, call.abi_encode(), U256::ZERO, false).expect_err("should revert")
    }

    fn view<C: SolCall>(&mut self, to: Address, call: C) -> C::Return {
        let output = self
            .run(USER, to, call.abi_encode(), U256::ZERO, false)
            .unwrap_or_else(|revert| panic!("{} reverted: {revert}", C::SIGNATURE));
        C::abi_decode_returns(&output).unwrap()
    }

    fn storage(&self, address: Address, slot: B256) -> B256 {
        self.db.storage_ref(address, slot.into()).unwrap().into()
    }

    fn balance(&self, address: Address) -> U256 {
        self.db.basic_ref(address).unwrap().map_or(U256::ZERO, |info| info.balance)
    }

    /// Runs an L1-attributes calldata from the depositor, as the first deposit of a block does.
    fn deposit_l1_info(&mut self, calldata: Bytes) {
        self.run(op::DEPOSITOR_ACCOUNT, op::L1_BLOCK, calldata.to_vec(), U256::ZERO, true)
            .expect("the L1-attributes deposit succeeds");
    }
}

/// An L1 origin with every field set, operator fee and DA footprint included.
fn sample_info() -> L1BlockInfo {
    L1BlockInfo {
        number: 21_000_123,
        timestamp: 1_750_000_000,
        base_fee: U256::from(3_456_789_012u64),
        block_hash: B256::repeat_byte(0xab),
        sequence_number: 5,
        batcher_hash: B256::left_padding_from(&[0x5a; 20]),
        l1_fee_overhead: U256::from(188),
        l1_fee_scalar: U256::from(684_000),
        blob_base_fee: U256::from(7_777_777u64),
        base_fee_scalar: 5_227,
        blob_base_fee_scalar: 1_014_213,
        operator_fee_scalar: 2_500,
        operator_fee_constant: 1_000_000,
        da_footprint_gas_scalar: 400,
    }
}

#[test]
fn every_predeploy_sits_behind_a_proxy_administered_by_the_proxy_admin() {
    let config = OpPredeployConfig {
        proxy_admin_owner: address!("0x0000000000000000000000000000000000000a01"),
        ..Default::default()
    };
    let genesis = with_predeploys(jovian_genesis(), &config);
    let mut state = State::new(&genesis);
    for predeploy in op::PREDEPLOYS {
        let code = &genesis.alloc[&predeploy.code_address()];
        assert!(code.code.as_ref().is_some_and(|c| c.len() > 100), "{}", predeploy.name);
        assert_eq!(code.nonce, Some(1), "{}", predeploy.name);
        if !predeploy.is_proxied() {
            continue;
        }
        let proxy = &genesis.alloc[&predeploy.address];
        assert_eq!(
            proxy.code.as_deref().map(|code| &code[..]),
            Some(artifacts::PROXY_CODE),
            "{}",
            predeploy.name
        );
        assert_eq!(
            state.storage(predeploy.address, op::EIP1967_IMPLEMENTATION_SLOT),
            predeploy.code_address().into_word()
        );
        assert_eq!(
            state.storage(predeploy.address, op::EIP1967_ADMIN_SLOT),
            op::PROXY_ADMIN.into_word()
        );
        // The ProxyAdmin (itself behind a proxy) resolves them.
        let resolved = state.view(
            op::PROXY_ADMIN,
            IProxyAdmin::getProxyImplementationCall { proxy: predeploy.address },
        );
        assert_eq!(resolved, op::implementation_address(predeploy.address), "{}", predeploy.name);
        let admin = state
            .view(op::PROXY_ADMIN, IProxyAdmin::getProxyAdminCall { proxy: predeploy.address });
        assert_eq!(admin, op::PROXY_ADMIN);
    }
    assert_eq!(state.view(op::PROXY_ADMIN, IProxyAdmin::ownerCall {}), config.proxy_admin_owner);
    // The implementation of the ProxyAdmin has the same owner (its constructor ran).
    assert_eq!(
        state.view(op::implementation_address(op::PROXY_ADMIN), IProxyAdmin::ownerCall {}),
        config.proxy_admin_owner
    );
    // Every namespace address is a proxy; unused ones have no implementation yet.
    let proxies = (0..op::PREDEPLOY_COUNT)
        .map(op::predeploy_address)
        .filter(|address| {
            genesis
                .alloc
                .get(address)
                .and_then(|account| account.code.as_deref())
                .map(|code| &code[..])
                == Some(artifacts::PROXY_CODE)
        })
        .count();
    assert_eq!(
        proxies,
        usize::from(op::PREDEPLOY_COUNT) - 2,
        "all but WETH9 and the governance token"
    );
    let unused = op::predeploy_address(0x7ff);
    assert_eq!(state.storage(unused, op::EIP1967_ADMIN_SLOT), op::PROXY_ADMIN.into_word());
    assert_eq!(state.storage(unused, op::EIP1967_IMPLEMENTATION_SLOT), B256::ZERO);
    assert!(!genesis.alloc.contains_key(&op::GOVERNANCE_TOKEN));
    // The precompile range holds 1 wei each.
    assert_eq!(genesis.alloc[&Address::with_last_byte(1)].balance, U256::from(1));
    assert_eq!(genesis.alloc[&Address::ZERO].balance, U256::from(1));
    // No stand-in caller (the depositor that set the oracle's flags) is left in the state.
    assert!(!genesis.alloc.contains_key(&op::DEPOSITOR_ACCOUNT));
    assert!(!genesis.alloc.contains_key(&predeploys::GENESIS_DEPLOYER));
}

#[test]
fn l1_block_stores_every_l1_info_format_where_op_revm_reads_it() {
    let genesis = with_predeploys(jovian_genesis(), &OpPredeployConfig::default());
    for (format, spec) in [
        (L1InfoFormat::Bedrock, OpSpecId::REGOLITH),
        (L1InfoFormat::Ecotone, OpSpecId::ECOTONE),
        (L1InfoFormat::Isthmus, OpSpecId::ISTHMUS),
        (L1InfoFormat::Jovian, OpSpecId::JOVIAN),
    ] {
        let mut state = State::new(&genesis);
        let calldata = sample_info().encode(format);
        state.deposit_l1_info(calldata.clone());
        let info = L1BlockInfo::decode(&calldata).unwrap();
        // The getters return what the deposit carried.
        let l1 = op::L1_BLOCK;
        assert_eq!(state.view(l1, L1Block::numberCall {}), info.number, "{format}");
        assert_eq!(state.view(l1, L1Block::timestampCall {}), info.timestamp, "{format}");
        assert_eq!(state.view(l1, L1Block::basefeeCall {}), info.base_fee, "{format}");
        assert_eq!(state.view(l1, L1Block::hashCall {}), info.block_hash, "{format}");
        assert_eq!(state.view(l1, L1Block::sequenceNumberCall {}), info.sequence_number);
        assert_eq!(state.view(l1, L1Block::batcherHashCall {}), info.batcher_hash, "{format}");
        assert_eq!(state.view(l1, L1Block::l1FeeOverheadCall {}), info.l1_fee_overhead);
        assert_eq!(state.view(l1, L1Block::l1FeeScalarCall {}), info.l1_fee_scalar, "{format}");
        assert_eq!(state.view(l1, L1Block::blobBaseFeeCall {}), info.blob_base_fee, "{format}");
        assert_eq!(state.view(l1, L1Block::baseFeeScalarCall {}), info.base_fee_scalar);
        assert_eq!(state.view(l1, L1Block::blobBaseFeeScalarCall {}), info.blob_base_fee_scalar);
        assert_eq!(state.view(l1, L1Block::operatorFeeScalarCall {}), info.operator_fee_scalar);
        assert_eq!(state.view(l1, L1Block::operatorFeeConstantCall {}), info.operator_fee_constant);
        assert_eq!(
            state.view(l1, L1Block::daFootprintGasScalarCall {}),
            info.da_footprint_gas_scalar,
            "{format}"
        );
        // Only the Isthmus and Jovian formats carry an operator fee.
        assert_eq!(
            info.operator_fee_scalar != 0,
            matches!(format, L1InfoFormat::Isthmus | L1InfoFormat::Jovian)
        );
        // op-revm, which charges the fees, reads the same values from the storage slots.
        let mut fetched =
            phala_protocol::op_revm::L1BlockInfo::try_fetch(&mut state.db, U256::from(1), spec)
                .unwrap();
        fetched.l2_block = None;
        assert_eq!(fetched, info.to_op_revm(spec), "{format}");
    }
}

#[test]
fn l1_block_refuses_other_senders() {
    let genesis = with_predeploys(jovian_genesis(), &OpPredeployConfig::default());
    let mut state = State::new(&genesis);
    for format in [L1InfoFormat::Ecotone, L1InfoFormat::Isthmus, L1InfoFormat::Jovian] {
        let revert = state
            .run(USER, op::L1_BLOCK, sample_info().encode(format).to_vec(), U256::ZERO, false)
            .unwrap_err();
        assert_eq!(revert.as_ref(), L1Block::NotDepositor::SELECTOR, "{format}");
    }
    let bedrock = state
        .run(
            USER,
            op::L1_BLOCK,
            sample_info().encode(L1InfoFormat::Bedrock).to_vec(),
            U256::ZERO,
            false,
        )
        .unwrap_err();
    assert!(alloy_sol_types::decode_revert_reason(&bedrock).unwrap().contains("depositor"));
    assert_eq!(state.view(op::L1_BLOCK, L1Block::numberCall {}), 0);
}

/// A signed EIP-1559 transaction with a 400-byte payload, and its unsigned encoding.
fn user_transaction() -> (Vec<u8>, Vec<u8>) {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 7,
        gas_limit: 200_000,
        max_fee_per_gas: 2_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Call(address!("0x1111111111111111111111111111111111111111")),
        value: U256::from(12_345u64),
        input: (0..400u32).map(|i| (i * 7 % 251) as u8).collect::<Vec<u8>>().into(),
        access_list: Default::default(),
    };
    let unsigned = tx.encoded_for_signing();
    let signature = secp256k1::sign_message(B256::repeat_byte(0x42), tx.signature_hash()).unwrap();
    let signed: TxEnvelope = tx.into_signed(signature).into();
    (alloy_eips::eip2718::Encodable2718::encoded_2718(&signed), unsigned)
}

/// Fjord's L1 fee of a transaction whose FastLZ size is `fastlz` bytes (OP specs: fjord L1 cost).
fn fjord_fee(info: &L1BlockInfo, fastlz: u64) -> U256 {
    let size = (836_500 * fastlz).saturating_sub(42_585_600).max(100_000_000);
    let weights = U256::from(16 * u64::from(info.base_fee_scalar)) * info.base_fee
        + U256::from(info.blob_base_fee_scalar) * info.blob_base_fee;
    U256::from(size) * weights / U256::from(10u64.pow(12))
}

/// The FastLZ size of `data` (op-revm's, inverted from its size estimate above the floor).
fn fastlz_len(data: &[u8]) -> u64 {
    let estimate = estimated_compressed_size(data);
    assert!(estimate > 100_000_000, "too small to invert");
    assert_eq!((estimate + 42_585_600) % 836_500, 0);
    (estimate + 42_585_600) / 836_500
}

#[test]
fn gas_price_oracle_agrees_with_the_executors_fees() {
    let (signed, unsigned) = user_transaction();
    let info = sample_info();
    let gpo = op::GAS_PRICE_ORACLE;

    // Ecotone: the oracle pads the unsigned transaction with 68 non-zero signature bytes, so it
    // charges exactly what the executor charges for those bytes.
    let ecotone = with_predeploys(
        op_genesis(0, &[("canyonTime", 0), ("ecotoneTime", 0)]),
        &OpPredeployConfig::default(),
    );
    let mut state = State::new(&ecotone);
    assert!(state.view(gpo, GasPriceOracle::isEcotoneCall {}));
    assert!(!state.view(gpo, GasPriceOracle::isFjordCall {}));
    state.deposit_l1_info(info.encode(L1InfoFormat::Ecotone));
    let mut padded = unsigned.clone();
    padded.extend([0xff; 68]);
    let charged = l1_data_fee(&info.to_op_revm(OpSpecId::ECOTONE), &padded, OpSpecId::ECOTONE);
    assert!(!charged.is_zero());
    assert_eq!(
        state.view(gpo, GasPriceOracle::getL1FeeCall { _data: unsigned.clone().into() }),
        charged
    );
    assert_eq!(
        state.view(gpo, GasPriceOracle::getL1GasUsedCall { _data: unsigned.clone().into() }),
        phala_protocol::l1_data_gas(&padded, OpSpecId::ECOTONE)
    );
    assert_eq!(
        state.view(gpo, GasPriceOracle::getOperatorFeeCall { _gasUsed: U256::from(50_000) }),
        U256::ZERO
    );
    assert!(
        state
            .revert(
                USER,
                gpo,
                GasPriceOracle::getL1FeeUpperBoundCall { _unsignedTxSize: U256::from(100) }
            )
            .len()
            > 4
    );

    // Jovian (Fjord's cost function): the FastLZ estimate of the unsigned transaction plus 68
    // bytes, the formula phala-protocol charges with.
    let mut state = State::new(&with_predeploys(jovian_genesis(), &OpPredeployConfig::default()));
    state.deposit_l1_info(info.encode(L1InfoFormat::Jovian));
    for (getter, flag) in [
        (GasPriceOracle::isEcotoneCall {}.abi_encode(), "ecotone"),
        (GasPriceOracle::isFjordCall {}.abi_encode(), "fjord"),
        (GasPriceOracle::isIsthmusCall {}.abi_encode(), "isthmus"),
        (GasPriceOracle::isJovianCall {}.abi_encode(), "jovian"),
    ] {
        let output = state.run(USER, gpo, getter, U256::ZERO, false).unwrap();
        assert_eq!(output[31], 1, "{flag}");
    }
    let spec = OpSpecId::JOVIAN;
    let revm_info = info.to_op_revm(spec);
    // The test's formula is the executor's…
    assert_eq!(l1_data_fee(&revm_info, &signed, spec), fjord_fee(&info, fastlz_len(&signed)));
    // …and the oracle applies it to the unsigned transaction's FastLZ size + 68.
    let estimate = state.view(gpo, GasPriceOracle::getL1FeeCall { _data: unsigned.clone().into() });
    assert_eq!(estimate, fjord_fee(&info, fastlz_len(&unsigned) + 68));
    // The estimate lands next to the fee charged on the signed bytes.
    let charged = l1_data_fee(&revm_info, &signed, spec);
    let gap = estimate.abs_diff(charged);
    assert!(gap * U256::from(50) < charged, "estimate {estimate}, charged {charged}");
    let upper = state.view(
        gpo,
        GasPriceOracle::getL1FeeUpperBoundCall { _unsignedTxSize: U256::from(unsigned.len()) },
    );
    assert!(upper >= estimate && upper >= charged);
    // The getters return what the executor charged with.
    assert_eq!(state.view(gpo, GasPriceOracle::l1BaseFeeCall {}), info.base_fee);
    assert_eq!(state.view(gpo, GasPriceOracle::blobBaseFeeCall {}), info.blob_base_fee);
    assert_eq!(state.view(gpo, GasPriceOracle::baseFeeScalarCall {}), info.base_fee_scalar);
    assert_eq!(
        state.view(gpo, GasPriceOracle::blobBaseFeeScalarCall {}),
        info.blob_base_fee_scalar
    );
    assert_eq!(state.view(gpo, GasPriceOracle::decimalsCall {}), U256::from(6));
    // The operator fee: Jovian's formula, and Isthmus' on an Isthmus chain.
    for gas in [0u64, 21_000, 1_234_567] {
        let expected = operator_fee(&revm_info, &signed, gas, spec);
        assert_eq!(
            state.view(gpo, GasPriceOracle::getOperatorFeeCall { _gasUsed: U256::from(gas) }),
            expected
        );
    }
    let saturated = state.view(gpo, GasPriceOracle::getOperatorFeeCall { _gasUsed: U256::MAX });
    assert_eq!(saturated, U256::MAX);

    let isthmus = op_genesis(
        0,
        &[
            ("canyonTime", 0),
            ("ecotoneTime", 0),
            ("fjordTime", 0),
            ("holoceneTime", 0),
            ("isthmusTime", 0),
        ],
    );
    let mut state = State::new(&with_predeploys(isthmus, &OpPredeployConfig::default()));
    assert!(!state.view(gpo, GasPriceOracle::isJovianCall {}));
    state.deposit_l1_info(info.encode(L1InfoFormat::Isthmus));
    let revm_info = info.to_op_revm(OpSpecId::ISTHMUS);
    for gas in [21_000u64, 1_234_567] {
        let expected = operator_fee(&revm_info, &signed, gas, OpSpecId::ISTHMUS);
        assert!(!expected.is_zero());
        assert_eq!(
            state.view(gpo, GasPriceOracle::getOperatorFeeCall { _gasUsed: U256::from(gas) }),
            expected
        );
    }
}

#[test]
fn gas_price_oracle_follows_the_real_op_mainnet_fjord_deposit() {
    // OP Mainnet block 124665056: its L1-attributes deposit and a user transaction whose fee the
    // vector records.
    let dir = std::env::var("PHALA_CONFORMANCE_DIR").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance").into()
    });
    let path = Path::new(&dir).join("op/vectors/l1-fee.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {} is not there", path.display());
        return;
    };
    let vectors: serde_json::Value = serde_json::from_str(&text).unwrap();
    let vector = vectors["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "op-mainnet-124665056-fjord-tx1")
        .expect("the Fjord vector");
    let calldata: Bytes =
        vector["l1InfoDepositTx"]["decoded"]["data"].as_str().unwrap().parse().unwrap();
    let raw: Bytes = vector["userTx"]["raw"].as_str().unwrap().parse().unwrap();
    let expected_fee = U256::from(vector["expected"]["l1Fee"].as_u64().unwrap());

    let fjord = op_genesis(0, &[("canyonTime", 0), ("ecotoneTime", 0), ("fjordTime", 0)]);
    let mut state = State::new(&with_predeploys(fjord, &OpPredeployConfig::default()));
    state.deposit_l1_info(calldata.clone());
    let info = L1BlockInfo::decode(&calldata).unwrap();
    assert_eq!(l1_data_fee(&info.to_op_revm(OpSpecId::FJORD), &raw, OpSpecId::FJORD), expected_fee);
    let envelope = TxEnvelope::decode_2718(&mut raw.as_ref()).unwrap();
    let unsigned = match &envelope {
        TxEnvelope::Eip1559(signed) => signed.tx().encoded_for_signing(),
        TxEnvelope::Legacy(signed) => signed.tx().encoded_for_signing(),
        TxEnvelope::Eip2930(signed) => signed.tx().encoded_for_signing(),
        other => panic!("unexpected transaction type {:?}", other.tx_type()),
    };
    let estimate =
        state.view(op::GAS_PRICE_ORACLE, GasPriceOracle::getL1FeeCall { _data: unsigned.into() });
    let gap = estimate.abs_diff(expected_fee);
    assert!(gap * U256::from(20) < expected_fee, "estimate {estimate}, charged {expected_fee}");
}

#[test]
fn weth9_wraps_ether() {
    let mut state = State::new(&with_predeploys(jovian_genesis(), &OpPredeployConfig::default()));
    let one = U256::from(10u128.pow(18));
    assert_eq!(state.view(op::WETH, IWeth::nameCall {}), "Wrapped Ether");
    assert_eq!(state.view(op::WETH, IWeth::symbolCall {}), "WETH");
    state.send(USER, op::WETH, IWeth::depositCall {}, one);
    assert_eq!(state.view(op::WETH, IWeth::balanceOfCall { owner: USER }), one);
    assert_eq!(state.view(op::WETH, IWeth::totalSupplyCall {}), one);
    assert_eq!(state.balance(op::WETH), one);
    state.send(USER, op::WETH, IWeth::withdrawCall { wad: one / U256::from(4) }, U256::ZERO);
    assert_eq!(
        state.view(op::WETH, IWeth::balanceOfCall { owner: USER }),
        one * U256::from(3) / U256::from(4)
    );
    assert_eq!(state.balance(op::WETH), one * U256::from(3) / U256::from(4));
}

#[test]
fn fee_vaults_are_constructed_with_their_inputs() {
    let recipient = |byte| Address::repeat_byte(byte);
    let config = OpPredeployConfig {
        l1_standard_bridge: address!("0x0000000000000000000000000000000000000b02"),
        sequencer_fee_vault: FeeVaultConfig {
            recipient: recipient(0x11),
            min_withdrawal_amount: U256::from(5),
            withdrawal_network: WithdrawalNetwork::L1,
        },
        base_fee_vault: FeeVaultConfig::to_l2(recipient(0x19)),
        l1_fee_vault: FeeVaultConfig {
            recipient: recipient(0x1a),
            min_withdrawal_amount: U256::from(10u128.pow(18)),
            withdrawal_network: WithdrawalNetwork::L2,
        },
        operator_fee_vault: FeeVaultConfig::to_l2(recipient(0x1b)),
        ..Default::default()
    };
    let mut state = State::new(&with_predeploys(jovian_genesis(), &config));
    for (address, vault) in [
        (op::SEQUENCER_FEE_VAULT, &config.sequencer_fee_vault),
        (op::BASE_FEE_VAULT, &config.base_fee_vault),
        (op::L1_FEE_VAULT, &config.l1_fee_vault),
        (op::OPERATOR_FEE_VAULT, &config.operator_fee_vault),
    ] {
        assert_eq!(state.view(address, IOpFeeVault::RECIPIENTCall {}), vault.recipient);
        assert_eq!(
            state.view(address, IOpFeeVault::MIN_WITHDRAWAL_AMOUNTCall {}),
            vault.min_withdrawal_amount
        );
        assert_eq!(
            state.view(address, IOpFeeVault::WITHDRAWAL_NETWORKCall {}),
            vault.withdrawal_network.abi_value()
        );
    }
    // Ours also has the newer lower-case getters.
    assert_eq!(
        state.view(op::OPERATOR_FEE_VAULT, OperatorFeeVault::recipientCall {}),
        recipient(0x1b)
    );
    // Fees arrive as balance; an L2 vault pays its recipient whatever it holds.
    for vault in [op::BASE_FEE_VAULT, op::OPERATOR_FEE_VAULT] {
        state.run(USER, vault, Vec::new(), U256::from(1_000), true).unwrap();
        let recipient = state.view(vault, IOpFeeVault::RECIPIENTCall {});
        let before = state.balance(recipient);
        state.send(USER, vault, IOpFeeVault::withdrawCall {}, U256::ZERO);
        assert_eq!(state.balance(recipient), before + U256::from(1_000));
        assert_eq!(state.balance(vault), U256::ZERO);
    }
    // Below its minimum the L1 fee vault keeps the fees.
    state.run(USER, op::L1_FEE_VAULT, Vec::new(), U256::from(1_000), true).unwrap();
    state.revert(USER, op::L1_FEE_VAULT, IOpFeeVault::withdrawCall {});
}

#[test]
fn operator_fee_vault_withdraws_to_l1_through_the_message_passer() {
    let config = OpPredeployConfig {
        operator_fee_vault: FeeVaultConfig {
            recipient: Address::repeat_byte(0x1b),
            min_withdrawal_amount: U256::ZERO,
            withdrawal_network: WithdrawalNetwork::L1,
        },
        ..Default::default()
    };
    let mut state = State::new(&with_predeploys(jovian_genesis(), &config));
    state.run(USER, op::OPERATOR_FEE_VAULT, Vec::new(), U256::from(777), true).unwrap();
    state.send(USER, op::OPERATOR_FEE_VAULT, IOpFeeVault::withdrawCall {}, U256::ZERO);
    assert_eq!(state.balance(op::L2_TO_L1_MESSAGE_PASSER), U256::from(777));
    assert_eq!(
        state.view(op::L2_TO_L1_MESSAGE_PASSER, IMessagePasser::messageNonceCall {})
            & U256::from(u64::MAX),
        U256::from(1)
    );
}

#[test]
fn messenger_bridges_and_factories_are_initialised() {
    let config = OpPredeployConfig {
        l1_cross_domain_messenger: address!("0x0000000000000000000000000000000000000b01"),
        l1_standard_bridge: address!("0x0000000000000000000000000000000000000b02"),
        l1_erc721_bridge: address!("0x0000000000000000000000000000000000000b03"),
        l1_chain_id: 11_155_111,
        ..Default::default()
    };
    let mut state = State::new(&with_predeploys(jovian_genesis(), &config));
    assert_eq!(
        state.view(op::L2_CROSS_DOMAIN_MESSENGER, IMessenger::OTHER_MESSENGERCall {}),
        config.l1_cross_domain_messenger
    );
    assert_eq!(
        state.view(op::L2_STANDARD_BRIDGE, IBridge::otherBridgeCall {}),
        config.l1_standard_bridge
    );
    assert_eq!(
        state.view(op::L2_STANDARD_BRIDGE, IBridge::messengerCall {}),
        op::L2_CROSS_DOMAIN_MESSENGER
    );
    assert_eq!(
        state.view(op::L2_ERC721_BRIDGE, IBridge::otherBridgeCall {}),
        config.l1_erc721_bridge
    );
    assert_eq!(
        state.view(op::OPTIMISM_MINTABLE_ERC20_FACTORY, IErc20Factory::bridgeCall {}),
        op::L2_STANDARD_BRIDGE
    );
    assert_eq!(
        state.view(op::OPTIMISM_MINTABLE_ERC721_FACTORY, IErc721Factory::REMOTE_CHAIN_IDCall {}),
        U256::from(config.l1_chain_id)
    );
    assert_eq!(
        state.view(op::OPTIMISM_MINTABLE_ERC721_FACTORY, IErc721Factory::BRIDGECall {}),
        op::L2_ERC721_BRIDGE
    );
    // Initialised once: neither the proxy nor the implementation can be initialised again.
    let again = IMessenger::initializeCall { counterpart: USER };
    state.revert(USER, op::L2_CROSS_DOMAIN_MESSENGER, again.clone());
    state.revert(USER, op::implementation_address(op::L2_CROSS_DOMAIN_MESSENGER), again);
}

#[test]
fn preinstalls_are_in_place() {
    let mut genesis = jovian_genesis();
    // A Cancun genesis may already hold the EIP-4788 contract: it is kept.
    genesis.alloc.insert(
        alloy_eips::eip4788::BEACON_ROOTS_ADDRESS,
        GenesisAccount::default()
            .with_nonce(Some(1))
            .with_code(Some(alloy_eips::eip4788::BEACON_ROOTS_CODE.clone())),
    );
    let genesis = with_predeploys(genesis, &OpPredeployConfig::default());
    for preinstall in artifacts::preinstalls(CHAIN_ID) {
        let account = &genesis.alloc[&preinstall.address];
        assert_eq!(account.code.as_ref(), Some(&preinstall.code), "{}", preinstall.name);
        assert_eq!(account.nonce, Some(1), "{}", preinstall.name);
    }
    for address in [
        op::MULTICALL3,
        op::CREATE2_DEPLOYER,
        op::PERMIT2,
        op::SAFE_V130,
        op::ENTRY_POINT_V060,
        alloy_eips::eip2935::HISTORY_STORAGE_ADDRESS,
    ] {
        assert!(genesis.alloc.contains_key(&address), "{address}");
    }
    for sender in [op::BEACON_ROOTS_SENDER, op::HISTORY_STORAGE_SENDER] {
        assert_eq!(genesis.alloc[&sender].nonce, Some(1));
    }
    let mut state = State::new(&genesis);
    assert_eq!(state.view(op::MULTICALL3, IMulticall3::getChainIdCall {}), U256::from(CHAIN_ID));
    // Permit2's EIP-712 domain is this chain's.
    let separator = state.view(op::PERMIT2, IPermit2::DOMAIN_SEPARATORCall {});
    assert_eq!(separator, artifacts::permit2_domain_separator(CHAIN_ID));
    assert_ne!(separator, artifacts::permit2_domain_separator(1));
}

#[test]
fn forks_after_genesis_leave_their_oracle_flags_to_the_upgrade() {
    let genesis = op_genesis(
        1_000,
        &[("canyonTime", 0), ("ecotoneTime", 0), ("fjordTime", 5_000), ("isthmusTime", 9_000)],
    );
    let mut state = State::new(&with_predeploys(genesis, &OpPredeployConfig::default()));
    let gpo = op::GAS_PRICE_ORACLE;
    assert!(state.view(gpo, GasPriceOracle::isEcotoneCall {}));
    assert!(!state.view(gpo, GasPriceOracle::isFjordCall {}));
    // OP's Fjord upgrade transaction (from the depositor) sets it; nobody else can.
    state.revert(USER, gpo, GasPriceOracle::setFjordCall {});
    state.send(op::DEPOSITOR_ACCOUNT, gpo, GasPriceOracle::setFjordCall {}, U256::ZERO);
    assert!(state.view(gpo, GasPriceOracle::isFjordCall {}));
    state.revert(op::DEPOSITOR_ACCOUNT, gpo, GasPriceOracle::setFjordCall {});
    state.revert(op::DEPOSITOR_ACCOUNT, gpo, GasPriceOracle::setJovianCall {});
    // A Bedrock-only genesis: no flag at all, and the Bedrock getters work.
    let mut state = State::new(&with_predeploys(op_genesis(0, &[]), &OpPredeployConfig::default()));
    assert!(!state.view(gpo, GasPriceOracle::isEcotoneCall {}));
    state.deposit_l1_info(sample_info().encode(L1InfoFormat::Bedrock));
    assert_eq!(state.view(gpo, GasPriceOracle::overheadCall {}), sample_info().l1_fee_overhead);
    assert_eq!(state.view(gpo, GasPriceOracle::scalarCall {}), sample_info().l1_fee_scalar);
}

#[test]
fn build_genesis_adds_the_op_predeploys_to_op_chains_only() {
    let accounts = crate::harness::test_accounts(2);
    let contracts = GenesisContractsConfig::dev(&accounts);
    let snapshot = sample_snapshot();
    let first = build_genesis(jovian_genesis(), &contracts, &snapshot).unwrap();
    let second = build_genesis(jovian_genesis(), &contracts, &snapshot).unwrap();
    assert_eq!(serde_json::to_string(&first).unwrap(), serde_json::to_string(&second).unwrap());
    let hash = |genesis: &Genesis| ChainSpec::from_genesis(genesis.clone()).unwrap().genesis_hash();
    assert_eq!(hash(&first), hash(&second));
    for (name, address) in predeploys::ALL {
        assert!(first.alloc[&address].code.is_some(), "{name}");
    }
    for predeploy in op::PREDEPLOYS {
        assert!(first.alloc.contains_key(&predeploy.address), "{}", predeploy.name);
    }
    // The OP state is the same as add_op_predeploys gives alone.
    let alone = with_predeploys(jovian_genesis(), &OpPredeployConfig::default());
    assert_eq!(
        first.alloc[&op::implementation_address(op::L1_BLOCK)],
        alone.alloc[&op::implementation_address(op::L1_BLOCK)]
    );
    assert_eq!(first.alloc[&op::GAS_PRICE_ORACLE], alone.alloc[&op::GAS_PRICE_ORACLE]);

    // An Ethereum chain gets none, and refuses OP inputs.
    let ethereum =
        build_genesis(crate::harness::base_genesis(&accounts, 0), &contracts, &snapshot).unwrap();
    assert!(!ethereum.alloc.keys().any(|address| op::is_predeploy_namespace(*address)));
    let mut with_op = contracts;
    with_op.op_predeploys = Some(OpPredeployConfig::default());
    let error =
        build_genesis(crate::harness::base_genesis(&accounts, 0), &with_op, &snapshot).unwrap_err();
    assert!(matches!(error, GenesisError::OpPredeploysWithoutOpForks), "{error}");
    assert!(error.to_string().contains("genesisContracts.opPredeploys"));
}

#[test]
fn spec_files_configure_the_op_predeploys() {
    let spec = |op_predeploys: serde_json::Value| {
        let mut value = serde_json::to_value(jovian_genesis()).unwrap();
        let accounts = crate::harness::test_accounts(1);
        let mut contracts = serde_json::to_value(GenesisContractsConfig::dev(&accounts)).unwrap();
        contracts["opPredeploys"] = op_predeploys;
        value["genesisContracts"] = contracts;
        load_chain_spec_json(&value.to_string(), Path::new("op-spec.json"))
    };
    let genesis = spec(serde_json::json!({
        "proxyAdminOwner": "0x0000000000000000000000000000000000000a01",
        "l1CrossDomainMessenger": "0x0000000000000000000000000000000000000b01",
        "baseFeeVault": { "recipient": "0x0000000000000000000000000000000000000c19" }
    }))
    .unwrap();
    let mut state = State::new(&genesis);
    assert_eq!(
        state.view(op::PROXY_ADMIN, IProxyAdmin::ownerCall {}),
        address!("0x0000000000000000000000000000000000000a01")
    );
    assert_eq!(
        state.view(op::BASE_FEE_VAULT, IOpFeeVault::RECIPIENTCall {}),
        address!("0x0000000000000000000000000000000000000c19")
    );
    assert_eq!(
        state.view(op::SEQUENCER_FEE_VAULT, IOpFeeVault::RECIPIENTCall {}),
        op::DEV_OP_ADMIN
    );
    assert_eq!(
        state.view(op::L2_CROSS_DOMAIN_MESSENGER, IMessenger::OTHER_MESSENGERCall {}),
        address!("0x0000000000000000000000000000000000000b01")
    );
    // A dumped genesis loads back as-is, to the same hash.
    let dumped = serde_json::to_string(&genesis).unwrap();
    let reloaded = load_chain_spec_json(&dumped, Path::new("dump.json")).unwrap();
    assert_eq!(
        ChainSpec::from_genesis(reloaded).unwrap().genesis_hash(),
        ChainSpec::from_genesis(genesis).unwrap().genesis_hash()
    );

    // Bad inputs name their field.
    let error =
        spec(serde_json::json!({ "baseFeeVault": { "recipient": Address::ZERO } })).unwrap_err();
    assert!(error.to_string().contains("opPredeploys.baseFeeVault.recipient"), "{error}");
    let error =
        spec(serde_json::json!({ "l1FeeVault": { "recipient": USER, "withdrawalNetwork": "L1" } }))
            .unwrap_err();
    assert!(error.to_string().contains("opPredeploys.l1FeeVault.withdrawalNetwork"), "{error}");
    let error = spec(serde_json::json!({ "proxyAdminOwnr": USER })).unwrap_err();
    assert!(error.to_string().contains("proxyAdminOwnr"), "{error}");
    let error =
        spec(serde_json::json!({ "l1FeeVault": { "recipient": USER, "withdrawalNetwork": "L3" } }))
            .unwrap_err();
    assert!(error.to_string().contains("L3"), "{error}");
}

#[test]
fn bad_genesis_is_refused() {
    // Not an OP chain.
    let mut ethereum = crate::harness::base_genesis(&[], 0);
    let error = add_op_predeploys(&mut ethereum, &OpPredeployConfig::default()).unwrap_err();
    assert!(matches!(error, GenesisError::NotAnOpChain), "{error}");
    // Something already in the namespaces, or other code at a preinstall.
    for (address, name) in [
        (op::L1_BLOCK, "predeploy namespace"),
        (op::predeploy_address(0x7ff), "predeploy namespace"),
        (op::implementation_address(op::GAS_PRICE_ORACLE), "predeploy namespace"),
        (op::MULTICALL3, "MultiCall3"),
    ] {
        let mut genesis = jovian_genesis();
        genesis.alloc.insert(
            address,
            GenesisAccount::default().with_code(Some(Bytes::from_static(&hex!("6000")))),
        );
        let error = add_op_predeploys(&mut genesis, &OpPredeployConfig::default()).unwrap_err();
        assert!(matches!(error, GenesisError::OpAllocConflict { .. }), "{error}");
        let message = error.to_string();
        assert!(message.contains(name) && message.contains(&address.to_string()), "{message}");
    }
    // Fine just outside them.
    let mut genesis = jovian_genesis();
    genesis.alloc.insert(
        address!("0x4200000000000000000000000000000000000800"),
        GenesisAccount::default().with_balance(U256::from(1)),
    );
    add_op_predeploys(&mut genesis, &OpPredeployConfig::default()).unwrap();
    // Invalid inputs.
    let config = OpPredeployConfig { proxy_admin_owner: Address::ZERO, ..Default::default() };
    let error = add_op_predeploys(&mut jovian_genesis(), &config).unwrap_err();
    assert!(
        matches!(&error, GenesisError::InvalidOpPredeploy { field, .. } if field == "proxyAdminOwner"),
        "{error}"
    );
}

#[test]
fn our_contracts_have_ops_selectors() {
    // The external functions of OP's Jovian L1Block and GasPriceOracle and of its Isthmus
    // OperatorFeeVault (read from the dispatchers of OP's deployed bytecode).
    let selectors = |signatures: &[&str]| -> std::collections::BTreeSet<[u8; 4]> {
        signatures.iter().map(|s| alloy_primitives::keccak256(s)[..4].try_into().unwrap()).collect()
    };
    let ours = |list: &[[u8; 4]]| list.iter().copied().collect::<std::collections::BTreeSet<_>>();
    assert_eq!(
        ours(L1Block::L1BlockCalls::SELECTORS),
        selectors(&[
            "DEPOSITOR_ACCOUNT()",
            "baseFeeScalar()",
            "basefee()",
            "batcherHash()",
            "blobBaseFee()",
            "blobBaseFeeScalar()",
            "daFootprintGasScalar()",
            "gasPayingToken()",
            "gasPayingTokenName()",
            "gasPayingTokenSymbol()",
            "hash()",
            "isCustomGasToken()",
            "l1FeeOverhead()",
            "l1FeeScalar()",
            "number()",
            "operatorFeeConstant()",
            "operatorFeeScalar()",
            "sequenceNumber()",
            "timestamp()",
            "version()",
            "setL1BlockValues(uint64,uint64,uint256,bytes32,uint64,bytes32,uint256,uint256)",
            "setL1BlockValuesEcotone()",
            "setL1BlockValuesIsthmus()",
            "setL1BlockValuesJovian()",
        ])
    );
    assert_eq!(
        ours(GasPriceOracle::GasPriceOracleCalls::SELECTORS),
        selectors(&[
            "DECIMALS()",
            "baseFee()",
            "baseFeeScalar()",
            "blobBaseFee()",
            "blobBaseFeeScalar()",
            "decimals()",
            "gasPrice()",
            "getL1Fee(bytes)",
            "getL1FeeUpperBound(uint256)",
            "getL1GasUsed(bytes)",
            "getOperatorFee(uint256)",
            "isEcotone()",
            "isFjord()",
            "isIsthmus()",
            "isJovian()",
            "l1BaseFee()",
            "overhead()",
            "scalar()",
            "setEcotone()",
            "setFjord()",
            "setIsthmus()",
            "setJovian()",
            "version()",
        ])
    );
    assert_eq!(
        ours(OperatorFeeVault::OperatorFeeVaultCalls::SELECTORS),
        selectors(&[
            "MIN_WITHDRAWAL_AMOUNT()",
            "RECIPIENT()",
            "WITHDRAWAL_NETWORK()",
            "minWithdrawalAmount()",
            "recipient()",
            "totalProcessed()",
            "version()",
            "withdraw()",
            "withdrawalNetwork()",
        ])
    );
}
