//! Outputs nested in an output (`reports/fashion-mnist/` in `reports/`): found, and carried from
//! the folder being replaced into the one replacing it, so that replacing an output never
//! deletes another.

use std::ffi::OsString;
use std::path::Path;

use crate::WriteError;
use crate::marker::is_carried;
use crate::swap::swap_in;

/// Moves `staging` to `out`, keeping the old `out` aside (as `old`) until the new one is in
/// place. Outputs nested in `out` that `staging` does not replace are carried over. Once the new
/// folder is in place, a failure to `remove` the old one is a warning, not an error.
pub(crate) fn swap_carrying(
    staging: &Path,
    out: &Path,
    old: &Path,
    remove: &dyn Fn(&Path) -> std::io::Result<()>,
) -> Result<Vec<String>, WriteError> {
    let nested = nested_outputs(out, staging)?;
    move_children(&nested, out, staging)?;
    swap_in(staging, out, old, remove).inspect_err(|_| {
        let _ = move_children(&nested, staging, out);
    })
}

/// The entries of `out` that belong to outputs nested in it ([`is_carried`]) and have no
/// namesake in `into`.
pub(crate) fn nested_outputs(out: &Path, into: &Path) -> Result<Vec<OsString>, WriteError> {
    let entries = match std::fs::read_dir(out) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(WriteError::io(out, e)),
    };
    let mut nested = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| WriteError::io(out, e))?;
        if is_carried(&entry) && !into.join(entry.file_name()).exists() {
            nested.push(entry.file_name());
        }
    }
    nested.sort();
    Ok(nested)
}

/// Renames each of `names` from `from` into `to`; on a failure, moves back those already moved.
pub(crate) fn move_children(names: &[OsString], from: &Path, to: &Path) -> Result<(), WriteError> {
    for (i, name) in names.iter().enumerate() {
        if let Err(e) = std::fs::rename(from.join(name), to.join(name)) {
            for done in &names[..i] {
                let _ = std::fs::rename(to.join(done), from.join(done));
            }
            return Err(WriteError::io(&from.join(name), e));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MARKER;

    fn marked(dir: &Path, text: &str) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(MARKER), "").unwrap();
        std::fs::write(dir.join("summary.md"), text).unwrap();
    }

    #[test]
    fn a_failure_to_remove_the_replaced_folder_is_a_warning_once_the_new_one_is_in_place() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("reports");
        marked(&out, "old\n");
        marked(&out.join("nested"), "nested\n");
        let staging = tmp.path().join(".reports.tmp-1");
        marked(&staging, "new\n");
        let old = tmp.path().join(".reports.old-1");
        let refuse = |_: &Path| Err(std::io::Error::other("device busy"));
        let warnings = swap_carrying(&staging, &out, &old, &refuse).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("warning: the new output is in"),
            "{warnings:?}"
        );
        assert!(warnings[0].contains("device busy"), "{warnings:?}");
        assert_eq!(
            std::fs::read_to_string(out.join("summary.md")).unwrap(),
            "new\n"
        );
        let nested = out.join("nested").join("summary.md");
        assert_eq!(std::fs::read_to_string(nested).unwrap(), "nested\n");
    }
}
