//! The TDX attestation precompile next to revm's ECRECOVER and P256VERIFY, in one run: µs per
//! call for each fixture and the resulting gas per µs (what the gas price of each buys), without
//! a cache at the first schedule's price (`TdxAttestation`) and at the second's
//! (`TdxRepricing`), and with the collateral cached.
//!
//! `cargo bench -p phala-benches --bench precompiles` (criterion statistics), or run the built
//! bench binary with `--table` for the summary table only.

use alloy_consensus::crypto::secp256k1::sign_message;
use alloy_primitives::{B256, keccak256};
use criterion::Criterion;
use p256::ecdsa::{SigningKey, signature::hazmat::PrehashSigner};
use phala_tdx::{
    Flags, PrecompileRules, VerificationCache, gas_cost, test_utils::fixture_input,
    verify_precompile_input, verify_precompile_input_cached,
};
use revm::precompile::{secp256k1::ECRECOVER, secp256r1::P256VERIFY_OSAKA};
use std::hint::black_box;
use std::time::Instant;

/// ECRECOVER input: a real secp256k1 signature over a message hash.
fn ecrecover_input() -> Vec<u8> {
    let hash = keccak256(b"phala");
    let signature = sign_message(B256::repeat_byte(7), hash).expect("signs");
    let mut input = hash.to_vec();
    input.extend_from_slice(&[0; 31]);
    input.push(27 + u8::from(signature.v()));
    input.extend_from_slice(&signature.r().to_be_bytes::<32>());
    input.extend_from_slice(&signature.s().to_be_bytes::<32>());
    input
}

/// P256VERIFY input: a real P-256 signature, hash ‖ r ‖ s ‖ x ‖ y.
fn p256_input() -> Vec<u8> {
    let key = SigningKey::from_bytes(&[7u8; 32].into()).expect("valid scalar");
    let hash = keccak256(b"phala");
    let signature: p256::ecdsa::Signature = key.sign_prehash(hash.as_slice()).expect("signs");
    let point = key.verifying_key().to_encoded_point(false);
    let mut input = hash.to_vec();
    input.extend_from_slice(&signature.to_bytes());
    input.extend_from_slice(point.x().expect("x"));
    input.extend_from_slice(point.y().expect("y"));
    input
}

type Run = Box<dyn Fn() -> bool>;

/// (name, gas charged, call) for every precompile call measured.
fn cases() -> Vec<(String, u64, Run)> {
    let mut cases: Vec<(String, u64, Run)> = Vec::new();
    let ecrecover = ecrecover_input();
    let ec_gas = 3_000;
    assert!(!ECRECOVER.execute(&ecrecover, ec_gas, 0).expect("runs").bytes.is_empty());
    cases.push((
        "ECRECOVER".into(),
        ec_gas,
        Box::new(move || ECRECOVER.execute(&ecrecover, ec_gas, 0).is_ok()),
    ));
    let p256 = p256_input();
    let p_gas = 6_900;
    assert_eq!(P256VERIFY_OSAKA.execute(&p256, p_gas, 0).expect("runs").bytes.last(), Some(&1));
    cases.push((
        "P256VERIFY (EIP-7951)".into(),
        p_gas,
        Box::new(move || P256VERIFY_OSAKA.execute(&p256, p_gas, 0).is_ok()),
    ));
    let rows: [(&str, &str, &str, u32, u64); 9] = [
        ("TDX #1 v4", "dcap-qvl/tdx_quote", "dcap-qvl/tdx_quote_collateral.json", 0, 1_751_328_000),
        (
            "TDX #2 v5 td15ex",
            "dcap-qvl/tdx_quote_td15ex",
            "dcap-qvl/tdx_quote_td15ex_collateral.json",
            0,
            1_792_800_000,
        ),
        (
            "TDX #3 tcb no match",
            "dcap-qvl/tdx_quote_outdated",
            "dcap-qvl/tdx_quote_outdated_collateral.json",
            0,
            1_772_323_200,
        ),
        (
            "SGX #4 (flag 1)",
            "dcap-qvl/sgx_quote",
            "dcap-qvl/sgx_quote_collateral.json",
            Flags::ALLOW_SGX,
            1_751_328_000,
        ),
        (
            "TDX #5 automata 06",
            "automata/raw/sol_quote_tdx.bin",
            "automata/collateral_00806f050000_2025-06.json",
            0,
            1_749_945_600,
        ),
        (
            "TDX #6 automata 07",
            "automata/raw/sol_quote_tdx.bin",
            "automata/collateral_00806f050000_2025-07.json",
            0,
            1_752_537_600,
        ),
        (
            "TDX #7 automata 10",
            "automata/raw/sol_quote_tdx.bin",
            "automata/collateral_00806f050000_2025-10.json",
            0,
            1_761_955_200,
        ),
        (
            "TDX #8 alibaba (flag 0)",
            "automata/raw/evm_alibaba_quote_5.dat",
            "automata/collateral_90C06F000000_2025-06.json",
            Flags::ALLOW_SERVICE_TD,
            1_749_945_600,
        ),
        (
            "TDX #9 alibaba 2026",
            "automata/raw/evm_alibaba_quote_5.dat",
            "dcap-qvl/tdx_quote_outdated_collateral.json",
            Flags::ALLOW_SERVICE_TD,
            1_772_323_200,
        ),
    ];
    for (name, q, coll, flags, now) in rows {
        let input = fixture_input(q, coll, flags);
        let gas = gas_cost(input.len());
        let repriced = PrecompileRules::Repricing.gas_cost(input.len());
        let out = verify_precompile_input(&input, now).expect("well-formed input");
        let uncached = input.clone();
        cases.push((
            name.into(),
            gas,
            Box::new(move || verify_precompile_input(black_box(&uncached), now).is_ok()),
        ));
        // The work of a call that finds nothing in the cache, at the TdxRepricing price.
        let uncached = input.clone();
        cases.push((
            format!("{name}, uncached, repriced"),
            repriced,
            Box::new(move || {
                let cache = VerificationCache::new(4, 64);
                verify_precompile_input_cached(black_box(&uncached), now, &cache).is_ok()
            }),
        ));
        let cache = VerificationCache::new(4, 64);
        assert_eq!(verify_precompile_input_cached(&input, now, &cache).as_ref(), Ok(&out));
        cases.push((
            format!("{name}, cached (same input), repriced"),
            repriced,
            Box::new(move || {
                verify_precompile_input_cached(black_box(&input), now, &cache).is_ok()
            }),
        ));
    }
    cases
}

/// Median µs of `runs` calls.
fn median_micros(run: &Run, runs: usize) -> f64 {
    let mut samples: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            assert!(black_box(run()));
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn print_table(cases: &[(String, u64, Run)]) {
    println!("| precompile call | gas | µs (median) | gas per µs |");
    println!("|---|---:|---:|---:|");
    for (name, gas, run) in cases {
        let runs = if *gas > 100_000 { 200 } else { 5_000 };
        let micros = median_micros(run, runs);
        println!("| {name} | {gas} | {micros:.1} | {:.0} |", *gas as f64 / micros);
    }
}

fn main() {
    let cases = cases();
    if std::env::args().any(|arg| arg == "--table") {
        print_table(&cases);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("precompiles");
    group.sample_size(20);
    for (name, _, run) in &cases {
        group.bench_function(name.as_str(), |b| b.iter(run));
    }
    group.finish();
    c.final_summary();
    print_table(&cases);
}
