//! One row per backend, aggregated over seeds: as numbers for the tables, and as text for the
//! table at the top of `summary.md`.

use bench_core::HistoryUnit;
use polars::prelude::*;

use super::percent;
use crate::stats::{BackendRuns, Interval, IntervalMethod, accuracy_interval, mean_std};
use crate::tables::{status_text, steps, trained_for};

/// One backend's runs, aggregated over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Backend name.
    pub backend: String,
    /// Model description.
    pub model: String,
    /// What the history counts.
    pub unit: HistoryUnit,
    /// Trainable parameters.
    pub params: Option<usize>,
    /// How far the first run trained: epochs, or L-BFGS iterations (see `unit`).
    pub steps: usize,
    /// Runs (seeds).
    pub runs: usize,
    /// Successful runs.
    pub runs_ok: usize,
    /// Mean final training accuracy.
    pub train_accuracy: Option<f64>,
    /// Mean final validation accuracy.
    pub validation_accuracy: Option<f64>,
    /// Mean test accuracy.
    pub test_accuracy: Option<f64>,
    /// Sample standard deviation of the test accuracy (two or more runs).
    pub test_accuracy_std: Option<f64>,
    /// The 95% interval of the test accuracy, and how it was computed.
    pub test_accuracy_ci: Option<(Interval, IntervalMethod)>,
    /// Mean training seconds.
    pub training_seconds: Option<f64>,
    /// Mean test predictions per second.
    pub predictions_per_second: Option<f64>,
    /// `ok`, or which runs failed and why.
    pub status: String,
}

/// Aggregates the runs of each backend.
pub fn summary_rows(groups: &[BackendRuns<'_>]) -> Vec<SummaryRow> {
    groups
        .iter()
        .map(|g| {
            let mine = &g.runs;
            let ok: Vec<&bench_core::Metrics> = g.ok().collect();
            let mean = |f: fn(&bench_core::Metrics) -> Option<f64>| {
                let v: Vec<f64> = ok.iter().filter_map(|m| f(m)).collect();
                mean_std(&v)
            };
            let (test_accuracy, test_accuracy_std) = mean(|m| Some(m.test_accuracy));
            let failed: Vec<String> = mine
                .iter()
                .filter(|r| !r.is_ok())
                .map(|r| status_text(r))
                .collect();
            SummaryRow {
                backend: g.name.to_string(),
                model: mine[0].model.clone(),
                unit: g.unit,
                params: ok.first().map(|m| m.param_count),
                steps: steps(mine[0]),
                runs: mine.len(),
                runs_ok: ok.len(),
                train_accuracy: mean(|m| Some(m.train_accuracy)).0,
                validation_accuracy: mean(|m| m.validation_accuracy).0,
                test_accuracy,
                test_accuracy_std,
                test_accuracy_ci: accuracy_interval(&ok),
                training_seconds: mean(|m| Some(m.training_seconds)).0,
                predictions_per_second: mean(|m| Some(m.predictions_per_second)).0,
                status: match failed.first() {
                    None => "ok".to_string(),
                    Some(first) if failed.len() == mine.len() => first.clone(),
                    Some(first) => format!("{} of {} runs {first}", failed.len(), mine.len()),
                },
            }
        })
        .collect()
}

/// The summary table as numbers: `summary.csv` and `summary.json`.
pub(super) fn summary_frame(rows: &[SummaryRow]) -> PolarsResult<DataFrame> {
    let col = |name: &str, f: fn(&SummaryRow) -> Option<f64>| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    DataFrame::new_infer_height(vec![
        Column::new(
            "backend".into(),
            rows.iter().map(|r| r.backend.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "model".into(),
            rows.iter().map(|r| r.model.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "params".into(),
            rows.iter()
                .map(|r| r.params.map(|p| p as u64))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "epochs".into(),
            rows.iter()
                .map(|r| trained_for(r.unit, r.steps).0)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "iterations".into(),
            rows.iter()
                .map(|r| trained_for(r.unit, r.steps).1)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "runs".into(),
            rows.iter().map(|r| r.runs as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "runs_ok".into(),
            rows.iter().map(|r| r.runs_ok as u64).collect::<Vec<_>>(),
        ),
        col("train_accuracy", |r| r.train_accuracy),
        col("validation_accuracy", |r| r.validation_accuracy),
        col("test_accuracy", |r| r.test_accuracy),
        col("test_accuracy_std", |r| r.test_accuracy_std),
        col("test_accuracy_ci_low", |r| {
            r.test_accuracy_ci.map(|c| c.0.low)
        }),
        col("test_accuracy_ci_high", |r| {
            r.test_accuracy_ci.map(|c| c.0.high)
        }),
        Column::new(
            "test_accuracy_ci_method".into(),
            rows.iter()
                .map(|r| r.test_accuracy_ci.map(|c| c.1.name()))
                .collect::<Vec<_>>(),
        ),
        col("training_seconds", |r| r.training_seconds),
        col("predictions_per_second", |r| r.predictions_per_second),
        Column::new(
            "status".into(),
            rows.iter().map(|r| r.status.clone()).collect::<Vec<_>>(),
        ),
    ])
}

/// The table as readers see it: percentages, `mean ± std` over seeds, rounded timings.
pub fn display_frame(rows: &[SummaryRow]) -> PolarsResult<DataFrame> {
    let texts = |f: &dyn Fn(&SummaryRow) -> String| rows.iter().map(f).collect::<Vec<String>>();
    DataFrame::new_infer_height(vec![
        Column::new("backend".into(), texts(&|r| r.backend.clone())),
        Column::new("model".into(), texts(&|r| r.model.clone())),
        Column::new(
            "params".into(),
            texts(&|r| r.params.map_or("–".into(), |p| p.to_string())),
        ),
        Column::new(
            "epochs".into(),
            texts(&|r| match trained_for(r.unit, r.steps) {
                (Some(epochs), _) => epochs.to_string(),
                (None, iterations) => format!("– ({} iterations)", iterations.unwrap_or(0)),
            }),
        ),
        Column::new(
            "seeds ok".into(),
            texts(&|r| {
                if r.runs == r.runs_ok {
                    r.runs.to_string()
                } else {
                    format!("{} of {}", r.runs_ok, r.runs)
                }
            }),
        ),
        Column::new("train acc".into(), texts(&|r| percent(r.train_accuracy))),
        Column::new("val acc".into(), texts(&|r| percent(r.validation_accuracy))),
        Column::new(
            "test acc (95% CI)".into(),
            texts(&|r| match (r.test_accuracy, r.test_accuracy_ci) {
                (Some(m), Some((ci, _))) => format!(
                    "{:.2}% ({:.2}–{:.2})",
                    100.0 * m,
                    100.0 * ci.low,
                    100.0 * ci.high
                ),
                (m, _) => percent(m),
            }),
        ),
        Column::new(
            "train time (mean)".into(),
            texts(&|r| {
                r.training_seconds
                    .map_or("–".into(), |v| format!("{v:.1} s"))
            }),
        ),
        Column::new("status".into(), texts(&|r| r.status.clone())),
    ])
}
