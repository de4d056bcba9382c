//! The comparison report: tables (built with polars), charts (drawn with plotters) and the
//! markdown summary that ties them together, written atomically into one folder.
//!
//! This is the only crate that knows polars and plotters. It reads run records and the test set;
//! it never trains anything.

pub mod charts;
pub mod stats;
pub mod summary;
pub mod tables;

use std::path::{Path, PathBuf};

use bench_core::RunRecord;
use mnist_data::Dataset;
use serde::{Deserialize, Serialize};

/// How a report came to be: enough to reproduce it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The command line, as typed.
    pub command: String,
    /// Seeds run, one run per backend per seed.
    pub seeds: Vec<u64>,
    /// Split protocol.
    pub split: String,
    /// Fraction of the training part held out for validation.
    pub validation_fraction: f64,
    /// Images in the train, validation and test parts.
    pub split_sizes: [usize; 3],
    /// Where the data came from.
    pub data: String,
    /// Git commit of the code, with `-dirty` if the tree had changes.
    pub git_commit: String,
    /// Versions of the main crates.
    pub versions: Vec<(String, String)>,
    /// CPU model and core count.
    pub cpu: String,
    /// Build profile and target CPU.
    pub build: String,
    /// When the run started (UTC).
    pub started: String,
    /// Wall-clock seconds of the whole comparison.
    pub total_seconds: f64,
}

/// Everything a report is made from.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// Every run, in the order they ran.
    pub runs: &'a [RunRecord],
    /// The test images and labels the runs were scored on.
    pub test: &'a Dataset,
    /// How it came to be.
    pub provenance: &'a Provenance,
}

/// The contents of `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// How the runs came to be.
    pub provenance: Provenance,
    /// Every run record.
    pub runs: Vec<RunRecord>,
}

/// Errors while writing a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Polars failed to build or write a table.
    #[error("{}: {message}", path.display())]
    Table {
        /// The file being written.
        path: PathBuf,
        /// Polars' message.
        message: String,
    },
    /// A chart could not be drawn.
    #[error("{}: {message}", path.display())]
    Chart {
        /// The image being drawn.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl ReportError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn polars(path: &Path, e: polars::prelude::PolarsError) -> Self {
        Self::Table {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// Writes the whole report into `out`, atomically: everything goes into a temporary sibling
/// folder first, which then replaces `out` in one rename. If anything fails, `out` is untouched.
/// Returns the files written, relative to `out`.
pub fn write(out: &Path, report: &Report<'_>) -> Result<Vec<PathBuf>, ReportError> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| ReportError::io(&parent, e))?;
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("reports");
    let staging = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| ReportError::io(&staging, e))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| ReportError::io(&staging, e))?;
    let written = match write_into(&staging, report) {
        Ok(files) => files,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    replace_dir(&staging, out)?;
    Ok(written)
}

/// Moves `staging` to `out`, keeping the old `out` aside until the new one is in place.
fn replace_dir(staging: &Path, out: &Path) -> Result<(), ReportError> {
    let old = staging.with_extension("old");
    if out.exists() {
        std::fs::rename(out, &old).map_err(|e| ReportError::io(out, e))?;
    }
    if let Err(e) = std::fs::rename(staging, out) {
        if old.exists() {
            let _ = std::fs::rename(&old, out);
        }
        return Err(ReportError::io(out, e));
    }
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| ReportError::io(&old, e))?;
    }
    Ok(())
}

fn write_into(dir: &Path, report: &Report<'_>) -> Result<Vec<PathBuf>, ReportError> {
    let mut files = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), ReportError> {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| ReportError::io(&path, e))?;
        files.push(PathBuf::from(name));
        Ok(())
    };

    let results = Results {
        provenance: report.provenance.clone(),
        runs: report.runs.to_vec(),
    };
    let json = serde_json::to_vec_pretty(&results).map_err(|e| ReportError::Table {
        path: dir.join("results.json"),
        message: e.to_string(),
    })?;
    put("results.json", &json)?;

    let tables = summary::Tables::build(report.runs).map_err(|e| ReportError::polars(dir, e))?;
    for (stem, frame) in [
        ("summary", &tables.summary),
        ("runs", &tables.runs),
        ("history", &tables.history),
    ] {
        let mut frame = frame.clone();
        tables::write_csv_and_json(&mut frame, dir, stem)?;
        files.push(PathBuf::from(format!("{stem}.csv")));
        files.push(PathBuf::from(format!("{stem}.json")));
    }

    let markdown = summary::markdown(report, &tables).map_err(|e| ReportError::polars(dir, e))?;
    let path = dir.join("summary.md");
    std::fs::write(&path, markdown).map_err(|e| ReportError::io(&path, e))?;
    files.push(PathBuf::from("summary.md"));
    files.sort();
    Ok(files)
}
