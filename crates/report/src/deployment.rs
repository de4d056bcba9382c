//! The deployment table: per backend, what using its model costs, from the runner's measurements
//! (`bench_core::deploy`): the latency of one prediction (median and 99th percentile at batch 1),
//! the throughput at batch 256, and the process's peak resident memory while it trained. Each
//! figure is the median over the backend's successful runs.

use bench_core::deploy::{BATCH, BATCHES, Deployment, LATENCY_IMAGES, WARM_UP, median};
use polars::prelude::*;

use crate::stats::BackendRuns;

/// One backend's row.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentRow {
    /// Backend name.
    pub backend: String,
    /// Runs with figures.
    pub runs: usize,
    /// Median latency of one prediction, milliseconds.
    pub latency_median_ms: Option<f64>,
    /// 99th percentile latency, milliseconds.
    pub latency_p99_ms: Option<f64>,
    /// Images per second at batch [`BATCH`].
    pub throughput_per_second: Option<f64>,
    /// Peak resident memory while training, MiB (`None`: not measured).
    pub peak_training_rss_mib: Option<f64>,
    /// How far it rose above the process's memory when training started, MiB.
    pub training_rss_rise_mib: Option<f64>,
}

/// A row per backend.
pub fn rows(groups: &[BackendRuns<'_>]) -> Vec<DeploymentRow> {
    groups
        .iter()
        .map(|g| {
            let figures: Vec<Deployment> = g.ok().filter_map(|m| m.deployment).collect();
            let of = |f: fn(&Deployment) -> Option<f64>| {
                median(&figures.iter().filter_map(f).collect::<Vec<_>>())
            };
            DeploymentRow {
                backend: g.name.to_string(),
                runs: figures.len(),
                latency_median_ms: of(|d| Some(d.latency_median_seconds * 1e3)),
                latency_p99_ms: of(|d| Some(d.latency_p99_seconds * 1e3)),
                throughput_per_second: of(|d| Some(d.throughput_per_second)),
                peak_training_rss_mib: of(|d| {
                    d.peak_training_rss_bytes.map(|b| b as f64 / 1048576.0)
                }),
                training_rss_rise_mib: of(|d| {
                    let (peak, start) = (d.peak_training_rss_bytes?, d.rss_before_training_bytes?);
                    Some(peak.saturating_sub(start) as f64 / 1048576.0)
                }),
            }
        })
        .collect()
}

/// `deployment.csv`/`.json`.
pub fn frame(rows: &[DeploymentRow]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        Column::new(
            "backend".into(),
            rows.iter().map(|r| r.backend.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "runs".into(),
            rows.iter().map(|r| r.runs as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "latency_median_ms".into(),
            rows.iter().map(|r| r.latency_median_ms).collect::<Vec<_>>(),
        ),
        Column::new(
            "latency_p99_ms".into(),
            rows.iter().map(|r| r.latency_p99_ms).collect::<Vec<_>>(),
        ),
        Column::new(
            "throughput_batch256_per_s".into(),
            rows.iter()
                .map(|r| r.throughput_per_second)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "peak_training_rss_mib".into(),
            rows.iter()
                .map(|r| r.peak_training_rss_mib)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "training_rss_rise_mib".into(),
            rows.iter()
                .map(|r| r.training_rss_rise_mib)
                .collect::<Vec<_>>(),
        ),
    ])
}

/// Seconds all runs of `groups` spent measuring these figures.
pub fn measuring_seconds(groups: &[BackendRuns<'_>]) -> f64 {
    groups
        .iter()
        .flat_map(|g| g.ok())
        .filter_map(|m| m.deployment)
        .map(|d| d.measuring_seconds)
        .sum()
}

/// The section of `summary.md`; `measuring` and `total` are the seconds spent measuring and the
/// whole command's (`merged`: the shards' seconds, summed).
pub fn markdown(rows: &[DeploymentRow], measuring: f64, total: f64, merged: bool) -> String {
    let whole = if merged {
        "the shards' summed"
    } else {
        "this command's"
    };
    let ms = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.3} ms"));
    let mut md = String::from("## Using the models\n\n");
    md.push_str(&format!(
        "What using each model costs, measured after its test score. Each figure is the median \
         over the backend's runs, on this machine and build (see Provenance). One prediction: \
         {LATENCY_IMAGES} test images one at a time after {WARM_UP} untimed (median and 99th \
         percentile). Throughput: {BATCHES} batches of {BATCH} after an untimed one. \
         (`summary.csv`'s `predictions_per_second` is another figure: the whole test set scored \
         once, in one call, as the run timed it.) Peak memory is the whole process's resident \
         high-water mark while the model trained (Linux; \"not measured\" elsewhere): it includes \
         the loaded dataset and whatever earlier runs left resident. In brackets, how far it rose \
         while training; memory an earlier run freed is reused first, so a backend that trains \
         after a hungrier one may add nothing. Measuring took {measuring:.1} s of {whole} \
         {total:.0} s ({:.1}%).\n\n",
        100.0 * measuring / total.max(1e-9)
    ));
    md.push_str(&format!(
        "| backend | runs | one prediction: median | 99th percentile | images/s at batch {BATCH} (median) \
         | peak memory while training (rise) |\n",
    ));
    md.push_str("|:---|---:|---:|---:|---:|---:|\n");
    for r in rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.backend,
            r.runs,
            ms(r.latency_median_ms),
            ms(r.latency_p99_ms),
            r.throughput_per_second
                .map_or("–".to_string(), |v| format!("{v:.0}")),
            match (r.peak_training_rss_mib, r.training_rss_rise_mib) {
                (Some(peak), Some(rise)) => format!("{peak:.0} MiB (+{rise:.0})"),
                (Some(peak), None) => format!("{peak:.0} MiB"),
                _ => "not measured".to_string(),
            },
        ));
    }
    md.push('\n');
    md
}
