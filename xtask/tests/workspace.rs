//! The workspace's shape, checked from cargo's own view of it (`cargo metadata`) and from the
//! source tree: every crate declares its role; no backend crate depends on another backend crate
//! and no shared crate depends on a backend; no file grows past what one reader holds at once.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The roles a crate declares in `[package.metadata.mnist-compare] role = "..."`.
const ROLES: [&str; 3] = ["backend", "shared", "tool"];

/// The one crate with the `tool` role, which may depend on every crate.
const TOOL: &str = "xtask";

/// The longest source file, and the longest test file, in lines.
const SOURCE_LINES: usize = 500;
const TEST_LINES: usize = 600;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Each workspace member's name, role, and the workspace crates it depends on (normal, dev and
/// build dependencies alike).
fn members() -> BTreeMap<String, (String, Vec<String>)> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let names: Vec<String> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    packages
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap().to_string();
            let role = p["metadata"]["mnist-compare"]["role"]
                .as_str()
                .unwrap_or("none")
                .to_string();
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_string())
                .filter(|d| names.contains(d))
                .collect();
            (name, (role, deps))
        })
        .collect()
}

/// The workspace's shape as a list of broken rules, one line each.
fn broken_rules(members: &BTreeMap<String, (String, Vec<String>)>) -> Vec<String> {
    let mut broken = Vec::new();
    for (name, (role, deps)) in members {
        if !ROLES.contains(&role.as_str()) {
            broken.push(format!(
                "{name}: declares no role; add [package.metadata.mnist-compare] role = one of \
                 {ROLES:?} to its Cargo.toml"
            ));
        }
        if role == "tool" {
            if name != TOOL {
                broken.push(format!(
                    "{name}: only {TOOL} may declare role = \"tool\"; a library is a backend or \
                     shared"
                ));
            }
            continue;
        }
        for dep in deps {
            if members.get(dep).is_some_and(|(r, _)| r == "backend") {
                broken.push(format!(
                    "{name} ({role}) depends on the backend crate {dep}: move what they share \
                     into a shared crate"
                ));
            }
        }
    }
    broken
}

#[test]
fn no_backend_crate_depends_on_another_and_no_shared_crate_on_a_backend() {
    let members = members();
    let backends: Vec<&String> = members
        .iter()
        .filter(|(_, (role, _))| role == "backend")
        .map(|(name, _)| name)
        .collect();
    assert!(
        backends.len() >= 2,
        "cargo metadata names these backend crates: {backends:?}"
    );
    let broken = broken_rules(&members);
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_rule_catches_a_backend_that_depends_on_another() {
    let member = |role: &str, deps: &[&str]| {
        (
            role.to_string(),
            deps.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        )
    };
    let members = BTreeMap::from([
        ("a".to_string(), member("backend", &["common"])),
        ("b".to_string(), member("backend", &["a"])),
        ("common".to_string(), member("shared", &["b"])),
        (TOOL.to_string(), member("tool", &["a", "b"])),
        ("helper".to_string(), member("tool", &["a", "b"])),
        ("new".to_string(), member("none", &[])),
    ]);
    let broken = broken_rules(&members);
    assert_eq!(broken.len(), 4, "{broken:?}");
    assert!(broken[0].starts_with("b (backend) depends on the backend crate a"));
    assert!(broken[1].starts_with("common (shared) depends on the backend crate b"));
    assert!(broken[2].starts_with("helper: only xtask may declare role"));
    assert!(broken[3].starts_with("new: declares no role"));
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn no_source_file_over_500_lines_and_no_test_file_over_600() {
    let root = root();
    let mut too_long = Vec::new();
    let crates = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .chain([root.join("xtask")]);
    for krate in crates {
        for (folder, limit) in [
            ("src", SOURCE_LINES),
            ("examples", SOURCE_LINES),
            ("tests", TEST_LINES),
        ] {
            let mut files = Vec::new();
            rust_files(&krate.join(folder), &mut files);
            for file in files {
                let lines = std::fs::read_to_string(&file).unwrap().lines().count();
                if lines > limit {
                    let shown = file.strip_prefix(&root).unwrap().display().to_string();
                    too_long.push(format!("{shown}: {lines} lines (limit {limit})"));
                }
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "split these by concern:\n{}",
        too_long.join("\n")
    );
}
