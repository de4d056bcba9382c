//! Records, at build time, what a report or benchmark must say about the binary that wrote it:
//! the versions of the main dependencies (from Cargo.lock), the compiler that built it, the
//! cargo features it was built with and the compiler flags. A lockfile that cannot be read, or
//! that lacks one of the crates, fails the build: provenance is never silently empty.

use std::fmt::Write;
use std::process::Command;

/// The crates whose versions every report names; a build with the candle backend also names
/// candle-core.
const CRATES: [&str; 7] = [
    "burn",
    "linfa",
    "linfa-logistic",
    "ndarray",
    "polars",
    "plotters",
    "flate2",
];

fn main() {
    // Read when the script runs, not when it was compiled: a compiled build script may be
    // reused by a checkout in another folder sharing the target folder.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|e| panic!("cargo sets CARGO_MANIFEST_DIR for build scripts: {e}"));
    let lock_path = format!("{manifest_dir}/../Cargo.lock");
    println!("cargo::rerun-if-changed={lock_path}");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let lock = std::fs::read_to_string(&lock_path)
        .unwrap_or_else(|e| panic!("cannot read {lock_path} for the reports' versions: {e}"));
    let mut crates = CRATES.to_vec();
    if std::env::var_os("CARGO_FEATURE_CANDLE").is_some() {
        crates.push("candle-core");
    }
    let mut versions = String::new();
    let mut name = "";
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = n.trim_matches('"');
        } else if let Some(v) = line.strip_prefix("version = ")
            && crates.contains(&name)
        {
            let _ = write!(versions, "{name} {};", v.trim_matches('"'));
        }
    }
    for krate in crates {
        assert!(
            versions
                .split(';')
                .any(|e| e.split(' ').next() == Some(krate)),
            "{lock_path} names no version of {krate}: the reports could not say which they used"
        );
    }
    println!("cargo::rustc-env=MNIST_COMPARE_VERSIONS={versions}");

    // The compiler cargo builds this crate with, not whichever `rustc` is on the PATH later.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out = Command::new(&rustc)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{rustc} --version`: {e}"));
    let version = String::from_utf8_lossy(&out.stdout);
    let version = version
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("`{rustc} --version` printed no version: {version:?}"));
    println!("cargo::rustc-env=MNIST_COMPARE_RUSTC={version}");

    // Every feature of xtask this build enabled (cargo sets `CARGO_FEATURE_<NAME>` for each),
    // but `default`, which is a set of the others.
    let mut features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| k.strip_prefix("CARGO_FEATURE_").map(str::to_string))
        .filter(|f| f != "DEFAULT")
        .map(|f| f.to_lowercase().replace('_', "-"))
        .collect();
    features.sort();
    println!(
        "cargo::rustc-env=MNIST_COMPARE_FEATURES={}",
        features.join(",")
    );

    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS")
        .unwrap_or_default()
        .replace('\x1f', " ");
    println!("cargo::rustc-env=MNIST_COMPARE_RUSTFLAGS={flags}");
    let profile = std::env::var("PROFILE").unwrap_or_default();
    println!("cargo::rustc-env=MNIST_COMPARE_PROFILE={profile}");
}
