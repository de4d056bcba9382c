//! `cargo xtask predict IMAGE...`: every model saved by `compare --save-models` classifies the
//! user's own images, converted as MNIST's digits were (the `image-input` crate, each image inside
//! a guard that turns a panic into that file's error: `guard.rs`); each image's top three classes
//! per model are printed, and `--out` draws them.

mod guard;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use bench_core::{Assignment, FittedModel};
use clap::Args;
use mnist_data::Dataset;

use crate::saved_models::{self, Manifest};
use crate::{EXIT_RUNS_FAILED, provenance, registry};

const AFTER_HELP: &str = "\
Exit status:
  0    every image was classified by every saved model
  1    nothing was classified: no usable model, no readable image, or a bad flag
  2    some images or models failed, or the picture could not be written (each said in one
       line); the others were classified";

/// Flags of `predict`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct PredictArgs {
    /// Images to classify (PNG, JPEG or BMP): a handwritten digit, or a garment for
    /// Fashion-MNIST models; dark on light or light on dark; up to 8192
    /// pixels a side (a JPEG also within a decoding budget).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    /// Folder of models saved by `cargo xtask compare --save-models DIR` (default: models/ at the
    /// workspace root).
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,
    /// Use the models saved for this dataset (mnist or fashion-mnist); needed only when the
    /// folder holds models of both.
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,
    /// Also draw a picture: each image as given, the 28x28 the models saw, and every model's
    /// probability for each class.
    #[arg(long, value_name = "FILE.png")]
    pub out: Option<PathBuf>,
}

/// A saved model, loaded.
struct Loaded {
    backend: String,
    seed: u64,
    label: String,
    model: Box<dyn FittedModel>,
}

/// `models/` at the workspace root.
fn default_models() -> PathBuf {
    provenance::workspace_root().join("models")
}

/// Classifies the images; the exit code says whether any image or model failed.
pub fn run(args: &PredictArgs) -> Result<ExitCode> {
    if let Some(out) = &args.out
        && out.extension().and_then(|e| e.to_str()) != Some("png")
    {
        bail!("--out {}: name a .png file", out.display());
    }
    let mut failures = 0usize;
    let (models, class_names) = load_models(args, &mut failures)?;
    let mut prepared = Vec::new();
    for path in &args.images {
        let prepare = || image_input::prepare(path).map_err(|e| anyhow!("{}: {e}", path.display()));
        match guard::guarded(path, prepare) {
            Ok(image) => prepared.push((path, image)),
            Err(e) => {
                eprintln!("{e:#}");
                failures += 1;
            }
        }
    }
    if prepared.is_empty() {
        bail!("none of the images could be read (see above)");
    }
    let rows = classify(&prepared, &models, &class_names, &mut failures)?;
    if let Some(out) = &args.out {
        match draw(out, &class_names, &rows) {
            Ok(()) => println!("picture written to {}", out.display()),
            Err(e) => {
                eprintln!("{e:#}");
                failures += 1;
            }
        }
    }
    Ok(if failures > 0 {
        ExitCode::from(EXIT_RUNS_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The saved models of the dataset to classify as, in the report's order, and its class names;
/// each model that cannot be read or loaded, or was saved for another dataset, is said in one
/// line and counted in `failures`.
fn load_models(args: &PredictArgs, failures: &mut usize) -> Result<(Vec<Loaded>, Vec<String>)> {
    let models_dir = args.models.clone().unwrap_or_else(default_models);
    let folders = if models_dir.is_dir() {
        saved_models::folders(&models_dir)?
    } else {
        Vec::new()
    };
    if folders.is_empty() {
        bail!(
            "no saved models in {}: save some with `cargo xtask compare --save-models {}` \
             (add --dataset fashion-mnist for garments), then run predict again",
            models_dir.display(),
            models_dir.display()
        );
    }
    let (manifests, unreadable) = read_manifests(&folders);
    *failures += unreadable;
    let dataset = choose_dataset(args.dataset.as_deref(), &manifests, &models_dir)?;
    let mut class_names: Option<Vec<String>> = None;
    let mut models = Vec::new();
    for (dir, manifest) in &manifests {
        if manifest.dataset != dataset {
            eprintln!(
                "{}: saved for {}, not {dataset} (--dataset {}); skipped",
                dir.display(),
                manifest.dataset_title,
                manifest.dataset
            );
            *failures += 1;
            continue;
        }
        match guard::guarded(dir, || load(dir, manifest)) {
            Ok(model) => {
                class_names.get_or_insert_with(|| manifest.class_names.clone());
                models.push(model);
            }
            Err(e) => {
                eprintln!("{e:#}");
                *failures += 1;
            }
        }
    }
    // In the report's order: backends as registered, then seeds.
    let order: Vec<&str> = registry::factories().iter().map(|f| f.name()).collect();
    models.sort_by_key(|m| (order.iter().position(|&n| n == m.backend), m.seed));
    let Some(class_names) = class_names else {
        bail!(
            "no model in {} could be loaded (see above); save them again with `cargo xtask \
             compare --save-models {}`",
            models_dir.display(),
            models_dir.display()
        );
    };
    Ok((models, class_names))
}

/// Every model's prediction for each image, printed as its top three classes; a model that
/// fails on an image is said in one line and counted in `failures`. Returns the picture's rows.
fn classify<'a>(
    prepared: &'a [(&PathBuf, image_input::Prepared)],
    models: &[Loaded],
    class_names: &[String],
    failures: &mut usize,
) -> Result<Vec<report::prediction_chart::PredictionRow<'a>>> {
    let mut rows = Vec::new();
    for (path, image) in prepared {
        let one = Dataset::new(image.pixels.to_vec(), vec![0])?;
        println!("{}:", path.display());
        let mut probabilities = Vec::new();
        for m in models {
            match m.model.predict_proba(&one) {
                Ok(p) => {
                    println!("  {:>16}: {}", m.label, top(&p, class_names, 3));
                    probabilities.push((m.label.clone(), p));
                }
                Err(e) => {
                    eprintln!("{}: {}: {e}", path.display(), m.label);
                    *failures += 1;
                }
            }
        }
        rows.push(report::prediction_chart::PredictionRow {
            title: path.display().to_string(),
            original: &image.original,
            seen: &image.pixels,
            models: probabilities,
        });
    }
    Ok(rows)
}

/// Draws the picture and replaces `out` with it atomically ([`safe_write::write_file`]): a
/// failure leaves `out` as it was.
fn draw(
    out: &Path,
    class_names: &[String],
    rows: &[report::prediction_chart::PredictionRow<'_>],
) -> Result<()> {
    let drawn = report::prediction_chart::predictions(class_names, rows)
        .map_err(anyhow::Error::from)
        .and_then(|png| Ok(safe_write::write_file(out, &png)?));
    drawn.with_context(|| format!("--out {}: the picture was not written", out.display()))
}

/// Each folder's manifest; an unreadable one is said in one line and counted.
fn read_manifests(folders: &[PathBuf]) -> (Vec<(PathBuf, Manifest)>, usize) {
    let mut read = Vec::new();
    let mut failed = 0;
    for dir in folders {
        match Manifest::read(dir) {
            Ok(m) => read.push((dir.clone(), m)),
            Err(e) => {
                eprintln!("{e:#}");
                failed += 1;
            }
        }
    }
    (read, failed)
}

/// The dataset to classify as: `--dataset`, else the one every model was saved for.
fn choose_dataset(
    asked: Option<&str>,
    manifests: &[(PathBuf, Manifest)],
    dir: &Path,
) -> Result<String> {
    if let Some(name) = asked {
        return Ok(mnist_data::spec::by_name(name)
            .context("--dataset")?
            .name
            .to_string());
    }
    let mut names: Vec<&str> = manifests.iter().map(|(_, m)| m.dataset.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    match names.as_slice() {
        [one] => Ok(one.to_string()),
        [] => bail!("no readable saved model in {} (see above)", dir.display()),
        many => bail!(
            "{} holds models of {}: pass --dataset NAME to choose",
            dir.display(),
            many.join(" and ")
        ),
    }
}

/// Rebuilds the saved model's backend from its settings and loads its weights.
fn load(dir: &Path, manifest: &Manifest) -> Result<Loaded> {
    let assignments: Vec<Assignment> = manifest
        .settings
        .iter()
        .map(|(setting, value)| Assignment {
            backend: manifest.backend.clone(),
            setting: setting.clone(),
            value: value.clone(),
        })
        .collect();
    let backend = registry::one(&manifest.backend, &assignments)
        .with_context(|| format!("{}: cannot rebuild its backend", dir.display()))?;
    let model = backend
        .load(dir)
        .with_context(|| format!("{}: cannot load the model", dir.display()))?;
    Ok(Loaded {
        backend: manifest.backend.clone(),
        seed: manifest.seed,
        label: format!("{} seed {}", manifest.backend, manifest.seed),
        model,
    })
}

/// The `n` most probable classes, e.g. `7 98.1%, 1 1.2%, 9 0.3%`.
fn top(probabilities: &[f32], class_names: &[String], n: usize) -> String {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
    order
        .iter()
        .take(n)
        .map(|&c| {
            let name = class_names.get(c).map_or("?", String::as_str);
            format!(
                "{name} {}",
                report::prediction_chart::percent(probabilities[c])
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
