//! `split`: the comparison's split exported as IDX files, never over an existing folder, with
//! the validation part each split holds out by default.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use mnist_data::synth;

mod common;
use common::{fixture_dir, xtask};

#[test]
fn split_exports_the_comparison_split_as_idx_files() {
    use mnist_data::idx::{IdxKind, read_idx};
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_dir(tmp.path());
    let out = tmp.path().join("split");
    let export = |out: &Path| {
        xtask(&[
            "split",
            "--data-dir",
            dir.to_str().unwrap(),
            "--skip-checksum",
            "--split",
            "pooled-80-20",
            "--val-fraction",
            "0.25",
            "--seed",
            "7",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let result = export(&out);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    // 60 pooled images: 12 test, and 48 training of which 12 held out for validation.
    let spec = mnist_data::SplitSpec {
        kind: mnist_data::SplitKind::Pooled8020,
        seed: 7,
        validation_fraction: 0.25,
    };
    let expected =
        mnist_data::Split::new(&synth::separable(40, 1), &synth::separable(20, 2), spec).unwrap();
    for (prefix, part) in [
        ("train", &expected.train),
        ("validation", &expected.validation),
        ("t10k", &expected.test),
    ] {
        let images = read_idx(
            &out.join(format!("{prefix}-images-idx3-ubyte")),
            IdxKind::Images,
        )
        .unwrap();
        let labels = read_idx(
            &out.join(format!("{prefix}-labels-idx1-ubyte")),
            IdxKind::Labels,
        )
        .unwrap();
        assert_eq!(images.data, part.pixels(), "{prefix} images");
        assert_eq!(labels.data, part.labels(), "{prefix} labels");
    }
    assert_eq!(
        (
            expected.train.len(),
            expected.validation.len(),
            expected.test.len()
        ),
        (36, 12, 12)
    );
    // An existing folder is never overwritten.
    let again = export(&out);
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");
}

/// Without `--val-fraction`, `standard` holds 10% of the training file out and `pooled-80-20`
/// none (the notebook trained on its whole 80%); the flag overrides either.
#[test]
fn the_default_validation_fraction_follows_the_split() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_dir(tmp.path());
    let sizes = |name: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let mut args = vec![
            "split",
            "--data-dir",
            dir.to_str().unwrap(),
            "--skip-checksum",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let result = xtask(&args);
        let stdout = String::from_utf8_lossy(&result.stdout);
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        let count = |part: &str| {
            read_idx_count(&out.join(format!("{part}-labels-idx1-ubyte"))).unwrap_or(0)
        };
        (
            count("train"),
            count("validation"),
            count("t10k"),
            stdout.to_string(),
        )
    };
    // 40 training-file images and 20 test-file images.
    let (train, val, test, _) = sizes("standard", &[]);
    assert_eq!((train, val, test), (36, 4, 20));
    let (train, val, test, stdout) = sizes("pooled", &["--split", "pooled-80-20"]);
    assert_eq!((train, val, test), (48, 0, 12), "{stdout}");
    let (train, val, test, _) = sizes(
        "pooled-val",
        &["--split", "pooled-80-20", "--val-fraction", "0.25"],
    );
    assert_eq!((train, val, test), (36, 12, 12));
}

/// Number of labels in an IDX labels file, or `None` when it does not exist.
fn read_idx_count(path: &Path) -> Option<usize> {
    use mnist_data::idx::{IdxKind, read_idx};
    path.exists()
        .then(|| read_idx(path, IdxKind::Labels).unwrap().data.len())
}
