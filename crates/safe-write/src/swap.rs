//! Swapping a staged folder into place: the folder it replaces is renamed aside, the staged one
//! renamed in, and the one aside removed only once the new one is in place, so that a reader
//! finds the old folder or the new one, never a mix. Also the names these folders take beside
//! the one they replace. [`Output`](crate::Output) adds the lock and the recovery.

use std::path::{Path, PathBuf};

use crate::WriteError;

/// The folder `path` is in (`.` for a bare name) and its file name; `None` when it has no name
/// this tool can write to (`..`, `/`, a name that is not UTF-8).
pub(crate) fn parent_and_name(path: &Path) -> Option<(PathBuf, String)> {
    let name = path.file_name()?.to_str()?.to_string();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some((parent, name))
}

/// `.<name>.<what>-<pid>` in `parent`: a staging folder (`tmp`) or a folder being replaced
/// (`old`) of the process `pid`, beside the folder `name` it belongs to.
pub(crate) fn sibling(parent: &Path, name: &str, what: &str, pid: u32) -> PathBuf {
    parent.join(format!(".{name}.{what}-{pid}"))
}

/// The error for a path that names no folder.
pub(crate) fn not_a_folder_name(path: &Path) -> WriteError {
    WriteError::Occupied {
        path: path.to_path_buf(),
        reason: "is not a folder name this tool can write to (name a folder, e.g. \
                 reports/run1; nothing was written)",
    }
}

/// Renames `dest` (when there is one) to `old`, then `staging` to `dest`; if that second rename
/// fails, `old` is renamed back to `dest`. Once the new folder is in place, `old` is removed
/// through `remove`, whose failure is a warning, not an error.
pub(crate) fn swap_in(
    staging: &Path,
    dest: &Path,
    old: &Path,
    remove: &dyn Fn(&Path) -> std::io::Result<()>,
) -> Result<Vec<String>, WriteError> {
    if dest.exists() {
        std::fs::rename(dest, old).map_err(|e| WriteError::io(dest, e))?;
    }
    if let Err(e) = std::fs::rename(staging, dest) {
        if old.exists() {
            let _ = std::fs::rename(old, dest);
        }
        return Err(WriteError::io(dest, e));
    }
    let mut warnings = Vec::new();
    if old.exists()
        && let Err(e) = remove(old)
    {
        warnings.push(format!(
            "warning: the new output is in {}, but the one it replaced could not be removed \
             from {}: {e}; delete it by hand",
            dest.display(),
            old.display()
        ));
    }
    Ok(warnings)
}
