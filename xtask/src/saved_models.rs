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
/// ([`crate::output::claim_as`]): refused, naming the holder, while another run saves the same
/// model; what a run that stopped mid-save left beside it recovered (said in one line each);
/// refused if something other than a saved model is there. A saved model without the
/// [`safe_write::MARKER`] (as earlier versions of the tool saved them) is adopted when it is
/// exactly that: see [`is_saved_model`].
pub fn claim(dir: &Path) -> Result<safe_write::Output> {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let is_own = |candidate: &Path| {
        name.as_deref()
            .is_some_and(|n| is_saved_model(candidate, n))
    };
    let output = crate::output::claim_as(dir, "--save-models", &is_own)?;
    // Another output of the tool (a report, a table) at a model's name is not the model's to
    // replace. Dropping the claim releases the lock.
    if dir.join(safe_write::MARKER).is_file() && !dir.join(MANIFEST).is_file() {
        anyhow::bail!(
            "--save-models: {} holds another output of this tool (a report or a table), not a \
             saved model; move it away or save into another folder (nothing was written)",
            dir.display()
        );
    }
    Ok(output)
}

/// The files a saved model's folder may hold: its manifest and the backends' weights files.
const MODEL_FILES: [&str; 3] = [MANIFEST, "model.bpk", "weights.safetensors"];

/// Whether `dir` holds a saved model named `name` (`<dataset>-<backend>-seed<N>`) and nothing
/// else: only [`MODEL_FILES`], plain files, and a manifest that reads and names that model.
fn is_saved_model(dir: &Path, name: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let only_model_files = entries.into_iter().all(|e| {
        e.is_ok_and(|e| {
            e.file_type().is_ok_and(|t| t.is_file())
                && MODEL_FILES.iter().any(|f| e.file_name() == *f)
        })
    });
    only_model_files
        && Manifest::read(dir)
            .is_ok_and(|m| folder(Path::new(""), &m.dataset, &m.backend, m.seed) == Path::new(name))
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
