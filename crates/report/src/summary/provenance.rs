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
    md.push_str(&parts(p));
    md
}

/// The shards of a merged report, one line each, and a warning when they ran on different CPUs
/// or shared a machine.
fn parts(p: &Provenance) -> String {
    if p.parts.is_empty() {
        return String::new();
    }
    let mut md = format!(
        "- Merged from {} shards (the total time above is their sum):\n",
        p.parts.len()
    );
    for part in &p.parts {
        md.push_str(&format!(
            "  - shard {} (`{}`): {} on host {}; started {}, {:.1} s\n",
            part.shard, part.folder, part.cpu, part.host, part.started, part.total_seconds
        ));
    }
    let cpus = p.part_cpus();
    if cpus.len() > 1 {
        md.push_str(&format!(
            "\n**The shards ran on {} different CPUs.** A backend whose results depend on the \
             CPU (linfa's f32 products by BLIS, candle's) may not give, seed for seed, what one \
             machine would; times and throughput of different machines are mixed in the tables.\n",
            cpus.len()
        ));
    }
    let shared = p.concurrent_parts();
    if !shared.is_empty() {
        md.push_str(&format!(
            "\n**Shards {} each ran at the same time as another shard on the same machine**: \
             their times, throughput and memory are those of runs that shared a machine, not of \
             runs alone.\n",
            super::join_and(&shared)
        ));
    }
    md
}
