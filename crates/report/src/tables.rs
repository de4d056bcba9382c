//! The comparison tables as polars data frames, and their CSV, JSON and markdown forms.

use bench_core::{HistoryUnit, RunRecord, RunStatus};
use polars::prelude::*;

use crate::stats::{Interval, accuracy_interval};

/// One row per run: the raw numbers, for CSV and JSON.
pub fn runs_frame(runs: &[RunRecord]) -> PolarsResult<DataFrame> {
    let metric = |f: fn(&bench_core::Metrics) -> Option<f64>| -> Vec<Option<f64>> {
        runs.iter()
            .map(|r| r.metrics.as_ref().and_then(f))
            .collect()
    };
    DataFrame::new_infer_height(vec![
        Column::new(
            "backend".into(),
            runs.iter().map(|r| r.backend.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "model".into(),
            runs.iter().map(|r| r.model.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "seed".into(),
            runs.iter().map(|r| r.hyperparams.seed).collect::<Vec<_>>(),
        ),
        Column::new(
            "params".into(),
            runs.iter()
                .map(|r| r.metrics.as_ref().map(|m| m.param_count as u64))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "epochs".into(),
            runs.iter()
                .map(|r| trained_for(r.history_unit, steps(r)).0)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "iterations".into(),
            runs.iter()
                .map(|r| trained_for(r.history_unit, steps(r)).1)
                .collect::<Vec<_>>(),
        ),
        Column::new("train_accuracy".into(), metric(|m| Some(m.train_accuracy))),
        Column::new(
            "validation_accuracy".into(),
            metric(|m| m.validation_accuracy),
        ),
        Column::new("test_accuracy".into(), metric(|m| Some(m.test_accuracy))),
        Column::new(
            "test_accuracy_ci_low".into(),
            metric(|m| run_interval(m).map(|c| c.low)),
        ),
        Column::new(
            "test_accuracy_ci_high".into(),
            metric(|m| run_interval(m).map(|c| c.high)),
        ),
        Column::new(
            "training_seconds".into(),
            metric(|m| Some(m.training_seconds)),
        ),
        Column::new(
            "predictions_per_second".into(),
            metric(|m| Some(m.predictions_per_second)),
        ),
        Column::new(
            "status".into(),
            runs.iter().map(status_text).collect::<Vec<_>>(),
        ),
    ])
}

/// One run's 95% Wilson interval over its test images.
pub fn run_interval(m: &bench_core::Metrics) -> Option<Interval> {
    accuracy_interval(&[m]).map(|(c, _)| c)
}

/// How far a run trained: its last history point (an epoch, or an iteration budget).
pub fn steps(r: &RunRecord) -> usize {
    r.history.last().map_or(0, |h| h.step)
}

/// `steps` as `(epochs, iterations)`: the one that applies to the unit, the other empty. Every
/// table calls a column "epochs" only when it counts epochs.
pub fn trained_for(unit: HistoryUnit, steps: usize) -> (Option<u64>, Option<u64>) {
    match unit {
        HistoryUnit::Epoch => (Some(steps as u64), None),
        HistoryUnit::Iteration => (None, Some(steps as u64)),
    }
}

/// One row per run and epoch (or iteration budget): the learning curves.
pub fn history_frame(runs: &[RunRecord]) -> PolarsResult<DataFrame> {
    let rows: Vec<_> = runs
        .iter()
        .flat_map(|r| r.history.iter().map(move |h| (r, h)))
        .collect();
    DataFrame::new_infer_height(vec![
        Column::new(
            "backend".into(),
            rows.iter()
                .map(|(r, _)| r.backend.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "seed".into(),
            rows.iter()
                .map(|(r, _)| r.hyperparams.seed)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "unit".into(),
            rows.iter()
                .map(|(r, _)| r.history_unit.name())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "step".into(),
            rows.iter().map(|(_, h)| h.step as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "train_loss".into(),
            rows.iter().map(|(_, h)| h.train_loss).collect::<Vec<_>>(),
        ),
        Column::new(
            "train_accuracy".into(),
            rows.iter()
                .map(|(_, h)| h.train_accuracy)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "validation_loss".into(),
            rows.iter()
                .map(|(_, h)| h.validation_loss)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "validation_accuracy".into(),
            rows.iter()
                .map(|(_, h)| h.validation_accuracy)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "seconds".into(),
            rows.iter().map(|(_, h)| h.seconds).collect::<Vec<_>>(),
        ),
    ])
}

/// `ok`, or `failed: <reason>`.
pub fn status_text(r: &RunRecord) -> String {
    match &r.status {
        RunStatus::Ok => "ok".to_string(),
        RunStatus::Failed { reason } => format!("failed: {reason}"),
    }
}

/// `df` as CSV.
pub fn csv(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut bytes = Vec::new();
    CsvWriter::new(&mut bytes).finish(df)?;
    Ok(bytes)
}

/// `df` as a JSON array of row objects.
pub fn json(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut bytes = Vec::new();
    JsonWriter::new(&mut bytes)
        .with_json_format(JsonFormat::Json)
        .finish(df)?;
    Ok(bytes)
}

/// Renders `df` as a GitHub markdown table; `format` turns each cell into text. Numeric columns,
/// and the text columns named in `right`, are right-aligned.
pub fn markdown(
    df: &DataFrame,
    format: &dyn Fn(&str, &AnyValue<'_>) -> String,
    right: &[&str],
) -> PolarsResult<String> {
    let names: Vec<&str> = df
        .get_column_names()
        .into_iter()
        .map(|n| n.as_str())
        .collect();
    let mut out = format!("| {} |\n", names.join(" | "));
    let align: Vec<&str> = df
        .columns()
        .iter()
        .map(|c| {
            if c.dtype().is_primitive_numeric() || right.contains(&c.name().as_str()) {
                "---:"
            } else {
                ":---"
            }
        })
        .collect();
    out.push_str(&format!("|{}|\n", align.join("|")));
    for i in 0..df.height() {
        let cells = df
            .columns()
            .iter()
            .map(|c| Ok(format(c.name().as_str(), &c.get(i)?).replace('|', "\\|")))
            .collect::<PolarsResult<Vec<_>>>()?;
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    Ok(out)
}
