//! `## Data files`: what each file beside `summary.md` holds.

use bench_core::HistoryUnit;

use super::Tables;

/// The section; it explains the `epochs` and `iterations` columns when a backend has no epochs,
/// and names `baseline` when there is a baseline.
pub(super) fn section(tables: &Tables, baseline: bool) -> String {
    let mut md = String::from("## Data files\n\n");
    md.push_str(
        "`results.json` holds every run record (configuration, per-epoch history, test predictions). \
         Each table is also in CSV and JSON: `summary` (this table), `runs` (one row per run), \
         `history` (one row per run and epoch), `classes` (per-class scores), `mcnemar` (every \
         McNemar test, raw and Holm-adjusted p), `across-seeds` (per pair: Welch's test across \
         seeds, its unadjusted and family-wise intervals, and the verdict).",
    );
    if tables.rows.iter().any(|r| r.unit == HistoryUnit::Iteration) {
        md.push_str(
            " In `summary` and `runs`, `epochs` counts epochs and `iterations` the iterations of \
             a backend without epochs; each is empty where the other applies.",
        );
    }
    if baseline {
        md.push_str(
            " `baseline` holds the comparison with the baseline: per backend, the means on each \
             side, Welch's p-values raw and Holm-adjusted, and the verdict.",
        );
    }
    md.push_str("\n\n");
    md
}
