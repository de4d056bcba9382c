//! Output folders of every command (compare's report, bench's table, split's files): claimed
//! before any work starts, replaced atomically with Ctrl-C held off, and what the `safe-write`
//! crate has to say about them (leftovers recovered, a replaced folder not removed) printed.

use std::path::Path;

use anyhow::{Context, Result};

/// Claims `out` for this run's report, table or files (see [`safe_write::Output::claim`]):
/// refused if another run holds it, it is not this tool's to replace or it holds a saved model;
/// leftovers of a crashed run are recovered and said. `typed`: whether the user named it with
/// `--out` (an error about a default does not blame the flag).
pub fn claim(out: &Path, typed: bool) -> Result<safe_write::Output> {
    let what = if typed {
        "--out"
    } else {
        "the default output folder"
    };
    let output = claim_as(out, what, &|_| false)?;
    // Checked once the folder is held and what a crashed run left is recovered: a saved model
    // moved back into place counts. Dropping the claim releases the lock.
    if out.join(crate::saved_models::MANIFEST).is_file() {
        anyhow::bail!(
            "{what}: {} holds a saved model ({}), which this output would replace; name another \
             folder (nothing was written)",
            out.display(),
            crate::saved_models::MANIFEST
        );
    }
    Ok(output)
}

/// Claims `out` as [`safe_write::Output::claim_adopting`] does, with `is_own` recognising the
/// folders of this kind that lack the marker; errors start with `what` (the flag, or which
/// folder), and leftovers recovered are said.
pub fn claim_as(
    out: &Path,
    what: &str,
    is_own: &dyn Fn(&Path) -> bool,
) -> Result<safe_write::Output> {
    let output = safe_write::Output::claim_adopting(out, is_own).context(what.to_string())?;
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
