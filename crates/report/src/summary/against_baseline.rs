//! `## Against the baseline`: what moved for each backend against an earlier report
//! (`compare --baseline`), one sentence each; absent without a baseline.

use crate::Report;
use crate::baseline::{self, ALPHA};

/// The section, or nothing without a baseline.
pub(super) fn section(report: &Report<'_>) -> String {
    let Some(b) = report.baseline else {
        return String::new();
    };
    let before = &b.results.provenance;
    let rows = baseline::compare(report.runs, report.provenance, b.results);
    let now = report.provenance;
    let times = if baseline::times_comparable(now, before) {
        "Both ran on the same CPU and build, so training times are compared too."
    } else if !baseline::same_machine_and_build(now, before) {
        "Training times are not compared: the two ran on other machines or builds. A backend \
         whose results depend on the CPU (linfa, candle) may differ for that reason alone."
    } else {
        "Training times are not compared: one of the two was merged from shards that shared a \
         machine or ran on several CPUs."
    };
    let mut md = format!(
        "## Against the baseline\n\nThe baseline is the report in `{}` (commit `{}`, started {}). \
         Each backend's test accuracy is compared across seeds by Welch's t-test, Holm-adjusted \
         over the backends so tested; a change is one with an adjusted p below {ALPHA}. {times} \
         A backend trained with other settings is named and not compared. Table: \
         [baseline.csv](baseline.csv).\n\n",
        b.label, before.git_commit, before.started
    );
    for row in &rows {
        md.push_str(&format!("- {}\n", row.sentence()));
    }
    md.push('\n');
    md
}
