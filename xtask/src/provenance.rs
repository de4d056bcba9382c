//! What a report records about the machine, the code and the build: the commit whose code ran
//! (`-dirty` when it differed), the data's sources named without the machine's paths, the
//! compiler, crate versions and cargo features `build.rs` bakes in (the build fails if it cannot
//! read them), and the command as one a user can type again: the cargo alias or `--features`
//! that rebuild the same binary, then the arguments, shell-quoted.

use std::path::{Path, PathBuf};
use std::process::Command;

use mnist_data::Origin;

/// The workspace root, wherever the command is run from.
pub fn workspace_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// Where the data came from, as the user would recognise it, and whether its checksums were
/// checked. No path of the machine that wrote a report goes into it: the bundled copy is named
/// relative to the workspace, the cache by name alone, and a folder the user named (`--data-dir`,
/// `MNIST_DIR`) exactly as given.
pub fn data(origin: &Origin, dataset: &str, verified: bool) -> String {
    let place = match origin {
        Origin::Bundled(dir) => match dir.strip_prefix(workspace_root()) {
            Ok(relative) => format!("bundled copy {}", relative.display()),
            Err(_) => "bundled copy".to_string(),
        },
        Origin::Cache(_) => "user cache".to_string(),
        Origin::Downloaded { urls, .. } => {
            let mut hosts: Vec<&str> = urls
                .iter()
                .map(|u| u.split('/').nth(2).unwrap_or(u))
                .collect();
            hosts.dedup();
            format!("downloaded into the user cache from {}", hosts.join(", "))
        }
        Origin::DataDir(_) | Origin::EnvDir { .. } => origin.to_string(),
    };
    let checks = if verified {
        "verified SHA-256"
    } else {
        "unverified"
    };
    format!("{dataset}, {place} ({checks} checksums)")
}

/// Versions of the compiler that built this binary and of the main crates, from the lockfile at
/// build time.
pub fn versions() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = env!("MNIST_COMPARE_VERSIONS")
        .split(';')
        .filter_map(|entry| entry.split_once(' '))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    out.sort();
    out.dedup();
    out.insert(0, ("rustc".into(), env!("MNIST_COMPARE_RUSTC").to_string()));
    out
}

/// [`versions`] as one line: `rustc 1.95.0, burn 0.22.1, ...`.
pub fn versions_line() -> String {
    let versions: Vec<String> = versions().iter().map(|(n, v)| format!("{n} {v}")).collect();
    versions.join(", ")
}

/// The cargo features of xtask this binary was built with (`blis`, `flex`, `cuda`, `wgpu`).
pub fn features() -> Vec<&'static str> {
    features_of(env!("MNIST_COMPARE_FEATURES"))
}

fn features_of(list: &'static str) -> Vec<&'static str> {
    list.split(',').filter(|f| !f.is_empty()).collect()
}

/// The cargo command that builds and runs this binary as it was built: the `xtask` alias for
/// the default features, `xtask-flex` with Flex (both build in release), else `cargo run` with
/// the profile and features spelled out.
fn cargo_invocation(features: &[&str], release: bool) -> String {
    let blis = features.contains(&"blis");
    let extra: Vec<&str> = features.iter().copied().filter(|f| *f != "blis").collect();
    match (release, blis, extra.as_slice()) {
        (true, true, []) => "cargo xtask".to_string(),
        (true, true, ["flex"]) => "cargo xtask-flex".to_string(),
        _ => {
            let mut cmd = if release {
                "cargo run --release -p xtask"
            } else {
                "cargo run -p xtask"
            }
            .to_string();
            if !blis {
                cmd.push_str(" --no-default-features");
            }
            if !extra.is_empty() {
                cmd.push_str(&format!(" --features {}", extra.join(",")));
            }
            cmd.push_str(" --");
            cmd
        }
    }
}

/// `arg` as a POSIX shell reads it back unchanged: as it is when it has no special character,
/// else in single quotes.
fn shell_quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=,:@%+".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The command as a user can type it again: the cargo invocation that builds this binary with
/// its profile and features, then the arguments, shell-quoted (an argument that is not UTF-8 is
/// recorded with its undecodable bytes replaced, never a panic).
pub fn command_line() -> String {
    let args = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned());
    command_for(
        &features(),
        env!("MNIST_COMPARE_PROFILE") == "release",
        args,
    )
}

/// [`command_line`] without the flags in `drop` (each with its value, as `--flag V` or
/// `--flag=V`): a shard's command as the whole comparison would be run.
pub fn command_line_without(drop: &[&str]) -> String {
    let mut args = Vec::new();
    let mut skip = false;
    for arg in std::env::args_os().skip(1) {
        let arg = arg.to_string_lossy().into_owned();
        if std::mem::take(&mut skip) {
            continue;
        }
        if drop.contains(&arg.as_str()) {
            skip = true;
        } else if !drop.iter().any(|d| arg.starts_with(&format!("{d}="))) {
            args.push(arg);
        }
    }
    command_for(
        &features(),
        env!("MNIST_COMPARE_PROFILE") == "release",
        args.into_iter(),
    )
}

/// [`command_line`] as it would be with `feature` compiled in as well: the command that works
/// when this build lacks it.
pub fn command_line_with(feature: &str) -> String {
    let mut with = features();
    if !with.contains(&feature) {
        with.push(feature);
    }
    let args = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned());
    command_for(&with, env!("MNIST_COMPARE_PROFILE") == "release", args)
}

fn command_for(features: &[&str], release: bool, args: impl Iterator<Item = String>) -> String {
    let mut cmd = cargo_invocation(features, release);
    for arg in args {
        cmd.push(' ');
        cmd.push_str(&shell_quote(&arg));
    }
    cmd
}

/// What this process contributes to a report's provenance: versions, features, CPU, build and
/// `started`; the rest is left for the command to fill in.
pub fn this_process(started: String) -> report::Provenance {
    report::Provenance {
        versions: versions(),
        features: features().iter().map(|f| f.to_string()).collect(),
        cpu: cpu(),
        build: build(),
        started,
        ..report::Provenance::default()
    }
}

/// CPU model and logical core count.
pub fn cpu() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{model}, {cores} cores")
}

/// Build profile, cargo features, compiler flags, what each backend says of its build (e.g. the
/// library behind linfa's matrix products) and the allocator setting (`bench_core::malloc`).
pub fn build() -> String {
    let flags = env!("MNIST_COMPARE_RUSTFLAGS").trim();
    let profile = env!("MNIST_COMPARE_PROFILE");
    let facts: String = crate::registry::factories()
        .iter()
        .flat_map(|f| f.build_facts())
        .map(|fact| format!(", {fact}"))
        .collect();
    let malloc = bench_core::malloc::description();
    let features = features();
    let features = if features.is_empty() {
        "no optional features".to_string()
    } else {
        format!("features {}", features.join(", "))
    };
    if flags.is_empty() {
        format!("{profile}, {features}{facts}, allocator: {malloc}")
    } else {
        format!("{profile}, {features}, RUSTFLAGS `{flags}`{facts}, allocator: {malloc}")
    }
}

/// The commit of the code, with `-dirty-HASH` when a tracked file outside `reports/` differs
/// from it (HASH: a short hash of those differences, so that two different edits of one commit
/// are told apart), so that a clean commit names exactly the tree that produced a report.
/// Untracked files (a shard's part, a log) do not count: a build reads tracked files.
pub fn git_commit() -> String {
    let root = workspace_root();
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) => match git(&["diff", "HEAD", "--", ".", ":!reports"]) {
            Some(diff) if !diff.is_empty() => {
                let hash = mnist_data::idx::sha256_hex(diff.as_bytes());
                format!("{commit}-dirty-{}", &hash[..8])
            }
            _ => commit,
        },
        None => "unknown (not a git checkout)".into(),
    }
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The machine's host name (Linux), or `unknown`.
pub fn host() -> String {
    proc_line("/proc/sys/kernel/hostname")
}

/// The running kernel's boot id (Linux), the same in every container on one machine, or
/// `unknown`: what tells `merge` that two shards shared a machine.
pub fn boot_id() -> String {
    proc_line("/proc/sys/kernel/random/boot_id")
}

fn proc_line(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Now, as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_command_rebuilds_the_same_features() {
        let args = |a: &[&str]| {
            a.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert_eq!(
            command_for(&["blis"], true, args(&["compare", "--seeds", "5"])),
            "cargo xtask compare --seeds 5"
        );
        assert_eq!(
            command_for(
                &["blis", "flex"],
                true,
                args(&["compare", "--backends", "all"])
            ),
            "cargo xtask-flex compare --backends all"
        );
        assert_eq!(
            command_for(&["blis", "flex", "wgpu"], true, args(&["compare"])),
            "cargo run --release -p xtask --features flex,wgpu -- compare"
        );
        assert_eq!(
            command_for(&[], true, args(&["compare"])),
            "cargo run --release -p xtask --no-default-features -- compare"
        );
        assert_eq!(
            command_for(&["blis"], false, args(&["compare"])),
            "cargo run -p xtask -- compare"
        );
        // Arguments a shell would split or expand are quoted so that they read back unchanged.
        assert_eq!(
            command_for(
                &["blis"],
                true,
                args(&[
                    "compare",
                    "--out",
                    "my reports",
                    "--set",
                    "burn.hidden=256,128",
                    "it's",
                    ""
                ])
            ),
            r"cargo xtask compare --out 'my reports' --set burn.hidden=256,128 'it'\''s' ''"
        );
    }

    #[test]
    fn this_binary_names_its_features_and_versions() {
        let features = features();
        assert_eq!(features.contains(&"blis"), cfg!(feature = "blis"));
        assert_eq!(features.contains(&"flex"), cfg!(feature = "flex"));
        // The allocator setting main applies is named (a test binary never applies it).
        assert!(build().ends_with(bench_core::malloc::description()));
        // Each backend's build facts reach the line (linfa's says what runs its products).
        let facts: Vec<String> = crate::registry::factories()
            .iter()
            .flat_map(|f| f.build_facts())
            .collect();
        assert!(!facts.is_empty());
        for fact in facts {
            assert!(
                build().contains(&format!(", {fact},")),
                "{fact}: {}",
                build()
            );
        }
        // build.rs fails the build when a crate of its list is missing; the compiler comes first.
        assert_eq!(versions()[0].0, "rustc");
        assert_eq!(features_of(""), Vec::<&str>::new());
    }

    #[test]
    fn data_sources_are_named_without_the_machines_paths() {
        let home = PathBuf::from("/home/someone/.cache/mnist-compare/mnist");
        let bundled = workspace_root().join("crates/mnist-data/data");
        let named = [
            data(&Origin::Cache(home.clone()), "MNIST", true),
            data(
                &Origin::Downloaded {
                    dir: home,
                    urls: vec!["https://mirror.example/mnist/train-images-idx3-ubyte.gz".into()],
                },
                "MNIST",
                true,
            ),
            data(&Origin::Bundled(bundled), "MNIST", false),
        ];
        assert_eq!(named[0], "MNIST, user cache (verified SHA-256 checksums)");
        assert_eq!(
            named[1],
            "MNIST, downloaded into the user cache from mirror.example (verified SHA-256 checksums)"
        );
        assert_eq!(
            named[2],
            "MNIST, bundled copy crates/mnist-data/data (unverified checksums)"
        );
        // A folder the user named is recorded as given.
        assert_eq!(
            data(
                &Origin::DataDir(PathBuf::from("../idx")),
                "Fashion-MNIST",
                true
            ),
            "Fashion-MNIST, --data-dir ../idx (verified SHA-256 checksums)"
        );
    }
}
