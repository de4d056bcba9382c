//! The data `compare` reads: a missing folder, a damaged file, another dataset's files, an
//! unknown dataset or a bad download setting is one clear error, exit status 1, no panic and no
//! report.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use mnist_data::idx::{encode_labels, gzip};
use mnist_data::synth;

mod common;
use common::{assert_clean_failure, fixture_dir};

#[test]
fn a_missing_directory_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    assert_clean_failure(
        &["--data-dir", "/nonexistent/idx"],
        &out,
        "--data-dir /nonexistent/idx: no such directory",
    );
}

/// Runs `compare` on a fixture folder damaged by `damage`, expecting a clean failure.
fn assert_damaged_fixture_fails(damage: impl FnOnce(&Path), expected: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_dir(tmp.path());
    damage(&dir);
    let out = tmp.path().join("reports");
    assert_clean_failure(&["--data-dir", dir.to_str().unwrap()], &out, expected);
}

#[test]
fn a_truncated_images_file_is_one_clear_error() {
    assert_damaged_fixture_fails(
        |dir| {
            let raw = mnist_data::idx::encode_images(synth::separable(40, 1).pixels());
            let cut = gzip(&raw[..raw.len() - 500]);
            std::fs::write(dir.join("train-images-idx3-ubyte.gz"), cut).unwrap();
        },
        "train-images-idx3-ubyte.gz: truncated",
    );
}

#[test]
fn a_labels_file_whose_count_disagrees_is_one_clear_error() {
    assert_damaged_fixture_fails(
        |dir| {
            let labels = gzip(&encode_labels(&[3; 19]));
            std::fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), labels).unwrap();
        },
        "t10k-labels-idx1-ubyte.gz: 19 labels, but",
    );
}

#[test]
fn a_file_with_the_wrong_magic_is_one_clear_error() {
    assert_damaged_fixture_fails(
        |dir| {
            // A labels file where the images belong.
            std::fs::copy(
                dir.join("train-labels-idx1-ubyte.gz"),
                dir.join("train-images-idx3-ubyte.gz"),
            )
            .unwrap();
        },
        "expected magic 0x00000803, found 0x00000801",
    );
}

#[test]
fn a_non_gzip_file_named_gz_is_one_clear_error() {
    assert_damaged_fixture_fails(
        |dir| {
            let html = "<html>404 Not Found</html>";
            std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), html).unwrap();
        },
        "not gzip-compressed",
    );
}

#[test]
fn a_checksum_mismatch_is_one_clear_error() {
    // Synthetic files are valid IDX but not MNIST: only the checksum check can reject them.
    assert_damaged_fixture_fails(|_| {}, "SHA-256 of the decoded bytes is");
}

#[test]
fn a_download_timeout_that_is_not_a_number_is_one_clear_error() {
    let result = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["data", "--dataset", "fashion-mnist"])
        .env("MNIST_DOWNLOAD_TIMEOUT", "soon")
        .env("MNIST_CACHE_DIR", "/nonexistent/mnist-compare-test-cache")
        .env("MNIST_MIRRORS", "http://127.0.0.1:9/")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: MNIST_DOWNLOAD_TIMEOUT=\"soon\": expected the seconds"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_dataset_lists_the_known_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    assert_clean_failure(
        &["--dataset", "nosuch"],
        &out,
        "--dataset: unknown dataset \"nosuch\"; known datasets: mnist (MNIST, handwritten digits), \
         fashion-mnist (Fashion-MNIST, Zalando's clothing images)",
    );
}

#[test]
fn another_datasets_files_are_named_with_the_flag_to_use() {
    // The bundled MNIST given as Fashion-MNIST: the checksums say what the files are. (The
    // other way round, Fashion-MNIST files in MNIST mode, takes files CI does not have; the
    // data crate tests it with two synthetic datasets.)
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let bundled = mnist_data::source::bundled_dir();
    assert_clean_failure(
        &[
            "--dataset",
            "fashion-mnist",
            "--data-dir",
            bundled.to_str().unwrap(),
        ],
        &out,
        "these are the MNIST files (all four checksums match), not Fashion-MNIST; pass --dataset mnist",
    );
}
