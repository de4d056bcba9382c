//! `## The tests behind the verdicts`: how each pair was tested, and every pair's figures.

use crate::analysis::{ALPHA, Analysis, PairTest};
use crate::verdict::interval_label;

/// The prose on the tests, then one row per pair.
pub(super) fn section(analysis: &Analysis<'_>) -> String {
    let mut md = String::from("## The tests behind the verdicts\n\n");
    md.push_str(&crate::verdict::tests_prose());
    let label = analysis
        .pairs
        .first()
        .map_or_else(|| interval_label(1.0 - ALPHA, 1), PairTest::family_label);
    md.push_str(&format!(
        "| pair | images only the first gets right | images only the second gets right | McNemar p per seed (Holm-adjusted) | seeds that differ | mean difference, first − second ({label}) | Welch p (Holm-adjusted) |\n"
    ));
    md.push_str("|:---|---:|---:|:---|:---|:---|:---|\n");
    for pair in &analysis.pairs {
        md.push_str(&crate::verdict::tests_row(pair));
    }
    if analysis.pairs.is_empty() {
        md.push_str("| – | – | – | only one backend ran | – | – | – |\n");
    }
    md.push('\n');
    md
}
