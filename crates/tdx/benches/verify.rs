//! Time per verification of each verifying fixture of `shared/fixtures/tdx`
//! (`$PHALA_TDX_FIXTURES` overrides the directory), plus two failing paths.
//!
//! Run: `cargo bench -p phala-tdx --bench verify`.

use criterion::Criterion;
use phala_tdx::{
    Flags, Status,
    test_utils::{fixture_input, fixture_quote, read_fixture},
    verify_precompile_input,
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

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
