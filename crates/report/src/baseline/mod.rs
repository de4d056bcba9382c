//! What moved against a baseline (an earlier report of the same dataset and split): for each
//! backend in both, whether its test accuracy changed, by Welch's t-test across seeds with Holm
//! over the backends with such a test, and its training time, tested the same way when both ran
//! on the same CPU and build and neither was merged from shards that shared a machine or ran on
//! several CPUs. A backend trained with other settings in the baseline is named and not
//! compared.

mod sentence;
mod table;

pub use table::frame;

use bench_core::RunRecord;

use crate::stats::{AcrossSeeds, holm, mean_std, welch_t};
use crate::{Provenance, Results};

/// The level at which a Holm-adjusted p-value counts as a change: the report's own.
pub use crate::analysis::ALPHA;

/// Two constant figures closer than this share of their size are the same figure (rounding).
const SAME: f64 = 1e-9;

/// The earlier report a run is compared with.
#[derive(Debug, Clone, Copy)]
pub struct Baseline<'a> {
    /// How the report names it (the folder given).
    pub label: &'a str,
    /// Its `results.json`.
    pub results: &'a Results,
}

/// Which way a figure moved, as the tests can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The test cannot tell the two apart (or they are equal on every seed).
    NoneShown,
    /// Higher now than in the baseline.
    Up,
    /// Lower now than in the baseline.
    Down,
}

/// One figure (test accuracy or training seconds) of one backend, before and after.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measure {
    /// Mean over the baseline's successful runs.
    pub before: f64,
    /// Mean over this report's successful runs.
    pub after: f64,
    /// Welch's test of after against before, or the fixed difference when neither varies.
    pub test: AcrossSeeds,
    /// Holm-adjusted p-value over the backends compared (`None` for a fixed difference).
    pub p_holm: Option<f64>,
    /// The verdict.
    pub change: Change,
}

/// What could be said of one backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Both sides compared; `time` is `None` when times are not comparable
    /// ([`times_comparable`]).
    Compared {
        /// Test accuracy.
        accuracy: Measure,
        /// Training seconds, when comparable.
        time: Option<Measure>,
    },
    /// Trained with other settings in the baseline: each difference, nothing compared.
    OtherSettings(Vec<String>),
    /// Fewer than two successful runs on a side.
    TooFewRuns,
    /// Run here, absent from the baseline.
    NotInBaseline,
    /// In the baseline, not run here.
    OnlyInBaseline,
}

/// One backend's line of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineRow {
    /// The backend.
    pub backend: String,
    /// Successful runs in the baseline and here.
    pub runs: (usize, usize),
    /// What was found.
    pub outcome: Outcome,
    /// Why training times were not compared, when they were not.
    pub times_not_compared: Option<&'static str>,
}

impl BaselineRow {
    /// The row in one sentence, as the summary says it.
    pub fn sentence(&self) -> String {
        sentence::of(self)
    }
}

/// Whether the two reports ran on the same CPU with the same build (profile, target CPU,
/// features, allocator): what a backend's results may depend on.
pub fn same_machine_and_build(now: &Provenance, before: &Provenance) -> bool {
    now.cpu == before.cpu && now.build == before.build
}

/// Whether the two reports' training times can be compared: the same CPU and build, and each
/// report's times those of runs alone on one machine.
pub fn times_comparable(now: &Provenance, before: &Provenance) -> bool {
    same_machine_and_build(now, before)
        && now.times_of_one_machine()
        && before.times_of_one_machine()
}

/// Every backend of either side, in this report's order and then the baseline's.
pub fn compare(
    runs: &[RunRecord],
    provenance: &Provenance,
    baseline: &Results,
) -> Vec<BaselineRow> {
    let mut names: Vec<&str> = Vec::new();
    for r in runs.iter().chain(&baseline.runs) {
        if !names.contains(&r.backend.as_str()) {
            names.push(&r.backend);
        }
    }
    let before = &baseline.provenance;
    let why_not = if times_comparable(provenance, before) {
        None
    } else if same_machine_and_build(provenance, before) {
        Some("shards that shared a machine or ran on several CPUs")
    } else {
        Some("other machine or build")
    };
    let mut rows: Vec<BaselineRow> = names
        .iter()
        .map(|name| row(name, runs, &baseline.runs, why_not))
        .collect();
    adjust(&mut rows, |o| match o {
        Outcome::Compared { accuracy, .. } => Some(accuracy),
        _ => None,
    });
    adjust(&mut rows, |o| match o {
        Outcome::Compared { time, .. } => time.as_mut(),
        _ => None,
    });
    rows
}

fn of<'a>(runs: &'a [RunRecord], backend: &str) -> Vec<&'a RunRecord> {
    runs.iter().filter(|r| r.backend == backend).collect()
}

fn row(
    backend: &str,
    now: &[RunRecord],
    before: &[RunRecord],
    why_not: Option<&'static str>,
) -> BaselineRow {
    let (now, before) = (of(now, backend), of(before, backend));
    let ok = |runs: &[&RunRecord]| -> Vec<(f64, f64)> {
        runs.iter()
            .filter_map(|r| r.metrics.as_ref())
            .map(|m| (m.test_accuracy, m.training_seconds))
            .collect()
    };
    let (a, b) = (ok(&now), ok(&before));
    let outcome = match (now.first(), before.first()) {
        (Some(_), None) => Outcome::NotInBaseline,
        (None, _) => Outcome::OnlyInBaseline,
        (Some(n), Some(p)) => {
            let differences = settings_differences(p, n);
            if !differences.is_empty() {
                Outcome::OtherSettings(differences)
            } else {
                let measure = |pick: fn(&(f64, f64)) -> f64| {
                    let after: Vec<f64> = a.iter().map(pick).collect();
                    let before: Vec<f64> = b.iter().map(pick).collect();
                    measure(&before, &after)
                };
                match measure(|v| v.0) {
                    Some(accuracy) => Outcome::Compared {
                        accuracy,
                        time: if why_not.is_none() {
                            measure(|v| v.1)
                        } else {
                            None
                        },
                    },
                    None => Outcome::TooFewRuns,
                }
            }
        }
    };
    BaselineRow {
        backend: backend.to_string(),
        runs: (b.len(), a.len()),
        outcome,
        times_not_compared: why_not,
    }
}

/// The test of `after` against `before`, before Holm's adjustment (a fixed difference is a
/// change when it is not zero).
fn measure(before: &[f64], after: &[f64]) -> Option<Measure> {
    let test = welch_t(after, before)?;
    let mean = |v: &[f64]| mean_std(v).0.unwrap_or(f64::NAN);
    let change = match test {
        // Means of equal values differ by rounding alone when the seed counts differ.
        AcrossSeeds::Fixed { difference } if difference.abs() > SAME * before[0].abs().max(1.0) => {
            direction(difference)
        }
        AcrossSeeds::Fixed { .. } | AcrossSeeds::Welch(_) => Change::NoneShown,
    };
    Some(Measure {
        before: mean(before),
        after: mean(after),
        test,
        p_holm: None,
        change,
    })
}

fn direction(difference: f64) -> Change {
    if difference > 0.0 {
        Change::Up
    } else if difference < 0.0 {
        Change::Down
    } else {
        Change::NoneShown
    }
}

/// Holm over the backends' Welch tests of one figure, then each verdict at [`ALPHA`].
fn adjust(rows: &mut [BaselineRow], pick: impl Fn(&mut Outcome) -> Option<&mut Measure>) {
    let mut tested: Vec<&mut Measure> = rows
        .iter_mut()
        .filter_map(|r| pick(&mut r.outcome))
        .filter(|m| matches!(m.test, AcrossSeeds::Welch(_)))
        .collect();
    let p: Vec<f64> = tested
        .iter()
        .map(|m| match m.test {
            AcrossSeeds::Welch(t) => t.p_value,
            AcrossSeeds::Fixed { .. } => 1.0,
        })
        .collect();
    for (m, p_holm) in tested.iter_mut().zip(holm(&p)) {
        m.p_holm = Some(p_holm);
        if let AcrossSeeds::Welch(t) = m.test
            && p_holm < ALPHA
        {
            m.change = direction(t.mean_difference);
        }
    }
}

/// What differs between the baseline's run `before` and this report's run `now` of one
/// backend, seed aside: each hyperparameter and setting, `name before → now`.
pub fn settings_differences(before: &RunRecord, now: &RunRecord) -> Vec<String> {
    let (b, n) = (&before.hyperparams, &now.hyperparams);
    let show = |v: Option<String>| v.unwrap_or_else(|| "none".to_string());
    let mut out = Vec::new();
    let mut differ = |name: &str, b: String, n: String| {
        if b != n {
            out.push(format!("{name} {b} in the baseline, {n} here"));
        }
    };
    differ("epochs", b.epochs.to_string(), n.epochs.to_string());
    differ(
        "batch size",
        show(b.batch_size.map(|v| v.to_string())),
        show(n.batch_size.map(|v| v.to_string())),
    );
    differ(
        "learning rate",
        show(b.learning_rate.map(|v| v.to_string())),
        show(n.learning_rate.map(|v| v.to_string())),
    );
    let keys: std::collections::BTreeSet<&String> =
        before.settings.keys().chain(now.settings.keys()).collect();
    for key in keys {
        differ(
            key,
            show(before.settings.get(key).cloned()),
            show(now.settings.get(key).cloned()),
        );
    }
    out
}
