//! The README and docs/ quote no measured figure without its source.
//!
//! Outside blocks, a measured figure (a percentage, a time, a ratio such as `2.07x`, a p-value,
//! a throughput) may stand only in a table row that names the command, the commit and the
//! machine that measured it (figures no tool writes: build times, profiles). The lint reads
//! figures by their units; a figure written without one is not seen.
//!
//! Figures inside a `<!-- figures from: PATH -->` block are checked against PATH by `figures.rs`.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

mod markdown;
use markdown::{END, START, cells, documents, separator};

/// Whether the `k`th word of `words` (prose) is a measured figure: a percentage that is not a
/// confidence level, a time, a memory size, a ratio, a throughput, points of difference or a
/// p-value. Signs, ranges (`2.4–2.6 s`) and sentence ends are read through.
fn measured(words: &[&str], k: usize) -> bool {
    let trim = |w: &str| -> String {
        let w = w.trim_matches(|c: char| "()[],;:*`".contains(c));
        let w = w.trim_end_matches('.');
        let w = w.trim_start_matches(['+', '-', '±', '−']);
        // A range is read by its upper end.
        w.rsplit('–').next().unwrap_or(w).to_string()
    };
    let word = trim(words[k]);
    let next = words.get(k + 1).map_or(String::new(), |w| trim(w));
    let number = |s: &str| {
        s.chars().next().is_some_and(|c| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    };
    if let Some(n) = word.strip_suffix('%')
        && number(n)
    {
        return !matches!(
            next.as_str(),
            "CI" | "interval" | "intervals" | "confidence" | "level"
        );
    }
    if let Some(n) = word.strip_suffix('x')
        && number(n)
    {
        return true;
    }
    if number(&word) {
        return matches!(
            next.as_str(),
            "s" | "ms" | "seconds" | "min" | "minutes" | "GiB" | "MiB" | "images/s" | "points"
        );
    }
    let p_value = |rest: &str| rest.strip_prefix(['<', '=']).is_some_and(number);
    (word == "p" && matches!(next.as_str(), "=" | "<"))
        || word.strip_prefix('p').is_some_and(p_value)
        || (word == "p-value" && number(&next))
}

/// The columns of a table header that name a figure's source: command, commit and machine.
fn provenance_columns(header: &[&str]) -> Option<[usize; 3]> {
    let at = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    Some([at("command")?, at("commit")?, at("machine")?])
}

/// The measured figures of `doc` outside its marked blocks and outside the rows of tables that
/// name, on that row, the command, commit and machine that measured them, as `"line N: text"`.
fn unsourced(doc: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_block = false;
    let mut sources: Option<[usize; 3]> = None;
    for (n, line) in doc.lines().enumerate() {
        if line.contains(START) {
            in_block = true;
        }
        if line.contains(END) {
            in_block = false;
            continue;
        }
        if in_block {
            continue;
        }
        match cells(line) {
            Some(_) if separator(line) => continue,
            Some(row) => {
                if let Some(columns) = provenance_columns(&row) {
                    sources = Some(columns);
                    continue;
                }
                let named = sources.is_some_and(|columns| {
                    columns.iter().all(|&c| {
                        row.get(c)
                            .is_some_and(|cell| !matches!(*cell, "" | "–" | "-"))
                    })
                });
                if named {
                    continue;
                }
            }
            None => sources = None,
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if (0..words.len()).any(|k| measured(&words, k)) {
            found.push(format!("line {}: {}", n + 1, line.trim()));
        }
    }
    found
}

#[test]
fn no_measured_figure_stands_outside_a_block_or_a_table_that_names_its_source() {
    let mut problems = Vec::new();
    for (doc, text) in documents() {
        problems.extend(unsourced(&text).into_iter().map(|l| format!("{doc}: {l}")));
    }
    assert!(
        problems.is_empty(),
        "measured figures with no source (quote them in a figures block, or give command, \
         commit and machine in a table):\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_measured_figure_without_its_source_is_caught_and_settings_are_not() {
    let doc = "\
The cnn reached 99.01% after 183.2 s.
It is 2.07x slower (p = 0.01).
A 95% CI, dropout 0.2, 784-128-10, 28x28, 20 epochs, batch 256.
<!-- figures from: r.md -->
> - **Most accurate:** burn, 97.94% ([the tests](#tests)).
<!-- end figures -->

| build | command | commit | machine | time |
|:---|:---|:---|:---|---:|
| cold | `cargo build` | abc123 | 2-core AMD EPYC | 13.5 min |
| cold | `cargo build` | abc123 | – | 14.1 min |

| backend | time |
|:---|---:|
| burn | 60.2 s |

It reached 99.01%. It is 2x slower.
It moved by -0.11 points, epochs took 2.4–2.6 s, p<0.05.
";
    assert_eq!(
        unsourced(doc),
        [
            "line 1: The cnn reached 99.01% after 183.2 s.",
            "line 2: It is 2.07x slower (p = 0.01).",
            "line 11: | cold | `cargo build` | abc123 | – | 14.1 min |",
            "line 15: | burn | 60.2 s |",
            "line 17: It reached 99.01%. It is 2x slower.",
            "line 18: It moved by -0.11 points, epochs took 2.4–2.6 s, p<0.05.",
        ]
    );
    // Each of the last two lines is caught by each of its figures alone.
    for figure in ["99.01%.", "2x", "-0.11 points", "2.4–2.6 s", "p<0.05"] {
        assert_eq!(
            unsourced(&format!("It is {figure} here.")).len(),
            1,
            "{figure}"
        );
    }
}
