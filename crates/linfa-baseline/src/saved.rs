//! A fitted model saved and loaded: `weights.safetensors` holds the solver's weights
//! (`params`, one row per fitted pixel and one for the intercept feature, one column per class,
//! in the float type of `linfa.precision`), its `intercept`, the `pixels` it was fitted on and
//! its `classes`. Loading rebuilds linfa's own fitted type from them (through its serde form,
//! from the exact values), so that predictions are linfa's, bit for bit.

use std::path::Path;

use bench_core::TrainError;
use bench_core::weights::{Values, Weights};
use mnist_data::{IMAGE_PIXELS, N_CLASSES};

use crate::{FittedLinfa, Float, Model};

/// The weights file in a saved model's folder.
pub const WEIGHTS_FILE: &str = "weights.safetensors";

/// Writes `model` into `dir`.
pub(crate) fn save<F: Float>(model: &FittedLinfa<F>, dir: &Path) -> Result<(), TrainError> {
    let params: Vec<F> = F::weights(&model.model).iter().copied().collect();
    let (rows, columns) = F::weights(&model.model).dim();
    let intercept = F::intercepts(&model.model);
    let pixels: Vec<i64> = model.pixels.iter().map(|&p| p as i64).collect();
    let classes: Vec<i64> = F::classes(&model.model).iter().map(|&c| c as i64).collect();
    bench_core::weights::write(
        &dir.join(WEIGHTS_FILE),
        &[
            ("params", vec![rows, columns], F::tensor(&params)),
            ("intercept", vec![intercept.len()], F::tensor(&intercept)),
            ("pixels", vec![pixels.len()], Values::I64(&pixels)),
            ("classes", vec![classes.len()], Values::I64(&classes)),
        ],
    )
}

/// Reads a model [`save`] wrote into `dir` with the same float type.
pub(crate) fn load<F: Float>(dir: &Path) -> Result<FittedLinfa<F>, TrainError> {
    let path = dir.join(WEIGHTS_FILE);
    let weights = Weights::read(&path)?;
    let shapes = weights.shapes()?;
    let fail = |what: String| TrainError::Backend(format!("{}: {what}", path.display()));
    let len = |name: &str| -> Result<usize, TrainError> {
        match shapes.get(name).map(Vec::as_slice) {
            Some([n]) => Ok(*n),
            _ => Err(fail(format!("no one-dimensional tensor {name:?}"))),
        }
    };
    let (n_pixels, n_classes) = (len("pixels")?, len("classes")?);
    let index = |v: i64, below: usize, what: &str| {
        usize::try_from(v)
            .ok()
            .filter(|&i| i < below)
            .ok_or_else(|| fail(format!("{what} {v} is out of range")))
    };
    let pixels = weights
        .i64("pixels", &[n_pixels])?
        .into_iter()
        .map(|p| index(p, IMAGE_PIXELS, "pixel"))
        .collect::<Result<Vec<usize>, _>>()?;
    let classes = weights
        .i64("classes", &[n_classes])?
        .into_iter()
        .map(|c| index(c, N_CLASSES, "class"))
        .collect::<Result<Vec<usize>, _>>()?;
    let params = F::read(&weights, "params", &[n_pixels + 1, n_classes])?;
    let intercept = F::read(&weights, "intercept", &[n_classes])?;
    // linfa's serde form of the fitted type: ndarray's `{v, dim, data}` per array. The floats go
    // in as JSON numbers built from f64, which holds every f32 and f64 exactly, and come out
    // as the same values.
    let array = |dim: Vec<usize>, data: Vec<F>| {
        let data: Vec<f64> = data
            .into_iter()
            .map(|v| v.to_f64().unwrap_or(f64::NAN))
            .collect();
        serde_json::json!({ "v": 1, "dim": dim, "data": data })
    };
    let value = serde_json::json!({
        "intercept": array(vec![n_classes], intercept),
        "params": array(vec![n_pixels + 1, n_classes], params),
        "classes": classes,
    });
    let model: Model<F> =
        F::rebuild(value).map_err(|e| fail(format!("cannot rebuild linfa's model: {e}")))?;
    Ok(FittedLinfa { model, pixels })
}
