//! The README and docs/ cannot drift from the committed results: every figure a marked block
//! copies is in the file it names, in the row or sentence it came from.
//!
//! A block marked `<!-- figures from: PATH -->` … `<!-- end figures -->` copies figures from
//! PATH (a committed file, relative to the workspace root; read as committed, so a report the
//! user writes with `compare` changes nothing here; a file not yet committed is read from the
//! working tree, as the documents are). Inside a block:
//! - a table's header must name columns of one of PATH's tables, word for word (a copy may leave
//!   columns out, not relabel them), and each row must be a row of that table: each cell within
//!   the source row's cell of the same column, with the same numbers (so two rows swapped, two
//!   columns swapped, a figure moved, a shortened figure or a word changed are caught);
//! - a quoted line (`> …`), joined with the quoted lines after it, must be whole sentences of
//!   PATH, verbatim (markdown links compared by their text, so a copy may point its links
//!   elsewhere), starting where one starts and ending with its full stop;
//! - a code line's numbers must be numbers of PATH;
//! - any other line may hold no number: prose figures are quoted, not paraphrased.
//!
//! Measured figures outside blocks are `unsourced_figures.rs`'s.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::Path;

mod markdown;
use markdown::{END, START, cells, documents, root, separator};

/// The numbers of `text`: maximal runs of digits, dots and commas that hold a digit, without a
/// leading or trailing dot or comma, with a minus sign when one stands right before them after a
/// space or an opening bracket (so `0.166);` gives `0.166`, `(-0.11 to` gives `-0.11` and
/// `784-128-10` gives 784, 128 and 10).
fn numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let part = |c: char| c.is_ascii_digit() || c == '.' || c == ',';
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !part(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && part(chars[i]) {
            i += 1;
        }
        let token: String = chars[start..i].iter().collect();
        let token = token.trim_matches(['.', ',']);
        if !token.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let signed = start >= 1
            && chars[start - 1] == '-'
            && (start == 1 || matches!(chars[start - 2], ' ' | '(' | '[' | '\n'));
        out.push(if signed {
            format!("-{token}")
        } else {
            token.to_string()
        });
    }
    out
}

/// `text` with each markdown link `[words](target)` replaced by its words.
fn unlinked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find("](").and_then(|close| {
            let target = &after[close + 2..];
            target.find(')').map(|end| (close, close + 2 + end + 1))
        }) {
            Some((close, next)) if !after[..close].contains('[') => {
                out.push_str(&after[..close]);
                rest = &after[next..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` as compared: links by their words, whitespace collapsed.
fn flat(text: &str) -> String {
    unlinked(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Each marked block of `doc` as (source path, block text); an error for a block left open.
fn blocks(doc: &str) -> Result<Vec<(&str, &str)>, String> {
    let mut found = Vec::new();
    let mut rest = doc;
    while let Some(at) = rest.find(START) {
        let after = &rest[at + START.len()..];
        let (path, body) = after.split_once(" -->").ok_or_else(|| {
            let start: String = after.chars().take(40).collect();
            format!("unclosed marker after {start:?}")
        })?;
        let end = body
            .find(END)
            .ok_or_else(|| format!("the block from {path} has no {END:?}"))?;
        found.push((path.trim(), &body[..end]));
        rest = &body[end + END.len()..];
    }
    Ok(found)
}

/// A markdown table of a source: its header's cells (as compared) and its rows.
struct Table<'a> {
    header: Vec<String>,
    rows: Vec<Vec<&'a str>>,
}

/// Every table of `text`: a row followed by a separator row starts one, and it runs while rows
/// follow.
fn tables(text: &str) -> Vec<Table<'_>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found: Vec<Table<'_>> = Vec::new();
    let mut open = false;
    for (k, line) in lines.iter().enumerate() {
        match cells(line) {
            Some(_) if separator(line) => {}
            Some(row) if lines.get(k + 1).is_some_and(|next| separator(next)) => {
                found.push(Table {
                    header: row.iter().map(|c| flat(c).to_lowercase()).collect(),
                    rows: Vec::new(),
                });
                open = true;
            }
            Some(row) if open => {
                if let Some(table) = found.last_mut() {
                    table.rows.push(row);
                }
            }
            _ => open = false,
        }
    }
    found
}

/// For a copied header, each source table whose header holds every copied column, with the
/// source column of each (so a copy may leave columns out, but never relabel one).
fn column_maps<'s, 't>(
    header: &[&str],
    source: &'t [Table<'s>],
) -> Vec<(&'t Table<'s>, Vec<usize>)> {
    source
        .iter()
        .filter_map(|table| {
            let map: Option<Vec<usize>> = header
                .iter()
                .map(|cell| {
                    let cell = flat(cell).to_lowercase();
                    table.header.iter().position(|h| *h == cell)
                })
                .collect();
            Some((table, map?))
        })
        .collect()
}

/// Whether a copied table row is a row of one of the source tables its header maps to: each
/// cell within the source row's cell of the same column, with the same numbers (so two rows
/// swapped, two columns swapped, a figure moved to another column or row, a shortened figure or
/// a changed word are caught).
fn row_matches(row: &[&str], maps: &[(&Table<'_>, Vec<usize>)]) -> bool {
    maps.iter().any(|(table, map)| {
        row.len() == map.len()
            && table.rows.iter().any(|source_row| {
                row.iter().zip(map).all(|(cell, &c)| {
                    let Some(source_cell) = source_row.get(c) else {
                        return false;
                    };
                    let have: HashSet<String> = numbers(source_cell).into_iter().collect();
                    flat(source_cell).contains(&flat(cell))
                        && numbers(cell).iter().all(|n| have.contains(n))
                })
            })
    })
}

/// `source` as quotes are compared (see [`flat`]), with the places a sentence may start: the
/// start of a line, after a full stop and a space, after a double quote (a CSV field).
fn sentences(source: &str) -> (String, HashSet<usize>) {
    let mut text = String::new();
    let mut starts = HashSet::new();
    for line in unlinked(source).lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        starts.insert(text.len());
        for (k, word) in words.iter().enumerate() {
            if k > 0 {
                if words[k - 1].ends_with('.') {
                    starts.insert(text.len() + 1);
                }
                text.push(' ');
            }
            for (at, _) in word.match_indices('"') {
                starts.insert(text.len() + at + 1);
            }
            text.push_str(word);
        }
    }
    (text, starts)
}

/// Whether `quote` (as compared) is whole sentences of `source`: it starts where a sentence
/// starts and ends with a full stop where one ends.
fn holds_sentences(source: &(String, HashSet<usize>), quote: &str) -> bool {
    let (text, starts) = source;
    quote.ends_with('.')
        && text.match_indices(quote).any(|(at, _)| {
            let after = text[at + quote.len()..].chars().next();
            starts.contains(&at) && after.is_none_or(|c| c == ' ' || c == '"')
        })
}

/// What one block of a document copies from its source that the source does not hold, as
/// `"PATH: what"`.
fn block_drift(path: &str, block: &str, source: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let known: HashSet<String> = numbers(source).into_iter().collect();
    let source_tables = tables(source);
    let source_sentences = sentences(source);
    let lines: Vec<&str> = block.lines().collect();
    let mut quote = String::new();
    let mut in_code = false;
    let mut maps: Vec<(&Table<'_>, Vec<usize>)> = Vec::new();
    let end_quote = |quote: &mut String, missing: &mut Vec<String>| {
        if !quote.is_empty() && !holds_sentences(&source_sentences, &flat(quote)) {
            missing.push(format!("{path}: the quote \"{}\"", flat(quote)));
        }
        quote.clear();
    };
    for (k, line) in lines.iter().enumerate() {
        let quoted = line.strip_prefix('>').map(str::trim);
        if quoted.is_none() {
            end_quote(&mut quote, &mut missing);
        }
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if let Some(text) = quoted {
            if !quote.is_empty() {
                quote.push(' ');
            }
            quote.push_str(text);
        } else if in_code {
            for n in numbers(line) {
                if !known.contains(&n) {
                    missing.push(format!("{path}: {n}"));
                }
            }
        } else if let Some(row) = cells(line) {
            if separator(line) {
                continue;
            }
            if lines.get(k + 1).is_some_and(|next| separator(next)) {
                maps = column_maps(&row, &source_tables);
                if maps.is_empty() {
                    missing.push(format!(
                        "{path}: the header \"{}\" (no table of {path} has these columns)",
                        line.trim()
                    ));
                }
            } else if !row_matches(&row, &maps) {
                missing.push(format!(
                    "{path}: the row \"{}\" (no row of {path} holds its cells in its columns)",
                    line.trim()
                ));
            }
        } else if !numbers(line).is_empty() {
            missing.push(format!(
                "{path}: the line \"{}\" holds figures but is neither a table row nor a quote",
                line.trim()
            ));
        }
    }
    end_quote(&mut quote, &mut missing);
    missing
}

/// Every figure a marked block of `doc` copies that its source (read with `read`) lacks.
fn drift(doc: &str, read: impl Fn(&str) -> Result<String, String>) -> Result<Vec<String>, String> {
    let mut missing = Vec::new();
    for (path, block) in blocks(doc)? {
        missing.extend(block_drift(path, block, &read(path)?));
    }
    Ok(missing)
}

/// `path` as committed (`git show HEAD:path`), so that a `compare` run by the user, which
/// rewrites `reports/`, cannot fail the check; the working tree's copy outside a git checkout.
fn committed(root: &Path, path: &str) -> Result<String, String> {
    let shown = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["show", &format!("HEAD:{path}")])
        .output()
        .ok()
        .filter(|o| o.status.success());
    match shown {
        Some(o) => String::from_utf8(o.stdout).map_err(|e| format!("{path} in HEAD: {e}")),
        None => std::fs::read_to_string(root.join(path)).map_err(|e| format!("names {path}: {e}")),
    }
}

#[test]
fn every_figure_the_readme_and_docs_copy_is_in_the_row_or_sentence_it_names() {
    let root = root();
    let mut problems = Vec::new();
    for (doc, text) in documents() {
        match drift(&text, |path: &str| committed(&root, path)) {
            Ok(missing) => problems.extend(missing.into_iter().map(|m| format!("{doc}: {m}"))),
            Err(e) => problems.push(format!("{doc}: {e}")),
        }
    }
    assert!(
        problems.is_empty(),
        "figures not found where their block says (copy them again from the file):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_readme_quotes_both_reports_answers_and_copies_the_benchmarks() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let found = blocks(&readme).unwrap();
    for report in ["reports/summary.md", "reports/fashion-mnist/summary.md"] {
        let lines = [
            "> - **Most accurate:**",
            "> - **Fastest to train:**",
            "> - **Fastest single prediction:**",
            "> - **Highest throughput:**",
        ];
        assert!(
            found
                .iter()
                .any(|(p, b)| *p == report && lines.iter().all(|l| b.contains(l))),
            "no README block quotes the whole answer of {report}"
        );
    }
    assert!(
        found.iter().any(|(p, _)| *p == "benchmarks/reference.md"),
        "no README block copies benchmarks/reference.md"
    );
}

#[test]
fn the_readme_fits_in_200_lines() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 200, "README.md has {lines} lines: at most 200");
}

const SOURCE: &str = "\
| backend | test acc | train time |
|:---|---:|---:|
| scratch | 97.83% (97.69–97.97) | 1.3 s |
| burn | 97.94% (97.80–98.08) | 60.2 s |

- **Most accurate:** burn, 97.94% ([the tests](#tests)); scratch is close.
The model 784-128-10 has a CI of -0.11 to
0.32. It is small.
";

fn read(path: &str) -> Result<String, String> {
    match path {
        "r.md" => Ok(SOURCE.to_string()),
        other => Err(format!("names {other}: not found")),
    }
}

/// `rows` under the header `header`, in a block copying `r.md`.
fn table_block(header: &str, rows: &[&str]) -> String {
    let separator = "|---".repeat(header.matches('|').count() - 1);
    format!(
        "<!-- figures from: r.md -->\n{header}\n{separator}|\n{}\n<!-- end figures -->\n",
        rows.join("\n")
    )
}

#[test]
fn a_changed_figure_a_swapped_row_or_column_and_a_relabelled_header_are_caught() {
    let header = "| backend | test acc |";
    let good = table_block(
        header,
        &["| scratch | 97.83% (97.69–97.97) |", "| burn | 97.94% |"],
    );
    assert_eq!(drift(&good, read).unwrap(), Vec::<String>::new());
    // One digit changed by hand: named, with its source.
    let changed = drift(&good.replace("97.97", "97.98"), read).unwrap();
    assert!(
        changed.len() == 1 && changed[0].contains("97.98"),
        "{changed:?}"
    );
    // Two rows' figures swapped: each figure is in the file, but not in its row.
    let swapped = table_block(
        header,
        &["| scratch | 97.94% |", "| burn | 97.83% (97.69–97.97) |"],
    );
    assert_eq!(drift(&swapped, read).unwrap().len(), 2, "{swapped}");
    // Two columns swapped under their own labels, or their labels swapped: caught.
    let both = "| backend | test acc | train time |";
    let row = "| burn | 97.94% (97.80–98.08) | 60.2 s |";
    assert!(drift(&table_block(both, &[row]), read).unwrap().is_empty());
    let columns = table_block(both, &["| burn | 60.2 s | 97.94% (97.80–98.08) |"]);
    assert_eq!(drift(&columns, read).unwrap().len(), 1);
    let relabelled = table_block("| backend | train time | test acc |", &[row]);
    assert_eq!(drift(&relabelled, read).unwrap().len(), 1);
    // A header no table of the file has is caught, and its rows with it.
    let unknown = table_block("| backend | accuracy |", &["| burn | 97.94% |"]);
    assert_eq!(drift(&unknown, read).unwrap().len(), 2);
    // A word changed in a cell is caught.
    assert_eq!(
        drift(
            &table_block(both, &[&row.replace("60.2 s", "60.2 min")]),
            read
        )
        .unwrap()
        .len(),
        1
    );
    // A figure in a cell it does not belong to, or a shortened one, is caught.
    let integer = table_block(both, &["| burn | 97.94% | 10 |"]);
    assert_eq!(drift(&integer, read).unwrap().len(), 1);
    let shortened = good.replace("97.83", "97.8");
    assert_eq!(drift(&shortened, read).unwrap().len(), 1);
}

#[test]
fn a_quote_must_be_whole_sentences_of_the_file_word_for_word() {
    let block = |quote: &str| format!("<!-- figures from: r.md -->\n{quote}\n<!-- end figures -->");
    // Across the file's line breaks and the quote's, links compared by their words.
    let good = block("> The model 784-128-10 has a CI of\n> -0.11 to 0.32.");
    assert_eq!(drift(&good, read).unwrap(), Vec::<String>::new());
    let bullet =
        block("> - **Most accurate:** burn, 97.94% ([the tests](r.md#tests)); scratch is close.");
    assert_eq!(drift(&bullet, read).unwrap(), Vec::<String>::new());
    // One word changed, a sign dropped: caught.
    assert_eq!(
        drift(&good.replace("model", "net"), read).unwrap(),
        ["r.md: the quote \"The net 784-128-10 has a CI of -0.11 to 0.32.\""]
    );
    assert_eq!(
        drift(&good.replace("-0.11", "0.11"), read).unwrap().len(),
        1
    );
    // A sentence cut short, or started in its middle, is not the sentence.
    let cut = block("> - **Most accurate:** burn, 97.94% ([the tests](r.md#tests)).");
    assert_eq!(drift(&cut, read).unwrap().len(), 1);
    let middle = block("> 784-128-10 has a CI of -0.11 to 0.32.");
    assert_eq!(drift(&middle, read).unwrap().len(), 1);
    let tail = block("> 7.94% ([the tests](#tests)); scratch is close.");
    assert_eq!(drift(&tail, read).unwrap().len(), 1);
    // Prose figures in a block must be quoted: a paraphrase is caught even when its numbers
    // are all in the file.
    assert_eq!(
        drift(&block("burn reached 97.94%."), read).unwrap().len(),
        1
    );
}

#[test]
fn an_open_block_and_a_missing_file_are_errors() {
    // Figures outside a block are not compared.
    assert!(drift("97.99 outside", read).unwrap().is_empty());
    assert!(drift("<!-- figures from: r.md -->\n97.83", read).is_err());
    assert!(drift(&format!("<!-- figures from: r.md {}", "–".repeat(30)), read).is_err());
    let gone = "<!-- figures from: gone.md -->\n> x.\n<!-- end figures -->";
    assert!(drift(gone, read).is_err());
    assert_eq!(
        numbers("p = 0.166); 1,500 steps, 784-128-10, (-0.11 to -0.2."),
        ["0.166", "1,500", "784", "128", "10", "-0.11", "-0.2"]
    );
}
