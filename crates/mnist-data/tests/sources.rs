//! Finding, verifying and downloading the four files, against generated fixtures and a local
//! HTTP server started by the tests.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{fixture, gz_files, serve_files, sources};

use mnist_data::source::{find_files, load_dir};
use mnist_data::spec::KNOWN;
use mnist_data::{Checksums, DataError, FASHION_MNIST, MNIST, Origin, Part, Sources, synth};

fn quiet(_: &str) {}

#[test]
fn finds_canonical_alternate_raw_and_gzip_names() {
    let tmp = tempfile::tempdir().unwrap();
    let sums = fixture(tmp.path(), true);
    let paths = find_files(tmp.path(), &MNIST).unwrap();
    assert!(paths[0].ends_with("train-images-idx3-ubyte.gz"));

    // The other spelling, uncompressed.
    let alt = tempfile::tempdir().unwrap();
    fixture(alt.path(), false);
    for part in Part::ALL {
        std::fs::rename(
            alt.path().join(part.canonical_name()),
            alt.path().join(part.alternate_name()),
        )
        .unwrap();
    }
    let spec = synth::spec("synthetic", &sums);
    let mnist = load_dir(
        alt.path(),
        spec,
        true,
        &[],
        Origin::DataDir(alt.path().into()),
    )
    .unwrap();
    assert_eq!((mnist.train.len(), mnist.test.len()), (30, 10));
    assert!(mnist.files.iter().all(|f| f.verified));
}

#[test]
fn a_missing_file_names_every_spelling_tried() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path(), true);
    std::fs::remove_file(tmp.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let err = find_files(tmp.path(), &MNIST).unwrap_err().to_string();
    assert!(err.contains("no t10k-labels-idx1-ubyte.gz"), "{err}");
    assert!(err.contains("t10k-labels.idx1-ubyte"), "{err}");
}

#[test]
fn image_and_label_counts_must_agree() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path(), false);
    let labels = mnist_data::idx::encode_labels(&[1; 29]);
    std::fs::write(tmp.path().join("train-labels-idx1-ubyte"), labels).unwrap();
    let err = load_dir(
        tmp.path(),
        &MNIST,
        false,
        &[],
        Origin::DataDir(tmp.path().into()),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                images: 30,
                labels: 29,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("29 labels"), "{err}");
}

#[test]
fn a_checksum_mismatch_is_an_error_unless_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path(), true);
    let origin = Origin::DataDir(tmp.path().into());
    let err = load_dir(tmp.path(), &MNIST, true, &KNOWN, origin.clone()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, DataError::Checksum { .. }));
    assert!(
        text.contains("train-images-idx3-ubyte.gz")
            && text.contains("not MNIST")
            && text.contains("--skip-checksum"),
        "{text}"
    );
    let loaded = load_dir(tmp.path(), &MNIST, false, &KNOWN, origin).unwrap();
    assert!(loaded.files.iter().all(|f| !f.verified));
    assert!(loaded.identified.is_none());
}

#[test]
fn an_explicit_directory_that_does_not_exist_is_an_error_not_a_fallback() {
    let tmp = tempfile::tempdir().unwrap();
    let bundled = tmp.path().join("bundled");
    let sums = fixture(&bundled, true);
    let mut s = sources(&sums);
    s.bundled = Some(bundled);
    s.data_dir = Some(tmp.path().join("nope"));
    let err = s.load(&mut quiet).unwrap_err();
    assert!(matches!(err, DataError::MissingDir { .. }));
    assert!(err.to_string().starts_with("--data-dir "), "{err}");
    s.data_dir = None;
    s.env_dir = Some(tmp.path().join("nope"));
    assert!(
        s.load(&mut quiet)
            .unwrap_err()
            .to_string()
            .starts_with("SYNTH_DIR ")
    );
}

#[test]
fn search_order_is_data_dir_env_bundled_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = ["flag", "env", "bundled", "cache"]
        .iter()
        .map(|d| tmp.path().join(d))
        .collect();
    let sums = fixture(&dirs[0], true);
    for d in &dirs[1..] {
        fixture(d, true);
    }
    let mut s = sources(&sums);
    s.data_dir = Some(dirs[0].clone());
    s.env_dir = Some(dirs[1].clone());
    s.bundled = Some(dirs[2].clone());
    s.cache = Some(dirs[3].clone());
    assert_eq!(
        s.load(&mut quiet).unwrap().origin,
        Origin::DataDir(dirs[0].clone())
    );
    s.data_dir = None;
    assert_eq!(
        s.load(&mut quiet).unwrap().origin,
        Origin::EnvDir {
            var: "SYNTH_DIR".into(),
            dir: dirs[1].clone()
        }
    );
    s.env_dir = None;
    assert_eq!(
        s.load(&mut quiet).unwrap().origin,
        Origin::Bundled(dirs[2].clone())
    );
    std::fs::remove_dir_all(&dirs[2]).unwrap();
    assert_eq!(
        s.load(&mut quiet).unwrap().origin,
        Origin::Cache(dirs[3].clone())
    );
}

#[test]
fn downloads_into_the_cache_skipping_a_corrupt_mirror() {
    let tmp = tempfile::tempdir().unwrap();
    let origin_dir = tmp.path().join("origin");
    let sums = fixture(&origin_dir, true);
    let good = gz_files(&origin_dir, "/good");
    // The corrupt mirror serves valid IDX files with different contents: only the checksum
    // catches them.
    let other = tmp.path().join("other");
    mnist_data::write::write_dir(
        &other,
        &synth::separable(30, 8),
        &synth::separable(10, 9),
        true,
    )
    .unwrap();
    let mut files = gz_files(&other, "/corrupt");
    files.extend(good);
    let server = serve_files(files);

    let cache = tmp.path().join("cache");
    let mut s = sources(&sums);
    s.cache = Some(cache.clone());
    s.mirrors = vec![
        format!("{}/corrupt/", server.base),
        format!("{}/good", server.base),
    ];
    let mut notes = Vec::new();
    let mnist = s.load(&mut |n| notes.push(n.to_string())).unwrap();
    match &mnist.origin {
        Origin::Downloaded { dir, urls } => {
            assert_eq!(dir, &cache);
            assert!(urls.iter().all(|u| u.contains("/good/")), "{urls:?}");
        }
        other => panic!("expected a download, got {other}"),
    }
    assert!(
        notes
            .iter()
            .any(|n| n.contains("corrupt download") && n.contains("MNIST_MIRRORS")),
        "{notes:?}"
    );
    assert_eq!(mnist.train.len(), 30);
    // Written atomically: the four files and no leftovers.
    let mut names: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.iter().all(|n| n.ends_with("-ubyte.gz")));

    // The next load finds the cache and downloads nothing.
    let before = server.requests.lock().unwrap().len();
    assert_eq!(s.load(&mut quiet).unwrap().origin, Origin::Cache(cache));
    assert_eq!(server.requests.lock().unwrap().len(), before);
}

#[test]
fn when_nothing_works_the_error_lists_every_place() {
    let tmp = tempfile::tempdir().unwrap();
    let sums = fixture(&tmp.path().join("unused"), true);
    let server = serve_files(HashMap::new());
    let mut s = sources(&sums);
    s.bundled = Some(tmp.path().join("bundled"));
    s.cache = Some(tmp.path().join("cache"));
    s.mirrors = vec![format!("{}/a", server.base), format!("{}/b", server.base)];
    let err = s.load(&mut quiet).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, DataError::NotFound { .. }));
    for expected in [
        "bundled copy",
        "user cache",
        "/a/train-images-idx3-ubyte.gz",
        "/b/train-images-idx3-ubyte.gz",
        "--data-dir",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // Nothing half-written is left in the cache.
    let leftovers = std::fs::read_dir(tmp.path().join("cache")).map_or(0, |d| d.count());
    assert_eq!(leftovers, 0);
}

#[test]
fn another_known_datasets_files_are_named_with_the_flag_to_use() {
    let tmp = tempfile::tempdir().unwrap();
    let a = synth::spec("a", &fixture(&tmp.path().join("a"), true));
    let b_dir = tmp.path().join("b");
    let b = synth::spec("b", &fixture_with_seed(&b_dir, 7));
    let mut s = sources(&a.checksums());
    s.dataset = a;
    s.known = vec![a, b];
    s.data_dir = Some(b_dir.clone());
    let err = s.load(&mut quiet).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, DataError::OtherDataset { .. }), "{text}");
    assert!(
        text.contains("these are the Synthetic-b files")
            && text.contains("not Synthetic-a")
            && text.contains("pass --dataset b"),
        "{text}"
    );
    // The same files asked for as `b` load, verified and identified.
    s.dataset = b;
    let loaded = s.load(&mut quiet).unwrap();
    assert!(loaded.verified());
    assert_eq!(loaded.identified.map(|d| d.name), Some("b"));
    // Unverified, as `a`, they load and say what they are.
    s.dataset = a;
    s.verify = false;
    let loaded = s.load(&mut quiet).unwrap();
    assert!(!loaded.verified());
    assert_eq!(loaded.identified.map(|d| d.name), Some("b"));
}

/// Valid IDX files with other contents than [`fixture`]'s.
fn fixture_with_seed(dir: &Path, seed: u64) -> Checksums {
    mnist_data::write::write_dir(
        dir,
        &synth::separable(30, seed),
        &synth::separable(10, seed + 1),
        true,
    )
    .unwrap()
}

#[test]
fn each_dataset_has_its_own_cache_folder_and_only_mnist_is_bundled() {
    let mnist = Sources::standard(&MNIST, None, true).unwrap();
    let fashion = Sources::standard(&FASHION_MNIST, None, true).unwrap();
    assert!(mnist.bundled.is_some());
    assert!(fashion.bundled.is_none());
    if let (Some(m), Some(f)) = (&mnist.cache, &fashion.cache) {
        assert!(
            m.ends_with("mnist") && f.ends_with("fashion-mnist"),
            "{m:?} {f:?}"
        );
        assert_eq!(m.parent(), f.parent());
    }
    assert_eq!(fashion.known.len(), KNOWN.len());
}
