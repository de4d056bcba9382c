//! The whole report rendered into memory: every file's path, relative to the output folder, and
//! its bytes. Nothing is written here; the caller writes the files.

use std::fmt::Display;
use std::path::{Component, Path, PathBuf};

use polars::prelude::DataFrame;

use crate::analysis::Analysis;
use crate::charts::{self, ChartError};
use crate::summary::{self, BackendChart, Images, Tables};
use crate::{Report, ReportError, Results, pictures, tables};

/// One file of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Where the file goes, relative to the output folder, e.g. `summary.md`.
    pub path: PathBuf,
    /// What it holds.
    pub bytes: Vec<u8>,
}

/// Renders the whole report: `results.json`, every table as CSV and JSON, the charts and
/// `summary.md`, sorted by path.
pub fn render(report: &Report<'_>) -> Result<Vec<RenderedFile>, ReportError> {
    let mut files = vec![results_json(report)?];
    let analysis = Analysis::new(report.runs, report.test);
    let tables =
        Tables::build(report.runs, &analysis, &report.provenance.dataset).map_err(|e| {
            ReportError::Tables {
                message: e.to_string(),
            }
        })?;
    for (stem, frame) in tables.frames() {
        files.extend(table_files(stem, frame)?);
    }
    if let Some(b) = report.baseline {
        let rows = crate::baseline::compare(report.runs, report.provenance, b.results);
        let frame = crate::baseline::frame(&rows).map_err(|e| table_error("baseline.csv", &e))?;
        files.extend(table_files("baseline", &frame)?);
    }
    let images = draw_charts(report, &analysis, &mut files)?;
    let markdown = summary::markdown(report, &tables, &analysis, &images)
        .map_err(|e| table_error("summary.md", &e))?;
    files.push(RenderedFile {
        path: PathBuf::from("summary.md"),
        bytes: markdown.into_bytes(),
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn table_error(path: &str, e: &dyn Display) -> ReportError {
    ReportError::Table {
        path: PathBuf::from(path),
        message: e.to_string(),
    }
}

/// `results.json`: the provenance and every run record.
fn results_json(report: &Report<'_>) -> Result<RenderedFile, ReportError> {
    let results = Results {
        provenance: report.provenance.clone(),
        runs: report.runs.to_vec(),
    };
    let bytes = serde_json::to_vec_pretty(&results).map_err(|e| table_error("results.json", &e))?;
    Ok(RenderedFile {
        path: PathBuf::from("results.json"),
        bytes,
    })
}

/// One table as `<stem>.csv` and `<stem>.json`.
fn table_files(stem: &str, frame: &DataFrame) -> Result<[RenderedFile; 2], ReportError> {
    let mut frame = frame.clone();
    let (csv, json) = (format!("{stem}.csv"), format!("{stem}.json"));
    let csv_bytes = tables::csv(&mut frame).map_err(|e| table_error(&csv, &e))?;
    let json_bytes = tables::json(&mut frame).map_err(|e| table_error(&json, &e))?;
    Ok([
        RenderedFile {
            path: PathBuf::from(csv),
            bytes: csv_bytes,
        },
        RenderedFile {
            path: PathBuf::from(json),
            bytes: json_bytes,
        },
    ])
}

/// Draws each chart into `files`, under the name `summary.md` links it by.
struct Charts<'f> {
    files: &'f mut Vec<RenderedFile>,
}

impl Charts<'_> {
    /// Draws the chart `name` (a file name: backend names become part of it) and keeps it.
    fn add(
        &mut self,
        name: String,
        draw: impl FnOnce() -> Result<Vec<u8>, ChartError>,
    ) -> Result<String, ReportError> {
        let path = PathBuf::from(&name);
        if !is_file_name(&path) {
            return Err(ReportError::Chart {
                path,
                message: "not a file name: a backend's name goes into its charts' file names, \
                          so it cannot hold a path separator"
                    .to_string(),
            });
        }
        let bytes = draw().map_err(|e| ReportError::Chart {
            path: path.clone(),
            message: e.to_string(),
        })?;
        self.files.push(RenderedFile { path, bytes });
        Ok(name)
    }

    /// One chart per backend with a featured run, `file` naming each after its backend.
    fn per_backend(
        &mut self,
        analysis: &Analysis<'_>,
        file: impl Fn(&str) -> String,
        draw: impl Fn(&crate::analysis::Featured<'_>) -> Result<Vec<u8>, ChartError>,
    ) -> Result<Vec<BackendChart>, ReportError> {
        analysis
            .featured
            .iter()
            .flatten()
            .map(|f| {
                let backend = f.run.backend.clone();
                let file = self.add(file(&backend), || draw(f))?;
                Ok(BackendChart { backend, file })
            })
            .collect()
    }
}

/// Whether `path` is a single file name, with no folder in it.
fn is_file_name(path: &Path) -> bool {
    let mut parts = path.components();
    matches!(
        (parts.next(), parts.next()),
        (Some(Component::Normal(_)), None)
    )
}

/// Draws every chart into `files` and returns their names for `summary.md`.
fn draw_charts(
    report: &Report<'_>,
    analysis: &Analysis<'_>,
    files: &mut Vec<RenderedFile>,
) -> Result<Images, ReportError> {
    let labels = &report.provenance.dataset;
    let mut charts = Charts { files };
    let curves = charts.add("curves.png".into(), || charts::curves(&analysis.groups))?;
    let accuracy = charts.add("accuracy.png".into(), || charts::accuracy(&analysis.groups))?;
    let confusion = charts.per_backend(
        analysis,
        |backend| format!("confusion-{backend}.png"),
        |f| {
            let title = format!(
                "{}: confusion matrix (test set, seed {})",
                f.run.backend, f.run.hyperparams.seed
            );
            charts::confusion(&title, &f.confusion, labels)
        },
    )?;
    let samples = match analysis.featured_seed() {
        Some(seed) => Some(charts.add("samples.png".into(), || {
            pictures::sample_grid(report, analysis, seed)
        })?),
        None => None,
    };
    let mistakes = charts.per_backend(
        analysis,
        |backend| format!("misclassified-{backend}.png"),
        |f| pictures::mistakes_grid(report, f.run),
    )?;
    Ok(Images {
        curves,
        accuracy,
        confusion,
        samples,
        mistakes,
    })
}

#[cfg(test)]
mod tests {
    use super::is_file_name;
    use std::path::Path;

    #[test]
    fn a_chart_name_is_a_single_file_name() {
        assert!(is_file_name(Path::new("confusion-scratch.png")));
        assert!(is_file_name(Path::new("confusion-my-own-backend.png")));
        assert!(!is_file_name(Path::new("confusion-scr/atch.png")));
        assert!(!is_file_name(Path::new("/confusion.png")));
        assert!(!is_file_name(Path::new("..")));
        assert!(!is_file_name(Path::new("")));
    }
}
