//! The TDX worker registry with a real Intel-signed quote (fixture #1 of
//! `shared/fixtures/tdx`) verified by the chain's precompile: registration under a permissive
//! policy, the policy's refusals, single-use quotes, expiry, the report-data binding, and
//! revocation by governance only.

use crate::{
    governance::govern,
    harness::{CHAIN_ID, Chain, Outcome, pha},
};
use alloy_primitives::{Address, B256, Bytes, U256, address, keccak256};
use alloy_sol_types::{SolEvent, SolType, SolValue, sol_data};
use phala_genesis::{
    GenesisContractsConfig,
    bindings::{
        Collateral, StakePools, StakePools::StakePoolsErrors, StakedPhala, WorkerRegistry,
        WorkerRegistry::WorkerRegistryErrors,
    },
    gpu_class,
};
use phala_primitives::predeploys::{STAKE_POOLS, STAKED_PHA, TIMELOCK, WORKER_REGISTRY};
use phala_tdx::{
    Flags, Status, TcbStatus, VerificationOutcome,
    test_utils::{fixture_collateral, fixture_quote},
};

/// Fixture #1's `now` (2025-07-01): inside its collateral window.
pub(crate) const FIXTURE_NOW: u64 = 1_751_328_000;
/// Genesis time of the chains here, so that their blocks run at about `FIXTURE_NOW`.
pub(crate) const GENESIS_TIME: u64 = FIXTURE_NOW - 1000;
/// Fixture #1 of `shared/fixtures/tdx`, and its collateral.
const FIXTURE_QUOTE: &str = "dcap-qvl/tdx_quote";
const FIXTURE_COLLATERAL: &str = "dcap-qvl/tdx_quote_collateral.json";
/// Offset of the report data in a TD report body.
const REPORT_DATA_OFFSET: usize = 520;
/// The first 20 bytes of fixture #1's report data, as the fixtures README lists them.
const FIXTURE_REPORT_DATA_KEY: Address = address!("0x9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd");
/// The SHA-256 precompile.
const SHA256_PRECOMPILE: Address = address!("0x0000000000000000000000000000000000000002");

/// TDX fixture #1: the quote (cut to its declared length), its collateral as the registry takes
/// it, and what the verifier says of it at `FIXTURE_NOW` (computed off-chain with `phala_tdx`).
pub(crate) struct Fixture {
    pub(crate) quote: Bytes,
    pub(crate) collateral: Collateral,
    pub(crate) outcome: VerificationOutcome,
}

impl Fixture {
    pub(crate) fn load() -> Self {
        let quote = fixture_quote(FIXTURE_QUOTE);
        let input = fixture_collateral(FIXTURE_COLLATERAL).encode_input(&quote, Flags::default());
        let outcome = phala_tdx::verify_input(&input, FIXTURE_NOW).unwrap();
        assert_eq!(outcome.status, Status::Ok);
        assert_eq!(outcome.tcb_status, TcbStatus::UpToDate);
        let (decoded_quote, collateral, flags) =
            <(sol_data::Bytes, Collateral, sol_data::Uint<32>) as SolType>::abi_decode_params(
                &input,
            )
            .unwrap();
        assert_eq!(decoded_quote.as_ref(), quote.as_slice());
        assert_eq!(flags, 0);
        Self { quote: quote.into(), collateral, outcome }
    }

    pub(crate) fn workload_id(&self) -> B256 {
        self.outcome.workload_id
    }

    /// The 64 bytes of report data in the quote's TD report.
    pub(crate) fn report_data(&self) -> &[u8] {
        &self.outcome.report_body[REPORT_DATA_OFFSET..REPORT_DATA_OFFSET + 64]
    }

    pub(crate) fn register_call(
        &self,
        worker_key: Address,
        nonce: U256,
    ) -> WorkerRegistry::registerCall {
        WorkerRegistry::registerCall {
            workerKey: worker_key,
            quote: self.quote.clone(),
            collateral: self.collateral.clone(),
            nonce,
        }
    }

    pub(crate) fn reattest_call(&self, token_id: U256) -> WorkerRegistry::reattestCall {
        WorkerRegistry::reattestCall {
            tokenId: token_id,
            quote: self.quote.clone(),
            collateral: self.collateral.clone(),
            nonce: U256::ZERO,
        }
    }
}

/// A chain of `accounts` test accounts at the fixture's time, under a policy that lets fixture #1
/// register (its workload allowed, no report-data binding), changed further by `edit`.
pub(crate) fn permissive_chain(
    accounts: usize,
    fixture: &Fixture,
    edit: impl FnOnce(&mut GenesisContractsConfig),
) -> Chain {
    let workload = fixture.workload_id();
    Chain::with_genesis_time(accounts, GENESIS_TIME, |config| {
        config.registry.allowed_workloads = vec![workload];
        config.registry.require_report_data_binding = false;
        edit(config);
    })
}

/// Registers fixture #1 from account `from` for `worker_key`; the new token id and the outcome.
pub(crate) fn register(
    chain: &mut Chain,
    fixture: &Fixture,
    from: usize,
    worker_key: Address,
) -> (U256, Outcome) {
    let outcome = chain.ok(from, WORKER_REGISTRY, fixture.register_call(worker_key, U256::ZERO));
    let registered: WorkerRegistry::WorkerRegistered = event(&outcome);
    (registered.tokenId, outcome)
}

/// The first event of type `E` in a transaction's logs.
pub(crate) fn event<E: SolEvent>(outcome: &Outcome) -> E {
    outcome
        .logs
        .iter()
        .find_map(|log| E::decode_log(log).ok())
        .map(|log| log.data)
        .unwrap_or_else(|| panic!("no {} event", E::SIGNATURE))
}

fn worker(chain: &Chain, token_id: U256) -> WorkerRegistry::Worker {
    chain.view(WORKER_REGISTRY, WorkerRegistry::workerCall { tokenId: token_id })
}

fn is_active(chain: &Chain, token_id: U256) -> bool {
    chain.view(WORKER_REGISTRY, WorkerRegistry::isActiveCall { tokenId: token_id })
}

/// sha256 of `data`, by the chain's SHA-256 precompile.
fn sha256(chain: &Chain, data: &[u8]) -> B256 {
    let output = chain.call_raw(chain.accounts[0], SHA256_PRECOMPILE, data.to_vec()).unwrap();
    B256::from_slice(&output)
}

/// `workerKey ‖ keccak256(abi.encode(chainId, registry, operator, nonce))`, computed here.
fn binding(
    worker_key: Address,
    chain_id: u64,
    registry: Address,
    operator: Address,
    nonce: U256,
) -> Vec<u8> {
    let hash = keccak256((U256::from(chain_id), registry, operator, nonce).abi_encode());
    [worker_key.as_slice(), hash.as_slice()].concat()
}

#[test]
fn fixture_quote_registers_under_a_permissive_policy() {
    let fixture = Fixture::load();
    let mut chain = permissive_chain(3, &fixture, |_| {});
    let operator = chain.accounts[1];
    let worker_key = Address::repeat_byte(0xa1);
    let ttl = chain.view(WORKER_REGISTRY, WorkerRegistry::attestationTtlCall {});
    assert_eq!(ttl, 7 * 86_400);
    assert!(chain.view(
        WORKER_REGISTRY,
        WorkerRegistry::allowedWorkloadsCall { workloadId: fixture.workload_id() }
    ));
    assert!(!chain.view(WORKER_REGISTRY, WorkerRegistry::requireReportDataBindingCall {}));

    let outcome =
        chain.ok(1, WORKER_REGISTRY, fixture.register_call(worker_key, U256::from(12_345)));
    println!("gas: WorkerRegistry.register (fixture #1) = {}", outcome.gas_used);
    let registered_at = chain.time;
    let quote_hash = sha256(&chain, &fixture.quote);
    assert_eq!(quote_hash, fixture.outcome.quote_hash);

    let registered: WorkerRegistry::WorkerRegistered = event(&outcome);
    let token_id = U256::from(1);
    assert_eq!(registered.tokenId, token_id, "token ids start at 1");
    assert_eq!(registered.workerKey, worker_key);
    assert_eq!(registered.operator, operator);
    assert_eq!(registered.workloadId, fixture.workload_id());
    assert_eq!(registered.quoteHash, quote_hash);
    assert_eq!(registered.expiresAt, registered_at + ttl);

    // The token is the operator's.
    assert_eq!(
        chain.view(WORKER_REGISTRY, WorkerRegistry::ownerOfCall { tokenId: token_id }),
        operator
    );
    assert_eq!(
        chain.view(WORKER_REGISTRY, WorkerRegistry::balanceOfCall { owner: operator }),
        U256::from(1)
    );

    let record = worker(&chain, token_id);
    assert_eq!(record.workerKey, worker_key);
    assert_eq!(record.workloadId, fixture.workload_id());
    assert_eq!(record.tcbStatus, 0, "UpToDate");
    assert_eq!(record.tcbEvalDataNumber, fixture.outcome.tcb_eval_data_number);
    assert_ne!(record.tcbEvalDataNumber, 0);
    assert_eq!(record.quoteHash, quote_hash);
    let report_hash = keccak256(&fixture.outcome.report_body);
    assert_eq!(record.reportHash, report_hash);
    assert_eq!(record.registeredAt, registered_at);
    assert_eq!(record.expiresAt, registered_at + ttl);
    assert!(!record.revoked);
    assert!(is_active(&chain, token_id));
    assert_eq!(
        chain.view(WORKER_REGISTRY, WorkerRegistry::tokenOfWorkerKeyCall { workerKey: worker_key }),
        token_id
    );
    assert_eq!(
        chain.view(WORKER_REGISTRY, WorkerRegistry::tokenOfReportCall { reportHash: report_hash }),
        token_id
    );

    // Nothing else exists.
    assert!(!is_active(&chain, U256::from(2)));
    assert_eq!(worker(&chain, U256::from(2)).workerKey, Address::ZERO);
    assert_eq!(
        chain.view(
            WORKER_REGISTRY,
            WorkerRegistry::tokenOfWorkerKeyCall { workerKey: Address::repeat_byte(0xa2) }
        ),
        U256::ZERO
    );
}

#[test]
fn refused_outside_the_policy() {
    let fixture = Fixture::load();
    let workload = fixture.workload_id();
    let call = || fixture.register_call(Address::repeat_byte(0xa1), U256::ZERO);

    // A policy allowing another workload.
    let mut chain = permissive_chain(2, &fixture, |config| {
        config.registry.allowed_workloads = vec![B256::repeat_byte(0x11)];
    });
    let error = chain.fails_with::<_, WorkerRegistryErrors>(1, WORKER_REGISTRY, call());
    assert!(
        matches!(&error, WorkerRegistryErrors::WorkloadNotAllowed(e) if e.workloadId == workload),
        "{error:?}"
    );
    assert_eq!(
        chain.view(WORKER_REGISTRY, WorkerRegistry::balanceOfCall { owner: chain.accounts[1] }),
        U256::ZERO
    );

    // The genesis default: no workload at all.
    let mut chain = Chain::with_genesis_time(2, GENESIS_TIME, |config| {
        config.registry.require_report_data_binding = false;
    });
    let error = chain.fails_with::<_, WorkerRegistryErrors>(1, WORKER_REGISTRY, call());
    assert!(
        matches!(&error, WorkerRegistryErrors::WorkloadNotAllowed(e) if e.workloadId == workload),
        "{error:?}"
    );

    // Its TCB status (UpToDate, 0) not allowed.
    let mut chain = permissive_chain(2, &fixture, |config| {
        config.registry.allowed_tcb_statuses = vec![1, 2, 3];
    });
    let error = chain.fails_with::<_, WorkerRegistryErrors>(1, WORKER_REGISTRY, call());
    assert!(
        matches!(&error, WorkerRegistryErrors::TcbStatusNotAllowed(e) if e.tcbStatus == 0 && e.allowedTcbStatuses == 0b1110),
        "{error:?}"
    );

    // Collateral older than governance accepts.
    let eval = fixture.outcome.tcb_eval_data_number;
    let mut chain = permissive_chain(2, &fixture, |config| {
        config.registry.min_tcb_eval_data_number = eval + 1;
    });
    let error = chain.fails_with::<_, WorkerRegistryErrors>(1, WORKER_REGISTRY, call());
    assert!(
        matches!(&error, WorkerRegistryErrors::TcbEvalDataNumberTooLow(e) if e.tcbEvalDataNumber == eval && e.minTcbEvalDataNumber == eval + 1),
        "{error:?}"
    );
    // At exactly its number it registers.
    let mut chain = permissive_chain(2, &fixture, |config| {
        config.registry.min_tcb_eval_data_number = eval;
    });
    chain.ok(1, WORKER_REGISTRY, call());

    // A tampered quote (one bit of its report data) is rejected with the precompile's status.
    let mut chain = permissive_chain(2, &fixture, |_| {});
    let mut tampered = fixture.quote.to_vec();
    tampered[48 + REPORT_DATA_OFFSET] ^= 1;
    let input = fixture_collateral(FIXTURE_COLLATERAL).encode_input(&tampered, Flags::default());
    let expected = phala_tdx::verify_input(&input, FIXTURE_NOW).unwrap().status;
    assert_ne!(expected, Status::Ok);
    let mut tampered_call = call();
    tampered_call.quote = tampered.into();
    let error = chain.fails_with::<_, WorkerRegistryErrors>(1, WORKER_REGISTRY, tampered_call);
    assert!(
        matches!(&error, WorkerRegistryErrors::QuoteRejected(e) if e.status == expected as u8),
        "{error:?}"
    );

    // The zero worker key.
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        1,
        WORKER_REGISTRY,
        fixture.register_call(Address::ZERO, U256::ZERO),
    );
    assert!(matches!(error, WorkerRegistryErrors::ZeroWorkerKey(_)), "{error:?}");
}

#[test]
fn a_quote_is_single_use() {
    let fixture = Fixture::load();
    let mut chain = permissive_chain(4, &fixture, |_| {});
    // The worker key is account 2, so that it can reattest on its own.
    let worker_key = chain.accounts[2];
    let (token_id, _) = register(&mut chain, &fixture, 1, worker_key);
    let report_hash = keccak256(&fixture.outcome.report_body);
    let used = |error: &WorkerRegistryErrors| matches!(error, WorkerRegistryErrors::ReportAlreadyUsed(e) if e.reportHash == report_hash);

    // Registering again, by another operator for another key.
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        3,
        WORKER_REGISTRY,
        fixture.register_call(Address::repeat_byte(0xb2), U256::from(1)),
    );
    assert!(used(&error), "{error:?}");
    // The same key may not register twice while its token lives.
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        3,
        WORKER_REGISTRY,
        fixture.register_call(worker_key, U256::ZERO),
    );
    assert!(
        matches!(&error, WorkerRegistryErrors::WorkerKeyAlreadyRegistered(e) if e.workerKey == worker_key && e.tokenId == token_id),
        "{error:?}"
    );

    // Reattesting with it: by the token's owner, and by the worker key itself.
    for from in [1, 2] {
        let error = chain.fails_with::<_, WorkerRegistryErrors>(
            from,
            WORKER_REGISTRY,
            fixture.reattest_call(token_id),
        );
        assert!(used(&error), "{error:?}");
    }
    // Another account may not reattest at all, until the owner approves it.
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        3,
        WORKER_REGISTRY,
        fixture.reattest_call(token_id),
    );
    assert!(
        matches!(&error, WorkerRegistryErrors::NotAuthorizedToReattest(e) if e.tokenId == token_id && e.caller == chain.accounts[3]),
        "{error:?}"
    );
    chain.ok(
        1,
        WORKER_REGISTRY,
        WorkerRegistry::approveCall { to: chain.accounts[3], tokenId: token_id },
    );
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        3,
        WORKER_REGISTRY,
        fixture.reattest_call(token_id),
    );
    assert!(used(&error), "{error:?}");
    // An unknown token.
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        1,
        WORKER_REGISTRY,
        fixture.reattest_call(U256::from(2)),
    );
    assert!(
        matches!(&error, WorkerRegistryErrors::UnknownWorker(e) if e.tokenId == U256::from(2)),
        "{error:?}"
    );

    // Nothing changed.
    let record = worker(&chain, token_id);
    assert_eq!(record.workerKey, worker_key);
    assert_eq!(record.quoteHash, fixture.outcome.quote_hash);
    assert_eq!(record.reportHash, report_hash);
    assert_eq!(
        chain.view(WORKER_REGISTRY, WorkerRegistry::balanceOfCall { owner: chain.accounts[3] }),
        U256::ZERO
    );
}

#[test]
fn attestation_expires_after_its_ttl() {
    let fixture = Fixture::load();
    let ttl = 3600;
    let mut chain = permissive_chain(2, &fixture, |config| config.registry.attestation_ttl = ttl);
    let (token_id, _) = register(&mut chain, &fixture, 1, Address::repeat_byte(0xa1));
    let expires_at = worker(&chain, token_id).expiresAt;
    assert_eq!(expires_at, chain.time + ttl);

    // Active in the last block before `expiresAt` (views run in the next block)...
    chain.warp(expires_at - 4 - chain.time);
    assert_eq!(chain.time + 2, expires_at - 2);
    assert!(is_active(&chain, token_id));
    // ... and inactive from `expiresAt` on.
    chain.warp(2);
    assert_eq!(chain.time + 2, expires_at);
    assert!(!is_active(&chain, token_id));
    chain.warp(86_400);
    assert!(!is_active(&chain, token_id));
    // The record stays.
    assert_eq!(worker(&chain, token_id).expiresAt, expires_at);

    // An expired worker cannot join a pool.
    chain.ok(1, STAKE_POOLS, StakePools::createPoolCall { commissionBps: 1000 });
    chain.ok(
        1,
        WORKER_REGISTRY,
        WorkerRegistry::approveCall { to: STAKE_POOLS, tokenId: token_id },
    );
    chain.ok(1, STAKED_PHA, StakedPhala::approveCall { spender: STAKE_POOLS, value: pha(1250) });
    let error = chain.fails_with::<_, StakePoolsErrors>(
        1,
        STAKE_POOLS,
        StakePools::bindWorkerCall {
            poolId: U256::from(1),
            workerTokenId: token_id,
            gpuClass: gpu_class("H100"),
            gpuCount: 1,
        },
    );
    assert!(
        matches!(&error, StakePoolsErrors::WorkerNotActive(e) if e.workerTokenId == token_id),
        "{error:?}"
    );
    assert_eq!(
        chain.view(WORKER_REGISTRY, WorkerRegistry::ownerOfCall { tokenId: token_id }),
        chain.accounts[1]
    );
}

#[test]
fn strict_policy_refuses_a_quote_bound_elsewhere() {
    let fixture = Fixture::load();
    let workload = fixture.workload_id();
    // The default policy (binding required), with the fixture's workload allowed.
    let mut chain = Chain::with_genesis_time(2, GENESIS_TIME, |config| {
        config.registry.allowed_workloads = vec![workload];
    });
    assert!(chain.view(WORKER_REGISTRY, WorkerRegistry::requireReportDataBindingCall {}));
    let report_data = fixture.report_data().to_vec();
    let found_key = Address::from_slice(&report_data[..20]);
    assert_eq!(found_key, FIXTURE_REPORT_DATA_KEY);

    let worker_key = Address::repeat_byte(0xa1);
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        1,
        WORKER_REGISTRY,
        fixture.register_call(worker_key, U256::ZERO),
    );
    assert!(
        matches!(&error, WorkerRegistryErrors::ReportDataKeyMismatch(e) if e.expected == worker_key && e.found == found_key),
        "{error:?}"
    );

    // Claiming the key its report data starts with gets one check further: the rest is not our
    // binding hash.
    let nonce = U256::from(7);
    let operator = chain.accounts[1];
    let expected =
        B256::from_slice(&binding(found_key, CHAIN_ID, WORKER_REGISTRY, operator, nonce)[20..]);
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        1,
        WORKER_REGISTRY,
        fixture.register_call(found_key, nonce),
    );
    assert!(
        matches!(&error, WorkerRegistryErrors::ReportDataNonceMismatch(e) if e.expected == expected && e.found.as_slice() == &report_data[20..52]),
        "{error:?}"
    );
    assert!(!chain.view(
        WORKER_REGISTRY,
        WorkerRegistry::checkReportDataBindingCall {
            reportData: report_data.into(),
            workerKey: found_key,
            operator,
            nonce
        }
    ));
    assert_eq!(
        chain.view(WORKER_REGISTRY, WorkerRegistry::balanceOfCall { owner: chain.accounts[1] }),
        U256::ZERO
    );
}

#[test]
fn report_data_binding() {
    let chain = Chain::new(1, |_| {});
    assert_eq!(CHAIN_ID, 1337);
    let key = Address::repeat_byte(0x42);
    let operator = Address::repeat_byte(0x0b);
    let nonce = U256::from(0xdead_beef_u64);
    let expected = binding(key, CHAIN_ID, WORKER_REGISTRY, operator, nonce);
    assert_eq!(expected.len(), 52);

    let view_binding = chain.view(
        WORKER_REGISTRY,
        WorkerRegistry::reportDataBindingCall { workerKey: key, operator, nonce },
    );
    assert_eq!(view_binding.as_ref(), expected.as_slice());
    assert_ne!(
        chain
            .view(
                WORKER_REGISTRY,
                WorkerRegistry::reportDataBindingCall {
                    workerKey: key,
                    operator,
                    nonce: nonce + U256::from(1)
                }
            )
            .as_ref(),
        expected.as_slice()
    );

    let check = |report_data: Vec<u8>, key: Address, nonce: U256| -> bool {
        chain.view(
            WORKER_REGISTRY,
            WorkerRegistry::checkReportDataBindingCall {
                reportData: report_data.into(),
                workerKey: key,
                operator,
                nonce,
            },
        )
    };
    let with_tail = |prefix: &[u8], tail: u8| [prefix, &[tail; 12]].concat();

    // 64 bytes of report data with the binding as prefix, whatever the last 12 bytes.
    assert!(check(with_tail(&expected, 0), key, nonce));
    assert!(check(with_tail(&expected, 0xee), key, nonce));
    // Exactly the 52 bytes read.
    assert!(check(expected.clone(), key, nonce));

    // Another key, in the report data or in the call.
    assert!(!check(with_tail(&expected, 0), Address::repeat_byte(0x43), nonce));
    let other_key = binding(Address::repeat_byte(0x43), CHAIN_ID, WORKER_REGISTRY, operator, nonce);
    assert!(!check(with_tail(&other_key, 0), key, nonce));
    // Another nonce.
    assert!(!check(with_tail(&expected, 0), key, nonce + U256::from(1)));
    // The preimage of another chain, or of another registry.
    assert!(!check(with_tail(&binding(key, 1, WORKER_REGISTRY, operator, nonce), 0), key, nonce));
    assert!(!check(
        with_tail(&binding(key, CHAIN_ID, STAKE_POOLS, operator, nonce), 0),
        key,
        nonce
    ));
    // Another operator: a copied register transaction sent by someone else fails the binding.
    let front_runner = Address::repeat_byte(0x0c);
    assert!(!check(
        with_tail(&binding(key, CHAIN_ID, WORKER_REGISTRY, front_runner, nonce), 0),
        key,
        nonce
    ));
    // Too short: false, not a revert.
    assert!(!check(expected[..51].to_vec(), key, nonce));
    assert!(!check(Vec::new(), key, nonce));
}

#[test]
fn only_governance_revokes_and_sets_policy() {
    let fixture = Fixture::load();
    let mut chain = permissive_chain(3, &fixture, |_| {});
    assert_eq!(chain.view(WORKER_REGISTRY, WorkerRegistry::ownerCall {}), TIMELOCK);
    let worker_key = chain.accounts[2];
    let (token_id, _) = register(&mut chain, &fixture, 1, worker_key);

    // Not the token's owner, nor anyone else.
    for from in [1, 0] {
        let error = chain.fails_with::<_, WorkerRegistryErrors>(
            from,
            WORKER_REGISTRY,
            WorkerRegistry::revokeCall { tokenId: token_id, reason: "no".into() },
        );
        assert!(
            matches!(&error, WorkerRegistryErrors::OwnableUnauthorizedAccount(e) if e.account == chain.accounts[from]),
            "{error:?}"
        );
    }
    // The policy setters are the owner's too.
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        0,
        WORKER_REGISTRY,
        WorkerRegistry::setWorkloadAllowedCall { workloadId: B256::repeat_byte(1), allowed: true },
    );
    assert!(matches!(error, WorkerRegistryErrors::OwnableUnauthorizedAccount(_)), "{error:?}");
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        0,
        WORKER_REGISTRY,
        WorkerRegistry::setRequireReportDataBindingCall { required: true },
    );
    assert!(matches!(error, WorkerRegistryErrors::OwnableUnauthorizedAccount(_)), "{error:?}");
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        0,
        WORKER_REGISTRY,
        WorkerRegistry::setAttestationTtlCall { attestationTtl_: 1 },
    );
    assert!(matches!(error, WorkerRegistryErrors::OwnableUnauthorizedAccount(_)), "{error:?}");
    assert!(is_active(&chain, token_id));

    // Governance (proposal, vote, timelock) revokes it.
    let outcome = govern(
        &mut chain,
        0,
        WORKER_REGISTRY,
        WorkerRegistry::revokeCall { tokenId: token_id, reason: "compromised".into() },
        "Revoke worker 1",
    );
    println!("gas: Governor.execute(WorkerRegistry.revoke) = {}", outcome.gas_used);
    let revoked: WorkerRegistry::WorkerRevoked = event(&outcome);
    assert_eq!(revoked.tokenId, token_id);
    assert_eq!(revoked.reason, "compromised");
    assert!(worker(&chain, token_id).revoked);
    assert!(!is_active(&chain, token_id));

    // A revoked worker cannot be reattested, even by its key.
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        2,
        WORKER_REGISTRY,
        fixture.reattest_call(token_id),
    );
    assert!(
        matches!(&error, WorkerRegistryErrors::WorkerIsRevoked(e) if e.tokenId == token_id),
        "{error:?}"
    );
    // Its key is free again; the quote is still spent.
    let error = chain.fails_with::<_, WorkerRegistryErrors>(
        1,
        WORKER_REGISTRY,
        fixture.register_call(worker_key, U256::ZERO),
    );
    assert!(matches!(error, WorkerRegistryErrors::ReportAlreadyUsed(_)), "{error:?}");
}

/// The order of the P-256 group: an ECDSA signature `(r, s)` also verifies as `(r, n - s)`.
const P256_ORDER: U256 = U256::from_be_bytes(alloy_primitives::hex!(
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
));
/// Where `s` of the attestation key's signature over header and TD report lies in a v4 TD 1.0
/// quote: header (48) + TD report (584) + signature data length (4) + `r` (32).
const QUOTE_SIGNATURE_S: usize = 48 + 584 + 4 + 32;
/// Where `s` of the PCK's signature over the QE report lies: after the quote signature (64),
/// the attestation key (64), the certification data type (2) and size (4), the QE report (384)
/// and `r` (32).
const QE_REPORT_SIGNATURE_S: usize = 48 + 584 + 4 + 64 + 64 + 2 + 4 + 384 + 32;

/// `quote` with the `s` at `at` replaced by `n - s`: the same attestation, other bytes.
fn malleate(quote: &[u8], at: usize) -> Bytes {
    let mut twin = quote.to_vec();
    let s = U256::from_be_slice(&twin[at..at + 32]);
    twin[at..at + 32].copy_from_slice(&(P256_ORDER - s).to_be_bytes::<32>());
    twin.into()
}

/// A quote's two ECDSA signatures (the attestation key's over the TD report, the PCK's over the
/// QE report) are malleable: each `s` may be replaced by `n - s`, and the precompile accepts the
/// result (status OK, same report, another quoteHash). The registry therefore makes quotes
/// single-use by their TD report, so these twins of a used quote are refused as well: otherwise
/// one attestation would register several worker keys, or refresh a worker without a fresh
/// quote.
#[test]
fn malleated_twins_of_a_used_quote_are_refused() {
    let fixture = Fixture::load();
    let mut chain = permissive_chain(3, &fixture, |_| {});
    let (token_id, _) = register(&mut chain, &fixture, 1, Address::repeat_byte(0xa1));
    let report_hash = keccak256(&fixture.outcome.report_body);
    let refused = |error: &WorkerRegistryErrors| matches!(error, WorkerRegistryErrors::ReportAlreadyUsed(e) if e.reportHash == report_hash);
    for at in [QUOTE_SIGNATURE_S, QE_REPORT_SIGNATURE_S] {
        let twin = malleate(&fixture.quote, at);
        // The twin is a valid quote of the same report with another hash.
        let input = fixture_collateral(FIXTURE_COLLATERAL).encode_input(&twin, Flags::default());
        let outcome = phala_tdx::verify_input(&input, FIXTURE_NOW).unwrap();
        assert_eq!(outcome.status, Status::Ok);
        assert_eq!(outcome.report_body, fixture.outcome.report_body);
        assert_ne!(outcome.quote_hash, fixture.outcome.quote_hash);
        // As another worker, by another operator.
        let mut call = fixture.register_call(Address::repeat_byte(0xb2), U256::ZERO);
        call.quote = twin.clone();
        let error = chain.fails_with::<_, WorkerRegistryErrors>(2, WORKER_REGISTRY, call);
        assert!(refused(&error), "{error:?}");
        // As a refresh of the worker that used the original.
        let mut call = fixture.reattest_call(token_id);
        call.quote = twin;
        let error = chain.fails_with::<_, WorkerRegistryErrors>(1, WORKER_REGISTRY, call);
        assert!(refused(&error), "{error:?}");
    }
}
