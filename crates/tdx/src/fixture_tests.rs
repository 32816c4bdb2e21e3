//! Tests on the real Intel-signed fixtures of `shared/fixtures/tdx` (see its README).
//!
//! The fixture directory is `$PHALA_TDX_FIXTURES`, or `shared/fixtures/tdx` next to the
//! workspace root (see [`crate::test_utils`]).

use crate::{
    Collateral, Flags, Status, TcbStatus, TdxInputError, VerificationCache, VerificationOutcome,
    encode_input,
    test_utils::{fixture_collateral, fixture_quote, read_fixture},
    verify_input, verify_input_cached, verify_precompile_input, verify_precompile_input_cached,
};
use alloy_primitives::{B256, hex, keccak256};
use std::sync::LazyLock;

const DAY: u64 = 86_400;

/// Fixture collateral: the crate's [`crate::OwnedCollateral`] plus field access for tampering.
#[derive(Clone)]
struct FixtureCollateral(crate::OwnedCollateral);

impl FixtureCollateral {
    fn load(rel: &str) -> Self {
        Self(fixture_collateral(rel))
    }

    fn get(&self) -> Collateral<'_> {
        self.0.as_collateral()
    }

    fn root_ca_crl(&mut self) -> &mut Vec<u8> {
        &mut self.0.fields[1]
    }
    fn pck_crl(&mut self) -> &mut Vec<u8> {
        &mut self.0.fields[2]
    }
    fn tcb_info(&mut self) -> &mut Vec<u8> {
        &mut self.0.fields[4]
    }
    fn tcb_info_signature(&mut self) -> &mut Vec<u8> {
        &mut self.0.fields[5]
    }
    fn qe_identity(&mut self) -> &mut Vec<u8> {
        &mut self.0.fields[7]
    }
    fn pck_certificate_chain(&mut self) -> &mut Vec<u8> {
        &mut self.0.fields[9]
    }

    fn to_dcap(&self) -> dcap_qvl::QuoteCollateralV3 {
        let s = |b: &Vec<u8>| String::from_utf8(b.clone()).expect("utf-8");
        let f = &self.0.fields;
        dcap_qvl::QuoteCollateralV3 {
            pck_crl_issuer_chain: s(&f[0]),
            root_ca_crl: f[1].clone(),
            pck_crl: f[2].clone(),
            tcb_info_issuer_chain: s(&f[3]),
            tcb_info: s(&f[4]),
            tcb_info_signature: f[5].clone(),
            qe_identity_issuer_chain: s(&f[6]),
            qe_identity: s(&f[7]),
            qe_identity_signature: f[8].clone(),
            pck_certificate_chain: (!f[9].is_empty()).then(|| s(&f[9])),
        }
    }
}

/// End of the report body = length of the signed part of a quote.
fn body_end(quote: &[u8]) -> usize {
    if quote[0] == 5 {
        54 + u32::from_le_bytes(quote[50..54].try_into().expect("4 bytes")) as usize
    } else if quote[4] == 0 {
        48 + 384
    } else {
        48 + 584
    }
}

/// Length of a quote by its own header and signature data length field.
fn declared_len(quote: &[u8]) -> usize {
    crate::declared_quote_len(quote).expect("quote length fields")
}

/// A cache shared by every [`run`] of a test, so that tampered and re-timed variants of a
/// fixture meet the entries of the original.
static CACHE: LazyLock<VerificationCache> = LazyLock::new(|| VerificationCache::new(64, 4096));
/// A cache that evicts on nearly every call.
static TINY_CACHE: LazyLock<VerificationCache> = LazyLock::new(|| VerificationCache::new(1, 3));

/// Verifies without a cache, and checks that every cached verification (before and after the
/// cache holds this input's entries, and with a cache that keeps evicting) gives the same bytes.
fn run(quote: &[u8], collateral: &FixtureCollateral, flags: u32, now: u64) -> VerificationOutcome {
    let flags = Flags::from_bits(flags).expect("known flags");
    let input = encode_input(quote, &collateral.get(), flags);
    let out = verify_input(&input, now).expect("well-formed input");
    // The byte output is the encoding of the typed outcome, and decodes back to it.
    let bytes = verify_precompile_input(&input, now).expect("well-formed input");
    assert_eq!(bytes, out.abi_encode());
    assert_eq!(VerificationOutcome::abi_decode(&bytes).as_ref(), Ok(&out));
    for cache in [&*CACHE, &*CACHE, &*TINY_CACHE] {
        let cached = verify_precompile_input_cached(&input, now, cache).expect("well-formed");
        assert_eq!(cached, bytes, "cached verification differs (status {:?})", out.status);
    }
    out
}

struct Verified {
    tcb: TcbStatus,
    advisories: &'static [&'static str],
    fmspc: &'static str,
    eval: u32,
    tcb_date: &'static str,
    window: (u64, u64),
    version: u16,
    body_type: u16,
    /// MRTD, RTMR0..3, REPORTDATA (TDX), or MRENCLAVE, MRSIGNER, REPORTDATA (SGX).
    measurements: &'static [&'static str],
}

enum Expect {
    Ok(Verified),
    Fail(Status),
}

struct Case {
    name: &'static str,
    quote: &'static str,
    collateral: &'static str,
    now: u64,
    flags: u32,
    expect: Expect,
}

const ZERO48: &str = "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
const ZERO64: &str = "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

const DCAP_V4_MEASUREMENTS: &[&str] = &[
    "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7",
    "44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a540cf994b9bc9c0",
    "0084452c01668329d4bc06acdf58a7205c26743304509973949e5619bf81a6a7aea8c323c173019b3093d54e579e9378",
    "d833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132",
    ZERO48,
    "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20",
];
const DCAP_TD15EX_MEASUREMENTS: &[&str] = &[
    "2a674327c50218dba880066b349b8d559d749ed68dce33fd651c184a877d084b07a9e583767a7ad5da13ed91deec2b70",
    "0345d2a146eec673fb3861a4d88c5093ef0934b142884294377628cf09fb21bfa979acec61e79f925f5fccaad0827165",
    "3484cd07ba093cede0938303617d6da58f3c6a895ddd5461b3bdd0b29f40e869d4c92642867b44bd3619451bd78ff2d0",
    "83b7a9a35ed613c17a8b9d36a49f28b095f54daa78b328c93eef10ae3e21094c1411467e3371157c4cde5e0beb72dcb8",
    "556d4986cae57e7e3756b6471e4951be6f5f1b4e70942c72325223d6af239da90f1484eeb627727e6d2c0755393b5fdf",
    "2945321c99222c3622a14cf7feaab073e799be14b5f3e73cd2e6cad64e5f062463ad204f33f0a39e47d098330db88ca5b5d0a7afce540dfe4c4fe4a377190731",
];
const AUTOMATA_V4_MEASUREMENTS: &[&str] = &[
    "935be7742dd89c6a4df6dba8353d89041ae0f052beef993b1e7f4524d3bc57650df20e5582158352e1240b3f1fed55d8",
    ZERO48,
    ZERO48,
    ZERO48,
    ZERO48,
    ZERO64,
];
const ALIBABA_MEASUREMENTS: &[&str] = &[
    "157768a71a6a31f5561978c4cde665809d22976ef5dead2952839b7b3ea23b6c2931c9148fe1d117c99faefac18bb73b",
    "cdf337cef3d59099c809ca0dd38c7ba70d026b8680726e394268ad97c9d620bbd805b3148bf10034a4d205f3fd1d6723",
    "149796dc1c439aca2250b2c731722ffb220504cf0b38eeda05e675aae0dfb536fb9c73c64cd3bd98aae4b2e876541a15",
    "f5902739f8e3f2adef35391d7a3c8237da62ab25c75857953d547ad249270d76c1be21bf6a8aec2a22852e972c537c7f",
    ZERO48,
    "83ded8a0ee745596dbd961624da760cf1c8b0e48364959396c5c76ff96be4c1a9c24ba8b980f2173e883d5352a360546c1138ef75ce730c843a6c7da6413f400",
];
const SGX_MEASUREMENTS: &[&str] = &[
    "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb",
    "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6",
    "48656c6c6f2c20776f726c6421000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
];

const AUTOMATA_ADVISORIES: &[&str] = &["INTEL-SA-00960", "INTEL-SA-00982", "INTEL-SA-00986"];

const TDX_V4: &str = "dcap-qvl/tdx_quote";
const TDX_V4_COLL: &str = "dcap-qvl/tdx_quote_collateral.json";
const TD15EX: &str = "dcap-qvl/tdx_quote_td15ex";
const TD15EX_COLL: &str = "dcap-qvl/tdx_quote_td15ex_collateral.json";
const OUTDATED: &str = "dcap-qvl/tdx_quote_outdated";
const OUTDATED_COLL: &str = "dcap-qvl/tdx_quote_outdated_collateral.json";
const SGX: &str = "dcap-qvl/sgx_quote";
const SGX_COLL: &str = "dcap-qvl/sgx_quote_collateral.json";
const SOL: &str = "automata/raw/sol_quote_tdx.bin";
const ALIBABA: &str = "automata/raw/evm_alibaba_quote_5.dat";
const EVM_TDX5: &str = "automata/raw/evm_tdx_quote_5.dat";
const COLL_90C0_0625: &str = "automata/collateral_90C06F000000_2025-06.json";

fn cases() -> Vec<Case> {
    use Expect::{Fail, Ok};
    vec![
        Case {
            name: "#1 dcap-qvl TDX v4",
            quote: TDX_V4,
            collateral: TDX_V4_COLL,
            now: 1_751_328_000,
            flags: 0,
            expect: Ok(Verified {
                tcb: TcbStatus::UpToDate,
                advisories: &[],
                fmspc: "b0c06f000000",
                eval: 17,
                tcb_date: "2024-03-13T00:00:00Z",
                window: (1_750_329_147, 1_752_919_235),
                version: 4,
                body_type: 2,
                measurements: DCAP_V4_MEASUREMENTS,
            }),
        },
        Case {
            name: "#2 dcap-qvl TDX v5 TD1.5ex",
            quote: TD15EX,
            collateral: TD15EX_COLL,
            now: 1_792_800_000,
            flags: 0,
            expect: Ok(Verified {
                tcb: TcbStatus::UpToDate,
                advisories: &[],
                fmspc: "b0c06f000000",
                eval: 20,
                tcb_date: "2025-08-13T00:00:00Z",
                window: (1_791_419_306, 1_794_008_711),
                version: 5,
                body_type: 4,
                measurements: DCAP_TD15EX_MEASUREMENTS,
            }),
        },
        Case {
            name: "#3 dcap-qvl outdated",
            quote: OUTDATED,
            collateral: OUTDATED_COLL,
            now: 1_772_323_200,
            flags: 0,
            expect: Fail(Status::TcbNoMatch),
        },
        Case {
            name: "#4 SGX without flag",
            quote: SGX,
            collateral: SGX_COLL,
            now: 1_751_328_000,
            flags: 0,
            expect: Fail(Status::BadQuote),
        },
        Case {
            name: "#4 SGX with flag bit 1",
            quote: SGX,
            collateral: SGX_COLL,
            now: 1_751_328_000,
            flags: Flags::ALLOW_SGX,
            expect: Ok(Verified {
                tcb: TcbStatus::ConfigurationAndSwHardeningNeeded,
                advisories: &["INTEL-SA-00289", "INTEL-SA-00615"],
                fmspc: "00a067110000",
                eval: 17,
                tcb_date: "2024-03-13T00:00:00Z",
                window: (1_750_330_571, 1_752_919_278),
                version: 3,
                body_type: 1,
                measurements: SGX_MEASUREMENTS,
            }),
        },
        Case {
            name: "#5 automata v4 2025-06",
            quote: SOL,
            collateral: "automata/collateral_00806f050000_2025-06.json",
            now: 1_749_945_600,
            flags: 0,
            expect: Ok(Verified {
                tcb: TcbStatus::OutOfDate,
                advisories: AUTOMATA_ADVISORIES,
                fmspc: "00806f050000",
                eval: 17,
                tcb_date: "2023-08-09T00:00:00Z",
                window: (1_749_030_698, 1_751_620_771),
                version: 4,
                body_type: 2,
                measurements: AUTOMATA_V4_MEASUREMENTS,
            }),
        },
        Case {
            name: "#6 automata v4 2025-07",
            quote: SOL,
            collateral: "automata/collateral_00806f050000_2025-07.json",
            now: 1_752_537_600,
            flags: 0,
            expect: Ok(Verified {
                tcb: TcbStatus::OutOfDate,
                advisories: AUTOMATA_ADVISORIES,
                fmspc: "00806f050000",
                eval: 17,
                tcb_date: "2023-08-09T00:00:00Z",
                window: (1_751_880_026, 1_754_471_203),
                version: 4,
                body_type: 2,
                measurements: AUTOMATA_V4_MEASUREMENTS,
            }),
        },
        Case {
            name: "#7 automata v4 2025-10",
            quote: SOL,
            collateral: "automata/collateral_00806f050000_2025-10.json",
            now: 1_761_955_200,
            flags: 0,
            expect: Ok(Verified {
                tcb: TcbStatus::OutOfDate,
                advisories: AUTOMATA_ADVISORIES,
                fmspc: "00806f050000",
                eval: 17,
                tcb_date: "2023-08-09T00:00:00Z",
                window: (1_760_896_130, 1_762_944_332),
                version: 4,
                body_type: 2,
                measurements: AUTOMATA_V4_MEASUREMENTS,
            }),
        },
        Case {
            name: "#8 alibaba service TD without flag",
            quote: ALIBABA,
            collateral: COLL_90C0_0625,
            now: 1_749_945_600,
            flags: 0,
            expect: Fail(Status::TdPolicy),
        },
        Case {
            name: "#8 alibaba service TD with flag bit 0",
            quote: ALIBABA,
            collateral: COLL_90C0_0625,
            now: 1_749_945_600,
            flags: Flags::ALLOW_SERVICE_TD,
            expect: Ok(Verified {
                tcb: TcbStatus::UpToDate,
                advisories: &[],
                fmspc: "90c06f000000",
                eval: 17,
                tcb_date: "2024-03-13T00:00:00Z",
                window: (1_749_917_066, 1_751_620_771),
                version: 5,
                body_type: 3,
                measurements: ALIBABA_MEASUREMENTS,
            }),
        },
        Case {
            name: "#9 alibaba with 2026-02 collateral, without flag",
            quote: ALIBABA,
            collateral: OUTDATED_COLL,
            now: 1_772_323_200,
            flags: 0,
            expect: Fail(Status::TdPolicy),
        },
        Case {
            name: "#9 alibaba with 2026-02 collateral, flag bit 0",
            quote: ALIBABA,
            collateral: OUTDATED_COLL,
            now: 1_772_323_200,
            flags: Flags::ALLOW_SERVICE_TD,
            expect: Ok(Verified {
                tcb: TcbStatus::OutOfDate,
                advisories: &[
                    "INTEL-SA-01036",
                    "INTEL-SA-01079",
                    "INTEL-SA-01099",
                    "INTEL-SA-01103",
                    "INTEL-SA-01111",
                ],
                fmspc: "90c06f000000",
                eval: 18,
                tcb_date: "2024-03-13T00:00:00Z",
                window: (1_771_412_331, 1_774_003_275),
                version: 5,
                body_type: 3,
                measurements: ALIBABA_MEASUREMENTS,
            }),
        },
        Case {
            name: "#10 evm tdx_quote_5 with 2025-06 collateral",
            quote: EVM_TDX5,
            collateral: COLL_90C0_0625,
            now: 1_749_945_600,
            flags: 0,
            expect: Fail(Status::TcbNoMatch),
        },
        Case {
            name: "#10 evm tdx_quote_5 with 2026-02 collateral",
            quote: EVM_TDX5,
            collateral: OUTDATED_COLL,
            now: 1_772_323_200,
            flags: Flags::ALLOW_SERVICE_TD,
            expect: Fail(Status::TcbNoMatch),
        },
    ]
}

/// Report body offsets of the TD report fields.
mod td {
    pub(super) const TD_ATTRIBUTES: usize = 120;
    pub(super) const XFAM: usize = 128;
    pub(super) const MR_TD: usize = 136;
    pub(super) const MR_CONFIG_ID: usize = 184;
    pub(super) const RTMR0: usize = 328;
    pub(super) const REPORT_DATA: usize = 520;
}

fn check_verified(case: &Case, out: &VerificationOutcome, v: &Verified) {
    let name = case.name;
    assert_eq!(out.status, Status::Ok, "{name}");
    assert_eq!(out.tcb_status, v.tcb, "{name}");
    assert_eq!(out.advisory_ids, v.advisories, "{name}");
    assert_eq!(hex::encode(out.fmspc), v.fmspc, "{name}");
    assert_eq!(out.tcb_eval_data_number, v.eval, "{name}");
    assert_eq!(Some(out.tcb_date), crate::collateral::parse_rfc3339(v.tcb_date), "{name}");
    assert_eq!((out.collateral_not_before, out.collateral_not_after), v.window, "{name}");
    assert!(v.window.0 <= case.now && case.now <= v.window.1, "{name}");
    assert_eq!(out.quote_version, v.version, "{name}");
    assert_eq!(out.tee_body_type, v.body_type, "{name}");

    let quote = fixture_quote(case.quote);
    assert_eq!(out.quote_hash, alloy_primitives::B256::from(sha256(&quote)), "{name}");
    let body = &out.report_body;
    let body_start = if v.version == 5 { 54 } else { 48 };
    assert_eq!(body[..], quote[body_start..body_start + body.len()], "{name}");
    let m = |hex_str: &str| hex::decode(hex_str).expect("hex");
    if v.body_type == 1 {
        assert_eq!(body.len(), 384);
        assert_eq!(body[64..96], m(v.measurements[0]), "{name} mrenclave");
        assert_eq!(body[128..160], m(v.measurements[1]), "{name} mrsigner");
        assert_eq!(body[320..384], m(v.measurements[2]), "{name} report data");
        let id: Vec<u8> = [&body[64..96], &body[128..160], &body[48..64], &body[16..20]].concat();
        assert_eq!(out.workload_id, keccak256(id), "{name}");
        return;
    }
    assert_eq!(body[td::MR_TD..td::MR_TD + 48], m(v.measurements[0]), "{name} mrtd");
    for i in 0..4 {
        let at = td::RTMR0 + 48 * i;
        assert_eq!(body[at..at + 48], m(v.measurements[1 + i]), "{name} rtmr{i}");
    }
    assert_eq!(
        body[td::REPORT_DATA..td::REPORT_DATA + 64],
        m(v.measurements[5]),
        "{name} report data"
    );
    let id: Vec<u8> = [
        &body[td::MR_TD..td::MR_TD + 48],
        &body[td::RTMR0..td::RTMR0 + 4 * 48],
        &body[td::MR_CONFIG_ID..td::MR_CONFIG_ID + 48],
        &body[td::XFAM..td::XFAM + 8],
        &body[td::TD_ATTRIBUTES..td::TD_ATTRIBUTES + 8],
    ]
    .concat();
    assert_eq!(out.workload_id, keccak256(id), "{name}");
}

fn sha256(data: &[u8]) -> [u8; 32] {
    use dcap_qvl::config::CryptoProvider;
    dcap_qvl::crypto::RustCryptoCrypto::sha256(data)
}

fn check_case(case: &Case) -> VerificationOutcome {
    let quote = fixture_quote(case.quote);
    let coll = FixtureCollateral::load(case.collateral);
    let out = run(&quote, &coll, case.flags, case.now);
    let c = coll.get();
    let hash = keccak256([c.tcb_info, c.qe_identity, c.pck_crl, c.root_ca_crl].concat());
    assert_eq!(out.collateral_hash, hash, "{}", case.name);
    match &case.expect {
        Expect::Ok(v) => check_verified(case, &out, v),
        Expect::Fail(status) => {
            assert_eq!(out.status, *status, "{}", case.name);
            // Verdict fields are only filled on success.
            assert_eq!(out.tcb_status, TcbStatus::UpToDate, "{}", case.name);
            assert_eq!(out.fmspc, [0; 6], "{}", case.name);
            assert_eq!((out.collateral_not_before, out.collateral_not_after), (0, 0));
            assert!(out.advisory_ids.is_empty());
            assert_eq!(out.report_body.is_empty(), *status == Status::BadQuote);
        }
    }
    out
}

#[test]
fn fixture_table() {
    for case in cases() {
        check_case(&case);
    }
}

#[test]
fn padded_quotes_are_bad_quote() {
    for (quote, collateral, now) in [
        (TDX_V4, TDX_V4_COLL, 1_751_328_000),
        (SOL, "automata/collateral_00806f050000_2025-06.json", 1_749_945_600),
    ] {
        let raw = read_fixture(quote);
        assert!(raw.len() > declared_len(&raw), "{quote} is padded");
        let out = run(&raw, &FixtureCollateral::load(collateral), 0, now);
        assert_eq!(out.status, Status::BadQuote, "{quote}");
        assert!(out.report_body.is_empty());
    }
}

/// dcap-qvl's full verifier on the same inputs, for comparison.
fn dcap_verify(
    quote: &[u8],
    coll: &FixtureCollateral,
    now: u64,
    flags: u32,
) -> Option<dcap_qvl::QuoteClaims> {
    dcap_qvl::verify::QuoteVerifier::new(crate::INTEL_ROOT_CA_DER.to_vec())
        .allow_service_td(flags & Flags::ALLOW_SERVICE_TD != 0)
        .verify_with_policy(quote, coll.to_dcap(), now, &dcap_qvl::QuotePolicy::claims_only(now))
        .ok()
}

/// Our verdict agrees with dcap-qvl's `QuoteVerifier` (where both apply: our extra shape
/// rules, SGX gating and time checks are stricter by design).
fn assert_agrees_with_dcap(
    name: &str,
    quote: &[u8],
    coll: &FixtureCollateral,
    now: u64,
    flags: u32,
) {
    let ours = run(quote, coll, flags, now);
    let theirs = dcap_verify(quote, coll, now, flags);
    match theirs {
        None => assert_ne!(ours.status, Status::Ok, "{name}: dcap-qvl rejects, we accept"),
        Some(claims) => {
            assert_eq!(ours.status, Status::Ok, "{name}: dcap-qvl accepts, we reject");
            assert_eq!(ours.tcb_status, TcbStatus::from(claims.tcb.status), "{name}");
            assert_eq!(ours.advisory_ids, claims.tcb.advisory_ids, "{name}");
            assert_eq!(ours.tcb_eval_data_number, claims.tcb.eval_data_number, "{name}");
            assert_eq!(ours.tcb_date, claims.platform.tcb_date_tag, "{name}");
            assert_eq!(ours.fmspc, claims.platform.pck.fmspc, "{name}");
            assert_eq!(ours.collateral_not_before, claims.latest_issue_date, "{name}");
            assert_eq!(ours.collateral_not_after, claims.earliest_expiration_date, "{name}");
        }
    }
}

#[test]
fn agrees_with_dcap_qvl_on_fixtures_and_tampering() {
    for case in cases() {
        let quote = fixture_quote(case.quote);
        let coll = FixtureCollateral::load(case.collateral);
        let flags = case.flags | Flags::ALLOW_SGX;
        assert_agrees_with_dcap(case.name, &quote, &coll, case.now, flags);
        for now in [case.now - 40 * DAY, case.now + 40 * DAY] {
            let name = format!("{} at {now}", case.name);
            assert_agrees_with_dcap(&name, &quote, &coll, now, flags);
        }
        for (what, q, c) in tampered(&quote, &coll) {
            let name = format!("{} / {what}", case.name);
            assert_agrees_with_dcap(&name, &q, &c, case.now, flags);
        }
    }
}

/// Offset of the report body in a quote.
fn body_start(quote: &[u8]) -> usize {
    if quote[0] == 5 { 54 } else { 48 }
}

fn flip(data: &[u8], at: usize) -> Vec<u8> {
    let mut d = data.to_vec();
    d[at] ^= 1;
    d
}

fn replace_once(text: &[u8], from: &str, to: &str) -> Vec<u8> {
    let s = std::str::from_utf8(text).expect("utf-8");
    assert!(s.contains(from), "{from} not found");
    s.replacen(from, to, 1).into_bytes()
}

/// The tamper variants of the fixture README that keep the time, with their expected
/// status for a TDX quote.
fn tampered(
    quote: &[u8],
    coll: &FixtureCollateral,
) -> Vec<(&'static str, Vec<u8>, FixtureCollateral)> {
    let body = body_start(quote);
    let signed = body_end(quote);
    let mut v = vec![
        ("header user_data bit", flip(quote, 28), coll.clone()),
        ("MRTD bit", flip(quote, body + td::MR_TD), coll.clone()),
        ("RTMR3 bit", flip(quote, body + td::RTMR0 + 3 * 48), coll.clone()),
        ("report_data bit", flip(quote, body + td::REPORT_DATA), coll.clone()),
        ("quote signature r bit", flip(quote, signed + 4), coll.clone()),
        ("attestation key bit", flip(quote, signed + 4 + 64), coll.clone()),
        ("QE report bit", flip(quote, signed + 4 + 128 + 6 + 100), coll.clone()),
        ("QE report signature bit", flip(quote, signed + 4 + 128 + 6 + 384), coll.clone()),
    ];
    let mut c = coll.clone();
    let tcb_info = replace_once(c.tcb_info(), "\"pceId\":\"0000\"", "\"pceId\":\"0001\"");
    *c.tcb_info() = tcb_info;
    v.push(("TCB Info edited", quote.to_vec(), c));
    let mut c = coll.clone();
    let qe = replace_once(c.qe_identity(), "\"isvprodid\":", "\"isvprodid\":1");
    *c.qe_identity() = qe;
    v.push(("QE Identity edited", quote.to_vec(), c));
    let mut c = coll.clone();
    let last = c.pck_crl().len() - 1;
    c.pck_crl()[last] ^= 0x01;
    v.push(("PCK CRL signature byte", quote.to_vec(), c));
    let mut c = coll.clone();
    let last = c.root_ca_crl().len() - 1;
    c.root_ca_crl()[last] ^= 0x01;
    v.push(("root CA CRL signature byte", quote.to_vec(), c));
    v
}

fn tamper_expectation(what: &str) -> Status {
    match what {
        "attestation key bit" | "QE report bit" | "QE report signature bit" => Status::Qe,
        "TCB Info edited" | "QE Identity edited" => Status::BadCollateral,
        "PCK CRL signature byte" | "root CA CRL signature byte" => Status::CertChain,
        _ => Status::QuoteSignature,
    }
}

#[test]
fn tampering_and_time() {
    for case in cases() {
        let Expect::Ok(verified) = &case.expect else {
            continue;
        };
        if verified.body_type == 1 {
            continue;
        }
        let quote = fixture_quote(case.quote);
        let coll = FixtureCollateral::load(case.collateral);
        for (what, q, c) in tampered(&quote, &coll) {
            let out = run(&q, &c, case.flags, case.now);
            assert_eq!(out.status, tamper_expectation(what), "{} / {what}", case.name);
        }
        // Appended zero bytes.
        let mut padded = quote.clone();
        padded.extend_from_slice(&[0; 16]);
        assert_eq!(run(&padded, &coll, case.flags, case.now).status, Status::BadQuote);
        // Time: 40 days before the latest issue, 40 days after the earliest expiry, and
        // one second outside the window on each side.
        let (from, until) = verified.window;
        for now in [case.now - 40 * DAY, case.now + 40 * DAY, from - 1, until + 1] {
            let out = run(&quote, &coll, case.flags, now);
            assert_eq!(out.status, Status::CollateralTime, "{} at {now}", case.name);
        }
        for now in [from, until - 1] {
            assert_eq!(run(&quote, &coll, case.flags, now).status, Status::Ok, "{}", case.name);
        }
    }
}

#[test]
fn tdx_quote_with_sgx_collateral_is_qe() {
    let out = run(&fixture_quote(TDX_V4), &FixtureCollateral::load(SGX_COLL), 0, 1_751_328_000);
    assert_eq!(out.status, Status::Qe);
}

#[test]
fn collateral_shape_errors() {
    let quote = fixture_quote(TDX_V4);
    let coll = FixtureCollateral::load(TDX_V4_COLL);
    let now = 1_751_328_000;
    let status = |c: &FixtureCollateral| run(&quote, c, 0, now).status;

    // Signature of the wrong length; JSON that is not UTF-8 or not JSON.
    let mut c = coll.clone();
    c.tcb_info_signature().push(0);
    assert_eq!(status(&c), Status::BadCollateral);
    let mut c = coll.clone();
    c.tcb_info()[0] = 0xff;
    assert_eq!(status(&c), Status::BadCollateral);
    let mut c = coll.clone();
    c.qe_identity().truncate(10);
    assert_eq!(status(&c), Status::BadCollateral);
    let mut c = coll.clone();
    c.root_ca_crl().truncate(100);
    assert_eq!(status(&c), Status::BadCollateral);

    // CRLs swapped: the root CA CRL is not signed by the root.
    let mut c = coll.clone();
    c.0.fields.swap(1, 2);
    assert_eq!(status(&c), Status::CertChain);

    // PCK chain in the collateral: the quote's own chain works, a short one does not.
    let chain = crate::quote::check(&quote, Flags::default(), false)
        .expect("valid quote")
        .cert_data
        .to_vec();
    let mut c = coll.clone();
    *c.pck_certificate_chain() = chain.clone();
    assert_eq!(status(&c), Status::Ok);
    let text = String::from_utf8_lossy(&chain).into_owned();
    let cut = text.rfind("-----BEGIN CERTIFICATE-----").expect("three certificates");
    let mut c = coll.clone();
    *c.pck_certificate_chain() = text.as_bytes()[..cut].to_vec();
    assert_eq!(status(&c), Status::CertChain);
    // A chain that ends in something other than the Intel root.
    let first = text.find("-----END CERTIFICATE-----").expect("leaf") + 26;
    let mut c = coll.clone();
    *c.pck_certificate_chain() = [text.as_bytes(), &text.as_bytes()[..first]].concat();
    assert_eq!(status(&c), Status::CertChain);
    let mut c = coll;
    *c.pck_certificate_chain() = [&text.as_bytes()[..first], text.as_bytes()].concat();
    assert_eq!(status(&c), Status::CertChain);

    // TD 1.5ex fixture without its collateral PCK chain uses the chain in the quote.
    let mut c = FixtureCollateral::load(TD15EX_COLL);
    c.pck_certificate_chain().clear();
    assert_eq!(run(&fixture_quote(TD15EX), &c, 0, 1_792_800_000).status, Status::Ok);
}

#[test]
fn root_ca_matches_fixture_and_dcap_qvl() {
    assert_eq!(crate::INTEL_ROOT_CA_DER, &read_fixture("automata/raw/intel_root_ca.der")[..]);
    assert_eq!(
        B256::from(sha256(crate::INTEL_ROOT_CA_DER)),
        alloy_primitives::b256!(
            "0x44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3"
        )
    );
}

#[test]
fn deterministic() {
    let quote = fixture_quote(ALIBABA);
    let coll = FixtureCollateral::load(COLL_90C0_0625);
    let input = encode_input(&quote, &coll.get(), Flags::from_bits(1).expect("known"));
    let a = verify_precompile_input(&input, 1_749_945_600);
    let b = verify_precompile_input(&input, 1_749_945_600);
    assert_eq!(a, b);
    assert!(a.is_ok());
}

#[test]
fn cache_reuses_collateral_and_signatures() {
    let cache = VerificationCache::new(8, 64);
    let quote = fixture_quote(TDX_V4);
    let coll = FixtureCollateral::load(TDX_V4_COLL);
    let now = 1_751_328_000;
    let verify = |q: &[u8], c: &FixtureCollateral, now| {
        let input = encode_input(q, &c.get(), Flags::default());
        verify_input_cached(&input, now, &cache).expect("well-formed").status
    };
    assert_eq!(verify(&quote, &coll, now), Status::Ok);
    assert_eq!(cache.collateral_len(), 1);
    // Root CRL, TCB signing certificate, TCB Info, QE Identity, PCK leaf and intermediate,
    // PCK CRL, QE report, quote.
    assert_eq!(cache.signature_len(), 9);

    // The same quote a day later: everything comes from the cache, time is checked again.
    assert_eq!(verify(&quote, &coll, now + DAY), Status::Ok);
    assert_eq!((cache.collateral_len(), cache.signature_len()), (1, 9));
    assert_eq!(verify(&quote, &coll, now + 400 * DAY), Status::CollateralTime);

    // Another quote with the same collateral adds its own signature only.
    let other = flip(&quote, body_start(&quote) + td::REPORT_DATA);
    assert_eq!(verify(&other, &coll, now), Status::QuoteSignature);
    assert_eq!((cache.collateral_len(), cache.signature_len()), (1, 9));

    // Collateral edited in place (same length and structure) is a new entry, and fails.
    let mut edited = coll.clone();
    let tcb_info = replace_once(edited.tcb_info(), "\"pceId\":\"0000\"", "\"pceId\":\"0001\"");
    assert_eq!(tcb_info.len(), coll.get().tcb_info.len());
    *edited.tcb_info() = tcb_info;
    assert_eq!(verify(&quote, &edited, now), Status::BadCollateral);
    assert_eq!(cache.collateral_len(), 2);
    let mut edited = coll.clone();
    edited.tcb_info_signature()[10] ^= 1;
    assert_eq!(verify(&quote, &edited, now), Status::BadCollateral);
    assert_eq!(cache.collateral_len(), 3);
    // The original still verifies.
    assert_eq!(verify(&quote, &coll, now), Status::Ok);
}

/// xorshift64* with a fixed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A few thousand deterministic mutations of a real input: no panic, and the result is
/// either a well-formed output or an input error.
#[test]
fn mutated_inputs_never_panic() {
    let quote = fixture_quote(TDX_V4);
    let coll = FixtureCollateral::load(TDX_V4_COLL);
    let base = encode_input(&quote, &coll.get(), Flags::default());
    let now = 1_751_328_000;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut err) = (0usize, 0usize);
    let mut statuses = std::collections::BTreeMap::<u8, usize>::new();
    for _ in 0..3000 {
        let mut m = base.clone();
        match rng.below(6) {
            0 => {
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(m.len());
                    m[at] ^= 1 << rng.below(8);
                }
            }
            1 => m.truncate(rng.below(base.len())),
            2 => {
                let extra = rng.below(64);
                m.extend((0..extra).map(|_| rng.next() as u8));
            }
            3 => {
                // Overwrite one of the ABI head / collateral head words.
                let word = rng.below(13);
                let at = if word < 3 {
                    word * 32
                } else {
                    base_collateral_offset(&base) + (word - 3) * 32
                };
                let value = match rng.below(4) {
                    0 => rng.next(),
                    1 => rng.next() % base.len() as u64,
                    2 => u64::MAX,
                    _ => 0,
                };
                m[at..at + 32].copy_from_slice(&crate::abi::uint_word(value));
                if rng.below(4) == 0 {
                    m[at] = 0x80;
                }
            }
            4 => {
                // Mutate inside the quote only (reaches the signature checks).
                let start = 4 * 32;
                let at = start + rng.below(quote.len());
                m[at] = rng.next() as u8;
            }
            _ => {
                // Change a length word of a collateral field.
                let field = rng.below(10);
                let head = base_collateral_offset(&base) + field * 32;
                let off = u64::from_be_bytes(base[head + 24..head + 32].try_into().expect("8"))
                    as usize
                    + base_collateral_offset(&base);
                let value = rng.next() % (2 * base.len() as u64);
                m[off..off + 32].copy_from_slice(&crate::abi::uint_word(value));
            }
        }
        let result = verify_precompile_input(&m, now);
        // Mutated collateral of the same structure is never served from the cache.
        assert_eq!(verify_precompile_input_cached(&m, now, &CACHE), result);
        match result {
            Ok(out) => {
                let decoded = VerificationOutcome::abi_decode(&out).expect("well-formed output");
                assert_eq!(decoded.abi_encode(), out);
                *statuses.entry(decoded.status as u8).or_default() += 1;
                ok += 1;
            }
            Err(e) => {
                assert!(matches!(
                    e,
                    TdxInputError::Truncated
                        | TdxInputError::OutOfRange
                        | TdxInputError::InvalidFlagsWord
                        | TdxInputError::ReservedFlags(_)
                ));
                err += 1;
            }
        }
    }
    eprintln!("mutations: {ok} outputs by status {statuses:?}, {err} input errors");
    assert!(ok > 100 && err > 100, "ok {ok} err {err}");
    // The mutations reach deep into the pipeline, not only the decoder.
    for status in [Status::BadQuote, Status::BadCollateral, Status::QuoteSignature] {
        assert!(statuses.contains_key(&(status as u8)), "{status:?} never reached");
    }
}

fn base_collateral_offset(input: &[u8]) -> usize {
    u64::from_be_bytes(input[56..64].try_into().expect("8 bytes")) as usize
}

#[test]
fn collateral_from_dcap_qvl_json() {
    for rel in [TDX_V4_COLL, TD15EX_COLL, SGX_COLL, COLL_90C0_0625] {
        let dcap: dcap_qvl::QuoteCollateralV3 =
            serde_json::from_slice(&read_fixture(rel)).expect("collateral JSON");
        let ours = FixtureCollateral::load(rel);
        assert_eq!(Collateral::from(&dcap), ours.get(), "{rel}");
    }
}
