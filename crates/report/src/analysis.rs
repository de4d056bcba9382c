//! Everything the report derives from the runs, computed once and shared by the markdown, the
//! tables and the charts.

use bench_core::RunRecord;
use mnist_data::{Dataset, N_CLASSES, Rng};

use crate::stats::{
    BackendRuns, ClassScores, McNemar, by_backend, class_scores, confusion, mcnemar,
};

/// McNemar's test between two backends, once per seed both ran successfully.
#[derive(Debug, Clone)]
pub struct PairTest {
    /// The first backend.
    pub first: String,
    /// The second backend.
    pub second: String,
    /// `(seed, test)` for each seed.
    pub per_seed: Vec<(u64, McNemar)>,
}

impl PairTest {
    /// Seeds where the difference is significant at 5%.
    pub fn significant(&self) -> usize {
        self.per_seed
            .iter()
            .filter(|(_, t)| t.p_value < 0.05)
            .count()
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
                let per_seed = a
                    .runs
                    .iter()
                    .filter_map(|ra| {
                        let seed = ra.hyperparams.seed;
                        let rb = b.runs.iter().find(|r| r.hyperparams.seed == seed)?;
                        let (ma, mb) = (ra.metrics.as_ref()?, rb.metrics.as_ref()?);
                        (ma.test_predictions.len() == labels.len()
                            && mb.test_predictions.len() == labels.len())
                        .then(|| {
                            (
                                seed,
                                mcnemar(labels, &ma.test_predictions, &mb.test_predictions),
                            )
                        })
                    })
                    .collect();
                pairs.push(PairTest {
                    first: a.name.to_string(),
                    second: b.name.to_string(),
                    per_seed,
                });
            }
        }
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
