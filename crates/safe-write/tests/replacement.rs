//! Replacing an output folder as a whole (`Output::replace` with `write_files`, as the report is
//! written): a failed write leaves the previous output intact, only this tool's outputs are
//! replaced, and an output nested in another survives the other's replacement.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use safe_write::{MARKER, Output, WriteError, check_replaceable, write_files};

/// A report's worth of files: a summary naming `text`, and what it points to.
fn report(text: &str) -> Vec<(PathBuf, Vec<u8>)> {
    vec![
        (PathBuf::from("accuracy.png"), b"\x89PNG picture".to_vec()),
        (PathBuf::from("results.json"), b"{}\n".to_vec()),
        (
            PathBuf::from("summary.md"),
            format!("# {text}\n").into_bytes(),
        ),
    ]
}

/// Claims `out` and writes `files` into it, atomically; the claim is released on return.
fn write(out: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<String>, WriteError> {
    let output = Output::claim(out)?;
    let files = files.iter().map(|(p, b)| (p.as_path(), b.as_slice()));
    let ((), warnings) = output.replace(|dir| write_files(dir, files))?;
    Ok(warnings)
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn a_failed_write_leaves_the_previous_output_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    write(&out, &report("first")).unwrap();
    let before = std::fs::read_to_string(out.join("summary.md")).unwrap();

    // A file name that cannot be written (its folder does not exist) fails the write half-way
    // through, after other files were written.
    let mut bad = report("second");
    bad.push((PathBuf::from("confusion-scr/atch.png"), b"png".to_vec()));
    bad.push((PathBuf::from("zz.md"), b"never written".to_vec()));
    let err = write(&out, &bad).unwrap_err();
    assert!(err.to_string().contains("confusion-scr/atch.png"), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        before
    );
    // So does an error of the writer's own.
    let output = Output::claim(&out).unwrap();
    let err = output
        .replace(|dir| -> Result<(), WriteError> {
            std::fs::write(dir.join("summary.md"), "# half\n").unwrap();
            Err(WriteError::Occupied {
                path: dir.join("accuracy.png"),
                reason: "cannot be drawn",
            })
        })
        .unwrap_err();
    assert!(err.to_string().contains("cannot be drawn"), "{err}");
    drop(output);
    assert_eq!(
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        before
    );
    // No staging folder is left behind.
    assert_eq!(names(tmp.path()), ["reports"]);
}

#[test]
fn an_output_folder_is_replaced_only_if_this_tool_wrote_it() {
    let tmp = tempfile::tempdir().unwrap();

    // An empty folder is taken, and the output in it marked as this tool's...
    let out = tmp.path().join("empty");
    std::fs::create_dir_all(&out).unwrap();
    write(&out, &report("first")).unwrap();
    assert!(out.join(MARKER).is_file());
    assert!(out.join("summary.md").is_file());
    // ...so a later run may replace it.
    check_replaceable(&out).unwrap();
    write(&out, &report("second")).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        "# second\n"
    );

    // A folder holding other files is left alone, untouched.
    let theirs = tmp.path().join("theirs");
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::write(theirs.join("notes.txt"), "keep me").unwrap();
    let err = write(&theirs, &report("mine")).unwrap_err();
    assert!(matches!(err, WriteError::Occupied { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("not an earlier output of this tool"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&theirs).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_to_string(theirs.join("notes.txt")).unwrap(),
        "keep me"
    );

    // So is a file where the folder would go.
    let file = tmp.path().join("file");
    std::fs::write(&file, "keep me too").unwrap();
    let err = write(&file, &report("mine")).unwrap_err();
    assert!(
        err.to_string().contains("exists and is not a folder"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me too");

    // Nothing was staged next to them.
    assert_eq!(names(tmp.path()), ["empty", "file", "theirs"]);
}

#[test]
fn an_output_nested_in_another_survives_its_replacement() {
    // reports/ holds the MNIST report and reports/fashion-mnist/ another: rewriting the first
    // must not delete the second.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let nested = out.join("fashion-mnist");
    write(&out, &report("mnist")).unwrap();
    write(&nested, &report("fashion")).unwrap();
    let before = std::fs::read_to_string(nested.join("summary.md")).unwrap();
    write(&out, &report("mnist again")).unwrap();
    assert_eq!(
        std::fs::read_to_string(nested.join("summary.md")).unwrap(),
        before
    );
    assert!(out.join("summary.md").is_file());
    // A nested output is replaced in its turn without touching its parent.
    write(&nested, &report("fashion again")).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        "# mnist again\n"
    );
    assert_eq!(
        std::fs::read_to_string(nested.join("summary.md")).unwrap(),
        "# fashion again\n"
    );
    assert_eq!(names(tmp.path()), ["reports"]);
}

#[test]
fn files_are_written_only_inside_the_folder_being_staged() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("staging");
    std::fs::create_dir_all(&dir).unwrap();
    for outside in ["../escaped.md", "/tmp/escaped.md"] {
        let files = [(Path::new(outside), b"x".as_slice())];
        let err = write_files(&dir, files).unwrap_err();
        assert!(err.to_string().contains("names a file outside"), "{err}");
    }
    assert_eq!(names(tmp.path()), ["staging"]);
    assert!(names(&dir).is_empty());
}
