//! `## Data files`: what each file beside `summary.md` holds.

use bench_core::HistoryUnit;

use super::Tables;

/// The section; it explains the `epochs` and `iterations` columns when a backend has no epochs.
pub(super) fn section(tables: &Tables) -> String {
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
    md.push_str("\n\n");
    md
}
