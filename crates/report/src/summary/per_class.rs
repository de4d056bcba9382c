//! `## Per-class precision, recall and F1`: each featured run's scores per class, and the
//! confusion matrices under them.

use super::Images;
use crate::DatasetLabels;
use crate::analysis::{Analysis, Featured};

/// The heading (with the seed, when every backend's featured run shares one), the table and the
/// confusion matrices.
pub(super) fn section(analysis: &Analysis<'_>, labels: &DatasetLabels, images: &Images) -> String {
    let shared_seed = analysis.featured_share_a_seed();
    let mut md = if shared_seed {
        let featured_seed = analysis
            .featured_seed()
            .map_or("–".to_string(), |s| s.to_string());
        format!("## Per-class precision, recall and F1 (seed {featured_seed})\n\n")
    } else {
        "## Per-class precision, recall and F1\n\nEach backend's run at the first seed where \
         most backends succeeded, or its first successful run (seed in each column).\n\n"
            .to_string()
    };
    let featured: Vec<&Featured<'_>> = analysis.featured.iter().flatten().collect();
    md.push_str(&table(&featured, labels, shared_seed));
    md.push('\n');
    for chart in &images.confusion {
        md.push_str(&format!(
            "![Confusion matrix of {}]({})\n",
            chart.backend, chart.file
        ));
    }
    md.push('\n');
    md
}

/// One row per class, one column per featured run, and the class's support.
fn table(featured: &[&Featured<'_>], labels: &DatasetLabels, shared_seed: bool) -> String {
    let mut md = format!("| {} |", labels.class_noun);
    for f in featured {
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
        for f in featured {
            let s = &f.scores[class];
            md.push_str(&format!(
                " {:.3} / {:.3} / {:.3} |",
                s.precision, s.recall, s.f1
            ));
        }
        let support = featured.first().map_or(0, |f| f.scores[class].support);
        md.push_str(&format!(" {support} |\n"));
    }
    md
}
