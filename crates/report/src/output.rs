//! The output folder: claimed by one run at a time, replaced as a whole and atomically, earlier
//! outputs nested in it carried over, and what a crashed run left beside it recovered.
//!
//! Beside `out` (in its parent folder) a run uses three names, all its own:
//! `.<name>.lock` (held while the run owns `out`, with its pid), `.<name>.tmp-<pid>` (the new
//! output being written) and `.<name>.old-<pid>` (the previous output, between the two renames
//! of the swap). Only the holder of the lock creates the other two, so whatever of them another
//! pid left there belongs to a run that stopped mid-way, and is recovered when `out` is claimed.
//! A run into a folder nested in an output also holds the outer folder's lock, shared
//! (`lock.rs`), so that a run replacing the outer folder never moves a nested one mid-write.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use crate::ReportError;
use crate::lock::Lock;

/// The file that marks a folder as written by this tool. Only such a folder (or an empty one,
/// or one holding nothing but such folders) is ever replaced, so that `--out` pointed at a
/// folder of other files cannot delete them.
pub const MARKER: &str = ".mnist-compare";

const MARKER_TEXT: &str =
    "This folder was written by mnist-compare; this file lets it replace the folder as a whole.\n";

/// An output folder claimed by this process: no other run of the tool can claim it until this
/// is dropped (or the process ends, even by a crash: the system releases the lock with it).
#[derive(Debug)]
pub struct Output {
    out: PathBuf,
    parent: PathBuf,
    name: String,
    // Dropped (released) when the output is: its own lock, then the outer folder's.
    _own: Lock,
    _outer: Option<Lock>,
    recovered: Vec<String>,
}

impl Output {
    /// Claims `out`: takes its lock (refused, naming the pid, if another run holds it, or a run
    /// replaces the output folder `out` is in, or one writes an output nested in `out`), recovers
    /// what a crashed run left beside it (see [`Output::recovered`]) and checks that it may be
    /// replaced ([`check_replaceable`]). Creates `out`'s parent folder if needed, nothing else.
    pub fn claim(out: &Path) -> Result<Self, ReportError> {
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = match out.file_name().and_then(|n| n.to_str()) {
            Some(name) => name.to_string(),
            None => {
                return Err(ReportError::Occupied {
                    path: out.to_path_buf(),
                    reason: "is not a folder name this tool can write to (name a folder, e.g. \
                             reports/run1; nothing was written)",
                });
            }
        };
        std::fs::create_dir_all(&parent).map_err(|e| ReportError::io(&parent, e))?;
        let lock = parent.join(format!(".{name}.lock"));
        let own = Lock::exclusive(&lock)?.map_err(|holder| ReportError::Busy {
            path: out.to_path_buf(),
            who: match holder.pid {
                Some(_) => format!("{} is writing to this folder", holder.who()),
                // Only runs into nested folders hold it without naming themselves.
                None => "a run writing a report inside this folder is going".to_string(),
            },
            lock: lock.clone(),
        })?;
        let outer =
            match outer_lock(&parent) {
                Some(outer_lock) => Some(Lock::shared(&outer_lock)?.map_err(|holder| {
                    ReportError::Busy {
                        path: out.to_path_buf(),
                        who: format!(
                            "{} is writing {}, the folder this one is in, which it replaces as a \
                         whole",
                            holder.who(),
                            parent.display()
                        ),
                        lock: outer_lock.clone(),
                    }
                })?),
                None => None,
            };
        let mut output = Self {
            out: out.to_path_buf(),
            parent,
            name,
            _own: own,
            _outer: outer,
            recovered: Vec::new(),
        };
        output.recovered = output.recover()?;
        check_replaceable(out)?;
        Ok(output)
    }

    /// The folder claimed.
    pub fn path(&self) -> &Path {
        &self.out
    }

    /// One line per leftover of a crashed run that [`Output::claim`] found beside the folder and
    /// what became of it (restored, merged, removed, or why it could not be removed).
    pub fn recovered(&self) -> &[String] {
        &self.recovered
    }

    /// Whether `path` is `out` or inside it (so that replacing `out` would delete it). Both are
    /// resolved as far as they exist, so `./reports/../reports/models` is inside `reports`.
    pub fn contains(&self, path: &Path) -> bool {
        resolved(path).starts_with(resolved(&self.out))
    }

    /// Fills the folder atomically: `fill` writes into a staging folder beside it, which then
    /// replaces it in one rename, earlier outputs nested in it carried over. If `fill` or the
    /// swap fails, the staging folder is removed and the folder is left as it was. Returns what
    /// `fill` returned and warnings: a failure to remove the replaced folder once the new one is
    /// in place does not undo the write.
    pub fn replace<T, E: From<ReportError>>(
        &self,
        fill: impl FnOnce(&Path) -> Result<T, E>,
    ) -> Result<(T, Vec<String>), E> {
        check_replaceable(&self.out)?;
        let pid = std::process::id();
        let staging = self.sibling("tmp", pid);
        std::fs::create_dir_all(&staging).map_err(|e| ReportError::io(&staging, e))?;
        let filled = fill(&staging).and_then(|value| {
            let marker = staging.join(MARKER);
            std::fs::write(&marker, MARKER_TEXT).map_err(|e| ReportError::io(&marker, e))?;
            let old = self.sibling("old", pid);
            let warnings = swap(&staging, &self.out, &old, &|p| std::fs::remove_dir_all(p))?;
            Ok((value, warnings))
        });
        // Nothing in the staging folder is worth keeping, unless a nested output failed to move
        // back: then it stays for the next claim to recover (`recover`), not deleted with it.
        if filled.is_err() && nested_outputs(&staging, &self.out).is_ok_and(|n| n.is_empty()) {
            let _ = std::fs::remove_dir_all(&staging);
        }
        filled
    }

    fn sibling(&self, what: &str, pid: u32) -> PathBuf {
        self.parent.join(format!(".{}.{what}-{pid}", self.name))
    }

    /// Deals with the staging and old folders a crashed run left beside `out` (and the single
    /// `.<name>.old` of earlier versions of the tool): a previous output stranded beside a
    /// missing `out` is moved back; nested outputs inside either are carried into `out`; the
    /// rest is removed.
    fn recover(&self) -> Result<Vec<String>, ReportError> {
        let entries =
            std::fs::read_dir(&self.parent).map_err(|e| ReportError::io(&self.parent, e))?;
        let prefix = format!(".{}.", self.name);
        let mut olds = Vec::new();
        let mut stagings = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| ReportError::io(&self.parent, e))?;
            let file_name = entry.file_name();
            let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
                continue;
            };
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if rest == "old" || rest.strip_prefix("old-").is_some_and(is_pid) {
                olds.push(entry.path());
            } else if rest.strip_prefix("tmp-").is_some_and(is_pid) {
                stagings.push(entry.path());
            }
        }
        olds.sort();
        stagings.sort();
        let mut notes = Vec::new();
        for old in olds {
            // A previous output stranded beside a folder that is gone, or that was made again,
            // unmarked, to hold a nested output: moved back, the nested ones into it.
            let stranded = old.join(MARKER).is_file() && !self.out.join(MARKER).is_file();
            if stranded && self.restore(&old)? {
                notes.push(format!(
                    "recovered {} from {}, where a run that stopped while replacing it had left it",
                    self.out.display(),
                    old.display()
                ));
            } else if stranded {
                notes.push(format!(
                    "warning: {} holds the previous output of {}, left by a run that stopped \
                     while replacing it, and {} has other files now: move it back by hand",
                    old.display(),
                    self.out.display(),
                    self.out.display()
                ));
            } else {
                notes.push(self.discard(&old, "the output a run was replacing")?);
            }
        }
        for staging in stagings {
            notes.push(self.discard(&staging, "the output a run was writing")?);
        }
        Ok(notes)
    }

    /// Moves the previous output `old` back to `out`, with whatever outputs `out` holds now (if
    /// it exists, unmarked) moved into it first. `false` if `out` holds anything else.
    fn restore(&self, old: &Path) -> Result<bool, ReportError> {
        if self.out.exists() {
            if check_replaceable(&self.out).is_err() {
                return Ok(false);
            }
            let nested = nested_outputs(&self.out, old)?;
            move_children(&nested, &self.out, old)?;
            if let Err(e) = std::fs::remove_dir(&self.out) {
                let _ = move_children(&nested, old, &self.out);
                return Err(ReportError::io(&self.out, e));
            }
        }
        std::fs::rename(old, &self.out).map_err(|e| ReportError::io(old, e))?;
        Ok(true)
    }

    /// Carries the nested outputs of a leftover folder into `out`, then removes it.
    fn discard(&self, leftover: &Path, what: &str) -> Result<String, ReportError> {
        let nested = nested_outputs(leftover, &self.out)?;
        if !nested.is_empty() {
            std::fs::create_dir_all(&self.out).map_err(|e| ReportError::io(&self.out, e))?;
            move_children(&nested, leftover, &self.out)?;
        }
        let kept = if nested.is_empty() {
            String::new()
        } else {
            let names: Vec<_> = nested.iter().map(|n| n.to_string_lossy()).collect();
            format!(
                "; what was nested in it ({}) is moved into {}",
                names.join(", "),
                self.out.display()
            )
        };
        Ok(match std::fs::remove_dir_all(leftover) {
            Ok(()) => format!(
                "recovered: removed {}, {what} when it stopped{kept}",
                leftover.display()
            ),
            Err(e) => format!(
                "warning: cannot remove {}, {what} when it stopped{kept}: {e}; delete it by hand",
                leftover.display()
            ),
        })
    }
}

/// The lock of the folder `parent` (`out`'s parent) as an output, when it is one (marked) or
/// could become one (it holds nothing but outputs of this tool: a folder made to hold a nested
/// report); `None` for any other folder, whose replacement this tool would refuse anyway.
fn outer_lock(parent: &Path) -> Option<PathBuf> {
    let name = parent.file_name()?.to_str()?;
    if name == "." || name == ".." {
        return None;
    }
    let grandparent = match parent.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    check_replaceable(parent)
        .is_ok()
        .then(|| grandparent.join(format!(".{name}.lock")))
}

fn is_pid(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
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
fn resolved(path: &Path) -> PathBuf {
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

/// Checks that `out` may be replaced: it does not exist, or it is a folder that is empty, holds
/// [`MARKER`] (an earlier output of this tool), or holds nothing but earlier outputs (a folder
/// created to hold a nested report) and their lock files.
pub fn check_replaceable(out: &Path) -> Result<(), ReportError> {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(ReportError::io(out, e)),
    };
    if !meta.is_dir() {
        return Err(ReportError::Occupied {
            path: out.to_path_buf(),
            reason: "exists and is not a folder; name a folder for the output (nothing was written)",
        });
    }
    if out.join(MARKER).is_file() {
        return Ok(());
    }
    for entry in std::fs::read_dir(out).map_err(|e| ReportError::io(out, e))? {
        let entry = entry.map_err(|e| ReportError::io(out, e))?;
        if !is_carried(&entry) {
            return Err(ReportError::Occupied {
                path: out.to_path_buf(),
                reason: "a folder with other files in it, not an earlier output of this tool \
                         (it has no .mnist-compare file), so it will not be replaced; name a new \
                         or empty folder (nothing was written)",
            });
        }
    }
    Ok(())
}

/// Whether an entry of an output folder belongs to an output nested in it: a folder holding
/// [`MARKER`], or the lock file of one (a run writing it right now).
fn is_carried(entry: &std::fs::DirEntry) -> bool {
    let Ok(kind) = entry.file_type() else {
        return false;
    };
    let name = entry.file_name();
    let name = name.to_string_lossy();
    (kind.is_dir() && entry.path().join(MARKER).is_file())
        || (kind.is_file() && name.starts_with('.') && name.ends_with(".lock"))
}

/// Moves `staging` to `out`, keeping the old `out` aside (as `old`) until the new one is in
/// place. Outputs nested in `out` that `staging` does not replace are carried over. Once the new
/// folder is in place, a failure to `remove` the old one is a warning, not an error.
fn swap(
    staging: &Path,
    out: &Path,
    old: &Path,
    remove: &dyn Fn(&Path) -> std::io::Result<()>,
) -> Result<Vec<String>, ReportError> {
    let nested = nested_outputs(out, staging)?;
    move_children(&nested, out, staging)?;
    if out.exists()
        && let Err(e) = std::fs::rename(out, old)
    {
        let _ = move_children(&nested, staging, out);
        return Err(ReportError::io(out, e));
    }
    if let Err(e) = std::fs::rename(staging, out) {
        if old.exists() {
            let _ = std::fs::rename(old, out);
        }
        let _ = move_children(&nested, staging, out);
        return Err(ReportError::io(out, e));
    }
    let mut warnings = Vec::new();
    if old.exists()
        && let Err(e) = remove(old)
    {
        warnings.push(format!(
            "warning: the new output is in {}, but the one it replaced could not be removed \
             from {}: {e}; delete it by hand",
            out.display(),
            old.display()
        ));
    }
    Ok(warnings)
}

/// The entries of `out` that belong to outputs nested in it ([`is_carried`]) and have no
/// namesake in `into`.
fn nested_outputs(out: &Path, into: &Path) -> Result<Vec<OsString>, ReportError> {
    let entries = match std::fs::read_dir(out) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ReportError::io(out, e)),
    };
    let mut nested = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ReportError::io(out, e))?;
        if is_carried(&entry) && !into.join(entry.file_name()).exists() {
            nested.push(entry.file_name());
        }
    }
    nested.sort();
    Ok(nested)
}

/// Renames each of `names` from `from` into `to`; on a failure, moves back those already moved.
fn move_children(names: &[OsString], from: &Path, to: &Path) -> Result<(), ReportError> {
    for (i, name) in names.iter().enumerate() {
        if let Err(e) = std::fs::rename(from.join(name), to.join(name)) {
            for done in &names[..i] {
                let _ = std::fs::rename(to.join(done), from.join(done));
            }
            return Err(ReportError::io(&from.join(name), e));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let warnings = swap(&staging, &out, &old, &refuse).unwrap();
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
