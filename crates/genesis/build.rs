//! Extracts the OP Stack predeploys' and preinstalls' bytecode from the pinned npm package
//! `@eth-optimism/contracts-bedrock` (installed into `contracts/node_modules` by `npm ci`, never
//! committed) into `OUT_DIR/op/`, one binary file per code: `<Contract>.init` (forge's creation
//! code) and `<Name>.code` (runtime code: the `Proxy`, and the preinstalls' code constants of the
//! package's `src/libraries/Preinstalls.sol`). `src/op/artifacts.rs` embeds those files.

use std::{
    fs,
    path::{Path, PathBuf},
};

/// The npm package, as `contracts/package.json` pins it.
const PACKAGE: &str = "@eth-optimism/contracts-bedrock";

/// Contracts whose creation code genesis runs (constructors with their arguments), then the L1
/// contracts the devnet deployer (`phala-l1`) deploys behind `Proxy`s.
const CREATION_CODE: [&str; 23] = [
    "ProxyAdmin",
    "LegacyMessagePasser",
    "DeployerWhitelist",
    "WETH",
    "L2CrossDomainMessenger",
    "L2StandardBridge",
    "SequencerFeeVault",
    "OptimismMintableERC20Factory",
    "L1BlockNumber",
    "L2ERC721Bridge",
    "L2ToL1MessagePasser",
    "OptimismMintableERC721Factory",
    "BaseFeeVault",
    "L1FeeVault",
    "SchemaRegistry",
    "EAS",
    "Proxy",
    "SuperchainConfig",
    "OptimismPortal",
    "L2OutputOracle",
    "SystemConfig",
    "L1StandardBridge",
    "L1CrossDomainMessenger",
];

/// Contracts whose runtime code genesis places as it is.
const RUNTIME_CODE: [&str; 1] = ["Proxy"];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let contracts = manifest.join("../../contracts");
    let package = contracts.join("node_modules").join(PACKAGE);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("op");
    fs::create_dir_all(&out).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed={}", contracts.join("package.json").display());
    println!("cargo:rerun-if-changed={}", package.join("package.json").display());
    if let Err(message) = extract(&contracts, &package, &out) {
        eprintln!(
            "error: {message}\nThe OP Stack predeploys come from the npm package {PACKAGE} pinned \
             in contracts/package.json: run `cd contracts && npm ci` (scripts/test and \
             scripts/devnet do it)."
        );
        std::process::exit(1);
    }
}

fn extract(contracts: &Path, package: &Path, out: &Path) -> Result<(), String> {
    let pinned = json(&contracts.join("package.json"))?["devDependencies"][PACKAGE]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("contracts/package.json does not pin {PACKAGE}"))?;
    let installed = json(&package.join("package.json"))?["version"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{} has no version", package.join("package.json").display()))?;
    if installed != pinned {
        return Err(format!(
            "contracts/node_modules has {PACKAGE} {installed}, contracts/package.json pins {pinned}."
        ));
    }
    for (names, field, extension) in
        [(&CREATION_CODE[..], "bytecode", "init"), (&RUNTIME_CODE[..], "deployedBytecode", "code")]
    {
        for name in names {
            let path = package.join(format!("forge-artifacts/{name}.sol/{name}.json"));
            println!("cargo:rerun-if-changed={}", path.display());
            let artifact = json(&path)?;
            if artifact[field]["linkReferences"].as_object().is_some_and(|refs| !refs.is_empty()) {
                return Err(format!("{}: {field} needs library linking", path.display()));
            }
            let code = artifact[field]["object"]
                .as_str()
                .ok_or_else(|| format!("{}: no {field}.object", path.display()))?;
            write(out, &format!("{name}.{extension}"), code, &path)?;
        }
    }
    // The preinstalls: `bytes internal constant <Name>Code = hex"…";` in the package's library.
    let path = package.join("src/libraries/Preinstalls.sol");
    println!("cargo:rerun-if-changed={}", path.display());
    let source = fs::read_to_string(&path).map_err(|err| format!("{}: {err}", path.display()))?;
    let mut found = 0;
    for chunk in source.split("bytes internal constant ").skip(1) {
        let (name, rest) = chunk
            .split_once('=')
            .ok_or_else(|| format!("{}: malformed constant", path.display()))?;
        let hex = rest
            .trim_start()
            .strip_prefix("hex\"")
            .and_then(|rest| rest.split_once('"'))
            .map(|(hex, _)| hex)
            .ok_or_else(|| format!("{}: {} is not a hex literal", path.display(), name.trim()))?;
        write(out, &format!("{}.code", name.trim()), hex, &path)?;
        found += 1;
    }
    if found == 0 {
        return Err(format!("{}: no preinstall code found", path.display()));
    }
    Ok(())
}

fn json(path: &Path) -> Result<serde_json::Value, String> {
    let text =
        fs::read_to_string(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    serde_json::from_str(&text).map_err(|err| format!("{}: {err}", path.display()))
}

/// Writes the bytes of the hex string `hex` (with or without `0x`) to `out/name`.
fn write(out: &Path, name: &str, hex: &str, origin: &Path) -> Result<(), String> {
    let hex = hex.strip_prefix("0x").unwrap_or(hex);
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let bytes = hex
        .as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [high, low] => Some(digit(*high)? << 4 | digit(*low)?),
            _ => None,
        })
        .collect::<Option<Vec<u8>>>()
        .filter(|bytes| !bytes.is_empty())
        .ok_or_else(|| format!("{}: {name} is not hex bytecode", origin.display()))?;
    fs::write(out.join(name), bytes).map_err(|err| format!("cannot write {name}: {err}"))
}
