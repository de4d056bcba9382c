//! The lock files of output folders: `.<name>.lock` beside each, locked with the system's file
//! lock, which the system releases when the holder exits, however it exits.
//!
//! A run holds its own output's lock exclusively, with its pid written in it for the message
//! another run gets. A run writing a folder nested in an output (`reports/fashion-mnist` in
//! `reports/`) also holds the lock of every output it is in, at any depth, shared: runs into
//! nested folders go on side by side, and a run into an enclosing folder, which replaces it as a
//! whole, waits for none of them mid-swap: it is refused while any of them goes, and they while
//! it goes.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::WriteError;

/// A held lock file; released (and the file removed, when no one else holds it) on drop.
#[derive(Debug)]
pub(crate) struct Lock {
    path: PathBuf,
    file: Option<File>,
    exclusive: bool,
}

/// Who holds a lock that could not be taken: the pid the file names (an exclusive holder writes
/// its own), or none (held shared, by runs into folders nested in it).
pub(crate) struct Holder {
    pub(crate) pid: Option<u32>,
}

impl Holder {
    /// `another run (pid N)`, or `another run`.
    pub(crate) fn who(&self) -> String {
        self.pid.map_or("another run".to_string(), |pid| {
            format!("another run (pid {pid})")
        })
    }
}

impl Lock {
    /// Takes `path` exclusively and writes this process's id into it.
    pub(crate) fn exclusive(path: &Path) -> Result<Result<Self, Holder>, WriteError> {
        Self::take(path, true)
    }

    /// Takes `path` shared, beside other shared holders.
    pub(crate) fn shared(path: &Path) -> Result<Result<Self, Holder>, WriteError> {
        Self::take(path, false)
    }

    fn take(path: &Path, exclusive: bool) -> Result<Result<Self, Holder>, WriteError> {
        // A lock file removed by its holder between our open and our lock is opened again.
        for _ in 0..8 {
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(|e| WriteError::io(path, e))?;
            let taken = if exclusive {
                file.try_lock()
            } else {
                file.try_lock_shared()
            };
            match taken {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Ok(Err(holder(path))),
                Err(std::fs::TryLockError::Error(e)) => return Err(WriteError::io(path, e)),
            }
            if !same_file(&file, path) {
                continue;
            }
            // An exclusive holder names itself; shared holders clear a pid a crashed run left.
            let written = file.set_len(0).and_then(|()| {
                if exclusive {
                    writeln!(file, "{}", std::process::id())
                } else {
                    Ok(())
                }
            });
            written.map_err(|e| WriteError::io(path, e))?;
            return Ok(Ok(Self {
                path: path.to_path_buf(),
                file: Some(file),
                exclusive,
            }));
        }
        Ok(Err(Holder { pid: None }))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let Some(file) = self.file.take() else {
            return;
        };
        // Removed while still locked (exclusively: a shared holder first makes sure it is the
        // last), so that a run waiting on this file finds it gone and makes a new one.
        if (self.exclusive || file.try_lock().is_ok()) && same_file(&file, &self.path) {
            let _ = std::fs::remove_file(&self.path);
        }
        drop(file);
    }
}

fn holder(path: &Path) -> Holder {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    Holder {
        pid: text.trim().parse().ok(),
    }
}

/// Whether `path` still names the open `file` (and not a newer file of that name).
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}
