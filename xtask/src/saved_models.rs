//! Models saved by `compare --save-models DIR`: one folder per run,
//! `DIR/<dataset>-<backend>-seed<N>/` (so that MNIST's and Fashion-MNIST's share a folder),
//! holding the backend's weights (its own files, `FittedModel::save`) and `model.json`, the
//! manifest that says what the model is and how to rebuild its backend (every setting, default or
//! given). `predict` reads them back through `BackendFactory`/`Backend::load`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use bench_core::{FittedModel, RunRecord};
use serde::{Deserialize, Serialize};

/// The manifest's file name in a saved model's folder.
pub const MANIFEST: &str = "model.json";
/// What `format` says in every manifest.
const FORMAT: &str = "mnist-compare saved model";
/// The manifest layout this build writes and reads.
const FORMAT_VERSION: u32 = 1;

/// `model.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The layout of this file and of the weights beside it ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The version of the tool that wrote it, and the commit of its code.
    pub tool_version: String,
    /// `git describe`-style commit (with `-dirty` when the tree differed).
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

impl Manifest {
    /// The manifest of `record`'s model.
    pub fn new(
        record: &RunRecord,
        dataset: &str,
        labels: &report::DatasetLabels,
        settings: BTreeMap<String, String>,
        git_commit: &str,
    ) -> Self {
        Self {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: git_commit.to_string(),
            dataset: dataset.to_string(),
            dataset_title: labels.title.clone(),
            class_names: labels.class_names.clone(),
            backend: record.backend.clone(),
            settings,
            seed: record.hyperparams.seed,
            test_accuracy: record.metrics.as_ref().map(|m| m.test_accuracy),
        }
    }

    /// Reads and checks `dir/model.json`: an error names the file and what to do.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a saved model's manifest", path.display()))?;
        let format = value.get("format").and_then(|f| f.as_str());
        let version = value.get("format_version").and_then(|v| v.as_u64());
        if format != Some(FORMAT) {
            bail!("{}: not a saved model's manifest", path.display());
        }
        if version != Some(u64::from(FORMAT_VERSION)) {
            bail!(
                "{}: saved by another version of the tool (format {}, this one reads {FORMAT_VERSION}); \
                 save the models again with this one (compare --save-models)",
                path.display(),
                version.map_or("unknown".to_string(), |v| v.to_string())
            );
        }
        serde_json::from_value(value)
            .with_context(|| format!("{}: a damaged manifest", path.display()))
    }
}

/// Saves `model` with `manifest` into `root/<dataset>-<backend>-seed<N>/`, replacing an earlier
/// model saved there (and nothing else): written into a staging folder beside it and swapped in
/// ([`safe_write::replace_dir`]), the earlier one moved aside first and removed only once the new
/// one is in place.
pub fn save(root: &Path, manifest: &Manifest, model: &dyn FittedModel) -> Result<PathBuf> {
    let name = format!(
        "{}-{}-seed{}",
        manifest.dataset, manifest.backend, manifest.seed
    );
    let dir = root.join(&name);
    let written = safe_write::replace_dir(&dir, |staging| -> Result<()> {
        model.save(staging)?;
        let json = serde_json::to_string_pretty(manifest)?;
        std::fs::write(staging.join(MANIFEST), json + "\n")?;
        if dir.exists() && !dir.join(MANIFEST).is_file() {
            bail!(
                "{} exists and is not a saved model; it is left as it was",
                dir.display()
            );
        }
        Ok(())
    });
    // An earlier model that could not be removed once the new one is in place stays under its
    // dot name beside it, which `folders` skips: the save itself succeeded.
    let ((), _unremoved) = written.with_context(|| format!("{}: not saved", dir.display()))?;
    Ok(dir)
}

/// The saved models' folders directly under `root` (those holding a manifest), sorted.
pub fn folders(root: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(root).with_context(|| format!("--models {}", root.display()))?;
    // A folder whose name starts with a dot is a save in progress, or one a crash left.
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.join(MANIFEST).is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}
