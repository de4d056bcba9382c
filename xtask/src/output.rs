//! Output folders of every command (compare's report, bench's table, split's files): claimed
//! before any work starts, replaced atomically with Ctrl-C held off, and what the `safe-write`
//! crate has to say about them (leftovers recovered, a replaced folder not removed) printed.

use std::path::Path;

use anyhow::{Context, Result};

/// Claims `out` for this run (see [`safe_write::Output::claim`]): refused if another run holds
/// it or it is not this tool's to replace; leftovers of a crashed run are recovered and said.
/// `typed`: whether the user named it with `--out` (an error about a default does not blame
/// the flag).
pub fn claim(out: &Path, typed: bool) -> Result<safe_write::Output> {
    let what = if typed {
        "--out"
    } else {
        "the default output folder"
    };
    let output = safe_write::Output::claim(out).context(what)?;
    for line in output.recovered() {
        eprintln!("{line}");
    }
    Ok(output)
}

/// Fills the claimed folder through `fill` and swaps it into place
/// ([`safe_write::Output::replace`]), a second Ctrl-C held off meanwhile; warnings are printed,
/// not errors.
pub fn replace<T>(output: &safe_write::Output, fill: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    let (value, warnings) = crate::progress::while_writing(|| output.replace(fill))?;
    for line in warnings {
        eprintln!("{line}");
    }
    Ok(value)
}
