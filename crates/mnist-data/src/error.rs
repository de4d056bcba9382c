//! Errors of the data crate: every message names the file or the place it concerns.

use std::path::PathBuf;

/// Something wrong inside one IDX file's bytes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdxProblem {
    /// The first four bytes are not the expected magic number.
    #[error("expected magic 0x{expected:08x}, found 0x{found:08x}{}", magic_hint(*expected, *found, *gzipped))]
    BadMagic {
        /// The magic number this kind of file must start with.
        expected: u32,
        /// What the file starts with.
        found: u32,
        /// Whether the bytes were gzip-compressed.
        gzipped: bool,
    },
    /// Images that are not 28x28.
    #[error("images are {rows}x{cols}, expected 28x28")]
    BadDimensions {
        /// Rows per image in the header.
        rows: u32,
        /// Columns per image in the header.
        cols: u32,
    },
    /// Fewer bytes than the header implies.
    #[error("truncated: the header implies {expected} bytes, the file holds {found}")]
    Truncated {
        /// Decoded length the header implies.
        expected: u64,
        /// Decoded length found.
        found: u64,
    },
    /// More bytes than the header implies.
    #[error("data continues past the {expected} bytes the header implies")]
    TrailingBytes {
        /// Decoded length the header implies.
        expected: u64,
    },
    /// A gzip header claims more items than its compressed bytes could ever decode to.
    #[error(
        "the header claims {count} items, more than {compressed_len} compressed bytes can hold"
    )]
    ImpossibleCount {
        /// Items claimed by the header.
        count: u64,
        /// Length of the compressed file.
        compressed_len: u64,
    },
    /// The bytes start like gzip but do not decode.
    #[error("invalid gzip data: {0}")]
    Gzip(String),
    /// A label outside 0..=9.
    #[error("label {value} at index {index} is outside 0-9")]
    LabelOutOfRange {
        /// Position of the first bad label.
        index: usize,
        /// Its value.
        value: u8,
    },
}

fn magic_hint(expected: u32, found: u32, gzipped: bool) -> &'static str {
    use crate::idx::{IMAGES_MAGIC, LABELS_MAGIC};
    match (found >> 16, found, gzipped) {
        (0x1f8b, _, _) => " (is the file gzipped twice?)",
        (_, IMAGES_MAGIC, _) if expected == LABELS_MAGIC => " (this is an images file, not labels)",
        (_, LABELS_MAGIC, _) if expected == IMAGES_MAGIC => " (this is a labels file, not images)",
        (_, _, false) => " (not an IDX file, and not gzip-compressed either)",
        _ => " (not an IDX file)",
    }
}

/// Errors of the data crate.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Reading a file failed.
    // The message includes the OS error, so it is not also exposed as `source()`: printed with
    // `{:#}`, the OS error would show twice.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        error: std::io::Error,
    },
    /// An IDX file is malformed.
    #[error("{}: {problem}", path.display())]
    Idx {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: IdxProblem,
    },
    /// An explicitly named data directory does not exist.
    #[error("{origin} {}: no such directory (point it at a folder holding the four {dataset} IDX files)", path.display())]
    MissingDir {
        /// The dataset asked for.
        dataset: String,
        /// Where the directory came from, e.g. `--data-dir` or `MNIST_DIR`.
        origin: String,
        /// The directory.
        path: PathBuf,
    },
    /// A data directory lacks one of the four files.
    #[error("{}: no {name} (also tried {})", dir.display(), tried.join(", "))]
    MissingFile {
        /// The directory searched.
        dir: PathBuf,
        /// The canonical name of the missing file.
        name: String,
        /// The other spellings tried.
        tried: Vec<String>,
    },
    /// Image and label files disagree on the number of items.
    #[error("{}: {labels} labels, but {} holds {images} images", labels_path.display(), images_path.display())]
    CountMismatch {
        /// The images file.
        images_path: PathBuf,
        /// The labels file.
        labels_path: PathBuf,
        /// Number of images.
        images: usize,
        /// Number of labels.
        labels: usize,
    },
    /// Decoded bytes do not match the dataset's published checksum.
    #[error("{}: SHA-256 of the decoded bytes is {found}, expected {expected} (the file is corrupt or not {dataset}; pass --skip-checksum to use other 28x28 IDX files)", path.display())]
    Checksum {
        /// The dataset asked for.
        dataset: String,
        /// The file.
        path: PathBuf,
        /// The known checksum.
        expected: String,
        /// The checksum found.
        found: String,
    },
    /// A download from one mirror failed.
    #[error("{url}: {reason}")]
    Download {
        /// The address.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A downloaded file could not be saved into the cache (a full disk, a read-only folder).
    #[error("cannot save the download as {}: {error}; free space there, or set MNIST_CACHE_DIR to a writable folder (or fetch the four files yourself and pass --data-dir)", path.display())]
    Cache {
        /// The file being written.
        path: PathBuf,
        /// The cause.
        error: std::io::Error,
    },
    /// The files are all another known dataset's.
    #[error("{}: these are the {found} files (all four checksums match), not {expected}; pass --dataset {found_name}", dir.display())]
    OtherDataset {
        /// The folder.
        dir: PathBuf,
        /// The dataset the files are.
        found: String,
        /// Its command-line name.
        found_name: String,
        /// The dataset asked for.
        expected: String,
    },
    /// A dataset name the tool does not know.
    #[error("unknown dataset \"{name}\"; known datasets: {}", known.join(", "))]
    UnknownDataset {
        /// The name given.
        name: String,
        /// Each known dataset, with what it is.
        known: Vec<String>,
    },
    /// Every source was tried and none worked.
    #[error("{dataset} not found; looked in:\n{}\nput the four IDX files (.gz or raw) in a folder and pass --data-dir DIR or set {env}", .tried.iter().map(|t| format!("  - {t}")).collect::<Vec<_>>().join("\n"))]
    NotFound {
        /// The dataset asked for.
        dataset: String,
        /// Its environment variable.
        env: String,
        /// Each place tried, with why it did not work.
        tried: Vec<String>,
    },
    /// A split parameter or dataset is invalid.
    #[error("{0}")]
    Invalid(String),
}
