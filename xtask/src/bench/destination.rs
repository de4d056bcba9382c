//! Where a side-by-side table goes, and what may not be replaced: `benchmarks/` for every
//! workload (the committed table, replaced only by a default run whose every side completed),
//! `benchmarks/WORKLOAD/` for one, `benchmarks/A+B/` for several, or `--out`; nothing at all
//! after Ctrl-C.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::args::{BenchArgs, DEFAULT_ROUNDS, DEFAULT_SEED, PIP_INSTALL};
use super::workloads::Declared;
use crate::provenance;

/// Before a run that would replace the committed table of every workload: the defaults only
/// (no setting, epoch count or other dataset), and an interpreter that starts.
pub fn guard_committed_table(args: &BenchArgs, python: &Path) -> Result<()> {
    let mut changed = Vec::new();
    if !args.settings.assignments()?.is_empty() {
        changed.push("a backend setting");
    }
    if args.epochs.is_some() {
        changed.push("--epochs");
    }
    if args.rounds != DEFAULT_ROUNDS {
        changed.push("--rounds");
    }
    if args.seed != DEFAULT_SEED {
        changed.push("--seed");
    }
    if args.data.dataset != "mnist" {
        changed.push("--dataset");
    }
    if args.data.skip_checksum {
        changed.push("--skip-checksum");
    }
    if !changed.is_empty() {
        bail!(
            "bench --reference without a workload replaces benchmarks/, the committed table of \
             every workload at the defaults, and this run changes {}: give --out DIR; nothing \
             was run or written",
            changed.join(", ")
        );
    }
    let starts = std::process::Command::new(python)
        .args(["-c", "pass"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if !starts.is_ok_and(|s| s.success()) {
        bail!(
            "--reference {}: cannot run it, so benchmarks/ would get a table without its twins; \
             name a Python 3 interpreter with the twins' packages ({}); nothing was run or \
             written",
            python.display(),
            PIP_INSTALL
        );
    }
    Ok(())
}

/// Whether `out` is the committed table's folder, however it is spelled.
pub fn is_committed_table(out: &Path) -> bool {
    let committed = default_out(None);
    out == committed
        || matches!(
            (out.canonicalize(), committed.canonicalize()),
            (Ok(a), Ok(b)) if a == b
        )
}

/// `benchmarks/` at the workspace root for every workload, `benchmarks/WORKLOAD/` for one and
/// `benchmarks/A+B/` for several, so that a run of some workloads never replaces another's table.
pub fn default_out(declared: Option<&[Declared]>) -> PathBuf {
    let root = provenance::workspace_root().join("benchmarks");
    match declared {
        Some(named) => {
            let names: Vec<&str> = named.iter().map(|d| d.workload.name).collect();
            root.join(names.join("+"))
        }
        None => root,
    }
}

/// Writes the table through `write` into the claimed `output`, atomically. With `diverted` (a
/// run that would replace the committed table but had a side fail), it is left as it was and the
/// table goes to a new folder, whose path is returned and said.
pub fn write(
    output: &safe_write::Output,
    diverted: bool,
    write: impl FnOnce(&Path) -> Result<()>,
) -> Result<PathBuf> {
    let out = output.path();
    if diverted {
        let kept = tempfile::Builder::new()
            .prefix("mnist-compare-bench-")
            .tempdir()
            .context("cannot create a folder for this run's table")?
            .keep();
        eprintln!(
            "a side failed, so {} (the committed table) is left as it was; this run's table goes \
             to {}",
            out.display(),
            kept.display()
        );
        let kept = kept.join("benchmarks");
        let claimed = crate::output::claim(&kept, false)?;
        crate::output::replace(&claimed, write)
            .with_context(|| format!("{}: the table was not written", kept.display()))?;
        return Ok(kept);
    }
    crate::output::replace(output, write)
        .with_context(|| format!("--out {}: the table was not written", out.display()))?;
    Ok(out.to_path_buf())
}

/// After Ctrl-C (or a twin killed by a signal): nothing is written, the exit status says so.
pub fn stopped(out: &Path, why: &str) -> ExitCode {
    eprintln!(
        "interrupted ({why}): no table written; {} is untouched",
        out.display()
    );
    ExitCode::from(crate::EXIT_INTERRUPTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_workloads_write_their_own_folder_never_the_table_of_all() {
        let root = provenance::workspace_root().join("benchmarks");
        assert_eq!(default_out(None), root);
        let all = super::super::workloads::declared();
        assert_eq!(
            default_out(Some(&all[..1])),
            root.join(all[0].workload.name)
        );
        let two = format!("{}+{}", all[0].workload.name, all[1].workload.name);
        assert_eq!(default_out(Some(&all[..2])), root.join(two));
    }
}
