//! Output folders (`Output`): claimed by one run at a time, nested ones beside each other,
//! leftovers of a crashed run recovered, only this tool's outputs replaced.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use safe_write::{MARKER, Output, check_replaceable};

fn marked(dir: &Path, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(MARKER), "").unwrap();
    std::fs::write(dir.join("summary.md"), text).unwrap();
}

#[test]
fn a_previous_output_stranded_beside_its_folder_is_moved_back() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    // Gone: killed between the two renames of a swap.
    marked(&tmp.path().join(".reports.old-999999999"), "previous\n");
    let output = Output::claim(&out).unwrap();
    assert_eq!(output.recovered().len(), 1, "{:?}", output.recovered());
    assert_eq!(
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        "previous\n"
    );
    drop(output);
    // Made again, unmarked, by a run writing a report nested in it.
    std::fs::rename(&out, tmp.path().join(".reports.old-999999999")).unwrap();
    marked(&out.join("inner"), "nested\n");
    let output = Output::claim(&out).unwrap();
    assert!(
        output.recovered()[0].starts_with("recovered"),
        "{:?}",
        output.recovered()
    );
    assert_eq!(
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        "previous\n"
    );
    let nested = out.join("inner").join("summary.md");
    assert_eq!(std::fs::read_to_string(nested).unwrap(), "nested\n");
    // Beside a folder of other files: left where it is, and said.
    drop(output);
    std::fs::rename(&out, tmp.path().join(".reports.old-999999999")).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("thesis.tex"), "theirs").unwrap();
    let err = Output::claim(&out).unwrap_err();
    assert!(err.to_string().contains("not an earlier output"), "{err}");
    assert!(
        tmp.path()
            .join(".reports.old-999999999")
            .join("summary.md")
            .is_file()
    );
}

#[test]
fn runs_into_an_output_and_into_one_nested_in_it_exclude_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    // A folder of its own, so that the folder holding `reports` is not itself an output.
    std::fs::write(tmp.path().join("Cargo.toml"), "").unwrap();
    let outer = tmp.path().join("reports");
    let inner = outer.join("fashion-mnist");
    let nested = Output::claim(&inner).unwrap();
    let sibling = Output::claim(&outer.join("other")).unwrap();
    let err = Output::claim(&outer).unwrap_err().to_string();
    assert!(
        err.contains("a run writing a report inside this folder"),
        "{err}"
    );
    drop((nested, sibling));
    let whole = Output::claim(&outer).unwrap();
    let err = Output::claim(&inner).unwrap_err().to_string();
    let pid = format!("another run (pid {}) is writing", std::process::id());
    assert!(
        err.contains(&pid) && err.contains("which it replaces as a whole"),
        "{err}"
    );
    drop(whole);
    // Every lock file is gone with its holders.
    let mut left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .chain(std::fs::read_dir(&outer).unwrap())
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["Cargo.toml", "reports"]);
}

#[test]
fn a_claim_is_exclusive_until_dropped_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let first = Output::claim(&out).unwrap();
    let err = Output::claim(&out).unwrap_err();
    let pid = format!("another run (pid {})", std::process::id());
    assert!(err.to_string().contains(&pid), "{err}");
    drop(first);
    let again = Output::claim(&out).unwrap();
    drop(again);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn an_unmarked_folder_of_nested_outputs_may_be_replaced_and_others_may_not() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    marked(&out.join("fashion-mnist"), "nested\n");
    std::fs::write(out.join(".fashion-mnist.lock"), "1\n").unwrap();
    check_replaceable(&out).unwrap();
    std::fs::write(out.join(".notes"), "theirs").unwrap();
    assert!(check_replaceable(&out).is_err());
}

#[test]
fn a_path_inside_the_output_is_found_however_it_is_spelled() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let output = Output::claim(&out).unwrap();
    assert!(output.contains(&out.join("models")));
    assert!(output.contains(&tmp.path().join("x").join("..").join("reports").join("m")));
    assert!(!output.contains(&tmp.path().join("reports-models")));
    assert!(!output.contains(&tmp.path().join("models")));
}
