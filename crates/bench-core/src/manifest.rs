//! `model.json`, the manifest of a saved model: what the model is (dataset, class names,
//! backend, every setting, seed, test accuracy) and what wrote it, so that its backend can be
//! rebuilt and its weights read back. Parsing never panics, whatever the bytes
//! (`fuzz/fuzz_targets/manifest.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::RunRecord;

/// The manifest's file name in a saved model's folder.
pub const MANIFEST: &str = "model.json";
/// What `format` says in every manifest.
pub const FORMAT: &str = "mnist-compare saved model";
/// The manifest layout this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// `model.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The layout of this file and of the weights beside it ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The version of the tool that wrote it.
    pub tool_version: String,
    /// `git describe`-style commit of its code (with `-dirty` when the tree differed).
    pub git_commit: String,
    /// The dataset's command-line name (`mnist`, `fashion-mnist`).
    pub dataset: String,
    /// Its title, as the report shows it.
    pub dataset_title: String,
    /// The name of each class, label 0 first.
    pub class_names: Vec<String>,
    /// The backend (`scratch`, `linfa`, ...).
    pub backend: String,
    /// Every setting of the backend, as `--set BACKEND.NAME=VALUE` would give it.
    pub settings: BTreeMap<String, String>,
    /// The model seed.
    pub seed: u64,
    /// Test accuracy of this run, when it finished.
    pub test_accuracy: Option<f64>,
}

/// What a saved model is of: the dataset's command-line name, its title and class names.
#[derive(Debug, Clone, Copy)]
pub struct DatasetNames<'a> {
    /// `mnist`, `fashion-mnist`.
    pub name: &'a str,
    /// As the report shows it.
    pub title: &'a str,
    /// Label 0 first.
    pub class_names: &'a [String],
}

/// Why a manifest could not be read; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("{}: cannot read: {error}", path.display())]
    Read {
        /// The manifest.
        path: PathBuf,
        /// The cause.
        error: std::io::Error,
    },
    /// Not JSON, or not a saved model's manifest.
    #[error("{}: not a saved model's manifest{}", path.display(), detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    NotAManifest {
        /// The manifest.
        path: PathBuf,
        /// The parser's words, when it had some.
        detail: Option<String>,
    },
    /// Written by a version of the tool whose layout this one does not read.
    #[error("{}: saved by another version of the tool (format {found}, this one reads {FORMAT_VERSION}); \
             save the models again with this one (compare --save-models)", path.display())]
    OtherVersion {
        /// The manifest.
        path: PathBuf,
        /// Its `format_version`, or `unknown`.
        found: String,
    },
    /// The layout is this version's, but a field is missing or of the wrong type.
    #[error("{}: a damaged manifest: {detail}", path.display())]
    Damaged {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
}

impl Manifest {
    /// The manifest of `record`'s model, trained on `dataset`, by the code at `git_commit`.
    pub fn new(
        record: &RunRecord,
        dataset: DatasetNames<'_>,
        settings: BTreeMap<String, String>,
        git_commit: &str,
    ) -> Self {
        Self {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: git_commit.to_string(),
            dataset: dataset.name.to_string(),
            dataset_title: dataset.title.to_string(),
            class_names: dataset.class_names.to_vec(),
            backend: record.backend.clone(),
            settings,
            seed: record.hyperparams.seed,
            test_accuracy: record.metrics.as_ref().map(|m| m.test_accuracy),
        }
    }

    /// Reads and checks `dir/model.json`.
    pub fn read(dir: &Path) -> Result<Self, ManifestError> {
        let path = dir.join(MANIFEST);
        let bytes = std::fs::read(&path).map_err(|error| ManifestError::Read {
            path: path.clone(),
            error,
        })?;
        Self::parse(&bytes, &path)
    }

    /// Parses and checks the bytes of a manifest; `path` names it in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, ManifestError> {
        let not_one = |detail: Option<String>| ManifestError::NotAManifest {
            path: path.to_path_buf(),
            detail,
        };
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| not_one(Some(e.to_string())))?;
        let format = value.get("format").and_then(|f| f.as_str());
        let version = value.get("format_version").and_then(|v| v.as_u64());
        if format != Some(FORMAT) {
            return Err(not_one(None));
        }
        if version != Some(u64::from(FORMAT_VERSION)) {
            return Err(ManifestError::OtherVersion {
                path: path.to_path_buf(),
                found: version.map_or("unknown".to_string(), |v| v.to_string()),
            });
        }
        serde_json::from_value(value).map_err(|e| ManifestError::Damaged {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })
    }

    /// The manifest as written: pretty JSON and a final newline.
    pub fn to_json(&self) -> String {
        // A struct of strings, numbers and string maps always serialises.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            tool_version: "0.1.0".to_string(),
            git_commit: "abc".to_string(),
            dataset: "mnist".to_string(),
            dataset_title: "MNIST".to_string(),
            class_names: (0..10).map(|d| d.to_string()).collect(),
            backend: "scratch".to_string(),
            settings: BTreeMap::from([("scratch.hidden".to_string(), "128".to_string())]),
            seed: 42,
            test_accuracy: Some(0.97),
        }
    }

    #[test]
    fn a_manifest_reads_back_as_written_and_bad_ones_say_why() {
        let path = Path::new("models/m/model.json");
        let m = manifest();
        assert_eq!(Manifest::parse(m.to_json().as_bytes(), path).unwrap(), m);
        let cases: [(&[u8], &str); 4] = [
            (b"{", "not a saved model's manifest: EOF"),
            (b"[1, 2]", "not a saved model's manifest"),
            (
                br#"{"format": "mnist-compare saved model", "format_version": 99}"#,
                "saved by another version of the tool (format 99",
            ),
            (
                br#"{"format": "mnist-compare saved model", "format_version": 1}"#,
                "a damaged manifest: missing field",
            ),
        ];
        for (bytes, expected) in cases {
            let err = Manifest::parse(bytes, path).unwrap_err().to_string();
            assert!(err.starts_with("models/m/model.json: "), "{err}");
            assert!(err.contains(expected), "{expected:?} not in {err:?}");
        }
    }

    /// Found by the fuzz target: a number that serde_json, without `float_roundtrip`, read back
    /// one unit in the last place away from what it had written.
    #[test]
    fn a_manifest_written_again_reads_back_the_same_numbers() {
        let path = Path::new("model.json");
        let text = include_str!("../../../fuzz/corpus/manifest/float-roundtrip.json");
        let first = Manifest::parse(text.as_bytes(), path).unwrap();
        let again = Manifest::parse(first.to_json().as_bytes(), path).unwrap();
        assert_eq!(again, first);
        assert_eq!(again.test_accuracy, Some(0.9722222222222206));
    }
}
