//! Writing files' bytes: one file replaced atomically (a temporary file beside it, renamed over
//! it once whole), or a set of files written into a folder being staged.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use crate::WriteError;
use crate::swap::parent_and_name;

/// Replaces the file `path` atomically: `write` writes the new file at the temporary path it is
/// given, beside `path` and with the same extension (so a writer that picks the format from the
/// extension picks the right one), which is then renamed over `path`. Readers find the old file
/// or the new one, never a part; if `write` or the rename fails, the temporary file is removed
/// and `path` is left as it was. Returns what `write` returned.
pub fn replace_file<T, E: From<WriteError>>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    let tmp = temporary(path)?;
    let written = write(&tmp).and_then(|value| {
        std::fs::rename(&tmp, path).map_err(|e| WriteError::io(path, e))?;
        Ok(value)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Replaces the file `path` with `bytes` atomically ([`replace_file`]), the bytes on disk (synced)
/// before the rename.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    replace_file(path, |tmp| {
        let mut file = std::fs::File::create(tmp).map_err(|e| WriteError::io(tmp, e))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| WriteError::io(tmp, e))
    })
}

/// Writes each of `files` (a path relative to `dir`, and its bytes) into the existing folder
/// `dir`, one after the other; no folder is created, so a path into a folder `dir` does not hold
/// fails. A path that is absolute or climbs out of `dir` (`..`) is refused. Not atomic by
/// itself: meant for a staging folder that is swapped into place once full
/// ([`Output::replace`](crate::Output::replace)).
pub fn write_files<'a>(
    dir: &Path,
    files: impl IntoIterator<Item = (&'a Path, &'a [u8])>,
) -> Result<(), WriteError> {
    for (relative, bytes) in files {
        let path = dir.join(relative);
        if !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        {
            let outside = std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "names a file outside {}, the folder being written",
                    dir.display()
                ),
            );
            return Err(WriteError::io(&path, outside));
        }
        std::fs::write(&path, bytes).map_err(|e| WriteError::io(&path, e))?;
    }
    Ok(())
}

/// `.<name>.tmp-<pid>[.<extension>]` beside `path`.
fn temporary(path: &Path) -> Result<PathBuf, WriteError> {
    let (parent, name) = parent_and_name(path).ok_or_else(|| WriteError::Occupied {
        path: path.to_path_buf(),
        reason: "is not a file name this tool can write to (name a file; nothing was written)",
    })?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map_or(String::new(), |e| format!(".{e}"));
    Ok(parent.join(format!(".{name}.tmp-{}{extension}", std::process::id())))
}
