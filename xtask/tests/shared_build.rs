//! The README's two commands share one build: the README's test command compiles no registry
//! crate that `cargo xtask compare` compiled, only workspace crates and test-only dependencies.
//!
//! Checked on cargo's own units, without building: `--unit-graph` lists every unit a command
//! would compile (package, target, features, profile, mode) with the units it depends on, and a
//! unit is compiled again when it, or any unit below it, is not one the first command builds.
//! `--unit-graph` is unstable: `RUSTC_BOOTSTRAP=1` lets the stable cargo print it (it reads,
//! resolves and prints; it compiles nothing).

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The README's test command's arguments after `cargo test`.
fn readme_test_args() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo test "))
        .expect("the README gives a `cargo test` command");
    let command = line.split('#').next().unwrap();
    // Quotes are the shell's (a glob kept from it), not part of an argument.
    command
        .split_whitespace()
        .skip(2)
        .map(|a| a.trim_matches('\'').to_string())
        .collect()
}

/// The unit graph of `cargo SUBCOMMAND ARGS`, as cargo prints it (format version 1).
fn unit_graph(args: &[String]) -> Value {
    let scratch = tempfile::tempdir().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
    let out = Command::new(cargo)
        .args(args)
        .args([
            "--unit-graph",
            "-Z",
            "unstable-options",
            "--offline",
            "--locked",
        ])
        .env("RUSTC_BOOTSTRAP", "1")
        // A target folder of its own, so that no lock of the running test's build is waited for.
        .env("CARGO_TARGET_DIR", scratch.path())
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo {}: {}(offline: a crate not yet downloaded is an error here; run the README's two \
         commands once, then this test)",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let graph: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        graph["version"], 1,
        "a unit graph format this test does not know"
    );
    graph
}

/// Each unit's identity, with its package: a hash of what cargo compiles it from and with, and
/// of the identities of the units it depends on (a changed dependency compiles its dependents
/// again).
fn identities(graph: &Value) -> HashMap<u64, String> {
    let units = graph["units"].as_array().unwrap();
    let mut memo: HashMap<usize, u64> = HashMap::new();
    fn identity(i: usize, units: &[Value], memo: &mut HashMap<usize, u64>) -> u64 {
        if let Some(id) = memo.get(&i) {
            return *id;
        }
        let u = &units[i];
        let deps: BTreeSet<u64> = u["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| identity(d["index"].as_u64().unwrap() as usize, units, memo))
            .collect();
        let mut hasher = DefaultHasher::new();
        for part in ["pkg_id", "features", "profile", "mode", "platform"] {
            u[part].to_string().hash(&mut hasher);
        }
        u["target"]["name"].to_string().hash(&mut hasher);
        u["target"]["kind"].to_string().hash(&mut hasher);
        deps.hash(&mut hasher);
        let id = hasher.finish();
        memo.insert(i, id);
        id
    }
    (0..units.len())
        .map(|i| {
            (
                identity(i, units, &mut memo),
                units[i]["pkg_id"].to_string(),
            )
        })
        .collect()
}

/// The registry packages (`name@version`) of `first` that `second` compiles again.
fn compiled_again(first: &Value, second: &Value) -> Vec<String> {
    let first = identities(first);
    let registry = |pkg: &str| pkg.contains("registry+");
    let name = |pkg: &str| {
        pkg.rsplit('#')
            .next()
            .unwrap()
            .trim_matches('"')
            .to_string()
    };
    let built: HashSet<String> = first.values().map(|p| name(p)).collect();
    let again: BTreeSet<String> = identities(second)
        .into_iter()
        .filter(|(id, pkg)| registry(pkg) && !first.contains_key(id) && built.contains(&name(pkg)))
        .map(|(_, pkg)| name(&pkg))
        .collect();
    again.into_iter().collect()
}

/// The first command's build: `cargo xtask` must be the alias for `cargo run --release -p xtask`.
fn first_command_build() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains("\ncargo xtask compare "),
        "the README's first command"
    );
    let config = std::fs::read_to_string(root().join(".cargo/config.toml")).unwrap();
    assert!(
        config.contains("xtask = \"run --release --package xtask --\""),
        "the `cargo xtask` alias changed: build what it runs here"
    );
    ["build", "--release", "-p", "xtask"]
        .map(String::from)
        .to_vec()
}

/// Whether `graph` holds a test build of the workspace crate in folder `folder`.
fn tests_crate(graph: &Value, folder: &str) -> bool {
    graph["units"].as_array().unwrap().iter().any(|u| {
        u["mode"] == "test"
            && u["pkg_id"]
                .as_str()
                .is_some_and(|id| id.contains(&format!("/{folder}#")))
    })
}

#[test]
fn the_test_command_compiles_no_registry_crate_the_first_command_compiled() {
    let first = unit_graph(&first_command_build());
    let mut test = vec!["test".to_string(), "--no-run".to_string()];
    test.extend(readme_test_args());
    let second = unit_graph(&test);
    assert!(first["units"].as_array().unwrap().len() > 100);
    assert!(
        tests_crate(&second, "xtask"),
        "the test command tests xtask"
    );
    let again = compiled_again(&first, &second);
    assert!(
        again.is_empty(),
        "the README's test command would compile these registry crates again: {}",
        again.join(", ")
    );
}

#[test]
fn a_unit_built_otherwise_or_above_one_built_otherwise_is_compiled_again() {
    let unit = |pkg: &str, features: &[&str], deps: &[usize]| {
        serde_json::json!({
            "pkg_id": format!("registry+https://github.com/rust-lang/crates.io-index#{pkg}"),
            "target": {"name": pkg, "kind": ["lib"]},
            "features": features,
            "profile": {"opt_level": "3"},
            "mode": "build",
            "platform": null,
            "dependencies": deps.iter().map(|i| serde_json::json!({"index": i})).collect::<Vec<_>>(),
        })
    };
    let first = serde_json::json!({"units": [
        unit("half@2.7.1", &["std"], &[]),
        unit("burn@0.22.1", &[], &[0]),
        unit("zip@1.0.0", &[], &[]),
    ]});
    let second = serde_json::json!({"units": [
        unit("half@2.7.1", &["rand_distr", "std"], &[]),
        unit("burn@0.22.1", &[], &[0]),
        unit("zip@1.0.0", &[], &[]),
        unit("proptest@1.6.0", &[], &[]),
    ]});
    assert_eq!(
        compiled_again(&first, &second),
        ["burn@0.22.1", "half@2.7.1"]
    );
    assert!(compiled_again(&first, &first).is_empty());
}
