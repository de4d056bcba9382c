//! The comparison report: tables (built with polars), charts (drawn with plotters) and the
//! markdown summary that ties them together, written atomically into one folder.
//!
//! This is the only crate that knows polars and plotters. It reads run records and the test set;
//! it never trains anything.

pub mod analysis;
pub mod answer;
pub mod charts;
pub mod deployment;
pub mod prediction_chart;
pub mod stats;
pub mod summary;
pub mod tables;
pub mod verdict;

mod lock;
mod output;

pub use output::{MARKER, Output, check_replaceable, enclosing_output};

use std::path::{Path, PathBuf};

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
    // The message includes the OS error, so it is not also exposed as `source()`: printed with
    // `{:#}`, the OS error would show twice.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        error: std::io::Error,
    },
    /// The output folder is taken by something this tool did not write; nothing was touched.
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
    pub(crate) fn io(path: &Path, error: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            error,
        }
    }

    pub(crate) fn polars(path: &Path, e: polars::prelude::PolarsError) -> Self {
        Self::Table {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// What [`write`] wrote.
#[derive(Debug)]
pub struct Written {
    /// The files written, relative to the output folder.
    pub files: Vec<PathBuf>,
    /// Lines to show the user: leftovers of a crashed run recovered when the folder was claimed,
    /// and anything that went wrong once the report was in place.
    pub warnings: Vec<String>,
}

/// Claims `out` ([`Output::claim`]) and writes the whole report into it, atomically.
pub fn write(out: &Path, report: &Report<'_>) -> Result<Written, ReportError> {
    let output = Output::claim(out)?;
    let (files, mut warnings) = output.replace(|staging| write_into(staging, report))?;
    warnings.splice(0..0, output.recovered().iter().cloned());
    Ok(Written { files, warnings })
}

/// Test images in the sample grid, and mistakes shown per backend.
const SAMPLES: usize = 24;
const MISTAKES: usize = 16;

/// Writes the report's files into the existing folder `dir`, file by file: callers that replace
/// an output go through [`write`] or [`Output::replace`], which make it atomic. Returns the
/// files written, relative to `dir`.
pub fn write_into(dir: &Path, report: &Report<'_>) -> Result<Vec<PathBuf>, ReportError> {
    let mut files = Vec::new();
    let results = Results {
        provenance: report.provenance.clone(),
        runs: report.runs.to_vec(),
    };
    let json = serde_json::to_vec_pretty(&results).map_err(|e| ReportError::Table {
        path: dir.join("results.json"),
        message: e.to_string(),
    })?;
    let path = dir.join("results.json");
    std::fs::write(&path, json).map_err(|e| ReportError::io(&path, e))?;
    files.push(PathBuf::from("results.json"));

    let analysis = analysis::Analysis::new(report.runs, report.test);
    let labels = &report.provenance.dataset;
    let tables = summary::Tables::build(report.runs, &analysis, labels)
        .map_err(|e| ReportError::polars(dir, e))?;
    for (stem, frame) in tables.frames() {
        let mut frame = frame.clone();
        tables::write_csv_and_json(&mut frame, dir, stem)?;
        files.push(PathBuf::from(format!("{stem}.csv")));
        files.push(PathBuf::from(format!("{stem}.json")));
    }

    let mut chart = |name: String,
                     draw: &dyn Fn(&Path) -> Result<(), ReportError>|
     -> Result<String, ReportError> {
        draw(&dir.join(&name))?;
        files.push(PathBuf::from(&name));
        Ok(name)
    };
    let images = summary::Images {
        curves: chart("curves.png".into(), &|p| {
            charts::curves(p, &analysis.groups)
        })?,
        accuracy: chart("accuracy.png".into(), &|p| {
            charts::accuracy(p, &analysis.groups)
        })?,
        confusion: analysis
            .featured
            .iter()
            .flatten()
            .map(|f| {
                let name = &f.run.backend;
                let title = format!(
                    "{name}: confusion matrix (test set, seed {})",
                    f.run.hyperparams.seed
                );
                let file = chart(format!("confusion-{name}.png"), &|p| {
                    charts::confusion(p, &title, &f.confusion, labels)
                })?;
                Ok(summary::BackendChart {
                    backend: name.clone(),
                    file,
                })
            })
            .collect::<Result<_, _>>()?,
        samples: match analysis.featured_seed() {
            Some(seed) => Some(chart("samples.png".into(), &|p| {
                sample_grid(p, report, &analysis, seed)
            })?),
            None => None,
        },
        mistakes: analysis
            .featured
            .iter()
            .flatten()
            .map(|f| {
                let file = chart(format!("misclassified-{}.png", f.run.backend), &|p| {
                    mistakes_grid(p, report, f.run)
                })?;
                Ok(summary::BackendChart {
                    backend: f.run.backend.clone(),
                    file,
                })
            })
            .collect::<Result<_, _>>()?,
    };

    let markdown = summary::markdown(report, &tables, &analysis, &images)
        .map_err(|e| ReportError::polars(dir, e))?;
    let path = dir.join("summary.md");
    std::fs::write(&path, markdown).map_err(|e| ReportError::io(&path, e))?;
    files.push(PathBuf::from("summary.md"));
    files.sort();
    Ok(files)
}

/// `samples.png`: the same seeded pick of test images for every backend, with each prediction.
fn sample_grid(
    path: &Path,
    report: &Report<'_>,
    analysis: &analysis::Analysis<'_>,
    seed: u64,
) -> Result<(), ReportError> {
    let truths = report.test.labels();
    let names = &report.provenance.dataset;
    let tiles: Vec<charts::Tile> = analysis::sample_indices(report.test.len(), SAMPLES, seed)
        .into_iter()
        .map(|index| {
            let truth = truths[index];
            let mut lines = vec![(format!("true {}", names.name(truth)), false)];
            for f in analysis.featured.iter().flatten() {
                if let Some(m) = &f.run.metrics {
                    let p = m.test_predictions[index];
                    let said = format!("{}: {}", f.run.backend, names.name(p));
                    lines.push((said, p != truth));
                }
            }
            charts::Tile { index, lines }
        })
        .collect();
    let models = if analysis.featured_share_a_seed() {
        format!("models of seed {seed}")
    } else {
        "each backend's featured model".to_string()
    };
    let title = format!(
        "Random test images: true {} and the predictions of the {models} (mistakes in red)",
        names.class_noun
    );
    charts::image_grid(path, &title, report.test, &tiles, 8)
}

/// A predicted probability to four decimals, without rounding a near-certain one up to 1.
fn format_probability(p: f32) -> String {
    // Four decimals would print anything from 0.99995 up as "1.0000".
    if p >= 0.99995 {
        "p > 0.9999".to_string()
    } else {
        format!("p = {p:.4}")
    }
}

/// `misclassified-<backend>.png`: the most confidently wrong test images of one run.
fn mistakes_grid(path: &Path, report: &Report<'_>, run: &RunRecord) -> Result<(), ReportError> {
    let truths = report.test.labels();
    let names = &report.provenance.dataset;
    let tiles: Vec<charts::Tile> = analysis::confident_mistakes(run, truths, MISTAKES)
        .into_iter()
        .map(|(index, predicted, p)| {
            let (truth, said) = (names.name(truths[index]), names.name(predicted));
            let mut lines = if names.numeric() {
                vec![(format!("true {truth} → {said}"), true)]
            } else {
                vec![
                    (format!("true {truth}"), false),
                    (format!("→ {said}"), true),
                ]
            };
            lines.push((format_probability(p), false));
            charts::Tile { index, lines }
        })
        .collect();
    let title = format!(
        "{}: the {} most confident mistakes (seed {})",
        run.backend,
        tiles.len(),
        run.hyperparams.seed
    );
    charts::image_grid(path, &title, report.test, &tiles, 8)
}

#[cfg(test)]
mod tests {
    use super::format_probability;

    #[test]
    fn a_near_certain_probability_is_not_shown_as_one() {
        assert_eq!(format_probability(0.5), "p = 0.5000");
        assert_eq!(format_probability(0.99994), "p = 0.9999");
        assert_eq!(format_probability(0.99996), "p > 0.9999");
        assert_eq!(format_probability(1.0), "p > 0.9999");
    }
}
