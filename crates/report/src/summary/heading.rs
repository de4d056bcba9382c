//! The head of `summary.md`: the title, naming the backends compared, and the split.

use super::{join_and, seed_list};
use crate::Provenance;
use crate::analysis::Analysis;

/// The title and the line on the split and seeds.
pub(super) fn section(p: &Provenance, analysis: &Analysis<'_>) -> String {
    let [n_train, n_val, n_test] = p.split_sizes;
    let names: Vec<&str> = analysis.groups.iter().map(|g| g.name).collect();
    let mut md = format!("# {}: {} compared\n\n", p.dataset.title, join_and(&names));
    md.push_str(&format!(
        "Split `{}`: {n_train} training, {n_val} validation and {n_test} test images, the same for every run; \
         seed{} {}. Test accuracy is measured once per run, after training.\n\n",
        p.split,
        if p.seeds.len() > 1 { "s" } else { "" },
        seed_list(&p.seeds)
    ));
    md
}
