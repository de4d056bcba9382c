//! A burn network's saved weights: burn's own record format (burnpack), read into memory whole.

use std::fmt;
use std::path::Path;

use bench_core::TrainError;
use burn::module::Module;
use burn::store::ModuleRecord;

/// The weights file in a saved model's folder: burn's own record format (burnpack).
pub const MODEL_FILE: &str = "model.bpk";

/// Reads a burnpack file into memory whole. (burn's `ModuleRecord::load` maps the file and reads
/// it when a tensor is first used, so a model loaded that way fails later, with a panic inside
/// burn, if its file has gone meanwhile.)
fn read_record(path: &Path) -> Result<ModuleRecord, TrainError> {
    let fail = |e: &dyn fmt::Debug| TrainError::Backend(format!("{}: {e:?}", path.display()));
    let bytes =
        std::fs::read(path).map_err(|e| TrainError::Backend(format!("{}: {e}", path.display())))?;
    ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes)).map_err(|e| fail(&e))
}

/// Writes a network's weights to a burnpack file at `path`.
pub fn save_record<M: Module>(model: &M, path: &Path) -> Result<(), TrainError> {
    model
        .clone()
        .into_record()
        .save(path)
        .map_err(|e| TrainError::Backend(format!("{}: {e:?}", path.display())))
}

/// Reads weights saved by [`save_record`] into `model` (a network of the saved shape), or an
/// error naming the file when they are damaged or of another shape.
pub fn load_record<M: Module>(model: M, path: &Path) -> Result<M, TrainError> {
    let record = read_record(path)?;
    model
        .try_load_record(record)
        .map_err(|e| TrainError::Backend(format!("{}: {e:?}", path.display())))
}
