//! A folder adopted as the tool's (`Output::claim_adopting`) and one file replaced atomically
//! (`replace_file`, `write_file`): the old one stays whole until the new one is, and nothing is
//! left beside it.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use safe_write::{MARKER, Output, WriteError, replace_file, write_file};

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

/// What the caller recognises as its own: a folder holding `model.json` and nothing else.
fn model_only(dir: &Path) -> bool {
    names(dir) == ["model.json"]
}

#[test]
fn a_folder_the_caller_recognises_is_adopted_under_the_lock_and_others_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("mnist-scratch-seed1");
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::write(dest.join("model.json"), "first").unwrap();
    // Unrecognised, or claimed without adoption: not this tool's to replace.
    let err = Output::claim(&dest).unwrap_err();
    assert!(err.to_string().contains("no .mnist-compare file"), "{err}");
    std::fs::write(dest.join("notes.txt"), "mine").unwrap();
    let err = Output::claim_adopting(&dest, &model_only).unwrap_err();
    assert!(err.to_string().contains("no .mnist-compare file"), "{err}");
    assert_eq!(names(&dest), ["model.json", "notes.txt"]);
    std::fs::remove_file(dest.join("notes.txt")).unwrap();
    let output = Output::claim_adopting(&dest, &model_only).unwrap();
    assert_eq!(names(&dest), [MARKER, "model.json"]);
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
fn an_unmarked_folder_stranded_mid_swap_is_adopted_and_restored() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("mnist-scratch-seed1");
    // A run that stopped between its two renames, before markers: the previous model aside.
    let old = tmp.path().join(".mnist-scratch-seed1.old-4194304");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(old.join("model.json"), "previous").unwrap();
    let output = Output::claim_adopting(&dest, &model_only).unwrap();
    assert_eq!(output.recovered().len(), 1, "{:?}", output.recovered());
    assert!(!old.exists());
    assert_eq!(
        std::fs::read_to_string(dest.join("model.json")).unwrap(),
        "previous"
    );
}

#[test]
fn a_link_is_never_adopted() {
    let tmp = tempfile::tempdir().unwrap();
    let mine = tmp.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("model.json"), "the user's").unwrap();
    let dest = tmp.path().join("mnist-scratch-seed1");
    std::os::unix::fs::symlink(&mine, &dest).unwrap();
    assert!(Output::claim_adopting(&dest, &model_only).is_err());
    assert_eq!(names(&mine), ["model.json"], "the linked folder was marked");
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
