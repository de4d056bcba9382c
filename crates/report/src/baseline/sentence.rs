//! One backend's comparison with the baseline as a sentence: the verdict first, then the figures
//! and the test behind it.

use super::{BaselineRow, Change, Measure, Outcome};
use crate::stats::AcrossSeeds;

/// The sentence of `row`.
pub(super) fn of(row: &BaselineRow) -> String {
    let name = &row.backend;
    match &row.outcome {
        Outcome::NotInBaseline => format!("{name}: not in the baseline; nothing compared."),
        Outcome::OnlyInBaseline => format!("{name}: in the baseline only; nothing compared."),
        Outcome::TooFewRuns => format!(
            "{name}: too few successful runs to compare ({} in the baseline, {} here; a test \
             across seeds needs two on each side).",
            row.runs.0, row.runs.1
        ),
        Outcome::OtherSettings(differences) => format!(
            "{name}: other settings ({}); nothing compared.",
            differences.join("; ")
        ),
        Outcome::Compared { accuracy, time } => {
            let time = match time {
                Some(t) => timing(t),
                None => match row.times_not_compared {
                    Some(why) => format!("times not comparable: {why}."),
                    None => "times not compared: too few finite times.".to_string(),
                },
            };
            format!("{name}: {}; {time}", accuracy_clause(accuracy, row.runs))
        }
    }
}

fn accuracy_clause(m: &Measure, runs: (usize, usize)) -> String {
    let points = 100.0 * (m.after - m.before).abs();
    let figures = format!("{:.2}% → {:.2}%", 100.0 * m.before, 100.0 * m.after);
    let verdict = match m.change {
        Change::NoneShown => "no change shown in test accuracy".to_string(),
        Change::Up => format!("more accurate by {points:.2} points"),
        Change::Down => format!("less accurate by {points:.2} points"),
    };
    format!("{verdict} ({figures}, {})", test_text(m, runs))
}

fn timing(m: &Measure) -> String {
    let share = 100.0 * (m.after / m.before - 1.0).abs();
    let figures = format!("{:.2} s → {:.2} s", m.before, m.after);
    let verdict = match m.change {
        Change::NoneShown => "no change shown in training time".to_string(),
        Change::Up => format!("training slower by {share:.0}%"),
        Change::Down => format!("training faster by {share:.0}%"),
    };
    format!("{verdict} ({figures}, {}).", test_text(m, (0, 0)))
}

/// The test behind a verdict: Welch's with its Holm-adjusted p-value, or the fixed difference.
fn test_text(m: &Measure, runs: (usize, usize)) -> String {
    match (m.test, m.p_holm) {
        (AcrossSeeds::Fixed { .. }, _) => {
            "the same on every seed on each side, so no test is needed".to_string()
        }
        (AcrossSeeds::Welch(_), Some(p)) if runs != (0, 0) => format!(
            "Welch's t-test over {} and {} runs, Holm-adjusted p = {}",
            runs.0,
            runs.1,
            p_value(p)
        ),
        (AcrossSeeds::Welch(_), p) => {
            format!("Holm-adjusted p = {}", p.map_or("–".to_string(), p_value))
        }
    }
}

fn p_value(p: f64) -> String {
    if p < 0.001 {
        format!("{p:.0e}")
    } else {
        format!("{p:.3}")
    }
}
