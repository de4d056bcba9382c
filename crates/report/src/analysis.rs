//! Everything the report derives from the runs, computed once and shared by the markdown, the
//! tables and the charts.

use bench_core::RunRecord;
use mnist_data::{Dataset, N_CLASSES, Rng};

use crate::stats::{
    AcrossSeeds, BackendRuns, ClassScores, MIN_SEEDS_ACROSS, McNemar, by_backend, class_scores,
    confusion, holm, mcnemar, welch_t,
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

/// Two backends compared twice: on the test images (McNemar, per seed, corrected across the
/// pairs tested at that seed) and across seeds (Welch's t-test on test accuracy, corrected
/// across pairs), each with Holm's correction.
#[derive(Debug, Clone)]
pub struct PairTest {
    /// The first backend.
    pub first: String,
    /// The second backend.
    pub second: String,
    /// McNemar's test at each seed both ran successfully.
    pub per_seed: Vec<SeedTest>,
    /// The first backend's test accuracy on each of its successful runs.
    pub first_accuracies: Vec<f64>,
    /// The second backend's test accuracy on each of its successful runs.
    pub second_accuracies: Vec<f64>,
    /// Welch's test across seeds (or a fixed difference), with [`MIN_SEEDS_ACROSS`] successful
    /// runs or more on each side.
    pub across_seeds: Option<AcrossSeeds>,
    /// Welch's p-value after Holm's correction across the pairs with a Welch test.
    pub across_p_holm: Option<f64>,
    /// The level of the interval shown with the Welch test: 1 − [`ALPHA`]/m for m Welch tests
    /// (Bonferroni), so that it holds family-wise as the corrected p-value does.
    pub family_level: f64,
    /// How many pairs have a Welch test (the m of [`Self::family_level`]).
    pub family_size: usize,
}

/// The significance level of every test in the report.
pub const ALPHA: f64 = 0.05;

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
        let best = featured_seed(runs, &groups);
        let featured = groups
            .iter()
            .map(|g| featured_run(g, best, labels))
            .collect();
        let mut pairs = pair_tests(&groups, labels);
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

/// One seed for every backend's pictures and per-class tables: the first seed at which the most
/// backends succeeded. A backend that failed at that seed shows its first successful run
/// instead, and says its seed.
fn featured_seed(runs: &[RunRecord], groups: &[BackendRuns<'_>]) -> Option<u64> {
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
    seeds
        .iter()
        .copied()
        .fold(None::<(u64, usize)>, |best, seed| {
            let n = ok_at(seed);
            match best {
                Some((_, m)) if m >= n => best,
                _ => Some((seed, n)),
            }
        })
        .map(|(seed, _)| seed)
}

/// A backend's run at the seed `best`, or its first successful run; `None` if every run failed.
fn featured_run<'a>(g: &BackendRuns<'a>, best: Option<u64>, labels: &[u8]) -> Option<Featured<'a>> {
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
}

/// Every pair of backends tested, before the correction for multiple pairs.
fn pair_tests(groups: &[BackendRuns<'_>], labels: &[u8]) -> Vec<PairTest> {
    // Each backend's test accuracies over its successful runs, gathered once.
    let accuracies: Vec<Vec<f64>> = groups
        .iter()
        .map(|g| {
            g.ok()
                .filter(|m| m.test_predictions.len() == labels.len())
                .map(|m| m.test_accuracy)
                .collect()
        })
        .collect();
    let mut pairs = Vec::new();
    for (i, a) in groups.iter().enumerate() {
        for (j, b) in groups.iter().enumerate().skip(i + 1) {
            let (first_accuracies, second_accuracies) =
                (accuracies[i].clone(), accuracies[j].clone());
            let enough = first_accuracies.len().min(second_accuracies.len()) >= MIN_SEEDS_ACROSS;
            let across_seeds = enough
                .then(|| welch_t(&first_accuracies, &second_accuracies))
                .flatten();
            pairs.push(PairTest {
                first: a.name.to_string(),
                second: b.name.to_string(),
                per_seed: seed_tests(a, b, labels),
                first_accuracies,
                second_accuracies,
                across_seeds,
                across_p_holm: None,
                family_level: 1.0 - ALPHA,
                family_size: 1,
            });
        }
    }
    pairs
}

/// McNemar's test at each seed where both backends ran successfully on every test image.
fn seed_tests(a: &BackendRuns<'_>, b: &BackendRuns<'_>, labels: &[u8]) -> Vec<SeedTest> {
    let mut per_seed = Vec::new();
    for ra in &a.runs {
        let seed = ra.hyperparams.seed;
        let Some(rb) = b.runs.iter().find(|r| r.hyperparams.seed == seed) else {
            continue;
        };
        let (Some(ma), Some(mb)) = (ra.metrics.as_ref(), rb.metrics.as_ref()) else {
            continue;
        };
        if ma.test_predictions.len() != labels.len() || mb.test_predictions.len() != labels.len() {
            continue;
        }
        per_seed.push(SeedTest {
            seed,
            test: mcnemar(labels, &ma.test_predictions, &mb.test_predictions),
            p_holm: f64::NAN,
        });
    }
    per_seed
}

/// Holm's correction: at each seed over the pairs tested there, and across seeds over the pairs
/// with a Welch test, whose intervals are then widened to the Bonferroni level 1 − α/m.
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
    let welch: Vec<(usize, f64)> = pairs
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match p.across_seeds {
            Some(AcrossSeeds::Welch(t)) => Some((i, t.p_value)),
            _ => None,
        })
        .collect();
    let raw: Vec<f64> = welch.iter().map(|&(_, p)| p).collect();
    let m = welch.len().max(1);
    for (&(i, _), p) in welch.iter().zip(holm(&raw)) {
        pairs[i].across_p_holm = Some(p);
    }
    for pair in pairs.iter_mut() {
        pair.family_size = m;
        pair.family_level = 1.0 - ALPHA / m as f64;
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
