//! `## Provenance`: the command, commit, data, split, versions and machine behind the report.

use super::seed_list;
use crate::Provenance;

/// The section, one line per fact.
pub(super) fn section(p: &Provenance) -> String {
    let mut md = String::from("## Provenance\n\n");
    md.push_str(&format!("- Command: `{}`\n", p.command));
    md.push_str(&format!("- Git commit: `{}`\n", p.git_commit));
    md.push_str(&format!("- Data: {}\n", p.data));
    md.push_str(&format!(
        "- Split: `{}`, validation fraction {}, seeds {}\n",
        p.split,
        p.validation_fraction,
        seed_list(&p.seeds)
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
    md
}
