//! `compare --shard K/N`, `merge` and `--baseline` end to end on synthetic data: shards run at
//! the same time and merged make the report of the whole command, timing aside; a part of
//! another plan, an incomplete part, a shard given twice or missing, and a baseline of other
//! data are each refused in one line with nothing written.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{fixture_dir, xtask};

/// compare's flags for a small run of scratch and linfa on `data`: `seeds` seeds, `epochs`
/// epochs (L-BFGS iterations for linfa).
fn flags_with(data: &Path, seeds: &str, epochs: &str) -> Vec<String> {
    [
        "compare",
        "--data-dir",
        data.to_str().unwrap(),
        "--skip-checksum",
        "--backends",
        "scratch,linfa",
        "--seeds",
        seeds,
        "--epochs",
        epochs,
    ]
    .map(String::from)
    .to_vec()
}

/// Three seeds, two epochs.
fn flags(data: &Path) -> Vec<String> {
    flags_with(data, "3", "2")
}

fn run_ok(args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = xtask(&args);
    assert!(
        result.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    result
}

fn with(mut args: Vec<String>, more: &[&str]) -> Vec<String> {
    args.extend(more.iter().map(|s| s.to_string()));
    args
}

/// Runs the shards of `flags` into `root/part-K` as concurrent processes; their folders.
fn shards(root: &Path, flags: &[String], n: usize) -> Vec<PathBuf> {
    let children: Vec<(PathBuf, std::process::Child)> = (1..=n)
        .map(|k| {
            let out = root.join(format!("part-{k}"));
            let child = Command::new(env!("CARGO_BIN_EXE_xtask"))
                .args(flags)
                .args([
                    "--shard",
                    &format!("{k}/{n}"),
                    "--out",
                    out.to_str().unwrap(),
                ])
                .env_remove("MNIST_DIR")
                .env("MNIST_CACHE_DIR", "/nonexistent/mnist-compare-test-cache")
                .env("MNIST_MIRRORS", "http://127.0.0.1:9/")
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            (out, child)
        })
        .collect();
    children
        .into_iter()
        .map(|(out, child)| {
            let result = child.wait_with_output().unwrap();
            assert!(
                result.status.success(),
                "{}",
                String::from_utf8_lossy(&result.stderr)
            );
            out
        })
        .collect()
}

/// A CSV without the columns named in `drop`.
fn csv_without(path: &Path, drop: &[&str]) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = text.lines().map(split_csv);
    let header = reader.next().unwrap();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| !drop.contains(&header[i].as_str()))
        .collect();
    std::iter::once(header)
        .chain(reader)
        .map(|row| keep.iter().map(|&i| row[i].clone()).collect())
        .collect()
}

/// Splits one CSV line on commas outside quotes.
fn split_csv(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

const TIMING: [&str; 2] = ["training_seconds", "predictions_per_second"];

#[test]
fn shards_run_at_once_and_merged_make_the_whole_report() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture_dir(tmp.path());
    let whole = tmp.path().join("whole");
    run_ok(&with(flags(&data), &["--out", whole.to_str().unwrap()]));
    let parts = shards(tmp.path(), &flags(&data), 2);
    let merged = tmp.path().join("merged");
    let mut merge = vec!["merge".to_string()];
    merge.extend(parts.iter().rev().map(|p| p.display().to_string()));
    merge.extend(
        [
            "--out",
            merged.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ]
        .map(String::from),
    );
    merge.push("--skip-checksum".into());
    let result = run_ok(&merge);
    assert!(String::from_utf8_lossy(&result.stdout).contains("summary.md"));

    for (file, drop) in [
        ("runs.csv", &TIMING[..]),
        ("summary.csv", &TIMING[..]),
        ("across-seeds.csv", &[][..]),
        ("mcnemar.csv", &[][..]),
        ("classes.csv", &[][..]),
        ("history.csv", &["seconds"][..]),
    ] {
        assert_eq!(
            csv_without(&whole.join(file), drop),
            csv_without(&merged.join(file), drop),
            "{file}"
        );
    }
    // Every chart comes from predictions, class probabilities and accuracies: the same bytes.
    let pngs: Vec<PathBuf> = std::fs::read_dir(&whole)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert!(pngs.len() >= 7, "{pngs:?}");
    for png in pngs {
        let name = png.file_name().unwrap();
        assert_eq!(
            std::fs::read(&png).unwrap(),
            std::fs::read(merged.join(name)).unwrap(),
            "{name:?}"
        );
    }
    let summary = std::fs::read_to_string(merged.join("summary.md")).unwrap();
    assert!(summary.contains("- Merged from 2 shards"), "{summary}");
    assert!(summary.contains("  - shard 1/2 (`"), "{summary}");
    // The command that makes the whole report in one run: no --shard, no --out.
    let command = summary
        .lines()
        .find(|l| l.starts_with("- Command: "))
        .unwrap();
    assert!(
        command.contains("--seeds 3") && !command.contains("--shard") && !command.contains("--out"),
        "{command}"
    );
    // The two shards ran at once here: their times are not those of runs alone, and a baseline
    // made by one process does not compare them.
    assert!(
        summary.contains("ran at the same time as another shard on the same machine"),
        "{summary}"
    );
    let against = tmp.path().join("against");
    let mut args = merge_args(&[&parts[0], &parts[1]], &against, &data);
    args.extend(["--baseline".to_string(), whole.display().to_string()]);
    let stdout = String::from_utf8_lossy(&run_ok(&args).stdout).into_owned();
    assert!(
        stdout.contains("  scratch: no change shown in test accuracy (")
            && stdout.contains("times not comparable: shards that shared a machine"),
        "{stdout}"
    );
}

/// Runs `args`, expecting exit status 1 and one `error:` line containing `expected`, and
/// nothing at `out`.
fn refused(args: &[String], out: &Path, expected: &str) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = xtask(&args);
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert_eq!(result.status.code(), Some(1), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains(expected),
        "{args:?}: expected {expected:?} in {stderr}"
    );
    assert!(!out.exists(), "{args:?}: something was written");
    stderr
}

fn merge_args(parts: &[&Path], out: &Path, data: &Path) -> Vec<String> {
    let mut args = vec!["merge".to_string()];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    args.extend(
        [
            "--out",
            out.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "--skip-checksum",
        ]
        .map(String::from),
    );
    args
}

#[test]
fn parts_that_do_not_make_one_whole_are_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture_dir(tmp.path());
    let parts = shards(tmp.path(), &flags_with(&data, "2", "2"), 2);
    let out = tmp.path().join("merged");
    // A shard of the same command with another number of epochs.
    let other = tmp.path().join("other");
    run_ok(&with(
        flags_with(&data, "2", "1"),
        &["--shard", "2/2", "--out", other.to_str().unwrap()],
    ));
    let e = refused(
        &merge_args(&[&parts[0], &other], &out, &data),
        &out,
        "are parts of different comparisons",
    );
    assert!(
        e.contains("backends.scratch.epochs: 2 in one, 1 in the other"),
        "{e}"
    );
    // The same shard twice.
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for f in ["part.json", "probabilities.safetensors"] {
        std::fs::copy(parts[0].join(f), copy.join(f)).unwrap();
    }
    refused(
        &merge_args(&[&parts[0], &copy, &parts[1]], &out, &data),
        &out,
        "are both shard 1/2: give each shard once",
    );
    // A shard missing.
    let e = refused(
        &merge_args(&[&parts[1]], &out, &data),
        &out,
        "shard 1/2 of this comparison not given",
    );
    assert!(e.contains("--shard 1/2 --out DIR"), "{e}");
    // A crashed shard's folder: no part.json.
    let crashed = tmp.path().join("crashed");
    std::fs::create_dir(&crashed).unwrap();
    refused(
        &merge_args(&[&parts[0], &crashed], &out, &data),
        &out,
        "holds no part.json",
    );
    // A part with a run taken out.
    let json = std::fs::read_to_string(copy.join("part.json")).unwrap();
    let mut part: serde_json::Value = serde_json::from_str(&json).unwrap();
    part["runs"].as_array_mut().unwrap().pop();
    std::fs::write(copy.join("part.json"), part.to_string()).unwrap();
    let e = refused(
        &merge_args(&[&copy, &parts[1]], &out, &data),
        &out,
        "is incomplete: shard 1/2 has 2 runs, the part holds 1",
    );
    assert!(e.contains("missing: "), "{e}");
}

#[test]
fn a_part_no_shard_wrote_and_an_out_over_what_merge_reads_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture_dir(tmp.path());
    let parts = shards(tmp.path(), &flags_with(&data, "2", "2"), 2);
    let out = tmp.path().join("merged");
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(
        parts[0].join("probabilities.safetensors"),
        copy.join("probabilities.safetensors"),
    )
    .unwrap();
    // Fields no shard writes: no shard, or a class that does not exist.
    for (edit, expected) in [
        (
            &(|p: &mut serde_json::Value| p["shard"] = serde_json::json!({"k": 0, "n": 0}))
                as &dyn Fn(&mut serde_json::Value),
            "shard 0/0 is not a shard",
        ),
        (
            &|p: &mut serde_json::Value| {
                p["runs"][0]["record"]["metrics"]["test_predictions"][0] = 10.into();
            },
            "predictions for",
        ),
        (
            &|p: &mut serde_json::Value| p["runs"][0]["index"] = 3.into(),
            "is scratch seed 42, its plan's is linfa seed 43",
        ),
    ] {
        let mut part: serde_json::Value =
            serde_json::from_slice(&std::fs::read(parts[0].join("part.json")).unwrap()).unwrap();
        edit(&mut part);
        std::fs::write(copy.join("part.json"), part.to_string()).unwrap();
        let e = refused(
            &merge_args(&[&copy, &parts[1]], &out, &data),
            &out,
            expected,
        );
        assert!(e.contains("run that shard again"), "{e}");
    }
    // Outputs that would replace what the command reads, or a report with a part.
    let before = std::fs::read(parts[0].join("part.json")).unwrap();
    refused(
        &merge_args(&[&parts[0], &parts[1]], &parts[0], &data),
        &tmp.path().join("nothing"),
        "holds a shard's part (part.json), which this output would replace",
    );
    assert_eq!(std::fs::read(parts[0].join("part.json")).unwrap(), before);
    // Data that is not the data the shards read.
    let other = tmp.path().join("other-data");
    mnist_data::write::write_dir(
        &other,
        &mnist_data::synth::separable(40, 7),
        &mnist_data::synth::separable(20, 8),
        true,
    )
    .unwrap();
    refused(
        &merge_args(&[&parts[0], &parts[1]], &out, &other),
        &out,
        "is not the data the shards read (their files' checksums differ)",
    );
    // A file that is not a tensor file in place of the probabilities.
    std::fs::write(
        parts[1].join("probabilities.safetensors"),
        b"not a tensor file",
    )
    .unwrap();
    refused(
        &merge_args(&[&parts[0], &parts[1]], &out, &data),
        &out,
        "probabilities.safetensors",
    );
}

#[test]
fn a_shard_needs_its_own_folder_and_no_baseline() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture_dir(tmp.path());
    let out = tmp.path().join("reports");
    refused(
        &with(flags(&data), &["--shard", "1/2"]),
        &out,
        "--shard writes a part of the comparison, not a report: name its folder with --out",
    );
    refused(
        &with(
            flags(&data),
            &[
                "--shard",
                "1/2",
                "--out",
                out.to_str().unwrap(),
                "--baseline",
                "reports",
            ],
        ),
        &out,
        "give --baseline to `cargo xtask merge` with the parts",
    );
    refused(
        &with(
            flags_with(&data, "1", "1"),
            &["--shard", "1/3", "--out", out.to_str().unwrap()],
        ),
        &out,
        "--shard 1/3: 3 shards for 2 runs would leave some with none",
    );
    let result = xtask(&["compare", "--shard", "3/2", "--plan"]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("expected K/N with 1 <= K <= N"), "{stderr}");
}

#[test]
fn plan_lists_the_runs_and_how_shards_split_them_without_reading_data() {
    let result = run_ok(
        &[
            "compare",
            "--data-dir",
            "/nonexistent/data",
            "--backends",
            "scratch,linfa",
            "--seeds",
            "3",
            "--plan",
            "--shard",
            "2/2",
        ]
        .map(String::from),
    );
    let text = String::from_utf8_lossy(&result.stdout);
    assert!(
        text.starts_with("6 runs (2 backends x 3 seeds) on mnist"),
        "{text}"
    );
    assert!(
        text.contains("  1/2: scratch seed 42, linfa seed 43, scratch seed 44\n"),
        "{text}"
    );
    assert!(
        text.contains("  2/2: linfa seed 42, scratch seed 43, linfa seed 44  (this shard)\n"),
        "{text}"
    );
}

#[test]
fn a_baseline_says_what_moved_and_refuses_other_data() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture_dir(tmp.path());
    let before = tmp.path().join("before");
    run_ok(&with(flags(&data), &["--out", before.to_str().unwrap()]));
    let short = tmp.path().join("short");
    run_ok(&with(
        flags_with(&data, "3", "1"),
        &["--out", short.to_str().unwrap()],
    ));

    let now = tmp.path().join("now");
    let result = run_ok(&with(
        flags(&data),
        &[
            "--out",
            now.to_str().unwrap(),
            "--baseline",
            before.to_str().unwrap(),
        ],
    ));
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        stdout.contains("  scratch: no change shown in test accuracy"),
        "{stdout}"
    );
    let summary = std::fs::read_to_string(now.join("summary.md")).unwrap();
    assert!(summary.contains("## Against the baseline"), "{summary}");
    assert!(
        summary.contains("Both ran on the same CPU and build"),
        "{summary}"
    );
    assert!(now.join("baseline.csv").is_file());

    let again = tmp.path().join("again");
    let result = run_ok(&with(
        flags(&data),
        &[
            "--out",
            again.to_str().unwrap(),
            "--baseline",
            short.to_str().unwrap(),
        ],
    ));
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        stdout.contains(
            "  scratch: other settings (epochs 1 in the baseline, 2 here); nothing compared."
        ),
        "{stdout}"
    );

    // Outputs that would replace the baseline, or a report with a part.
    let nothing = tmp.path().join("nothing");
    let before_arg = before.to_str().unwrap();
    refused(
        &with(
            flags(&data),
            &["--out", before_arg, "--baseline", before_arg],
        ),
        &nothing,
        "would replace the baseline",
    );
    refused(
        &with(flags(&data), &["--shard", "1/2", "--out", before_arg]),
        &nothing,
        "holds a report (results.json), which this output would replace",
    );
    // A baseline of another dataset.
    let results = std::fs::read_to_string(before.join("results.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&results).unwrap();
    value["provenance"]["dataset"]["title"] = "Fashion-MNIST".into();
    std::fs::write(before.join("results.json"), value.to_string()).unwrap();
    let out = tmp.path().join("refused");
    let e = refused(
        &with(
            flags(&data),
            &[
                "--out",
                out.to_str().unwrap(),
                "--baseline",
                before.to_str().unwrap(),
            ],
        ),
        &out,
        "a report on Fashion-MNIST, this run is on unverified 28x28 IDX data",
    );
    assert!(
        e.contains(&format!("--baseline {}", before.display())),
        "{e}"
    );
    // Not a report at all.
    refused(
        &with(
            flags(&data),
            &[
                "--out",
                out.to_str().unwrap(),
                "--baseline",
                data.to_str().unwrap(),
            ],
        ),
        &out,
        "cannot read results.json",
    );
}

#[test]
fn shards_run_one_after_the_other_are_not_flagged_and_their_times_are_compared() {
    // Times are compared (a figure in seconds on each side), whichever way they moved.
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture_dir(tmp.path());
    let whole = tmp.path().join("whole");
    run_ok(&with(flags(&data), &["--out", whole.to_str().unwrap()]));
    let parts: Vec<PathBuf> = (1..=2)
        .map(|k| {
            let out = tmp.path().join(format!("part-{k}"));
            let shard = format!("{k}/2");
            run_ok(&with(
                flags(&data),
                &["--shard", &shard, "--out", out.to_str().unwrap()],
            ));
            out
        })
        .collect();
    let merged = tmp.path().join("merged");
    let mut args = merge_args(&[&parts[0], &parts[1]], &merged, &data);
    args.extend(["--baseline".to_string(), whole.display().to_string()]);
    let stdout = String::from_utf8_lossy(&run_ok(&args).stdout).into_owned();
    let summary = std::fs::read_to_string(merged.join("summary.md")).unwrap();
    assert!(summary.contains("- Merged from 2 shards"), "{summary}");
    assert!(!summary.contains("at the same time"), "{summary}");
    assert!(
        stdout.contains("  scratch: no change shown in test accuracy (")
            && stdout.contains(" s → ")
            && !stdout.contains("times not comparable"),
        "{stdout}"
    );
}
