//! Models saved by `compare --save-models DIR`: one folder per run,
//! `DIR/<dataset>-<backend>-seed<N>/` (so that MNIST's and Fashion-MNIST's share a folder),
//! holding the backend's weights (its own files, `FittedModel::save`) and `model.json`, the
//! manifest that says what the model is and how to rebuild its backend
//! ([`bench_core::manifest`]). Each folder is claimed and replaced as an output folder is
//! (`safe-write`). `predict` reads them back through `BackendFactory`/`Backend::load`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use bench_core::FittedModel;
pub use bench_core::manifest::{MANIFEST, Manifest};

/// The folder of a saved model: `root/<dataset>-<backend>-seed<N>`.
pub fn folder(root: &Path, dataset: &str, backend: &str, seed: u64) -> PathBuf {
    root.join(format!("{dataset}-{backend}-seed{seed}"))
}

/// Claims the folder `dir` of a model a run will save, as an output folder is claimed
/// ([`safe_write::Output::claim`]): refused, naming the holder, while another run saves the same
/// model; what a run that stopped mid-save left beside it recovered (said in one line each);
/// refused if something other than a saved model is there. A saved model without the
/// [`safe_write::MARKER`] (as earlier versions of the tool saved them) is marked first, so that
/// it may be replaced.
pub fn claim(dir: &Path) -> Result<safe_write::Output> {
    if !dir.join(safe_write::MARKER).exists() && Manifest::read(dir).is_ok() {
        safe_write::mark(dir).context("--save-models")?;
    }
    let output = safe_write::Output::claim(dir).context("--save-models")?;
    for line in output.recovered() {
        eprintln!("{line}");
    }
    Ok(output)
}

/// Saves `model` with `manifest` into the claimed folder `output` (see [`claim`]), replacing an
/// earlier model saved there: written into a staging folder beside it and swapped in, the earlier
/// one removed only once the new one is in place; on any failure the earlier one is left as it
/// was.
pub fn save(
    output: &safe_write::Output,
    manifest: &Manifest,
    model: &dyn FittedModel,
) -> Result<PathBuf> {
    let dir = output.path();
    crate::output::replace(output, |staging| -> Result<()> {
        model.save(staging)?;
        safe_write::write_file(&staging.join(MANIFEST), manifest.to_json().as_bytes())?;
        Ok(())
    })
    .with_context(|| format!("{}: not saved", dir.display()))?;
    Ok(dir.to_path_buf())
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
