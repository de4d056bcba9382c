//! A run into an output nested at any depth (`reports/a/b`) holds every enclosing output's lock,
//! so a run replacing `reports` is refused while it writes; checked across two real processes:
//! this test binary started again as the nested run.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use safe_write::{MARKER, Output};

/// Set for the child process: the output it claims, and the folder where it says it holds it
/// and waits to be told to let go.
const HOLD: &str = "SAFE_WRITE_TEST_HOLD";
const SIGNALS: &str = "SAFE_WRITE_TEST_SIGNALS";

/// Waits (at most a minute) until `path` exists.
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The nested run, in the child process: claims the output, says so, waits for `release`.
#[test]
#[ignore = "the child process of the test below"]
fn holder() {
    let (Ok(out), Ok(signals)) = (std::env::var(HOLD), std::env::var(SIGNALS)) else {
        return;
    };
    let signals = PathBuf::from(signals);
    let output = Output::claim(Path::new(&out)).unwrap();
    std::fs::write(signals.join("claimed"), std::process::id().to_string()).unwrap();
    wait_for(&signals.join("release"));
    drop(output);
}

#[test]
fn a_run_two_levels_down_in_another_process_keeps_the_outer_output_from_being_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    // A folder of its own, so that the folder holding `reports` is not itself an output.
    std::fs::write(tmp.path().join("Cargo.toml"), "").unwrap();
    let outer = tmp.path().join("reports");
    let nested = outer.join("a").join("b");
    // Earlier outputs, each nested in the one above: `reports` may be replaced as a whole.
    for dir in [&outer, &outer.join("a"), &nested] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(MARKER), "").unwrap();
    }
    let signals = tmp.path().join("signals");
    std::fs::create_dir(&signals).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "holder", "--nocapture"])
        .env(HOLD, &nested)
        .env(SIGNALS, &signals)
        .spawn()
        .unwrap();
    wait_for(&signals.join("claimed"));
    let refused = Output::claim(&outer).map(|_| ()).unwrap_err().to_string();
    // And the other way: a run into `reports/a`, between the two, is refused too.
    let middle = Output::claim(&outer.join("a"))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    std::fs::write(signals.join("release"), "").unwrap();
    assert!(child.wait().unwrap().success());
    assert!(
        refused.contains("a run writing a report inside this folder"),
        "{refused}"
    );
    assert!(
        middle.contains("a run writing a report inside this folder"),
        "{middle}"
    );
    // Once the nested run is over, the outer output is claimed, and then a run two levels down
    // is refused, naming this process as the one replacing `reports`.
    let whole = Output::claim(&outer).unwrap();
    let err = Output::claim(&nested).map(|_| ()).unwrap_err().to_string();
    let pid = format!("another run (pid {}) is writing", std::process::id());
    assert!(
        err.contains(&pid) && err.contains("a folder this one is in"),
        "{err}"
    );
    drop(whole);
}
