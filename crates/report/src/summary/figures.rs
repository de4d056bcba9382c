//! The sections of `summary.md` that show a chart: `## Learning curves`, `## Test accuracy`,
//! `## Sample predictions` and `## Most confident mistakes`.

use bench_core::HistoryUnit;

use super::{Images, Tables};

/// `## Learning curves` and `## Test accuracy`.
pub(super) fn curves_and_accuracy(tables: &Tables, images: &Images) -> String {
    let mut md = String::from("## Learning curves\n\n");
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
    md
}

/// `## Sample predictions` and `## Most confident mistakes`, each when it has a picture.
pub(super) fn pictures(images: &Images) -> String {
    let mut md = String::new();
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
    md
}
