//! `summary.md`, one module per section, and the tables behind it.

mod against_baseline;
mod backends;
mod data_files;
mod every_run;
mod figures;
mod frames;
mod heading;
mod not_saved;
mod per_class;
mod provenance;
mod rows;
mod verdict_tests;

pub use frames::Tables;
pub use rows::{SummaryRow, display_frame, summary_rows};

use polars::prelude::PolarsResult;

use crate::Report;
use crate::analysis::Analysis;

/// The chart files of a report, relative to its folder.
#[derive(Debug, Clone, Default)]
pub struct Images {
    /// Learning curves.
    pub curves: String,
    /// Test accuracy per backend.
    pub accuracy: String,
    /// Confusion matrices, one per backend with a successful run.
    pub confusion: Vec<BackendChart>,
    /// The sample grid, if any run succeeded.
    pub samples: Option<String>,
    /// Most confident mistakes, one per backend with a successful run.
    pub mistakes: Vec<BackendChart>,
}

/// A chart of one backend's run.
#[derive(Debug, Clone)]
pub struct BackendChart {
    /// The backend's name, for the image's alt text.
    pub backend: String,
    /// The chart file, relative to the report folder.
    pub file: String,
}

/// A share as a percentage with two decimals, `–` for none.
pub(crate) fn percent(v: Option<f64>) -> String {
    v.map_or("–".to_string(), |v| format!("{:.2}%", 100.0 * v))
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join_and<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => "nothing".to_string(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

/// `summary.md`: the answer first, then the table, the images, the statistics and the
/// provenance.
pub fn markdown(
    report: &Report<'_>,
    tables: &Tables,
    analysis: &Analysis<'_>,
    images: &Images,
) -> PolarsResult<String> {
    let p = report.provenance;
    let mut md = heading::section(p, analysis);
    md.push_str(&not_saved::section(report.not_saved));
    md.push_str(&crate::answer::markdown(
        &tables.rows,
        &tables.deployment_rows,
        &analysis.pairs,
    ));
    md.push_str(&against_baseline::section(report));
    md.push_str(&backends::section(tables, analysis)?);
    md.push_str("## Which differences are real?\n\n");
    md.push_str(&crate::verdict::differences(&analysis.pairs));
    md.push_str(&figures::curves_and_accuracy(tables, images));
    md.push_str(&crate::deployment::markdown(
        &tables.deployment_rows,
        crate::deployment::measuring_seconds(&analysis.groups),
        p.total_seconds,
        !p.parts.is_empty(),
    ));
    md.push_str(&verdict_tests::section(analysis));
    md.push_str(&per_class::section(analysis, &p.dataset, images));
    md.push_str(&figures::pictures(images));
    md.push_str(&every_run::section(report));
    md.push_str(&data_files::section(tables, report.baseline.is_some()));
    md.push_str(&provenance::section(p));
    Ok(md)
}

/// The seeds, as the summary lists them: `1, 2, 3`.
fn seed_list(seeds: &[u64]) -> String {
    let seeds: Vec<String> = seeds.iter().map(u64::to_string).collect();
    seeds.join(", ")
}
