//! The grids of test images in a report: a seeded sample with every backend's prediction, and
//! each backend's most confident mistakes.

use bench_core::RunRecord;

use crate::Report;
use crate::analysis::{self, Analysis};
use crate::charts::{self, ChartError};

/// Test images in the sample grid, and mistakes shown per backend.
const SAMPLES: usize = 24;
const MISTAKES: usize = 16;

/// `samples.png`: the same seeded pick of test images for every backend, with each prediction.
pub(crate) fn sample_grid(
    report: &Report<'_>,
    analysis: &Analysis<'_>,
    seed: u64,
) -> Result<Vec<u8>, ChartError> {
    let truths = report.test.labels();
    let names = &report.provenance.dataset;
    let tiles: Vec<charts::Tile> = analysis::sample_indices(report.test.len(), SAMPLES, seed)
        .into_iter()
        .map(|index| {
            let truth = truths[index];
            let mut lines = vec![(format!("true {}", names.name(truth)), false)];
            for f in analysis.featured.iter().flatten() {
                if let Some(m) = &f.run.metrics {
                    let p = m.test_predictions[index];
                    let said = format!("{}: {}", f.run.backend, names.name(p));
                    lines.push((said, p != truth));
                }
            }
            charts::Tile { index, lines }
        })
        .collect();
    let models = if analysis.featured_share_a_seed() {
        format!("models of seed {seed}")
    } else {
        "each backend's featured model".to_string()
    };
    let title = format!(
        "Random test images: true {} and the predictions of the {models} (mistakes in red)",
        names.class_noun
    );
    charts::image_grid(&title, report.test, &tiles, 8)
}

/// A predicted probability to four decimals, without rounding a near-certain one up to 1.
fn format_probability(p: f32) -> String {
    // Four decimals would print anything from 0.99995 up as "1.0000".
    if p >= 0.99995 {
        "p > 0.9999".to_string()
    } else {
        format!("p = {p:.4}")
    }
}

/// `misclassified-<backend>.png`: the most confidently wrong test images of one run.
pub(crate) fn mistakes_grid(report: &Report<'_>, run: &RunRecord) -> Result<Vec<u8>, ChartError> {
    let truths = report.test.labels();
    let names = &report.provenance.dataset;
    let tiles: Vec<charts::Tile> = analysis::confident_mistakes(run, truths, MISTAKES)
        .into_iter()
        .map(|(index, predicted, p)| {
            let (truth, said) = (names.name(truths[index]), names.name(predicted));
            let mut lines = if names.numeric() {
                vec![(format!("true {truth} → {said}"), true)]
            } else {
                vec![
                    (format!("true {truth}"), false),
                    (format!("→ {said}"), true),
                ]
            };
            lines.push((format_probability(p), false));
            charts::Tile { index, lines }
        })
        .collect();
    let title = format!(
        "{}: the {} most confident mistakes (seed {})",
        run.backend,
        tiles.len(),
        run.hyperparams.seed
    );
    charts::image_grid(&title, report.test, &tiles, 8)
}

#[cfg(test)]
mod tests {
    use super::format_probability;

    #[test]
    fn a_near_certain_probability_is_not_shown_as_one() {
        assert_eq!(format_probability(0.5), "p = 0.5000");
        assert_eq!(format_probability(0.99994), "p = 0.9999");
        assert_eq!(format_probability(0.99996), "p > 0.9999");
        assert_eq!(format_probability(1.0), "p > 0.9999");
    }
}
