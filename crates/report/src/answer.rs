//! "The answer", the lines `summary.md` opens with: which backend for what. The most accurate
//! backends: the one with the highest mean test accuracy and every backend the test across seeds
//! cannot tell from it, named together; then the fastest to train, the fastest single prediction
//! and the highest throughput, each with its accuracy beside it, so that a fast but less accurate
//! backend reads as such. Without a test across seeds (one seed) the first line only says which
//! scored highest. Every figure is one the report's tables show further down, and each line
//! links the section that supports it.
//!
//! Memory is not part of the answer: the peak the report measures is the whole process's, and
//! depends on which backends trained before.

use crate::analysis::PairTest;
use crate::deployment::DeploymentRow;
use crate::stats::{AcrossSeeds, MIN_SEEDS_ACROSS};
use crate::summary::{SummaryRow, join_and, percent};

/// Where a backend stands against the one with the highest mean test accuracy.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Standing {
    /// The highest mean itself.
    Top,
    /// Welch's test across seeds finds no difference.
    NotToldApart,
    /// Welch's test across seeds finds it less accurate; `true` when the stricter Bonferroni
    /// interval still reaches zero.
    Behind(bool),
    /// Neither varies from seed to seed and both score the same on every seed.
    FixedSame,
    /// Neither varies from seed to seed: below the top by the same amount on every seed, with no
    /// test across seeds (McNemar's, per seed, speaks to it).
    FixedBelow,
    /// Too few successful runs for a test across seeds.
    Untested,
}

/// A backend with a test accuracy, and where it stands.
struct Scored<'a> {
    row: &'a SummaryRow,
    accuracy: f64,
    standing: Standing,
}

impl Scored<'_> {
    fn name(&self) -> &str {
        &self.row.backend
    }

    /// Among the most accurate: the top and those no test tells from it.
    fn in_group(&self) -> bool {
        matches!(
            self.standing,
            Standing::Top | Standing::NotToldApart | Standing::FixedSame
        )
    }

    /// `name (97.94%)`.
    fn named(&self) -> String {
        format!("{} ({})", self.name(), percent(Some(self.accuracy)))
    }
}

fn pair<'p>(pairs: &'p [PairTest], a: &str, b: &str) -> Option<&'p PairTest> {
    pairs
        .iter()
        .find(|p| (p.first == a && p.second == b) || (p.first == b && p.second == a))
}

/// Where a backend stands against the top, from the pair's tests.
fn standing(pair: Option<&PairTest>) -> Standing {
    let Some(p) = pair else {
        return Standing::Untested;
    };
    match p.across_seeds {
        Some(AcrossSeeds::Welch(_)) if p.not_told_apart() => Standing::NotToldApart,
        Some(AcrossSeeds::Welch(_)) => Standing::Behind(p.bonferroni_reaches_zero()),
        Some(AcrossSeeds::Fixed { .. }) if p.scores_the_same() => Standing::FixedSame,
        Some(AcrossSeeds::Fixed { .. }) => Standing::FixedBelow,
        None => Standing::Untested,
    }
}

/// The backends that have a test accuracy, the highest mean first, each with its standing.
fn standings<'a>(rows: &'a [SummaryRow], pairs: &[PairTest]) -> Vec<Scored<'a>> {
    let mut scored: Vec<(&SummaryRow, f64)> = rows
        .iter()
        .filter_map(|r| Some((r, r.test_accuracy?)))
        .collect();
    // Stable: a tie keeps report order.
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    let Some(&(top, _)) = scored.first() else {
        return Vec::new();
    };
    scored
        .iter()
        .map(|&(row, accuracy)| Scored {
            row,
            accuracy,
            standing: if std::ptr::eq(row, top) {
                Standing::Top
            } else {
                let p = pair(pairs, &top.backend, &row.backend);
                standing(p)
            },
        })
        .collect()
}

/// The candidate with the best `value` (the lowest when `lower`), the first of equals.
fn best_of<'a, 'b>(
    candidates: impl Iterator<Item = &'a Scored<'b>>,
    value: &dyn Fn(&SummaryRow) -> Option<f64>,
    lower: bool,
) -> Option<(&'a Scored<'b>, f64)> {
    let better = |a: f64, b: f64| if lower { a < b } else { a > b };
    candidates
        .filter_map(|s| Some((s, value(s.row)?)))
        .fold(None, |best, (s, v)| match best {
            Some((_, b)) if !better(v, b) => best,
            _ => Some((s, v)),
        })
}

/// What one "fastest" line measures.
struct Measure<'f> {
    /// The line's label, e.g. `Fastest to train`.
    what: &'static str,
    /// A backend's figure, if it has one.
    value: &'f dyn Fn(&SummaryRow) -> Option<f64>,
    /// Lower is better.
    lower: bool,
    /// The figure as the report shows it.
    show: &'f dyn Fn(f64) -> String,
    /// What kind of figure it is (`median, batch 1`), given the winner's row.
    qualifier: &'f dyn Fn(&SummaryRow) -> String,
    /// The section that supports it.
    link: &'static str,
}

/// One "fastest" line: the best backend, its figure and accuracy, how far it is below the
/// highest mean, and the best of the most accurate when the winner is not among them.
fn fastest_line(m: &Measure<'_>, scored: &[Scored<'_>]) -> Option<String> {
    let (winner, figure) = best_of(scored.iter(), m.value, m.lower)?;
    let top = &scored[0];
    let qualifier = (m.qualifier)(winner.row);
    let qualifier = if qualifier.is_empty() {
        String::new()
    } else {
        format!(" ({qualifier})")
    };
    let mut line = format!(
        "- **{}:** {}, {}{qualifier}, at {} test accuracy",
        m.what,
        winner.name(),
        (m.show)(figure),
        percent(Some(winner.accuracy))
    );
    if !winner.in_group() {
        let below = 100.0 * (top.accuracy - winner.accuracy);
        if below > 0.0 {
            line.push_str(&format!(", {below:.2} points below {}", top.name()));
        }
        let group: Vec<&Scored<'_>> = scored.iter().filter(|s| s.in_group()).collect();
        if let Some((g, v)) = best_of(group.iter().copied(), m.value, m.lower) {
            let whose = if group.len() > 1 {
                format!("of the most accurate, {}", g.name())
            } else {
                g.name().to_string()
            };
            line.push_str(&format!("; {whose}: {}", (m.show)(v)));
        }
    }
    line.push_str(&format!(" ({}).\n", m.link));
    Some(line)
}

/// The names of the backends with `standing`, each with its accuracy.
fn with_standing(scored: &[Scored<'_>], standing: impl Fn(Standing) -> bool) -> Vec<String> {
    scored
        .iter()
        .filter(|s| standing(s.standing))
        .map(Scored::named)
        .collect()
}

/// The first line: the most accurate backends (or, with no test across seeds, the highest
/// score), and where every other backend stands.
fn most_accurate(scored: &[Scored<'_>]) -> String {
    let top = &scored[0];
    let of_seeds = if top.row.runs_ok > 1 {
        format!(", mean of {} seeds", top.row.runs_ok)
    } else {
        String::new()
    };
    let interval = top.row.test_accuracy_ci.map_or(String::new(), |(ci, _)| {
        format!(", 95% CI {:.2}–{:.2}", 100.0 * ci.low, 100.0 * ci.high)
    });
    let top_figure = format!(
        "{} test accuracy{of_seeds}{interval}",
        percent(Some(top.accuracy))
    );
    let group: Vec<&str> = scored
        .iter()
        .filter(|s| s.in_group())
        .map(Scored::name)
        .collect();
    let untested = with_standing(scored, |s| s == Standing::Untested);
    let mut line = if group.len() > 1 {
        format!(
            "- **Most accurate:** {}: {} has the highest mean ({top_figure})",
            join_and(&group),
            top.name()
        )
    } else if untested.is_empty() {
        format!("- **Most accurate:** {}, {top_figure}", top.name())
    } else {
        format!("- **Highest test accuracy:** {}, {top_figure}", top.name())
    };
    let same = with_standing(scored, |s| s == Standing::NotToldApart);
    if !same.is_empty() {
        line.push_str(&format!(
            "; Welch's test across seeds cannot tell {} from it",
            join_and(&same)
        ));
    }
    let fixed_same = with_standing(scored, |s| s == Standing::FixedSame);
    if !fixed_same.is_empty() {
        line.push_str(&format!(
            "; {} scores the same on every seed",
            join_and(&fixed_same)
        ));
    }
    let behind: Vec<String> = scored
        .iter()
        .filter_map(|s| match s.standing {
            Standing::Behind(false) => Some(s.named()),
            Standing::Behind(true) => Some(format!(
                "{} (by Holm's correction; the stricter Bonferroni interval reaches zero)",
                s.named()
            )),
            _ => None,
        })
        .collect();
    if !behind.is_empty() {
        line.push_str(&format!("; less accurate: {}", join_and(&behind)));
    }
    let fixed_below: Vec<String> = scored
        .iter()
        .filter(|s| s.standing == Standing::FixedBelow)
        .map(|s| {
            format!(
                "{} scores {:.2} points below it on every seed",
                s.name(),
                100.0 * (top.accuracy - s.accuracy)
            )
        })
        .collect();
    if !fixed_below.is_empty() {
        line.push_str(&format!(
            "; {} (neither varies from seed to seed: no test across seeds applies)",
            join_and(&fixed_below)
        ));
    }
    if !untested.is_empty() {
        line.push_str(&format!(
            "; not tested across seeds against it: {} (a test needs {MIN_SEEDS_ACROSS} successful \
             runs or more of each)",
            join_and(&untested)
        ));
    }
    line.push_str(" ([the tests](#which-differences-are-real)).\n");
    line
}

/// The section, or a line saying there is nothing to answer.
pub fn markdown(rows: &[SummaryRow], deployment: &[DeploymentRow], pairs: &[PairTest]) -> String {
    let mut md = String::from("## The answer\n\n");
    let scored = standings(rows, pairs);
    if scored.is_empty() {
        md.push_str(
            "No run succeeded, so there is nothing to compare: each backend's status below says \
             why.\n\n",
        );
        return md;
    }
    md.push_str(&most_accurate(&scored));
    let deploy = |r: &SummaryRow| deployment.iter().find(|d| d.backend == r.backend);
    let batch = format!("median, batch {}", bench_core::deploy::BATCH);
    let measures = [
        Measure {
            what: "Fastest to train",
            value: &|r| r.training_seconds,
            lower: true,
            show: &|v| format!("{v:.1} s"),
            qualifier: &|r| {
                if r.runs_ok > 1 {
                    "mean".into()
                } else {
                    String::new()
                }
            },
            link: "[every backend](#every-backend)",
        },
        Measure {
            what: "Fastest single prediction",
            value: &|r| deploy(r)?.latency_median_ms,
            lower: true,
            show: &|v| format!("{v:.3} ms"),
            qualifier: &|_| "median, batch 1".into(),
            link: "[using the models](#using-the-models)",
        },
        Measure {
            what: "Highest throughput",
            value: &|r| deploy(r)?.throughput_per_second,
            lower: false,
            show: &|v| format!("{v:.0} images/s"),
            qualifier: &|_| batch.clone(),
            link: "[using the models](#using-the-models)",
        },
    ];
    for m in &measures {
        if let Some(line) = fastest_line(m, &scored) {
            md.push_str(&line);
        }
    }
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| r.test_accuracy.is_none())
        .map(|r| r.backend.as_str())
        .collect();
    if !failed.is_empty() {
        md.push_str(&format!(
            "- **No successful run:** {} (its status below says why).\n",
            join_and(&failed)
        ));
    }
    md.push_str(
        "\nMemory is left out: the peak measured is the whole process's and depends on which \
         backends trained before.\n\n",
    );
    md
}
