//! The README cannot drift from the committed results (as committed: a report the user makes
//! with `compare` changes nothing here): every number inside a block marked
//! `<!-- figures from: PATH -->` … `<!-- end figures -->` must be a number of PATH (a committed
//! report or benchmark, relative to the workspace root), with its sign, and every quoted line
//! (`> …`) of a block, joined, must be PATH's words verbatim. What the check cannot see: a
//! figure moved to another row of the same file, or a word such as "faster" changed in a table.

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

/// The quoted lines (`> …`) of `block`, joined with spaces: one string per quote.
fn quotes(block: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut open = false;
    for line in block.lines() {
        match line.strip_prefix('>') {
            Some(text) => {
                let text = text.trim();
                match (open, found.last_mut()) {
                    (true, Some(last)) => {
                        last.push(' ');
                        last.push_str(text);
                    }
                    _ => found.push(text.to_string()),
                }
                open = true;
            }
            None => open = false,
        }
    }
    found
}

/// Each marked block of `readme` as (source path, block text); an error for a block left open.
fn blocks(readme: &str) -> Result<Vec<(&str, &str)>, String> {
    let mut found = Vec::new();
    let mut rest = readme;
    while let Some(at) = rest.find(START) {
        let after = &rest[at + START.len()..];
        let (path, body) = after
            .split_once(" -->")
            .ok_or_else(|| format!("unclosed marker after {:?}", &after[..after.len().min(40)]))?;
        let end = body
            .find(END)
            .ok_or_else(|| format!("the block from {path} has no {END:?}"))?;
        found.push((path.trim(), &body[..end]));
        rest = &body[end + END.len()..];
    }
    Ok(found)
}

/// Every figure of a marked block of `readme` that its source (read with `read`) lacks, as
/// `"PATH: FIGURE"`.
fn drift(
    readme: &str,
    read: impl Fn(&str) -> Result<String, String>,
) -> Result<Vec<String>, String> {
    let mut missing = Vec::new();
    for (path, block) in blocks(readme)? {
        let source = read(path)?;
        let known: HashSet<String> = numbers(&source).into_iter().collect();
        for n in numbers(block) {
            if !known.contains(&n) {
                missing.push(format!("{path}: {n}"));
            }
        }
        let flat = source.split_whitespace().collect::<Vec<_>>().join(" ");
        for quote in quotes(block) {
            if !flat.contains(&quote) {
                missing.push(format!("{path}: the quote \"{quote}\""));
            }
        }
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
        None => std::fs::read_to_string(root.join(path))
            .map_err(|e| format!("README names {path}: {e}")),
    }
}

#[test]
fn every_figure_the_readme_copies_is_in_the_file_it_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let read = |path: &str| committed(&root, path);
    let found = blocks(&readme).unwrap();
    // The headline tables and verdicts, and the benchmark tables, are all checked.
    for source in [
        "reports/summary.md",
        "reports/fashion-mnist/summary.md",
        "benchmarks/reference.md",
    ] {
        assert!(
            found.iter().any(|(p, _)| *p == source),
            "no README block copies {source}"
        );
    }
    let missing = drift(&readme, read).unwrap();
    assert!(
        missing.is_empty(),
        "README figures not found in the file their block names (copy them again from it):\n{}",
        missing.join("\n")
    );
}

/// The burn-or-candle page quotes the reports' verdicts in blocks of its own, held to them too.
#[test]
fn every_figure_the_candle_page_copies_is_in_the_file_it_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let page = std::fs::read_to_string(root.join("docs/candle.md")).unwrap();
    let found = blocks(&page).unwrap();
    assert_eq!(found.len(), 2, "docs/candle.md: one block per report");
    let missing = drift(&page, |path: &str| committed(&root, path)).unwrap();
    assert!(
        missing.is_empty(),
        "docs/candle.md figures not found in the file their block names:\n{}",
        missing.join("\n")
    );
}

#[test]
fn a_changed_figure_a_sign_a_word_an_open_block_and_a_missing_file_are_caught() {
    let source =
        "| scratch | 97.83% (97.69–97.97) | 1.3 s |\nmodel 784-128-10, CI -0.11 to\n0.32\n";
    let read = |path: &str| match path {
        "r.md" => Ok(source.to_string()),
        other => Err(format!("README names {other}: not found")),
    };
    let good = "x\n<!-- figures from: r.md -->\n| 97.83% (97.69–97.97), 784-128-10 |\n<!-- end figures -->\n";
    assert_eq!(drift(good, read).unwrap(), Vec::<String>::new());
    // One digit changed by hand: named, with its source.
    let changed = good.replace("97.97", "97.98");
    assert_eq!(drift(&changed, read).unwrap(), ["r.md: 97.98"]);
    // A prefix of a real figure is not the figure.
    let shortened = good.replace("97.83", "97.8");
    assert_eq!(drift(&shortened, read).unwrap(), ["r.md: 97.8"]);
    // A sign dropped is a different figure.
    let signed = "<!-- figures from: r.md -->\nCI 0.11 to 0.32\n<!-- end figures -->";
    assert_eq!(drift(signed, read).unwrap(), ["r.md: 0.11"]);
    // A quote must be the source's words, across its line breaks; one word changed is caught.
    let quoted = "<!-- figures from: r.md -->\n> model 784-128-10, CI\n> -0.11 to 0.32\n<!-- end figures -->";
    assert_eq!(drift(quoted, read).unwrap(), Vec::<String>::new());
    let reworded = quoted.replace("model", "net");
    assert_eq!(
        drift(&reworded, read).unwrap(),
        ["r.md: the quote \"net 784-128-10, CI -0.11 to 0.32\""]
    );
    // Figures outside a block are not checked; a block without its end is an error, and so is
    // a block naming a file that is not there.
    assert!(drift("97.99 outside", read).unwrap().is_empty());
    assert!(drift("<!-- figures from: r.md -->\n97.83", read).is_err());
    assert!(drift(&good.replace("r.md", "gone.md"), read).is_err());
    assert_eq!(
        numbers("p = 0.166); 1,500 steps, 784-128-10, (-0.11 to -0.2."),
        ["0.166", "1,500", "784", "128", "10", "-0.11", "-0.2"]
    );
}
