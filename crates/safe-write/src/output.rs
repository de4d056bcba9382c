//! The output folder: claimed by one run at a time, replaced as a whole and atomically, earlier
//! outputs nested in it carried over, and what a crashed run left beside it recovered.
//!
//! Beside `out` (in its parent folder) a run uses three names, all its own:
//! `.<name>.lock` (held while the run owns `out`, with its pid), `.<name>.tmp-<pid>` (the new
//! output being written) and `.<name>.old-<pid>` (the previous output, between the two renames
//! of the swap). Only the holder of the lock creates the other two, so whatever of them another
//! pid left there belongs to a run that stopped mid-way, and is recovered when `out` is claimed.
//! A run into a folder nested in an output also holds the lock of every output it is in, at any
//! depth, shared (`lock.rs`), so that a run replacing an enclosing folder never moves a nested
//! one mid-write.

use std::path::{Path, PathBuf};

use crate::WriteError;
use crate::lock::Lock;
use crate::marker::{MARKER, MARKER_TEXT, adopt, check_replaceable, resolved};
use crate::nested::{nested_outputs, swap_carrying};
use crate::recover::recover;
use crate::swap::{not_a_folder_name, parent_and_name, sibling};

/// An output folder claimed by this process: no other run of the tool can claim it until this
/// is dropped (or the process ends, even by a crash: the system releases the lock with it).
#[derive(Debug)]
pub struct Output {
    out: PathBuf,
    parent: PathBuf,
    name: String,
    // Dropped (released) when the output is: its own lock, then the enclosing outputs', innermost
    // first.
    _own: Lock,
    _outer: Vec<Lock>,
    recovered: Vec<String>,
}

impl Output {
    /// Claims `out`: takes its lock (refused, naming the pid, if another run holds it, or a run
    /// replaces the output folder `out` is in, or one writes an output nested in `out`), recovers
    /// what a crashed run left beside it (see [`Output::recovered`]) and checks that it may be
    /// replaced ([`check_replaceable`]). Creates `out`'s parent folder if needed, nothing else.
    pub fn claim(out: &Path) -> Result<Self, WriteError> {
        Self::claim_adopting(out, &|_| false)
    }

    /// [`Output::claim`] for a kind of output that may lack the [`MARKER`] (written so by an
    /// earlier version of the tool): once the lock is held, and before what a crashed run left
    /// is recovered, `out` and the previous outputs stranded beside it (`.<name>.old…`) are
    /// marked when each is a folder (not a link) that `is_own` recognises. `is_own` must
    /// recognise only folders this tool wrote, whole: a marked folder may be replaced.
    pub fn claim_adopting(out: &Path, is_own: &dyn Fn(&Path) -> bool) -> Result<Self, WriteError> {
        let (parent, name) = parent_and_name(out).ok_or_else(|| not_a_folder_name(out))?;
        std::fs::create_dir_all(&parent).map_err(|e| WriteError::io(&parent, e))?;
        let lock = parent.join(format!(".{name}.lock"));
        let own = Lock::exclusive(&lock)?.map_err(|holder| WriteError::Busy {
            path: out.to_path_buf(),
            who: match holder.pid {
                Some(_) => format!("{} is writing to this folder", holder.who()),
                // Only runs into nested folders hold it without naming themselves.
                None => "a run writing a report inside this folder is going".to_string(),
            },
            lock: lock.clone(),
        })?;
        let outer = enclosing_locks(out, &parent)?;
        let mut output = Self {
            out: out.to_path_buf(),
            parent,
            name,
            _own: own,
            _outer: outer,
            recovered: Vec::new(),
        };
        adopt(&output.out, &output.parent, &output.name, is_own)?;
        output.recovered = recover(&output.out, &output.parent, &output.name)?;
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
    pub fn replace<T, E: From<WriteError>>(
        &self,
        fill: impl FnOnce(&Path) -> Result<T, E>,
    ) -> Result<(T, Vec<String>), E> {
        check_replaceable(&self.out)?;
        let pid = std::process::id();
        let staging = sibling(&self.parent, &self.name, "tmp", pid);
        std::fs::create_dir_all(&staging).map_err(|e| WriteError::io(&staging, e))?;
        let filled = fill(&staging).and_then(|value| {
            let marker = staging.join(MARKER);
            std::fs::write(&marker, MARKER_TEXT).map_err(|e| WriteError::io(&marker, e))?;
            let old = sibling(&self.parent, &self.name, "old", pid);
            let warnings =
                swap_carrying(&staging, &self.out, &old, &|p| std::fs::remove_dir_all(p))?;
            Ok((value, warnings))
        });
        // Nothing in the staging folder is worth keeping, unless a nested output failed to move
        // back: then it stays for the next claim to recover (`recover.rs`), not deleted with it.
        if filled.is_err() && nested_outputs(&staging, &self.out).is_ok_and(|n| n.is_empty()) {
            let _ = std::fs::remove_dir_all(&staging);
        }
        filled
    }
}

/// The shared locks of every output `out` is in, from its `parent` up to the first folder that is
/// no output (see [`outer_lock`]); refused, naming the holder, while a run replaces one of them.
fn enclosing_locks(out: &Path, parent: &Path) -> Result<Vec<Lock>, WriteError> {
    let mut locks = Vec::new();
    let mut folder = parent.to_path_buf();
    while let Some(lock) = outer_lock(&folder) {
        let held = Lock::shared(&lock)?.map_err(|holder| WriteError::Busy {
            path: out.to_path_buf(),
            who: format!(
                "{} is writing {}, {} this one is in, which it replaces as a whole",
                holder.who(),
                folder.display(),
                if locks.is_empty() {
                    "the folder"
                } else {
                    "a folder"
                }
            ),
            lock: lock.clone(),
        })?;
        locks.push(held);
        match lock.parent() {
            Some(up) if up != folder => folder = up.to_path_buf(),
            _ => break,
        }
    }
    Ok(locks)
}

/// The lock of the folder `parent` (`out`'s parent, or a folder above it) as an output, when it is one (marked) or
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
