//! Downloads from mirrors that answer badly: stalled, cut off, an HTML page (the wrong bytes:
//! sources.rs), and a cache that cannot be written. Each failure is one line naming the mirror (or the cache
//! folder) and what to do; the next mirror is tried; nothing partial is left in the cache.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Reply, fixture, gz_files, serve, sources};
use mnist_data::{Checksums, DataError, Mnist, Origin, Sources};

/// Longer than any download here may take; a stalled mirror not given up fails the test.
const WATCHDOG: Duration = Duration::from_secs(30);

/// Loads `s` on a thread, failing the test if it does not return within [`WATCHDOG`].
fn load_watched(s: Sources) -> (Result<Mnist, DataError>, Vec<String>) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut notes = Vec::new();
        let result = s.load(&mut |n| notes.push(n.to_string()));
        let _ = tx.send((result, notes));
    });
    rx.recv_timeout(WATCHDOG)
        .unwrap_or_else(|_| panic!("the download did not return within {WATCHDOG:?}"))
}

/// Every file of the cache folder (none if it does not exist).
fn cache_files(cache: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A fixture served well under `/good` and, under `/bad`, by `fault` for every file.
struct Setup {
    _tmp: tempfile::TempDir,
    cache: std::path::PathBuf,
    sums: Checksums,
    server: common::Server,
}

fn setup(fault: impl Fn(Vec<u8>) -> Reply) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    let sums = fixture(&origin, true);
    let mut replies: HashMap<String, Reply> = gz_files(&origin, "/good")
        .into_iter()
        .map(|(path, bytes)| (path, Reply::File(bytes)))
        .collect();
    for (path, bytes) in gz_files(&origin, "/bad") {
        replies.insert(path, fault(bytes));
    }
    Setup {
        cache: tmp.path().join("cache"),
        _tmp: tmp,
        sums,
        server: serve(replies),
    }
}

impl Setup {
    fn sources(&self, mirrors: &[&str]) -> Sources {
        let mut s = sources(&self.sums);
        s.cache = Some(self.cache.clone());
        s.mirrors = mirrors
            .iter()
            .map(|m| format!("{}/{m}", self.server.base))
            .collect();
        s
    }
}

/// With the faulty mirror first and a good one after it: the download succeeds from the good
/// one, each file's failure on the faulty one is one note naming it and containing `expected`,
/// and the cache holds the four files only.
fn falls_through_to_the_next_mirror(fault: impl Fn(Vec<u8>) -> Reply, expected: &[&str]) {
    let setup = setup(fault);
    let (result, notes) = load_watched(setup.sources(&["bad", "good"]));
    let mnist = result.unwrap();
    let Origin::Downloaded { urls, .. } = &mnist.origin else {
        panic!("expected a download, got {}", mnist.origin);
    };
    assert!(urls.iter().all(|u| u.contains("/good/")), "{urls:?}");
    let failures: Vec<&String> = notes.iter().filter(|n| n.contains("/bad/")).collect();
    let failures: Vec<&&String> = failures
        .iter()
        .filter(|n| !n.starts_with("downloading"))
        .collect();
    assert_eq!(failures.len(), 4, "one failure per file: {notes:?}");
    for failure in failures {
        assert_eq!(failure.lines().count(), 1, "{failure}");
        for e in expected {
            assert!(failure.contains(e), "{e:?} not in {failure:?}");
        }
    }
    let files = cache_files(&setup.cache);
    assert_eq!(files.len(), 4, "{files:?}");
    assert!(files.iter().all(|n| n.ends_with("-ubyte.gz")), "{files:?}");
}

#[test]
fn a_mirror_that_never_answers_is_given_up_after_the_stall_timeout() {
    let started = Instant::now();
    falls_through_to_the_next_mirror(
        |_| Reply::Silent,
        &["sent nothing for 1 s", "MNIST_DOWNLOAD_TIMEOUT"],
    );
    // Four files, each given up after one second of silence.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_mirror_that_stalls_half_way_through_a_file_is_given_up_after_the_stall_timeout() {
    falls_through_to_the_next_mirror(
        Reply::StallMidway,
        &["sent nothing for 1 s", "MNIST_DOWNLOAD_TIMEOUT"],
    );
}

#[test]
fn a_connection_closed_half_way_through_a_file_is_named_as_such() {
    falls_through_to_the_next_mirror(
        |bytes| {
            let cut = bytes.len() / 2;
            Reply::Cut(bytes, cut)
        },
        &["connection closed", "try again"],
    );
}

#[test]
fn an_html_page_served_with_status_200_is_named_as_one() {
    falls_through_to_the_next_mirror(
        |_| Reply::Html,
        &["a web page (text/html)", "MNIST_MIRRORS"],
    );
}

#[test]
fn an_html_page_served_as_a_binary_file_is_named_as_one() {
    falls_through_to_the_next_mirror(
        |_| Reply::HtmlAsBinary,
        &["a web page (HTML)", "MNIST_MIRRORS"],
    );
}

#[test]
fn when_every_mirror_fails_each_is_one_line_and_the_cache_stays_empty() {
    let setup = setup(|_| Reply::Html);
    let (result, _) = load_watched(setup.sources(&["bad"]));
    let text = result.unwrap_err().to_string();
    let mirror_lines: Vec<&str> = text.lines().filter(|l| l.contains("/bad/")).collect();
    assert_eq!(
        mirror_lines.len(),
        1,
        "the first file fails, the rest are not tried:\n{text}"
    );
    assert!(mirror_lines[0].contains("a web page"), "{text}");
    assert!(text.contains("--data-dir"), "{text}");
    assert_eq!(cache_files(&setup.cache), Vec::<String>::new());
}

/// Set in the child process of the full-disk test: the mirror to download from.
const CHILD_MIRROR: &str = "MNIST_COMPARE_TEST_FULL_DISK_MIRROR";
/// And the checksums it must match, and the cache to write.
const CHILD_SUMS: &str = "MNIST_COMPARE_TEST_FULL_DISK_SUMS";
const CHILD_CACHE: &str = "MNIST_COMPARE_TEST_FULL_DISK_CACHE";

#[test]
fn a_cache_that_cannot_be_written_is_one_line_naming_it_and_leaves_no_partial_file() {
    // A full disk, for root too (which writes into read-only folders): the child process runs
    // with a file-size limit of 512 bytes (`ulimit -f 1`), so writing a downloaded file fails
    // part-way with EFBIG, as a full disk fails with ENOSPC. The child is this test binary,
    // running only the ignored test below.
    let setup = setup(Reply::File);
    let sums = setup.sums.0.join(",");
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 1 && trap '' XFSZ && exec \"$0\" \"$@\"")
        .arg(std::env::current_exe().unwrap())
        .args(["full_disk_child", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_MIRROR, format!("{}/good", setup.server.base))
        .env(CHILD_SUMS, sums)
        .env(CHILD_CACHE, &setup.cache)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run:\n{stdout}"
    );
    assert_eq!(cache_files(&setup.cache), Vec::<String>::new());
    // The child's error, shown with `--nocapture`.
    if let Some(line) = stdout.lines().find(|l| l.starts_with("the error: ")) {
        println!("{line}");
    }
}

/// The child of the test above; run alone, outside that limit, it is skipped by `cargo test`.
#[test]
#[ignore = "run by a_cache_that_cannot_be_written_… in a child process with a file-size limit"]
fn full_disk_child() {
    let mirror = std::env::var(CHILD_MIRROR).expect("run by the full-disk test");
    let sums: Vec<String> = std::env::var(CHILD_SUMS)
        .unwrap()
        .split(',')
        .map(String::from)
        .collect();
    let cache = std::path::PathBuf::from(std::env::var_os(CHILD_CACHE).unwrap());
    let mut s = sources(&Checksums(sums.try_into().unwrap()));
    s.cache = Some(cache.clone());
    s.mirrors = vec![mirror];
    let (result, _) = load_watched(s);
    let text = result.unwrap_err().to_string();
    println!("the error: {text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    for expected in [cache.to_str().unwrap(), "File too large", "MNIST_CACHE_DIR"] {
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
    }
}
