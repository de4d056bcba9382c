//! Which folders are this tool's to replace: the [`MARKER`] file an output holds, the check that
//! a folder may be replaced, and the output a path lies in, however the path is spelled.

use std::path::{Component, Path, PathBuf};

use crate::WriteError;

/// The file that marks a folder as written by this tool. Only such a folder (or an empty one,
/// or one holding nothing but such folders) is ever replaced, so that `--out` pointed at a
/// folder of other files cannot delete them.
pub const MARKER: &str = ".mnist-compare";

/// What [`MARKER`] says to someone who opens it.
pub(crate) const MARKER_TEXT: &str =
    "This folder was written by mnist-compare; this file lets it replace the folder as a whole.\n";

/// Checks that `out` may be replaced: it does not exist, or it is a folder that is empty, holds
/// [`MARKER`] (an earlier output of this tool), or holds nothing but earlier outputs (a folder
/// created to hold a nested report) and their lock files.
pub fn check_replaceable(out: &Path) -> Result<(), WriteError> {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(WriteError::io(out, e)),
    };
    if !meta.is_dir() {
        return Err(WriteError::Occupied {
            path: out.to_path_buf(),
            reason: "exists and is not a folder; name a folder for the output (nothing was \
                     written)",
        });
    }
    if out.join(MARKER).is_file() {
        return Ok(());
    }
    for entry in std::fs::read_dir(out).map_err(|e| WriteError::io(out, e))? {
        let entry = entry.map_err(|e| WriteError::io(out, e))?;
        if !is_carried(&entry) {
            return Err(WriteError::Occupied {
                path: out.to_path_buf(),
                reason: "a folder with other files in it, not an earlier output of this tool \
                         (it has no .mnist-compare file), so it will not be replaced; name a new \
                         or empty folder (nothing was written)",
            });
        }
    }
    Ok(())
}

/// Marks `out` (in `parent`, named `name`) and the previous outputs stranded beside it
/// (`.<name>.old` and `.<name>.old-<pid>`) as this tool's when each is a folder, not a link,
/// without [`MARKER`], that `is_own` recognises. Called with `out`'s lock held.
pub(crate) fn adopt(
    out: &Path,
    parent: &Path,
    name: &str,
    is_own: &dyn Fn(&Path) -> bool,
) -> Result<(), WriteError> {
    let mut candidates = vec![out.to_path_buf()];
    let prefix = format!(".{name}.old");
    for entry in std::fs::read_dir(parent).map_err(|e| WriteError::io(parent, e))? {
        let entry = entry.map_err(|e| WriteError::io(parent, e))?;
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let is_pid = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if rest.is_empty() || rest.strip_prefix('-').is_some_and(is_pid) {
            candidates.push(entry.path());
        }
    }
    for dir in candidates {
        let is_folder = std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir());
        if is_folder && !dir.join(MARKER).exists() && is_own(&dir) {
            crate::write_file(&dir.join(MARKER), MARKER_TEXT.as_bytes())?;
        }
    }
    Ok(())
}

/// Whether an entry of an output folder belongs to an output nested in it: a folder holding
/// [`MARKER`], or the lock file of one (a run writing it right now).
pub(crate) fn is_carried(entry: &std::fs::DirEntry) -> bool {
    let Ok(kind) = entry.file_type() else {
        return false;
    };
    let name = entry.file_name();
    let name = name.to_string_lossy();
    (kind.is_dir() && entry.path().join(MARKER).is_file())
        || (kind.is_file() && name.starts_with('.') && name.ends_with(".lock"))
}

/// The nearest folder at or above `path` that is an output of this tool (it holds [`MARKER`]),
/// which a later run into it would replace with everything in it.
pub fn enclosing_output(path: &Path) -> Option<PathBuf> {
    let path = resolved(path);
    path.ancestors()
        .find(|a| a.join(MARKER).is_file())
        .map(Path::to_path_buf)
}

/// `path` made absolute, `.` and `..` resolved, and symbolic links resolved as far as it exists.
pub(crate) fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut lexical = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                lexical.pop();
            }
            other => lexical.push(other),
        }
    }
    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return lexical,
        }
    }
    let mut real = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_path_buf());
    real.extend(rest.iter().rev());
    real
}
