//! The tables of a report as data frames: the summary, every run, the learning curves, the
//! per-class scores, McNemar's tests, the comparisons across seeds and the deployment figures.

use bench_core::RunRecord;
use polars::prelude::*;

use super::rows::{SummaryRow, summary_frame, summary_rows};
use crate::DatasetLabels;
use crate::analysis::{Analysis, PairTest};
use crate::stats::{AcrossSeeds, CONFIDENCE, WelchT};
use crate::tables::{history_frame, runs_frame};

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
    /// Precision, recall and F1 per backend and class (featured run).
    pub classes: DataFrame,
    /// McNemar's test per pair of backends and seed.
    pub mcnemar: DataFrame,
    /// Welch's test across seeds and the verdict, per pair of backends.
    pub across_seeds: DataFrame,
    /// Latency, throughput and training memory per backend.
    pub deployment_rows: Vec<crate::deployment::DeploymentRow>,
    /// The same as a data frame.
    pub deployment: DataFrame,
}

impl Tables {
    /// Builds every table from the run records.
    pub fn build(
        runs: &[RunRecord],
        analysis: &Analysis<'_>,
        labels: &DatasetLabels,
    ) -> PolarsResult<Self> {
        let rows = summary_rows(&analysis.groups);
        let deployment_rows = crate::deployment::rows(&analysis.groups);
        Ok(Self {
            deployment: crate::deployment::frame(&deployment_rows)?,
            deployment_rows,
            summary: summary_frame(&rows)?,
            rows,
            runs: runs_frame(runs)?,
            history: history_frame(runs)?,
            classes: classes_frame(analysis, labels)?,
            mcnemar: mcnemar_frame(analysis)?,
            across_seeds: across_seeds_frame(analysis)?,
        })
    }

    /// The tables written as CSV and JSON, by file stem.
    pub fn frames(&self) -> [(&'static str, &DataFrame); 7] {
        [
            ("summary", &self.summary),
            ("runs", &self.runs),
            ("history", &self.history),
            ("classes", &self.classes),
            ("mcnemar", &self.mcnemar),
            ("across-seeds", &self.across_seeds),
            ("deployment", &self.deployment),
        ]
    }
}

fn classes_frame(analysis: &Analysis<'_>, labels: &DatasetLabels) -> PolarsResult<DataFrame> {
    let rows: Vec<(&str, u64, usize, &crate::stats::ClassScores)> = analysis
        .featured
        .iter()
        .flatten()
        .flat_map(|f| {
            f.scores
                .iter()
                .enumerate()
                .map(move |(label, s)| (f.run.backend.as_str(), f.run.hyperparams.seed, label, s))
        })
        .collect();
    DataFrame::new_infer_height(vec![
        Column::new(
            "backend".into(),
            rows.iter().map(|r| r.0.to_string()).collect::<Vec<_>>(),
        ),
        Column::new("seed".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        Column::new(
            "label".into(),
            rows.iter().map(|r| r.2 as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "class".into(),
            rows.iter()
                .map(|r| labels.name(r.2 as u8))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "precision".into(),
            rows.iter().map(|r| r.3.precision).collect::<Vec<_>>(),
        ),
        Column::new(
            "recall".into(),
            rows.iter().map(|r| r.3.recall).collect::<Vec<_>>(),
        ),
        Column::new("f1".into(), rows.iter().map(|r| r.3.f1).collect::<Vec<_>>()),
        Column::new(
            "support".into(),
            rows.iter().map(|r| r.3.support as u64).collect::<Vec<_>>(),
        ),
    ])
}

fn mcnemar_frame(analysis: &Analysis<'_>) -> PolarsResult<DataFrame> {
    let rows: Vec<(&PairTest, u64, &crate::stats::McNemar, f64)> = analysis
        .pairs
        .iter()
        .flat_map(|pair| {
            pair.per_seed
                .iter()
                .map(move |t| (pair, t.seed, &t.test, t.p_holm))
        })
        .collect();
    DataFrame::new_infer_height(vec![
        Column::new(
            "first".into(),
            rows.iter().map(|r| r.0.first.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "second".into(),
            rows.iter().map(|r| r.0.second.clone()).collect::<Vec<_>>(),
        ),
        Column::new("seed".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        Column::new(
            "only_first_right".into(),
            rows.iter()
                .map(|r| r.2.only_first as u64)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "only_second_right".into(),
            rows.iter()
                .map(|r| r.2.only_second as u64)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "p_value".into(),
            rows.iter().map(|r| r.2.p_value).collect::<Vec<_>>(),
        ),
        Column::new(
            "p_holm".into(),
            rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        ),
        Column::new(
            "test".into(),
            rows.iter()
                .map(|r| {
                    if r.2.exact {
                        "exact binomial"
                    } else {
                        "chi-squared, continuity-corrected"
                    }
                })
                .collect::<Vec<_>>(),
        ),
    ])
}

/// One row per pair: Welch's test across seeds (or the fixed difference of two deterministic
/// backends), McNemar's count of differing seeds, and the verdict.
fn across_seeds_frame(analysis: &Analysis<'_>) -> PolarsResult<DataFrame> {
    let pairs = &analysis.pairs;
    let welch = |f: &dyn Fn(&PairTest, &WelchT) -> f64| {
        pairs
            .iter()
            .map(|p| match p.across_seeds {
                Some(AcrossSeeds::Welch(t)) => Some(f(p, &t)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let text = |f: &dyn Fn(&PairTest) -> String| pairs.iter().map(f).collect::<Vec<_>>();
    let count =
        |f: &dyn Fn(&PairTest) -> usize| pairs.iter().map(|p| f(p) as u64).collect::<Vec<_>>();
    DataFrame::new_infer_height(vec![
        Column::new("first".into(), text(&|p| p.first.clone())),
        Column::new("second".into(), text(&|p| p.second.clone())),
        Column::new("runs_first".into(), count(&|p| p.first_accuracies.len())),
        Column::new("runs_second".into(), count(&|p| p.second_accuracies.len())),
        Column::new(
            "mean_difference".into(),
            pairs
                .iter()
                .map(|p| p.mean_difference_points().map(|d| d / 100.0))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "test".into(),
            text(&|p| {
                match p.across_seeds {
                    Some(AcrossSeeds::Welch(_)) => "welch",
                    Some(AcrossSeeds::Fixed { .. }) => "fixed difference, no test",
                    None => "too few seeds",
                }
                .to_string()
            }),
        ),
        Column::new("welch_df".into(), welch(&|_, t| t.df)),
        Column::new("ci95_low".into(), welch(&|_, t| t.interval(CONFIDENCE).low)),
        Column::new(
            "ci95_high".into(),
            welch(&|_, t| t.interval(CONFIDENCE).high),
        ),
        Column::new("ci_level".into(), welch(&|p, _| p.family_level)),
        Column::new(
            "ci_low".into(),
            welch(&|p, t| t.interval(p.family_level).low),
        ),
        Column::new(
            "ci_high".into(),
            welch(&|p, t| t.interval(p.family_level).high),
        ),
        Column::new("p_value".into(), welch(&|_, t| t.p_value)),
        Column::new(
            "p_holm".into(),
            pairs.iter().map(|p| p.across_p_holm).collect::<Vec<_>>(),
        ),
        Column::new(
            "seeds_differing_mcnemar".into(),
            count(&|p| p.significant()),
        ),
        Column::new("seeds_mcnemar".into(), count(&|p| p.per_seed.len())),
        Column::new("verdict".into(), text(&PairTest::verdict)),
    ])
}
