//! Records, at build time, the versions of the main dependencies (from Cargo.lock) and the
//! compiler flags, so that reports can say what produced them.

use std::fmt::Write;

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
    let lock_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock");
    println!("cargo::rerun-if-changed={lock_path}");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let lock = std::fs::read_to_string(lock_path).unwrap_or_default();
    let mut versions = String::new();
    let mut name = "";
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = n.trim_matches('"');
        } else if let Some(v) = line.strip_prefix("version = ")
            && CRATES.contains(&name)
        {
            let _ = write!(versions, "{name} {};", v.trim_matches('"'));
        }
    }
    println!("cargo::rustc-env=MNIST_COMPARE_VERSIONS={versions}");
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS")
        .unwrap_or_default()
        .replace('\x1f', " ");
    println!("cargo::rustc-env=MNIST_COMPARE_RUSTFLAGS={flags}");
    let profile = std::env::var("PROFILE").unwrap_or_default();
    println!("cargo::rustc-env=MNIST_COMPARE_PROFILE={profile}");
}
