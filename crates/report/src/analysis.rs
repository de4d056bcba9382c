//! Everything the report derives from the runs, computed once and shared by the markdown, the
//! tables and the charts.

use bench_core::RunRecord;
use mnist_data::{Dataset, N_CLASSES, Rng};

use crate::stats::{
    BackendRuns, ClassScores, MIN_SEEDS_FOR_PAIRED, McNemar, PairedT, by_backend, class_scores,
    confusion, holm, mcnemar, mean_std, paired_t,
};

/// McNemar's test of one seed's two models, with its p-value corrected for the number of pairs.
#[derive(Debug, Clone)]
pub struct SeedTest {
    /// The seed.
    pub seed: u64,
    /// The test.
    pub test: McNemar,
    /// Its p-value after Holm's correction across the pairs tested at this seed.
    pub p_holm: f64,
}

/// Two backends compared twice: on the test images (McNemar, per seed) and across seeds
/// (paired t-test on test accuracy), each corrected for the number of pairs (Holm).
#[derive(Debug, Clone)]
pub struct PairTest {
    /// The first backend.
    pub first: String,
    /// The second backend.
    pub second: String,
    /// McNemar's test at each seed both ran successfully.
    pub per_seed: Vec<SeedTest>,
    /// `(seed, first's accuracy, second's accuracy)` at each of those seeds.
    pub accuracies: Vec<(u64, f64, f64)>,
    /// The paired t-test across seeds, with [`MIN_SEEDS_FOR_PAIRED`] seeds or more.
    pub across_seeds: Option<PairedT>,
    /// Its p-value after Holm's correction across the pairs.
    pub across_p_holm: Option<f64>,
}

/// The significance level of every test in the report.
pub const ALPHA: f64 = 0.05;

impl PairTest {
    /// Seeds where the test images tell the two models apart (Holm-corrected p < 0.05).
    pub fn significant(&self) -> usize {
        self.per_seed.iter().filter(|t| t.p_holm < ALPHA).count()
    }

    /// Mean test accuracy of first minus second over the paired seeds, in points.
    pub fn mean_difference_points(&self) -> Option<f64> {
        let diffs: Vec<f64> = self.accuracies.iter().map(|(_, a, b)| a - b).collect();
        mean_std(&diffs).0.map(|d| 100.0 * d)
    }

    /// One plain sentence saying what the tests show, and no more.
    pub fn verdict(&self) -> String {
        let (a, b) = (self.first.as_str(), self.second.as_str());
        let n = self.per_seed.len();
        let Some(diff) = self.mean_difference_points() else {
            return format!("{a} and {b}: no seed where both succeeded, so no comparison.");
        };
        let (better, worse) = if diff >= 0.0 { (a, b) } else { (b, a) };
        let k = self.significant();
        let images = if n == 1 {
            format!(
                "seed {}'s test images {} (McNemar)",
                self.per_seed[0].seed,
                if k == 1 {
                    "tell them apart"
                } else {
                    "cannot tell them apart"
                }
            )
        } else if k == n {
            format!("the test images tell them apart on every one of {n} seeds (McNemar)")
        } else {
            format!("the test images tell them apart on {k} of {n} seeds (McNemar)")
        };
        match (self.across_seeds, self.across_p_holm) {
            (Some(t), Some(p)) => {
                let ci = if diff >= 0.0 {
                    t.interval
                } else {
                    t.interval.negated()
                };
                let ci = format!("95% CI {:.2} to {:.2}", 100.0 * ci.low, 100.0 * ci.high);
                if p < ALPHA {
                    format!(
                        "{better} is more accurate than {worse} by {:.2} points ({ci}); the \
                         difference holds across {n} seeds (paired t-test, Holm-adjusted p = {}), \
                         and {images}.",
                        diff.abs(),
                        format_p(p)
                    )
                } else {
                    format!(
                        "{a} and {b} cannot be told apart across seeds: {better}'s mean is {:.2} \
                         points higher ({ci}; paired t-test over {n} seeds, Holm-adjusted p = {}); \
                         {images}.",
                        diff.abs(),
                        format_p(p)
                    )
                }
            }
            _ => {
                let lead = if k > 0 {
                    format!(
                        "{better} is more accurate than {worse} by {:.2} points on the test images",
                        diff.abs()
                    )
                } else {
                    format!(
                        "{a} and {b} cannot be told apart on the test images ({better} {:.2} \
                         points higher)",
                        diff.abs()
                    )
                };
                format!(
                    "{lead}: {images}; whether the training procedures differ beyond seed-to-seed \
                     noise needs --seeds {MIN_SEEDS_FOR_PAIRED} or more."
                )
            }
        }
    }
}

/// A p-value as people read it.
pub fn format_p(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.0e}")
    } else if p < 0.01 {
        format!("{p:.4}")
    } else {
        format!("{p:.3}")
    }
}

/// One backend's single-run pictures and per-class scores: its run at the report's featured seed
/// (or, if that run failed, its first successful one).
#[derive(Debug, Clone)]
pub struct Featured<'a> {
    /// The run.
    pub run: &'a RunRecord,
    /// True (rows) against predicted (columns) classes.
    pub confusion: [[usize; N_CLASSES]; N_CLASSES],
    /// Precision, recall and F1 per class.
    pub scores: Vec<ClassScores>,
}

/// The derived view of a comparison.
#[derive(Debug, Clone)]
pub struct Analysis<'a> {
    /// Runs grouped by backend, in report order.
    pub groups: Vec<BackendRuns<'a>>,
    /// Per group, the run drawn in single-run pictures (none if every run failed).
    pub featured: Vec<Option<Featured<'a>>>,
    /// Every pair of backends.
    pub pairs: Vec<PairTest>,
}

impl<'a> Analysis<'a> {
    /// Analyses `runs` scored on `test`.
    pub fn new(runs: &'a [RunRecord], test: &Dataset) -> Self {
        let groups = by_backend(runs);
        let labels = test.labels();
        // One seed for every backend's pictures and per-class tables: the first seed at which
        // the most backends succeeded. A backend that failed at that seed shows its first
        // successful run instead, and says its seed.
        let mut seeds: Vec<u64> = Vec::new();
        for r in runs {
            if !seeds.contains(&r.hyperparams.seed) {
                seeds.push(r.hyperparams.seed);
            }
        }
        let ok_at = |seed: u64| {
            groups
                .iter()
                .filter(|g| {
                    g.runs
                        .iter()
                        .any(|r| r.is_ok() && r.hyperparams.seed == seed)
                })
                .count()
        };
        let best = seeds
            .iter()
            .copied()
            .fold(None::<(u64, usize)>, |best, seed| {
                let n = ok_at(seed);
                match best {
                    Some((_, m)) if m >= n => best,
                    _ => Some((seed, n)),
                }
            })
            .map(|(seed, _)| seed);
        let featured = groups
            .iter()
            .map(|g| {
                let ok = || g.runs.iter().copied().filter(|r| r.is_ok());
                let run = ok()
                    .find(|r| Some(r.hyperparams.seed) == best)
                    .or_else(|| ok().next())?;
                let m = run.metrics.as_ref()?;
                let confusion = confusion(labels, &m.test_predictions);
                Some(Featured {
                    run,
                    scores: class_scores(&confusion),
                    confusion,
                })
            })
            .collect();
        let mut pairs = Vec::new();
        for (i, a) in groups.iter().enumerate() {
            for b in &groups[i + 1..] {
                let mut per_seed = Vec::new();
                let mut accuracies = Vec::new();
                for ra in &a.runs {
                    let seed = ra.hyperparams.seed;
                    let Some(rb) = b.runs.iter().find(|r| r.hyperparams.seed == seed) else {
                        continue;
                    };
                    let (Some(ma), Some(mb)) = (ra.metrics.as_ref(), rb.metrics.as_ref()) else {
                        continue;
                    };
                    if ma.test_predictions.len() != labels.len()
                        || mb.test_predictions.len() != labels.len()
                    {
                        continue;
                    }
                    accuracies.push((seed, ma.test_accuracy, mb.test_accuracy));
                    per_seed.push(SeedTest {
                        seed,
                        test: mcnemar(labels, &ma.test_predictions, &mb.test_predictions),
                        p_holm: f64::NAN,
                    });
                }
                let across_seeds = (accuracies.len() >= MIN_SEEDS_FOR_PAIRED)
                    .then(|| {
                        let first: Vec<f64> = accuracies.iter().map(|x| x.1).collect();
                        let second: Vec<f64> = accuracies.iter().map(|x| x.2).collect();
                        paired_t(&first, &second)
                    })
                    .flatten();
                pairs.push(PairTest {
                    first: a.name.to_string(),
                    second: b.name.to_string(),
                    per_seed,
                    accuracies,
                    across_seeds,
                    across_p_holm: None,
                });
            }
        }
        correct_for_multiple_pairs(&mut pairs);
        Self {
            groups,
            featured,
            pairs,
        }
    }

    /// The seed of the single-run pictures: the first featured run's.
    pub fn featured_seed(&self) -> Option<u64> {
        self.featured
            .iter()
            .flatten()
            .map(|f| f.run.hyperparams.seed)
            .next()
    }

    /// Whether every featured run has the same seed.
    pub fn featured_share_a_seed(&self) -> bool {
        let seed = self.featured_seed();
        self.featured
            .iter()
            .flatten()
            .all(|f| Some(f.run.hyperparams.seed) == seed)
    }

    /// Each backend's notes ([`bench_core::Backend::notes`]), once, in report order.
    pub fn notes(&self) -> Vec<&'a str> {
        let mut notes: Vec<&'a str> = Vec::new();
        for g in &self.groups {
            for note in g.runs.iter().flat_map(|r| r.notes.iter()) {
                if !notes.contains(&note.as_str()) {
                    notes.push(note);
                }
            }
        }
        notes
    }
}

/// Holm's correction: at each seed over the pairs tested there, and across seeds over the pairs
/// with a paired test.
fn correct_for_multiple_pairs(pairs: &mut [PairTest]) {
    let mut seeds: Vec<u64> = pairs
        .iter()
        .flat_map(|p| p.per_seed.iter().map(|t| t.seed))
        .collect();
    seeds.sort_unstable();
    seeds.dedup();
    for seed in seeds {
        let at: Vec<(usize, usize)> = pairs
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                p.per_seed
                    .iter()
                    .position(|t| t.seed == seed)
                    .map(|j| (i, j))
            })
            .collect();
        let raw: Vec<f64> = at
            .iter()
            .map(|&(i, j)| pairs[i].per_seed[j].test.p_value)
            .collect();
        for (&(i, j), p) in at.iter().zip(holm(&raw)) {
            pairs[i].per_seed[j].p_holm = p;
        }
    }
    let tested: Vec<usize> = (0..pairs.len())
        .filter(|&i| pairs[i].across_seeds.is_some())
        .collect();
    let raw: Vec<f64> = tested
        .iter()
        .filter_map(|&i| pairs[i].across_seeds.map(|t| t.p_value))
        .collect();
    for (&i, p) in tested.iter().zip(holm(&raw)) {
        pairs[i].across_p_holm = Some(p);
    }
}

/// `count` test-image indices picked with `seed`, the same for every backend.
pub fn sample_indices(test_len: usize, count: usize, seed: u64) -> Vec<usize> {
    let mut order = Rng::derive(seed, "report-samples").permutation(test_len);
    order.truncate(count);
    order
}

/// The `count` test images a run got wrong with the highest probability on its wrong answer,
/// as `(index, predicted, probability)`, most confident first.
pub fn confident_mistakes(run: &RunRecord, labels: &[u8], count: usize) -> Vec<(usize, u8, f32)> {
    let Some(m) = &run.metrics else {
        return Vec::new();
    };
    let mut wrong: Vec<(usize, u8, f32)> = m
        .test_predictions
        .iter()
        .enumerate()
        .filter(|&(i, &p)| labels.get(i).is_some_and(|&l| l != p))
        .map(|(i, &p)| {
            let proba = m
                .test_probabilities
                .get(i * N_CLASSES + usize::from(p))
                .copied()
                .unwrap_or(f32::NAN);
            (i, p, proba)
        })
        .collect();
    wrong.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    wrong.truncate(count);
    wrong
}
