//! The one error type of the crate: every error names the path it is about and says what to do.

use std::path::{Path, PathBuf};

/// Why an output could not be claimed or written. Whatever the error, what was in place before
/// is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A file or folder could not be read, written, moved or removed.
    // The message includes the OS error, so it is not also exposed as `source()`: printed with
    // `{:#}`, the OS error would show twice.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        error: std::io::Error,
    },
    /// The output is taken by something this tool did not write; nothing was touched.
    #[error("{}: {reason}", path.display())]
    Occupied {
        /// The output path.
        path: PathBuf,
        /// What is there, and what to do.
        reason: &'static str,
    },
    /// Another run of the tool holds the output folder; nothing was touched.
    #[error("{}: {who}; wait for it to finish or stop it, or name another folder (lock file {}; \
             nothing was written)", path.display(), lock.display())]
    Busy {
        /// The output path.
        path: PathBuf,
        /// Who holds it and what it does, e.g. `another run (pid 1234) is writing to this
        /// folder`.
        who: String,
        /// The lock file.
        lock: PathBuf,
    },
}

impl WriteError {
    pub(crate) fn io(path: &Path, error: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            error,
        }
    }

    /// The error as an [`std::io::Error`], for callers that report failures to write as their
    /// own: the system's error itself for [`WriteError::Io`] (whose path the caller names in its
    /// own way), and this whole error, path and advice included, for the others.
    pub fn into_io(self) -> std::io::Error {
        match self {
            Self::Io { error, .. } => error,
            other => std::io::Error::other(other.to_string()),
        }
    }
}
