//! Time per verification of each verifying fixture of `shared/fixtures/tdx`
//! (`$PHALA_TDX_FIXTURES` overrides the directory), plus two failing paths, without a cache
//! and with a [`VerificationCache`] that already holds the collateral.
//!
//! Run: `cargo bench -p phala-tdx --bench verify`, or the built bench binary with `--table`
//! for the gas table only: µs per call (median) of ECRECOVER's work (libsecp256k1 recovery and
//! keccak, the calls revm's ECRECOVER makes) and of the TDX precompile uncached, uncached with
//! the largest input, and with the collateral cached, with the gas per µs of both schedules.

use criterion::Criterion;
use phala_tdx::{
    Flags, PrecompileRules, Status, VerificationCache, gas_cost,
    test_utils::{fixture_collateral, fixture_input, fixture_quote, read_fixture},
    verify_precompile_input, verify_precompile_input_cached,
};
use std::{
    hint::black_box,
    time::{Duration, Instant},
};

fn bench(c: &mut Criterion) {
    let cases: &[(&str, &str, &str, u32, u64, Status)] = &[
        (
            "1_tdx_v4",
            "dcap-qvl/tdx_quote",
            "dcap-qvl/tdx_quote_collateral.json",
            0,
            1_751_328_000,
            Status::Ok,
        ),
        (
            "2_tdx_v5_td15ex",
            "dcap-qvl/tdx_quote_td15ex",
            "dcap-qvl/tdx_quote_td15ex_collateral.json",
            0,
            1_792_800_000,
            Status::Ok,
        ),
        (
            "4_sgx_v3",
            "dcap-qvl/sgx_quote",
            "dcap-qvl/sgx_quote_collateral.json",
            Flags::ALLOW_SGX,
            1_751_328_000,
            Status::Ok,
        ),
        (
            "5_automata_v4_2025_06",
            "automata/raw/sol_quote_tdx.bin",
            "automata/collateral_00806f050000_2025-06.json",
            0,
            1_749_945_600,
            Status::Ok,
        ),
        (
            "6_automata_v4_2025_07",
            "automata/raw/sol_quote_tdx.bin",
            "automata/collateral_00806f050000_2025-07.json",
            0,
            1_752_537_600,
            Status::Ok,
        ),
        (
            "7_automata_v4_2025_10",
            "automata/raw/sol_quote_tdx.bin",
            "automata/collateral_00806f050000_2025-10.json",
            0,
            1_761_955_200,
            Status::Ok,
        ),
        (
            "8_alibaba_v5_service_td",
            "automata/raw/evm_alibaba_quote_5.dat",
            "automata/collateral_90C06F000000_2025-06.json",
            Flags::ALLOW_SERVICE_TD,
            1_749_945_600,
            Status::Ok,
        ),
        (
            "9_alibaba_v5_2026_02",
            "automata/raw/evm_alibaba_quote_5.dat",
            "dcap-qvl/tdx_quote_outdated_collateral.json",
            Flags::ALLOW_SERVICE_TD,
            1_772_323_200,
            Status::Ok,
        ),
        // Failing after every signature check: the most expensive failure.
        (
            "3_tcb_no_match",
            "dcap-qvl/tdx_quote_outdated",
            "dcap-qvl/tdx_quote_outdated_collateral.json",
            0,
            1_772_323_200,
            Status::TcbNoMatch,
        ),
    ];
    let mut group = c.benchmark_group("tdx_verify");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for &(name, q, coll, flags, now, expected) in cases {
        let input = fixture_input(q, coll, flags);
        let out = verify_precompile_input(&input, now).expect("well-formed input");
        assert_eq!(out[31], expected as u8, "{name}: unexpected status");
        group.bench_function(name, |b| {
            b.iter(|| verify_precompile_input(black_box(&input), black_box(now)))
        });
        // The same input again, every entry (its quote signature too) in the cache.
        let cache = VerificationCache::new(4, 64);
        let cached = verify_precompile_input_cached(&input, now, &cache).expect("well formed");
        assert_eq!(cached, out, "{name}: cached output differs");
        group.bench_function(format!("{name}_cached_same_input"), |b| {
            b.iter(|| verify_precompile_input_cached(black_box(&input), black_box(now), &cache))
        });
        // A new quote of the same platform with the cached collateral: the quote's own
        // signature is checked. (One report_data bit flipped, so that signature fails at the
        // last signature step: the same work as a new valid quote, whose signature is new.)
        let mut quote = fixture_quote(q);
        let at = body_end(&quote) - 1;
        quote[at] ^= 1;
        let flags = Flags::from_bits(flags).expect("known flags");
        let new_quote = fixture_collateral(coll).encode_input(&quote, flags);
        let out = verify_precompile_input_cached(&new_quote, now, &cache).expect("well formed");
        assert_eq!(out[31], Status::QuoteSignature as u8, "{name}: flipped quote");
        group.bench_function(format!("{name}_cached_collateral_new_quote"), |b| {
            b.iter(|| verify_precompile_input_cached(black_box(&new_quote), now, &cache))
        });
    }
    // Reference: dcap-qvl's own one-shot verifier (same backend) on fixture #1, without
    // the ABI decoding.
    let collateral: dcap_qvl::QuoteCollateralV3 =
        serde_json::from_slice(&read_fixture("dcap-qvl/tdx_quote_collateral.json")).expect("JSON");
    let q = fixture_quote("dcap-qvl/tdx_quote");
    let verifier = dcap_qvl::verify::QuoteVerifier::new(phala_tdx::INTEL_ROOT_CA_DER.to_vec());
    assert!(verifier.verify(&q, &collateral, 1_751_328_000).is_ok());
    group.bench_function("dcap_qvl_reference_1_tdx_v4", |b| {
        b.iter(|| verifier.verify(black_box(&q), black_box(&collateral), 1_751_328_000))
    });
    group.finish();
}

/// End of the quote body (the last bytes are the report data), as the quote header says.
fn body_end(quote: &[u8]) -> usize {
    match quote[0] {
        5 => 54 + u32::from_le_bytes(quote[50..54].try_into().expect("4 bytes")) as usize,
        _ if quote[4] == 0 => 48 + 384,
        _ => 48 + 584,
    }
}

/// Median µs per call of `f` over `runs` calls.
fn median_micros(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// What revm 38's ECRECOVER does with its `secp256k1` feature: recover the key, keccak it.
fn ecrecover_micros() -> f64 {
    use secp256k1::{Message, SECP256K1, SecretKey};
    let key = SecretKey::from_byte_array([7; 32]).expect("valid key");
    let digest = alloy_primitives::keccak256(b"phala").0;
    let signature = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(digest), &key);
    let (recid, compact) = signature.serialize_compact();
    median_micros(5_000, || {
        let sig = secp256k1::ecdsa::RecoverableSignature::from_compact(black_box(&compact), recid)
            .expect("valid");
        let public =
            SECP256K1.recover_ecdsa(Message::from_digest(black_box(digest)), &sig).expect("ok");
        black_box(alloy_primitives::keccak256(&public.serialize_uncompressed()[1..]));
    })
}

fn gas_table() {
    let ec_micros = ecrecover_micros();
    println!("| call | µs (median) | gas 200k+6/w | gas/µs | gas 300k+12/w | gas/µs |");
    println!("|---|---:|---:|---:|---:|---:|");
    let row = |name: &str, micros: f64, old: u64, new: u64| {
        let (o, n) = (old as f64 / micros, new as f64 / micros);
        println!("| {name} | {micros:.1} | {old} | {o:.0} | {new} | {n:.0} |");
    };
    row("ECRECOVER (3000 gas)", ec_micros, 3_000, 3_000);
    let now = 1_751_328_000;
    let (q, coll) = ("dcap-qvl/tdx_quote", "dcap-qvl/tdx_quote_collateral.json");
    let input = fixture_input(q, coll, 0);
    // The largest input that still verifies: the TCB Info issuer chain padded with text
    // outside its PEM blocks (read and hashed, then ignored) up to the input limit.
    let owned = fixture_collateral(coll);
    let plain = owned.as_collateral();
    let room = phala_tdx::MAX_INPUT_LEN - input.len() - 32;
    let chain = [plain.tcb_info_issuer_chain, &vec![b'x'; room]].concat();
    let padded_coll = phala_tdx::Collateral { tcb_info_issuer_chain: &chain, ..plain };
    let padded = phala_tdx::encode_input(&fixture_quote(q), &padded_coll, Flags::default());
    assert!(padded.len() <= phala_tdx::MAX_INPUT_LEN);
    let mut quote = fixture_quote(q);
    let at = body_end(&quote) - 1;
    quote[at] ^= 1;
    let new_quote = fixture_collateral(coll).encode_input(&quote, Flags::default());
    let gas = |len| (gas_cost(len), PrecompileRules::Repricing.gas_cost(len));
    for (name, input) in [("TDX #1 uncached", &input), ("TDX #1 uncached, 64 KiB input", &padded)] {
        let out = verify_precompile_input(input, now).expect("well formed");
        assert_eq!(out[31], Status::Ok as u8, "{name}");
        // A fresh cache each call: the work of a call that finds nothing, cache upkeep included.
        let micros = median_micros(100, || {
            let cache = VerificationCache::new(4, 64);
            black_box(verify_precompile_input_cached(black_box(input), now, &cache)).ok();
        });
        let (old, new) = gas(input.len());
        row(name, micros, old, new);
    }
    let cache = VerificationCache::new(4, 64);
    verify_precompile_input_cached(&input, now, &cache).expect("well formed");
    for (name, input) in
        [("TDX #1 cached collateral, new quote", &new_quote), ("TDX #1 cached, same input", &input)]
    {
        let micros = median_micros(500, || {
            black_box(verify_precompile_input_cached(black_box(input), now, &cache)).ok();
        });
        let (old, new) = gas(input.len());
        row(name, micros, old, new);
    }
}

fn main() {
    if std::env::args().any(|arg| arg == "--table") {
        gas_table();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
