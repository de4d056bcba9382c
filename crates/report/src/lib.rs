//! The comparison report, rendered into memory: the analysis of the runs, the statistics, the
//! answer and the verdicts, the tables (built with polars), the charts (drawn with plotters) and
//! the markdown summary that ties them together. [`render`] returns every file of the report as
//! a path and its bytes; the crate writes nothing itself, and callers write the files where and
//! how they choose.
//!
//! This is the only crate that knows polars and plotters. It reads run records and the test set;
//! it never trains anything.

pub mod analysis;
pub mod answer;
pub mod baseline;
pub mod charts;
pub mod deployment;
pub mod prediction_chart;
pub mod stats;
pub mod summary;
pub mod tables;
pub mod verdict;

mod pictures;
mod render;

pub use render::{RenderedFile, render};

use std::path::PathBuf;

use bench_core::RunRecord;
use mnist_data::Dataset;
use serde::{Deserialize, Serialize};

/// What the data is called and what its classes are, as the report shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetLabels {
    /// The dataset's name in titles, e.g. `Fashion-MNIST`.
    pub title: String,
    /// What one class is called: `digit` for MNIST, `class` otherwise.
    pub class_noun: String,
    /// The name of each label, 0 to 9.
    pub class_names: Vec<String>,
}

impl Default for DatasetLabels {
    /// MNIST's digits.
    fn default() -> Self {
        Self {
            title: "MNIST".to_string(),
            class_noun: "digit".to_string(),
            class_names: (0..mnist_data::N_CLASSES).map(|d| d.to_string()).collect(),
        }
    }
}

impl DatasetLabels {
    /// The name of `label` (the number itself if there is no name for it).
    pub fn name(&self, label: u8) -> String {
        self.class_names
            .get(usize::from(label))
            .cloned()
            .unwrap_or_else(|| label.to_string())
    }

    /// Whether the names are the labels' own numbers (MNIST's digits, unnamed classes).
    pub fn numeric(&self) -> bool {
        self.class_names
            .iter()
            .enumerate()
            .all(|(i, n)| *n == i.to_string())
    }
}

/// How a report came to be: enough to reproduce it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The dataset and its class names.
    #[serde(default)]
    pub dataset: DatasetLabels,
    /// The command line, as a user can type it again (cargo alias or features included).
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
    /// Versions of the compiler that built the binary and of the main crates.
    pub versions: Vec<(String, String)>,
    /// The cargo features the binary was built with.
    #[serde(default)]
    pub features: Vec<String>,
    /// CPU model and core count.
    pub cpu: String,
    /// Build profile and target CPU.
    pub build: String,
    /// When the run started (UTC).
    pub started: String,
    /// Wall-clock seconds of the whole comparison (of a merged report: the parts' sum).
    pub total_seconds: f64,
    /// The shards a merged report was made of, each with its machine; empty for a report made
    /// in one run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartProvenance>,
}

/// One shard of a merged report: which one, where and when it ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartProvenance {
    /// `K/N`.
    pub shard: String,
    /// The folder it was read from, as `merge` was given it.
    pub folder: String,
    /// CPU model and core count of its machine.
    pub cpu: String,
    /// Its build (profile, target CPU, features, allocator).
    pub build: String,
    /// When it started (UTC).
    pub started: String,
    /// Its wall-clock seconds.
    pub total_seconds: f64,
    /// The host name of its machine.
    #[serde(default)]
    pub host: String,
    /// Whether it ran at the same time as another shard on the same host, sharing its cores.
    #[serde(default)]
    pub concurrent: bool,
}

impl Provenance {
    /// The CPUs a merged report's shards ran on, each once, in shard order; empty for a report
    /// made in one run.
    pub fn part_cpus(&self) -> Vec<&str> {
        let mut cpus: Vec<&str> = Vec::new();
        for part in &self.parts {
            if !cpus.contains(&part.cpu.as_str()) {
                cpus.push(&part.cpu);
            }
        }
        cpus
    }

    /// The shards that ran at the same time as another on one machine.
    pub fn concurrent_parts(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter(|p| p.concurrent)
            .map(|p| p.shard.as_str())
            .collect()
    }

    /// Whether its times are each run's own on one machine: not a merge of shards on several
    /// CPUs, nor of shards that shared a machine.
    pub fn times_of_one_machine(&self) -> bool {
        self.part_cpus().len() <= 1 && self.concurrent_parts().is_empty()
    }
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
    /// One line for each model the run was asked to save and could not (the folder and why),
    /// empty when every one was saved or none was asked for.
    pub not_saved: &'a [String],
    /// The earlier report to compare with (`compare --baseline`), if any.
    pub baseline: Option<baseline::Baseline<'a>>,
}

/// The contents of `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// How the runs came to be.
    pub provenance: Provenance,
    /// Every run record.
    pub runs: Vec<RunRecord>,
}

/// Errors while rendering a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Polars failed to build the tables.
    #[error("the report's tables: {message}")]
    Tables {
        /// Polars' message.
        message: String,
    },
    /// A file made of tables (a table, `results.json`, `summary.md`) could not be rendered.
    #[error("{}: {message}", path.display())]
    Table {
        /// The file, relative to the output folder.
        path: PathBuf,
        /// Polars' or serde's message.
        message: String,
    },
    /// A chart could not be drawn.
    #[error("{}: {message}", path.display())]
    Chart {
        /// The image, relative to the output folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}
