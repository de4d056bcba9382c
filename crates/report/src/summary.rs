//! The per-backend comparison table and `summary.md`.

use bench_core::{HistoryUnit, RunRecord};
use polars::prelude::*;

use crate::analysis::{ALPHA, Analysis, PairTest};
use crate::stats::{
    AcrossSeeds, BackendRuns, CONFIDENCE, Interval, IntervalMethod, WelchT, accuracy_interval,
    mean_std,
};
use crate::tables::{
    history_frame, markdown as markdown_table, run_interval, runs_frame, status_text, steps,
    trained_for,
};
use crate::verdict::interval_label;
use crate::{DatasetLabels, Report};

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

/// A share as a percentage with two decimals, `–` for none.
pub(crate) fn percent(v: Option<f64>) -> String {
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

/// The chart files of a report, relative to its folder.
#[derive(Debug, Clone, Default)]
pub struct Images {
    /// Learning curves.
    pub curves: String,
    /// Test accuracy per backend.
    pub accuracy: String,
    /// Confusion matrices, one per backend with a successful run.
    pub confusion: Vec<BackendChart>,
    /// The sample grid, if any run succeeded.
    pub samples: Option<String>,
    /// Most confident mistakes, one per backend with a successful run.
    pub mistakes: Vec<BackendChart>,
}

/// A chart of one backend's run.
#[derive(Debug, Clone)]
pub struct BackendChart {
    /// The backend's name, for the image's alt text.
    pub backend: String,
    /// The chart file, relative to the report folder.
    pub file: String,
}

fn cell(v: &AnyValue<'_>) -> String {
    match v {
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Null => "–".to_string(),
        other => other.to_string(),
    }
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join_and<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => "nothing".to_string(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

/// `summary.md`: the answer first, then the table, the images, the statistics and the
/// provenance.
pub fn markdown(
    report: &Report<'_>,
    tables: &Tables,
    analysis: &Analysis<'_>,
    images: &Images,
) -> PolarsResult<String> {
    let p = report.provenance;
    let right = [
        "params",
        "seeds ok",
        "train acc",
        "val acc",
        "test acc (95% CI)",
        "train time (mean)",
    ];
    let table = markdown_table(&display_frame(&tables.rows)?, &|_, v| cell(v), &right)?;
    let [n_train, n_val, n_test] = p.split_sizes;
    let seeds: Vec<String> = p.seeds.iter().map(u64::to_string).collect();
    let featured_seed = analysis
        .featured_seed()
        .map_or("–".to_string(), |s| s.to_string());
    let labels = &p.dataset;
    let names: Vec<&str> = analysis.groups.iter().map(|g| g.name).collect();
    let mut md = String::new();
    md.push_str(&format!(
        "# {}: {} compared\n\n",
        labels.title,
        join_and(&names)
    ));
    md.push_str(&format!(
        "Split `{}`: {n_train} training, {n_val} validation and {n_test} test images, the same for every run; \
         seed{} {}. Test accuracy is measured once per run, after training.\n\n",
        p.split,
        if seeds.len() > 1 { "s" } else { "" },
        seeds.join(", ")
    ));
    md.push_str(&crate::answer::markdown(
        &tables.rows,
        &tables.deployment_rows,
        &analysis.pairs,
    ));
    md.push_str("## Every backend\n\n");
    md.push_str(&table);
    md.push('\n');
    md.push_str(
        "Accuracies and train times are means over the seeds that succeeded. The test accuracy's \
         95% interval is Student's t over seeds when there are several (how much training \
         randomness moves it, on these test images), and the Wilson interval over the test images \
         for a single run (how much the choice of test images could move it). Train and \
         validation accuracy are measured on the final model. Train time is wall-clock training, \
         per-epoch validation included.\n\n",
    );
    for note in analysis.notes() {
        md.push_str(&format!("- {note}\n"));
    }
    if !analysis.notes().is_empty() {
        md.push('\n');
    }

    md.push_str("## Which differences are real?\n\n");
    md.push_str(&crate::verdict::differences(&analysis.pairs));

    md.push_str("## Learning curves\n\n");
    md.push_str(&format!(
        "![Loss and accuracy per epoch, train and validation]({})\n\n",
        images.curves
    ));
    md.push_str(
        "Training numbers are averaged over each epoch's batches as they were trained; validation \
         numbers are measured after the epoch.",
    );
    if tables.rows.iter().any(|r| r.unit == HistoryUnit::Iteration) {
        md.push_str(
            " A backend without epochs is drawn against its iterations in its own row when it \
             recorded several points, and as a dotted line at its final value when it recorded \
             one.",
        );
    }
    md.push_str("\n\n");
    md.push_str("## Test accuracy\n\n");
    md.push_str(&format!(
        "![Test accuracy per backend]({})\n\n",
        images.accuracy
    ));

    md.push_str(&crate::deployment::markdown(
        &tables.deployment_rows,
        crate::deployment::measuring_seconds(&analysis.groups),
        p.total_seconds,
    ));

    md.push_str("## The tests behind the verdicts\n\n");
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

    let shared_seed = analysis.featured_share_a_seed();
    if shared_seed {
        md.push_str(&format!(
            "## Per-class precision, recall and F1 (seed {featured_seed})\n\n"
        ));
    } else {
        md.push_str(
            "## Per-class precision, recall and F1\n\nEach backend's run at the first seed where \
             most backends succeeded, or its first successful run (seed in each column).\n\n",
        );
    }
    let featured: Vec<&crate::analysis::Featured<'_>> =
        analysis.featured.iter().flatten().collect();
    md.push_str(&format!("| {} |", labels.class_noun));
    for f in &featured {
        let seed = if shared_seed {
            String::new()
        } else {
            format!(" (seed {})", f.run.hyperparams.seed)
        };
        md.push_str(&format!(
            " {}{seed} precision / recall / F1 |",
            f.run.backend
        ));
    }
    let align = if labels.numeric() { "---:" } else { ":---" };
    md.push_str(&format!(" support |\n|{align}|"));
    md.push_str(&":---:|".repeat(featured.len()));
    md.push_str("---:|\n");
    for class in 0..mnist_data::N_CLASSES {
        md.push_str(&format!("| {} |", labels.name(class as u8)));
        for f in &featured {
            let s = &f.scores[class];
            md.push_str(&format!(
                " {:.3} / {:.3} / {:.3} |",
                s.precision, s.recall, s.f1
            ));
        }
        let support = featured.first().map_or(0, |f| f.scores[class].support);
        md.push_str(&format!(" {support} |\n"));
    }
    md.push('\n');
    for chart in &images.confusion {
        md.push_str(&format!(
            "![Confusion matrix of {}]({})\n",
            chart.backend, chart.file
        ));
    }
    md.push('\n');

    if let Some(samples) = &images.samples {
        md.push_str("## Sample predictions\n\n");
        md.push_str(&format!(
            "![Test images with every backend's prediction]({samples})\n\n"
        ));
    }
    if !images.mistakes.is_empty() {
        md.push_str("## Most confident mistakes\n\n");
        for chart in &images.mistakes {
            md.push_str(&format!(
                "![Most confident mistakes of {}]({})\n\n",
                chart.backend, chart.file
            ));
        }
    }

    if p.seeds.len() > 1 || report.runs.iter().any(|r| !r.is_ok()) {
        md.push_str("## Every run\n\n");
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
    }

    md.push_str("## Data files\n\n");
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
    md.push_str(&format!(
        "- Cargo features: {}\n",
        if p.features.is_empty() {
            "none".to_string()
        } else {
            p.features.join(", ")
        }
    ));
    md.push_str(&format!("- CPU: {}\n", p.cpu));
    md.push_str(&format!("- Build: {}\n", p.build));
    md.push_str(&format!(
        "- Started: {}; total time {:.1} s\n",
        p.started, p.total_seconds
    ));
    Ok(md)
}
