//! A folder marked as the tool's (`mark`) and one file replaced atomically (`replace_file`,
//! `write_file`): the old one stays whole until the new one is, and nothing is left beside it.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use safe_write::{MARKER, Output, WriteError, mark, replace_file, write_file};

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// An error of the caller's own, as drawing a picture returns.
#[derive(Debug)]
struct TestError(String);

impl From<WriteError> for TestError {
    fn from(e: WriteError) -> Self {
        Self(e.to_string())
    }
}

#[test]
fn a_folder_marked_as_the_tools_may_be_claimed_and_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("mnist-scratch-seed1");
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::write(dest.join("model.json"), "first").unwrap();
    // Another folder of files: not this tool's to replace.
    let err = Output::claim(&dest).unwrap_err();
    assert!(err.to_string().contains("no .mnist-compare file"), "{err}");
    mark(&dest).unwrap();
    assert_eq!(names(&dest), [MARKER, "model.json"]);
    let output = Output::claim(&dest).unwrap();
    output
        .replace(|dir| -> Result<(), WriteError> {
            std::fs::write(dir.join("model.json"), "second").unwrap();
            Ok(())
        })
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(dest.join("model.json")).unwrap(),
        "second"
    );
}

#[test]
fn a_path_without_a_name_is_refused_before_anything_is_written() {
    let err = Output::claim(Path::new("/")).unwrap_err();
    assert!(err.to_string().contains("is not a folder name"), "{err:?}");
    let err = write_file(Path::new("/"), b"x").unwrap_err();
    assert!(err.to_string().contains("is not a file name"), "{err}");
}

#[test]
fn a_file_is_replaced_whole_through_a_temporary_file_with_its_extension() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("picture.png");
    write_file(&path, b"first").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"first");
    let mut seen = PathBuf::new();
    replace_file(&path, |tmp_path| -> Result<(), WriteError> {
        seen = tmp_path.to_path_buf();
        std::fs::write(tmp_path, "second").unwrap();
        Ok(())
    })
    .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second");
    assert_eq!(seen.parent(), Some(tmp.path()));
    assert_eq!(seen.extension().and_then(|e| e.to_str()), Some("png"));
    assert_eq!(names(tmp.path()), ["picture.png"]);
}

#[test]
fn a_failed_file_write_leaves_the_old_file_and_no_temporary_one() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("train-images-idx3-ubyte.gz");
    write_file(&path, b"whole").unwrap();
    let failed = replace_file(&path, |tmp_path| -> Result<(), TestError> {
        std::fs::write(tmp_path, "par").unwrap();
        Err(TestError("the disk is full".to_string()))
    });
    assert_eq!(failed.unwrap_err().0, "the disk is full");
    assert_eq!(std::fs::read(&path).unwrap(), b"whole");
    assert_eq!(names(tmp.path()), ["train-images-idx3-ubyte.gz"]);
    // A folder that cannot hold the file: the error names the temporary file.
    let err = write_file(&tmp.path().join("missing").join("f.gz"), b"x").unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
    assert!(matches!(err, WriteError::Io { .. }));
    assert_eq!(err.into_io().kind(), std::io::ErrorKind::NotFound);
}
