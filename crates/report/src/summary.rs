//! The per-backend comparison table and `summary.md`.

use bench_core::{HistoryUnit, RunRecord};
use polars::prelude::*;

use crate::Report;
use crate::tables::{history_frame, markdown as markdown_table, runs_frame, status_text};

/// Mean and sample standard deviation (`None` below two values).
pub fn mean_std(values: &[f64]) -> (Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = (values.len() > 1)
        .then(|| (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
    (Some(mean), std)
}

/// Backends in the order they first ran.
pub fn backend_order(runs: &[RunRecord]) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for r in runs {
        if !names.contains(&r.backend.as_str()) {
            names.push(&r.backend);
        }
    }
    names
}

/// The tables of a report.
#[derive(Debug, Clone)]
pub struct Tables {
    /// One row per backend, aggregated over seeds.
    pub rows: Vec<SummaryRow>,
    /// The same as a data frame.
    pub summary: DataFrame,
    /// One row per run.
    pub runs: DataFrame,
    /// One row per run and epoch.
    pub history: DataFrame,
}

impl Tables {
    /// Builds every table from the run records.
    pub fn build(runs: &[RunRecord]) -> PolarsResult<Self> {
        let rows = summary_rows(runs);
        Ok(Self {
            summary: summary_frame(&rows)?,
            rows,
            runs: runs_frame(runs)?,
            history: history_frame(runs)?,
        })
    }
}

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
    /// History points of the first run (epochs or iteration budgets).
    pub epochs: usize,
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
    /// Mean training seconds.
    pub training_seconds: Option<f64>,
    /// Mean test predictions per second.
    pub predictions_per_second: Option<f64>,
    /// `ok`, or which runs failed and why.
    pub status: String,
}

/// Aggregates the runs of each backend.
pub fn summary_rows(runs: &[RunRecord]) -> Vec<SummaryRow> {
    backend_order(runs)
        .into_iter()
        .map(|name| {
            let mine: Vec<&RunRecord> = runs.iter().filter(|r| r.backend == name).collect();
            let ok: Vec<&bench_core::Metrics> =
                mine.iter().filter_map(|r| r.metrics.as_ref()).collect();
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
                backend: name.to_string(),
                model: mine[0].model.clone(),
                unit: mine[0].history_unit,
                params: ok.first().map(|m| m.param_count),
                epochs: mine[0].history.len(),
                runs: mine.len(),
                runs_ok: ok.len(),
                train_accuracy: mean(|m| Some(m.train_accuracy)).0,
                validation_accuracy: mean(|m| m.validation_accuracy).0,
                test_accuracy,
                test_accuracy_std,
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

fn unit_name(unit: HistoryUnit) -> &'static str {
    match unit {
        HistoryUnit::Epoch => "epoch",
        HistoryUnit::Iteration => "iteration",
    }
}

fn summary_frame(rows: &[SummaryRow]) -> PolarsResult<DataFrame> {
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
            "history_unit".into(),
            rows.iter().map(|r| unit_name(r.unit)).collect::<Vec<_>>(),
        ),
        Column::new(
            "params".into(),
            rows.iter()
                .map(|r| r.params.map(|p| p as u64))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "epochs".into(),
            rows.iter().map(|r| r.epochs as u64).collect::<Vec<_>>(),
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
        col("training_seconds", |r| r.training_seconds),
        col("predictions_per_second", |r| r.predictions_per_second),
        Column::new(
            "status".into(),
            rows.iter().map(|r| r.status.clone()).collect::<Vec<_>>(),
        ),
    ])
}

fn percent(v: Option<f64>) -> String {
    v.map_or("–".to_string(), |v| format!("{:.2}%", 100.0 * v))
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
            texts(&|r| match r.unit {
                HistoryUnit::Epoch => r.epochs.to_string(),
                HistoryUnit::Iteration => format!("– ({} L-BFGS checkpoints)", r.epochs),
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
            "test acc".into(),
            texts(&|r| match (r.test_accuracy, r.test_accuracy_std) {
                (Some(m), Some(sd)) => format!("{:.2}% ± {:.2}", 100.0 * m, 100.0 * sd),
                (m, _) => percent(m),
            }),
        ),
        Column::new(
            "train time".into(),
            texts(&|r| {
                r.training_seconds
                    .map_or("–".into(), |v| format!("{v:.1} s"))
            }),
        ),
        Column::new(
            "predictions/s".into(),
            texts(&|r| {
                r.predictions_per_second
                    .map_or("–".into(), |v| format!("{:.0}", v))
            }),
        ),
        Column::new("status".into(), texts(&|r| r.status.clone())),
    ])
}

/// `summary.md`: the table first, then the provenance.
pub fn markdown(report: &Report<'_>, tables: &Tables) -> PolarsResult<String> {
    let p = report.provenance;
    let display = display_frame(&tables.rows)?;
    let table = markdown_table(&display, &|_, v| match v {
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Null => "–".to_string(),
        other => other.to_string(),
    })?;
    let [n_train, n_val, n_test] = p.split_sizes;
    let seeds: Vec<String> = p.seeds.iter().map(u64::to_string).collect();
    let mut md = String::new();
    md.push_str("# MNIST: three ways, compared\n\n");
    md.push_str(&format!(
        "Split `{}`: {n_train} training, {n_val} validation and {n_test} test images; seed{} {}. \
         Test accuracy is measured once per run, after training.\n\n",
        p.split,
        if seeds.len() > 1 { "s" } else { "" },
        seeds.join(", ")
    ));
    md.push_str(&table);
    md.push('\n');
    md.push_str(
        "Train and validation accuracy are measured on the final model. Train time is wall-clock \
         training, per-epoch validation included; predictions/s is test-set inference.\n\n",
    );
    md.push_str("## Provenance\n\n");
    md.push_str(&format!("- Command: `{}`\n", p.command));
    md.push_str(&format!("- Git commit: `{}`\n", p.git_commit));
    md.push_str(&format!("- Data: {}\n", p.data));
    md.push_str(&format!(
        "- Split: `{}`, validation fraction {}, seeds {}\n",
        p.split,
        p.validation_fraction,
        seeds.join(", ")
    ));
    let versions: Vec<String> = p.versions.iter().map(|(n, v)| format!("{n} {v}")).collect();
    md.push_str(&format!("- Versions: {}\n", versions.join(", ")));
    md.push_str(&format!("- CPU: {}\n", p.cpu));
    md.push_str(&format!("- Build: {}\n", p.build));
    md.push_str(&format!(
        "- Started: {}; total time {:.1} s\n",
        p.started, p.total_seconds
    ));
    Ok(md)
}
