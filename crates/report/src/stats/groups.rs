//! Runs grouped by backend, and each backend's learning curve averaged over its seeds.

use bench_core::{HistoryUnit, Metrics, RunRecord};

/// Backends in the order they first ran.
fn backend_order(runs: &[RunRecord]) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for r in runs {
        if !names.contains(&r.backend.as_str()) {
            names.push(&r.backend);
        }
    }
    names
}

/// Every run of one backend, in seed order.
#[derive(Debug, Clone)]
pub struct BackendRuns<'a> {
    /// Backend name.
    pub name: &'a str,
    /// What the history counts.
    pub unit: HistoryUnit,
    /// The runs, one per seed.
    pub runs: Vec<&'a RunRecord>,
}

impl<'a> BackendRuns<'a> {
    /// Metrics of the successful runs.
    pub fn ok(&self) -> impl Iterator<Item = &'a Metrics> + '_ {
        self.runs.iter().filter_map(|r| r.metrics.as_ref())
    }
}

/// Groups runs by backend, in the order backends first ran.
pub fn by_backend(runs: &[RunRecord]) -> Vec<BackendRuns<'_>> {
    backend_order(runs)
        .into_iter()
        .map(|name| {
            let mine: Vec<&RunRecord> = runs.iter().filter(|r| r.backend == name).collect();
            BackendRuns {
                name,
                unit: mine[0].history_unit,
                runs: mine,
            }
        })
        .collect()
}

/// One point of a learning curve averaged over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    /// Epoch or iteration budget.
    pub step: f64,
    /// Mean training loss.
    pub train_loss: f64,
    /// Mean training accuracy.
    pub train_accuracy: f64,
    /// Mean validation loss, if every run had one.
    pub validation_loss: Option<f64>,
    /// Mean validation accuracy, if every run had one.
    pub validation_accuracy: Option<f64>,
}

/// The mean learning curve of a backend's successful runs, over the steps they all reached.
pub fn mean_curve(group: &BackendRuns<'_>) -> Vec<CurvePoint> {
    let ok: Vec<&RunRecord> = group.runs.iter().copied().filter(|r| r.is_ok()).collect();
    let Some(shortest) = ok.iter().map(|r| r.history.len()).min() else {
        return Vec::new();
    };
    let n = ok.len() as f64;
    (0..shortest)
        .map(|i| {
            let at = |f: &dyn Fn(&bench_core::EpochStats) -> Option<f64>| -> Option<f64> {
                let v: Option<Vec<f64>> = ok.iter().map(|r| f(&r.history[i])).collect();
                v.map(|v| v.iter().sum::<f64>() / n)
            };
            CurvePoint {
                step: ok[0].history[i].step as f64,
                train_loss: at(&|h| Some(h.train_loss)).unwrap_or(f64::NAN),
                train_accuracy: at(&|h| Some(h.train_accuracy)).unwrap_or(f64::NAN),
                validation_loss: at(&|h| h.validation_loss),
                validation_accuracy: at(&|h| h.validation_accuracy),
            }
        })
        .collect()
}
