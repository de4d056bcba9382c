//! The project's markdown as the figures checks read it: which documents there are, the markers
//! of a figures block, and the cells of a table row.

use std::path::Path;

/// Opens a block that copies figures from the path that follows it.
pub const START: &str = "<!-- figures from: ";

/// Closes a figures block.
pub const END: &str = "<!-- end figures -->";

/// The cells of a table row (`| a | b |`), trimmed; `None` for a line that is not one.
pub fn cells(line: &str) -> Option<Vec<&str>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(str::trim).collect())
}

/// A table's separator row (`|:---|---:|`).
pub fn separator(line: &str) -> bool {
    cells(line).is_some_and(|c| {
        c.iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
    })
}

/// The workspace root.
pub fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// README.md, ARCHITECTURE.md and the documents of docs/ (not its evidence folders), by path.
pub fn documents() -> Vec<(String, String)> {
    let root = root();
    let mut paths = vec!["README.md".to_string(), "ARCHITECTURE.md".to_string()];
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
