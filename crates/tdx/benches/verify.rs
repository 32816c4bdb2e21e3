//! Time per verification of each verifying fixture of `shared/fixtures/tdx`
//! (`$PHALA_TDX_FIXTURES` overrides the directory), plus two failing paths, without a cache
//! and with a [`VerificationCache`] that already holds the collateral.
//!
//! Run: `cargo bench -p phala-tdx --bench verify`.

use criterion::Criterion;
use phala_tdx::{
    Flags, Status, VerificationCache,
    test_utils::{fixture_collateral, fixture_input, fixture_quote, read_fixture},
    verify_precompile_input, verify_precompile_input_cached,
};
use std::{hint::black_box, time::Duration};

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

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
