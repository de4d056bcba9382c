//! What a crashed run left beside an output folder, dealt with when the folder is next claimed:
//! a previous output stranded mid-swap is moved back, outputs nested in a leftover are carried
//! into the folder, and the rest is removed, each said in one line.

use std::path::Path;

use crate::WriteError;
use crate::marker::{MARKER, check_replaceable};
use crate::nested::{move_children, nested_outputs};

/// Deals with the staging and old folders a crashed run left beside `out` (named `name`, in
/// `parent`), and with the single `.<name>.old` of earlier versions of the tool: a previous
/// output stranded beside a missing `out` is moved back; nested outputs inside either are
/// carried into `out`; the rest is removed. Returns one line per leftover.
pub(crate) fn recover(out: &Path, parent: &Path, name: &str) -> Result<Vec<String>, WriteError> {
    let entries = std::fs::read_dir(parent).map_err(|e| WriteError::io(parent, e))?;
    let prefix = format!(".{name}.");
    let mut olds = Vec::new();
    let mut stagings = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| WriteError::io(parent, e))?;
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
        let stranded = old.join(MARKER).is_file() && !out.join(MARKER).is_file();
        if stranded && restore(out, &old)? {
            notes.push(format!(
                "recovered {} from {}, where a run that stopped while replacing it had left it",
                out.display(),
                old.display()
            ));
        } else if stranded {
            notes.push(format!(
                "warning: {} holds the previous output of {}, left by a run that stopped \
                 while replacing it, and {} has other files now: move it back by hand",
                old.display(),
                out.display(),
                out.display()
            ));
        } else {
            notes.push(discard(out, &old, "the output a run was replacing")?);
        }
    }
    for staging in stagings {
        notes.push(discard(out, &staging, "the output a run was writing")?);
    }
    Ok(notes)
}

fn is_pid(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Moves the previous output `old` back to `out`, with whatever outputs `out` holds now (if it
/// exists, unmarked) moved into it first. `false` if `out` holds anything else.
fn restore(out: &Path, old: &Path) -> Result<bool, WriteError> {
    if out.exists() {
        if check_replaceable(out).is_err() {
            return Ok(false);
        }
        let nested = nested_outputs(out, old)?;
        move_children(&nested, out, old)?;
        if let Err(e) = std::fs::remove_dir(out) {
            let _ = move_children(&nested, old, out);
            return Err(WriteError::io(out, e));
        }
    }
    std::fs::rename(old, out).map_err(|e| WriteError::io(old, e))?;
    Ok(true)
}

/// Carries the nested outputs of a leftover folder into `out`, then removes it.
fn discard(out: &Path, leftover: &Path, what: &str) -> Result<String, WriteError> {
    let nested = nested_outputs(leftover, out)?;
    if !nested.is_empty() {
        std::fs::create_dir_all(out).map_err(|e| WriteError::io(out, e))?;
        move_children(&nested, leftover, out)?;
    }
    let kept = if nested.is_empty() {
        String::new()
    } else {
        let names: Vec<_> = nested.iter().map(|n| n.to_string_lossy()).collect();
        format!(
            "; what was nested in it ({}) is moved into {}",
            names.join(", "),
            out.display()
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
