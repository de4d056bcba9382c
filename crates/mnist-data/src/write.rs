//! Writing datasets as IDX files: `cargo xtask split` exports a split this way, and the tests
//! write their synthetic fixtures with it.

use std::path::Path;

use crate::dataset::Dataset;
use crate::idx::{encode_images, encode_labels, gzip, sha256_hex};
use crate::source::{Checksums, Part};

/// Writes `train` and `test` as the four canonically named IDX files in the existing folder
/// `dir` (gzipped as `*.gz`, or raw) and returns the SHA-256 of their decoded bytes, in
/// [`Part::ALL`] order.
pub fn write_dir(
    dir: &Path,
    train: &Dataset,
    test: &Dataset,
    gzipped: bool,
) -> std::io::Result<Checksums> {
    std::fs::create_dir_all(dir)?;
    let decoded = [
        encode_images(train.pixels()),
        encode_labels(train.labels()),
        encode_images(test.pixels()),
        encode_labels(test.labels()),
    ];
    for (part, bytes) in Part::ALL.iter().zip(&decoded) {
        let (name, body) = if gzipped {
            (format!("{}.gz", part.canonical_name()), gzip(bytes))
        } else {
            (part.canonical_name().to_string(), bytes.clone())
        };
        std::fs::write(dir.join(name), body)?;
    }
    Ok(Checksums(decoded.each_ref().map(|b| sha256_hex(b))))
}

/// Writes one images-and-labels pair under the given file names (raw IDX), e.g. the validation
/// part of an exported split.
pub fn write_pair(
    dir: &Path,
    images_name: &str,
    labels_name: &str,
    data: &Dataset,
) -> std::io::Result<()> {
    std::fs::write(dir.join(images_name), encode_images(data.pixels()))?;
    std::fs::write(dir.join(labels_name), encode_labels(data.labels()))
}
