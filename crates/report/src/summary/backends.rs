//! `## Every backend`: the summary table as readers see it, what its figures mean, and each
//! backend's notes.

use polars::prelude::*;

use super::{Tables, display_frame};
use crate::analysis::Analysis;
use crate::tables::markdown as markdown_table;

/// A table cell as text: strings as they are, `–` for none.
fn cell(v: &AnyValue<'_>) -> String {
    match v {
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Null => "–".to_string(),
        other => other.to_string(),
    }
}

/// The section: the table, the note on its figures, and the backends' notes.
pub(super) fn section(tables: &Tables, analysis: &Analysis<'_>) -> PolarsResult<String> {
    let right = [
        "params",
        "seeds ok",
        "train acc",
        "val acc",
        "test acc (95% CI)",
        "train time (mean)",
    ];
    let table = markdown_table(&display_frame(&tables.rows)?, &|_, v| cell(v), &right)?;
    let mut md = String::from("## Every backend\n\n");
    md.push_str(&table);
    md.push('\n');
    md.push_str(
        "Accuracies and train times are means over the seeds that succeeded. The test accuracy's \
         95% interval is Student's t over seeds when there are several (how much training \
         randomness moves it, on these test images), and the Wilson interval over the test images \
         for a single run (how much the choice of test images could move it). Train and \
         validation accuracy are measured on the final model. Train time is wall-clock training, \
         per-epoch validation included.\n\n",
    );
    for note in analysis.notes() {
        md.push_str(&format!("- {note}\n"));
    }
    if !analysis.notes().is_empty() {
        md.push('\n');
    }
    Ok(md)
}
