//! The side-by-side table: what each side measured, as markdown (every row naming the model
//! timed on both sides) and as JSON.

use std::collections::BTreeMap;

use bench_core::{Twin, WorkUnit};
use serde_json::{Value, json};

use super::measure::{Measured, median};
use crate::registry::twin_script;

/// Everything one side measured over the rounds, or why it could not.
#[derive(Debug, Default)]
pub struct Side {
    /// One figure per round that ran.
    pub runs: Vec<Measured>,
    /// Why it stopped giving figures.
    pub failure: Option<String>,
}

impl Side {
    /// Median over rounds.
    pub fn median_seconds(&self) -> Option<f64> {
        (!self.runs.is_empty())
            .then(|| median(&self.runs.iter().map(|m| m.seconds).collect::<Vec<_>>()))
    }

    /// Mean and sample standard deviation of the test accuracies (0 for a single run).
    fn accuracy(&self) -> Option<(f64, f64)> {
        let acc: Vec<f64> = self.runs.iter().map(|m| m.test_accuracy).collect();
        let (mean, std) = report::stats::mean_std(&acc);
        Some((mean?, std.unwrap_or(0.0)))
    }

    fn to_json(&self) -> Value {
        json!({
            "median_seconds": self.median_seconds(),
            "seconds": self.runs.iter().map(|m| m.seconds).collect::<Vec<_>>(),
            "test_accuracy": self.runs.iter().map(|m| m.test_accuracy).collect::<Vec<_>>(),
            "failure": self.failure,
        })
    }
}

/// A Rust variant's column.
pub struct RustColumn {
    /// Row label, e.g. `burn flex, tuned`.
    pub label: &'static str,
    /// The backend's model description.
    pub model: String,
    /// The backend's recorded settings.
    pub settings: BTreeMap<String, String>,
    /// What one timed unit is.
    pub unit: WorkUnit,
    /// The settings its variant sets, as (setting, value).
    pub variant_settings: &'static [(&'static str, &'static str)],
    /// Whether it ran in a process of its own each round (else in this one, with the build
    /// line's allocator).
    pub own_process: bool,
    /// The allocator its own process reported.
    pub allocator: Option<String>,
    /// What it measured.
    pub side: Side,
}

/// A twin's column.
pub struct TwinColumn {
    /// What was run.
    pub twin: Twin,
    /// The twin's last JSON record (versions, threads, BLAS, model).
    pub about: Option<Value>,
    /// What it measured.
    pub side: Side,
}

impl TwinColumn {
    /// The model the twin says it built.
    fn model(&self) -> &str {
        self.about
            .as_ref()
            .and_then(|a| a.get("model"))
            .and_then(Value::as_str)
            .unwrap_or("—")
    }
}

/// A row: a Rust column beside a twin column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// Index of the Rust column.
    pub rust: usize,
    /// Index of the twin column.
    pub twin: usize,
    /// The pairing's note, as the Rust variant's declaration of this twin gives it (one twin
    /// run can be "same precision" beside one variant and "the notebook's pairing" beside
    /// another).
    pub note: &'static str,
}

/// The table: columns, and rows pairing a Rust column with a twin column.
pub struct Table {
    /// Rust variants.
    pub rust: Vec<RustColumn>,
    /// Twins, each run once a round however many rows it is in.
    pub twins: Vec<TwinColumn>,
    /// The rows, in order.
    pub rows: Vec<Row>,
}

impl Table {
    /// Twin's median over the Rust median of a row: above 1 the Rust side is faster.
    fn ratio(&self, (r, t): (usize, usize)) -> Option<f64> {
        Some(self.twins[t].side.median_seconds()? / self.rust[r].side.median_seconds()?)
    }

    /// Whether any side failed.
    pub fn any_failed(&self) -> bool {
        let rust = self.rust.iter().map(|c| &c.side);
        rust.chain(self.twins.iter().map(|c| &c.side))
            .any(|s| s.failure.is_some())
    }

    /// The markdown table under `headline`, with the notes after it.
    pub fn markdown(&self, headline: &str, about_splits: &str, left_out: &[String]) -> String {
        let mut s = format!("{headline}\n\n");
        s.push_str(
            "| Rust | twin | per | Rust median | twin median | Rust is | Rust test accuracy | \
             twin test accuracy | model: Rust / twin |\n\
             |:---|:---|:---|---:|---:|:---|---:|---:|:---|\n",
        );
        for &Row {
            rust: r,
            twin: t,
            note,
        } in &self.rows
        {
            let (rust, twin) = (&self.rust[r], &self.twins[t]);
            let twin_label = match note {
                "" => twin.twin.label.clone(),
                note => format!("{} ({note})", twin.twin.label),
            };
            s.push_str(&format!(
                "| {} | {twin_label} | {} | {} | {} | {} | {} | {} | {} / {} |\n",
                rust.label,
                rust.unit.name(),
                fmt_seconds(rust.side.median_seconds()),
                fmt_seconds(twin.side.median_seconds()),
                fmt_ratio(self.ratio((r, t))),
                fmt_accuracy(&rust.side),
                fmt_accuracy(&twin.side),
                rust.model,
                twin.model(),
            ));
        }
        let mut said: Vec<&str> = Vec::new();
        let failures = self.rust.iter().map(|c| (c.label, &c.side.failure));
        let twin_failures = self
            .twins
            .iter()
            .map(|c| (c.twin.label.as_str(), &c.side.failure));
        for (label, failure) in failures.chain(twin_failures) {
            if let Some(f) = failure
                && !said.contains(&f.as_str())
            {
                said.push(f);
                s.push_str(&format!("\n{label}: {f}\n"));
            }
        }
        for why in left_out {
            s.push_str(&format!("\nNot in this table: {why}.\n"));
        }
        s.push_str(&format!(
            "\nTimes: median over rounds of each run's median epoch (of its training time for a \
             fit). Test accuracy: mean ± std over the rounds' model seeds. {about_splits}\n"
        ));
        for column in &self.rust {
            let set: Vec<String> = column
                .variant_settings
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let process = match (column.own_process, &column.allocator) {
                (false, _) => "in this process".to_string(),
                (true, allocator) => format!(
                    "a process of its own each round (starting cold), allocator: {}",
                    allocator.as_deref().unwrap_or("not reported")
                ),
            };
            s.push_str(&format!(
                "\n- {}: settings {}; {process}",
                column.label,
                set.join(", ")
            ));
        }
        for column in &self.twins {
            if let Some(about) = &column.about {
                s.push_str(&format!(
                    "\n- {}: `{} {}`; {}",
                    column.twin.label,
                    twin_script(&column.twin),
                    column.twin.args.join(" "),
                    describe_twin(about)
                ));
            }
        }
        s.push('\n');
        s
    }

    /// The rows and columns as JSON.
    pub fn json_rows(&self) -> (Value, Value) {
        let rows = self.rows.iter().map(
            |&Row {
                 rust: r,
                 twin: t,
                 note,
             }| {
                let (rust, twin) = (&self.rust[r], &self.twins[t]);
                json!({
                    "rust": rust.label,
                    "rust_model": rust.model,
                    "rust_settings": rust.settings,
                    "rust_variant_settings": rust.variant_settings,
                    "rust_own_process": rust.own_process,
                    "rust_allocator": rust.allocator,
                    "twin": twin.twin.label,
                    "twin_model": twin.about.as_ref().and_then(|a| a.get("model")),
                    "note": note,
                    "unit": rust.unit.name(),
                    "ratio_twin_over_rust": self.ratio((r, t)),
                    "rust_side": rust.side.to_json(),
                    "twin_side": twin.side.to_json(),
                })
            },
        );
        let twins = self.twins.iter().map(|c| {
            json!({
                "twin": c.twin.label,
                "script": twin_script(&c.twin),
                "args": c.twin.args,
                "about": c.about,
            })
        });
        (Value::Array(rows.collect()), Value::Array(twins.collect()))
    }
}

fn fmt_seconds(s: Option<f64>) -> String {
    s.map_or_else(|| "—".to_string(), |s| format!("{s:.3} s"))
}

fn fmt_accuracy(side: &Side) -> String {
    match side.accuracy() {
        Some((mean, std)) if side.runs.len() > 1 => format!(
            "{:.2}% ± {:.2} (n={})",
            100.0 * mean,
            100.0 * std,
            side.runs.len()
        ),
        Some((mean, _)) => format!("{:.2}%", 100.0 * mean),
        None => "—".to_string(),
    }
}

/// "2.10x faster" / "1.50x slower": how the Rust side compares.
fn fmt_ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= 1.0 => format!("{r:.2}x faster"),
        Some(r) => format!("{:.2}x slower", 1.0 / r),
        None => "—".to_string(),
    }
}

/// Versions, threads and BLAS kernel a twin reported, in one line.
fn describe_twin(about: &Value) -> String {
    let pairs = |key: &str| -> Vec<String> {
        about
            .get(key)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or("?")))
                    .collect()
            })
            .unwrap_or_default()
    };
    let threads = about.get("threads").and_then(Value::as_u64).unwrap_or(0);
    let blas: Vec<String> = about
        .get("blas")
        .and_then(Value::as_array)
        .map(|pools| {
            pools
                .iter()
                .filter_map(|p| {
                    let api = p.get("internal_api")?.as_str()?;
                    let text = |k: &str| p.get(k).and_then(Value::as_str);
                    let version = text("version").map(|v| format!(" {v}")).unwrap_or_default();
                    let arch = text("architecture")
                        .map(|a| format!(" kernel {a}"))
                        .unwrap_or_default();
                    let n = p.get("num_threads").and_then(Value::as_u64).unwrap_or(0);
                    Some(format!("{api}{version}{arch} ({n} threads)"))
                })
                .collect()
        })
        .unwrap_or_default();
    let env = pairs("env")
        .into_iter()
        .map(|p| p.replacen(' ', "=", 1))
        .collect::<Vec<_>>();
    let env = if env.is_empty() {
        String::new()
    } else {
        format!("; set: {}", env.join(" "))
    };
    // PyTorch says whether its CPU kernels may use oneDNN.
    let onednn = about
        .get("onednn")
        .and_then(Value::as_str)
        .map(|o| format!("; {o}"))
        .unwrap_or_default();
    format!(
        "{}; {threads} threads; BLAS {}{onednn}{env}",
        pairs("versions").join(", "),
        blas.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_read_as_the_rust_side_faster_or_slower() {
        assert_eq!(fmt_ratio(Some(5.1)), "5.10x faster");
        assert_eq!(fmt_ratio(Some(0.5)), "2.00x slower");
        assert_eq!(fmt_ratio(None), "—");
    }

    #[test]
    fn a_row_names_the_model_of_each_side() {
        let measured = |seconds| Side {
            runs: vec![Measured {
                seconds,
                test_accuracy: 0.9,
            }],
            failure: None,
        };
        let table = Table {
            rust: vec![RustColumn {
                label: "rust side",
                model: "MLP 784-64-10 (Rust)".into(),
                settings: BTreeMap::new(),
                unit: WorkUnit::Epoch,
                variant_settings: &[("flush", "off")],
                own_process: true,
                allocator: Some("glibc's defaults".into()),
                side: measured(1.0),
            }],
            twins: vec![TwinColumn {
                twin: Twin {
                    label: "twin side".into(),
                    script: "x.py",
                    args: vec!["--hidden".into(), "64".into()],
                    note: "",
                },
                about: Some(json!({"model": "MLP 784-64-10 (Python)"})),
                side: measured(2.0),
            }],
            rows: vec![Row {
                rust: 0,
                twin: 0,
                note: "",
            }],
        };
        let md = table.markdown("headline", "splits", &[]);
        let row = md.lines().find(|l| l.starts_with("| rust side")).unwrap();
        assert!(
            row.contains("MLP 784-64-10 (Rust) / MLP 784-64-10 (Python)"),
            "{row}"
        );
        assert!(row.contains("2.00x faster"), "{row}");
        assert!(md.contains("`xtask/reference/x.py --hidden 64`"), "{md}");
        assert!(
            md.contains(
                "- rust side: settings flush=off; a process of its own each round (starting \
                 cold), allocator: glibc's defaults"
            ),
            "{md}"
        );
    }

    #[test]
    fn a_twin_shared_by_two_variants_carries_each_rows_own_note() {
        let column = |label: &'static str| RustColumn {
            label,
            model: "m".into(),
            settings: BTreeMap::new(),
            unit: WorkUnit::Fit,
            variant_settings: &[],
            own_process: false,
            allocator: None,
            side: Side::default(),
        };
        let table = Table {
            rust: vec![column("low"), column("high")],
            twins: vec![TwinColumn {
                twin: Twin {
                    label: "shared".into(),
                    script: "s.py",
                    args: Vec::new(),
                    note: "declared first",
                },
                about: None,
                side: Side::default(),
            }],
            rows: vec![
                Row {
                    rust: 0,
                    twin: 0,
                    note: "another pairing",
                },
                Row {
                    rust: 1,
                    twin: 0,
                    note: "same precision",
                },
            ],
        };
        let md = table.markdown("h", "s", &[]);
        assert!(md.contains("| low | shared (another pairing) |"), "{md}");
        assert!(md.contains("| high | shared (same precision) |"), "{md}");
        let (rows, _) = table.json_rows();
        assert_eq!(rows[1]["note"], "same precision");
    }
}
