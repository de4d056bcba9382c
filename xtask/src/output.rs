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

/// Refuses, once `output` is claimed, to replace a report with a shard's part (`part`: a part is
/// being written) or a part with a report, and to replace a folder the command reads (`reads`:
/// what it is and where, e.g. the baseline or a part): nothing was written.
pub fn refuse_replacing<'a>(
    output: &safe_write::Output,
    part: bool,
    reads: impl IntoIterator<Item = (&'a str, &'a Path)>,
) -> Result<()> {
    let out = output.path();
    let (other, file) = if part {
        ("a report", "results.json")
    } else {
        ("a shard's part", crate::part::PART_FILE)
    };
    if out.join(file).is_file() {
        anyhow::bail!(
            "--out {} holds {other} ({file}), which this output would replace; name another \
             folder (nothing was written)",
            out.display()
        );
    }
    for (what, path) in reads {
        if output.contains(path) {
            anyhow::bail!(
                "--out {} would replace {what}, {}, which this command reads; name another folder \
                 (nothing was written)",
                out.display(),
                path.display()
            );
        }
    }
    Ok(())
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
