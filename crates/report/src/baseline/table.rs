//! `baseline.csv` / `baseline.json`: one row per backend of either side, with the figures and
//! tests behind each sentence.

use polars::prelude::{Column, DataFrame, PolarsResult};

use super::{BaselineRow, Change, Measure, Outcome};
use crate::stats::AcrossSeeds;

/// The table of `rows`.
pub fn frame(rows: &[BaselineRow]) -> PolarsResult<DataFrame> {
    let accuracy: Vec<Option<&Measure>> = rows
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Compared { accuracy, .. } => Some(accuracy),
            _ => None,
        })
        .collect();
    let time: Vec<Option<&Measure>> = rows
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Compared { time, .. } => time.as_ref(),
            _ => None,
        })
        .collect();
    let mut columns = vec![
        Column::new(
            "backend".into(),
            rows.iter().map(|r| r.backend.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "runs_baseline".into(),
            rows.iter().map(|r| r.runs.0 as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "runs".into(),
            rows.iter().map(|r| r.runs.1 as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "compared".into(),
            rows.iter().map(|r| outcome(&r.outcome)).collect::<Vec<_>>(),
        ),
    ];
    columns.extend(measure_columns("test_accuracy", &accuracy));
    columns.extend(measure_columns("training_seconds", &time));
    columns.push(Column::new(
        "verdict".into(),
        rows.iter().map(BaselineRow::sentence).collect::<Vec<_>>(),
    ));
    DataFrame::new_infer_height(columns)
}

fn outcome(o: &Outcome) -> &'static str {
    match o {
        Outcome::Compared { time: Some(_), .. } => "accuracy and time",
        Outcome::Compared { time: None, .. } => "accuracy (times not comparable)",
        Outcome::OtherSettings(_) => "nothing: other settings",
        Outcome::TooFewRuns => "nothing: too few runs",
        Outcome::NotInBaseline => "nothing: not in the baseline",
        Outcome::OnlyInBaseline => "nothing: in the baseline only",
    }
}

/// `<stem>_baseline`, `<stem>`, `<stem>_p`, `<stem>_p_holm` and `<stem>_change`.
fn measure_columns(stem: &str, measures: &[Option<&Measure>]) -> [Column; 5] {
    let values = |f: &dyn Fn(&Measure) -> Option<f64>| {
        measures
            .iter()
            .map(|m| m.and_then(f))
            .collect::<Vec<Option<f64>>>()
    };
    [
        Column::new(
            format!("{stem}_baseline").into(),
            values(&|m| Some(m.before)),
        ),
        Column::new(stem.into(), values(&|m| Some(m.after))),
        Column::new(
            format!("{stem}_p").into(),
            values(&|m| match m.test {
                AcrossSeeds::Welch(t) => Some(t.p_value),
                AcrossSeeds::Fixed { .. } => None,
            }),
        ),
        Column::new(format!("{stem}_p_holm").into(), values(&|m| m.p_holm)),
        Column::new(
            format!("{stem}_change").into(),
            measures
                .iter()
                .map(|m| {
                    m.map(|m| match m.change {
                        Change::NoneShown => "none shown",
                        Change::Up => "up",
                        Change::Down => "down",
                    })
                })
                .collect::<Vec<Option<&str>>>(),
        ),
    ]
}
