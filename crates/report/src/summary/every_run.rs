//! `## Every run`: one row per run, when there are several seeds or a run failed.

use super::percent;
use crate::Report;
use crate::tables::{run_interval, status_text};

/// The section, or nothing for a single seed where every run succeeded.
pub(super) fn section(report: &Report<'_>) -> String {
    if report.provenance.seeds.len() <= 1 && report.runs.iter().all(|r| r.is_ok()) {
        return String::new();
    }
    let mut md = String::from("## Every run\n\n");
    md.push_str("| backend | seed | test acc (95% Wilson CI) | train acc | train time | status |\n|:---|---:|---:|---:|---:|:---|\n");
    for r in report.runs {
        let m = r.metrics.as_ref();
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.backend,
            r.hyperparams.seed,
            m.map_or("–".into(), |m| match run_interval(m) {
                Some(ci) => format!(
                    "{:.2}% ({:.2}–{:.2})",
                    100.0 * m.test_accuracy,
                    100.0 * ci.low,
                    100.0 * ci.high
                ),
                None => percent(Some(m.test_accuracy)),
            }),
            percent(m.map(|m| m.train_accuracy)),
            m.map_or("–".into(), |m| format!("{:.1} s", m.training_seconds)),
            status_text(r)
        ));
    }
    md.push('\n');
    md
}
