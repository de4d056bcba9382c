//! A staged folder swapped into place (`replace_dir`) and one file replaced atomically
//! (`replace_file`, `write_file`): the old one stays whole until the new one is, and nothing is
//! left beside them.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use safe_write::{WriteError, replace_dir, replace_file, write_file};

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// An error of the caller's own, as saving a model or drawing a picture returns.
#[derive(Debug)]
struct TestError(String);

impl From<WriteError> for TestError {
    fn from(e: WriteError) -> Self {
        Self(e.to_string())
    }
}

fn fill(text: &str) -> impl FnOnce(&Path) -> Result<(), WriteError> + '_ {
    move |dir: &Path| {
        std::fs::write(dir.join("model.json"), text).unwrap();
        Ok(())
    }
}

#[test]
fn a_staged_folder_replaces_the_old_one_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("mnist-scratch-seed1");
    let ((), warnings) = replace_dir(&dest, fill("first")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    std::fs::write(dest.join("stale.bin"), "from the first").unwrap();
    replace_dir(&dest, fill("second")).unwrap();
    assert_eq!(names(&dest), ["model.json"]);
    assert_eq!(
        std::fs::read_to_string(dest.join("model.json")).unwrap(),
        "second"
    );
    assert_eq!(names(tmp.path()), ["mnist-scratch-seed1"]);
}

#[test]
fn a_failed_fill_leaves_the_old_folder_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("mnist-scratch-seed1");
    replace_dir(&dest, fill("first")).unwrap();
    // A staging folder this process left earlier is made afresh.
    let staging = tmp
        .path()
        .join(format!(".mnist-scratch-seed1.tmp-{}", std::process::id()));
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("stale.bin"), "left").unwrap();
    let failed = replace_dir(&dest, |dir| -> Result<(), TestError> {
        assert_eq!(names(dir), Vec::<String>::new());
        std::fs::write(dir.join("model.json"), "half").unwrap();
        Err(TestError("refused".to_string()))
    });
    assert_eq!(failed.unwrap_err().0, "refused");
    assert_eq!(
        std::fs::read_to_string(dest.join("model.json")).unwrap(),
        "first"
    );
    assert_eq!(names(tmp.path()), ["mnist-scratch-seed1"]);
}

#[test]
fn a_path_without_a_name_is_refused_before_anything_is_written() {
    let err = replace_dir(Path::new("/"), |_| -> Result<(), TestError> { Ok(()) }).unwrap_err();
    assert!(err.0.contains("is not a folder name"), "{err:?}");
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
