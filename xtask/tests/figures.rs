//! The README and docs/ cannot drift from the committed results, and quote no measured figure
//! without its source.
//!
//! A block marked `<!-- figures from: PATH -->` … `<!-- end figures -->` copies figures from
//! PATH (a committed file, relative to the workspace root; read as committed, so a report the
//! user writes with `compare` changes nothing here). Inside a block:
//! - a table row must match a row of PATH: a row of PATH with the same first cell holds each of
//!   its cells, in order, each within one cell of PATH's row with the same numbers (so two
//!   backends' rows swapped, two columns swapped, a figure moved to another row or a word
//!   changed are caught);
//! - a quoted line (`> …`), joined with the quoted lines after it, must be PATH's words
//!   verbatim (markdown links compared by their text, so a copy may point its links elsewhere);
//! - a code line's numbers must be numbers of PATH;
//! - any other line may hold no number: prose figures are quoted, not paraphrased.
//!
//! Outside blocks, a measured figure (a percentage, a time, a ratio such as `2.07x`, a p-value,
//! a throughput) may stand only in a table row that names the command, the commit and the
//! machine that measured it (figures no tool writes: build times, profiles). The lint reads
//! figures by their units; a figure written without one is not seen.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::Path;

const START: &str = "<!-- figures from: ";
const END: &str = "<!-- end figures -->";

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

/// The cells of a table row (`| a | b |`), trimmed; `None` for a line that is not one.
fn cells(line: &str) -> Option<Vec<&str>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(str::trim).collect())
}

/// A table's separator row (`|:---|---:|`).
fn separator(line: &str) -> bool {
    cells(line).is_some_and(|c| {
        c.iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
    })
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

/// Whether a copied table row is a row of the source: the same first cell, then each cell in
/// turn found in a later cell of the source row, in the same order (so two columns swapped are
/// caught), its words within that cell (so "faster" cannot become "slower") and its numbers
/// among that cell's (so a shortened figure is caught).
fn row_matches(row: &[&str], source_row: &[&str]) -> bool {
    if row.first() != source_row.first() {
        return false;
    }
    let mut next = 1;
    row[1..].iter().all(|cell| {
        let (want, figures) = (flat(cell), numbers(cell));
        while let Some(source_cell) = source_row.get(next) {
            next += 1;
            let have: HashSet<String> = numbers(source_cell).into_iter().collect();
            if flat(source_cell).contains(&want) && figures.iter().all(|n| have.contains(n)) {
                return true;
            }
        }
        false
    })
}

/// Whether `needle` stands in `haystack` as whole words: no letter, digit or figure's sign or
/// point right before or after it (so a quote cannot be the tail of a longer figure).
fn holds_phrase(haystack: &str, needle: &str) -> bool {
    let joins =
        |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '+'));
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        let ends_sentence = needle.ends_with(['.', ')', ';', ',']);
        !joins(before) && (ends_sentence || !after.is_some_and(|c| c.is_alphanumeric()))
    })
}

/// What one block of a document copies from its source that the source does not hold, as
/// `"PATH: what"`.
fn block_drift(path: &str, block: &str, source: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let known: HashSet<String> = numbers(source).into_iter().collect();
    let source_rows: Vec<Vec<&str>> = source.lines().filter_map(cells).collect();
    let source_flat = flat(source);
    let lines: Vec<&str> = block.lines().collect();
    let mut quote = String::new();
    let mut in_code = false;
    for (k, line) in lines.iter().enumerate() {
        let quoted = line.strip_prefix('>').map(str::trim);
        if quoted.is_none() && !quote.is_empty() {
            if !holds_phrase(&source_flat, &flat(&quote)) {
                missing.push(format!("{path}: the quote \"{}\"", flat(&quote)));
            }
            quote.clear();
        }
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let header = lines.get(k + 1).is_some_and(|next| separator(next));
        if let Some(text) = quoted {
            if !quote.is_empty() {
                quote.push(' ');
            }
            quote.push_str(text);
        } else if in_code || header {
            for n in numbers(line) {
                if !known.contains(&n) {
                    missing.push(format!("{path}: {n}"));
                }
            }
        } else if let Some(row) = cells(line) {
            if separator(line) {
                continue;
            }
            let matched = source_rows
                .iter()
                .any(|source_row| row_matches(&row, source_row));
            if !matched {
                missing.push(format!(
                    "{path}: the row \"{}\" (no row of {path} whose first cell is \"{}\" holds \
                     its cells, in order)",
                    line.trim(),
                    row[0]
                ));
            }
        } else if !numbers(line).is_empty() {
            missing.push(format!(
                "{path}: the line \"{}\" holds figures but is neither a table row nor a quote",
                line.trim()
            ));
        }
    }
    if !quote.is_empty() && !holds_phrase(&source_flat, &flat(&quote)) {
        missing.push(format!("{path}: the quote \"{}\"", flat(&quote)));
    }
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

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// README.md and the documents of docs/ (not its evidence folders), by path.
fn documents() -> Vec<(String, String)> {
    let root = root();
    let mut paths = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(root.join(&p)).unwrap();
            (p, text)
        })
        .collect()
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
        assert!(
            found
                .iter()
                .any(|(p, b)| *p == report && b.contains("> - **Most accurate:**")),
            "no README block quotes the answer of {report}"
        );
    }
    assert!(
        found.iter().any(|(p, _)| *p == "benchmarks/reference.md"),
        "no README block copies benchmarks/reference.md"
    );
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

- **Most accurate:** burn, 97.94% ([the tests](#tests)).
model 784-128-10, CI -0.11 to
0.32
";

fn read(path: &str) -> Result<String, String> {
    match path {
        "r.md" => Ok(SOURCE.to_string()),
        other => Err(format!("names {other}: not found")),
    }
}

#[test]
fn a_changed_figure_a_swapped_row_a_sign_a_word_an_open_block_and_a_missing_file_are_caught() {
    let good = "x\n<!-- figures from: r.md -->\n| backend | acc |\n|:---|---:|\n| scratch | 97.83% (97.69–97.97) |\n| burn | 97.94% |\n<!-- end figures -->\n";
    assert_eq!(drift(good, read).unwrap(), Vec::<String>::new());
    // One digit changed by hand: named, with its source.
    let changed = good.replace("97.97", "97.98");
    assert_eq!(drift(&changed, read).unwrap().len(), 1);
    assert!(drift(&changed, read).unwrap()[0].contains("97.98"));
    // Two rows' figures swapped: each figure is in the file, but not in its row.
    let swapped = good
        .replace("| scratch | 97.83% (97.69–97.97) |", "| scratch | 97.94% |")
        .replace("| burn | 97.94% |", "| burn | 97.83% (97.69–97.97) |");
    assert_eq!(drift(&swapped, read).unwrap().len(), 2, "{swapped}");
    // Two columns swapped within a row are caught.
    let columns = "<!-- figures from: r.md -->\n| burn | 60.2 s | 97.94% (97.80–98.08) |\n<!-- end figures -->";
    assert_eq!(drift(columns, read).unwrap().len(), 1);
    // A word changed in a cell is caught.
    let reworded = "<!-- figures from: r.md -->\n| burn | 97.94% (97.80–98.08) | 60.2 s |\n<!-- end figures -->";
    assert!(drift(reworded, read).unwrap().is_empty());
    assert_eq!(
        drift(&reworded.replace("60.2 s", "60.2 min"), read)
            .unwrap()
            .len(),
        1
    );
    // A small integer in the wrong row is a figure of the file, and still caught.
    let integer = good.replace("| burn | 97.94% |", "| burn | 97.94% | 10 |");
    assert_eq!(drift(&integer, read).unwrap().len(), 1);
    // A prefix of a real figure is not the figure.
    let shortened = good.replace("97.83", "97.8");
    assert_eq!(drift(&shortened, read).unwrap().len(), 1);
    // A quote must be the source's words, across its line breaks, with links compared by their
    // words; one word changed is caught, and so is a sign dropped.
    let quoted = "<!-- figures from: r.md -->\n> model 784-128-10, CI\n> -0.11 to 0.32\n\n> - **Most accurate:** burn, 97.94% ([the tests](r.md#tests)).\n<!-- end figures -->";
    assert_eq!(drift(quoted, read).unwrap(), Vec::<String>::new());
    assert_eq!(
        drift(&quoted.replace("model", "net"), read).unwrap(),
        ["r.md: the quote \"net 784-128-10, CI -0.11 to 0.32\""]
    );
    assert_eq!(
        drift(&quoted.replace("-0.11", "0.11"), read).unwrap().len(),
        1
    );
    // A quote that is the tail of a longer figure is not the figure.
    let tail = "<!-- figures from: r.md -->\n> 7.94% ([the tests](#tests)).\n<!-- end figures -->";
    assert_eq!(drift(tail, read).unwrap().len(), 1);
    // An unclosed marker is an error, whatever text follows it.
    assert!(drift(&format!("<!-- figures from: r.md {}", "–".repeat(30)), read).is_err());
    // Prose figures in a block must be quoted: a paraphrase is caught even when its numbers
    // are all in the file.
    let paraphrase = "<!-- figures from: r.md -->\nburn reached 97.94%.\n<!-- end figures -->";
    assert_eq!(drift(paraphrase, read).unwrap().len(), 1);
    // Figures outside a block are not compared; a block without its end is an error, and so is
    // a block naming a file that is not there.
    assert!(drift("97.99 outside", read).unwrap().is_empty());
    assert!(drift("<!-- figures from: r.md -->\n97.83", read).is_err());
    assert!(drift(&good.replace("r.md", "gone.md"), read).is_err());
    assert_eq!(
        numbers("p = 0.166); 1,500 steps, 784-128-10, (-0.11 to -0.2."),
        ["0.166", "1,500", "784", "128", "10", "-0.11", "-0.2"]
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
