//! Weights files for the backends that write their own: named tensors in the `safetensors`
//! format, read back with every name and shape checked, each error naming the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::backend::TrainError;

/// One tensor to write: its shape and little-endian values.
pub enum Values<'a> {
    /// 32-bit floats.
    F32(&'a [f32]),
    /// 64-bit floats.
    F64(&'a [f64]),
    /// 64-bit integers (indices).
    I64(&'a [i64]),
}

/// Writes `tensors` (name, shape, values) to `path` in the safetensors format.
pub fn write(path: &Path, tensors: &[(&str, Vec<usize>, Values<'_>)]) -> Result<(), TrainError> {
    let fail = |e: String| TrainError::Backend(format!("{}: {e}", path.display()));
    let bytes: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, shape, values)| {
            let (dtype, data) = match values {
                Values::F32(v) => (Dtype::F32, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
                Values::F64(v) => (Dtype::F64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
                Values::I64(v) => (Dtype::I64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            };
            (name.to_string(), dtype, shape.clone(), data)
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(name, dtype, shape, data)| {
            TensorView::new(*dtype, shape.clone(), data).map(|v| (name.as_str(), v))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    let serialized = safetensors::serialize(views, None).map_err(|e| fail(e.to_string()))?;
    std::fs::write(path, serialized).map_err(|e| fail(e.to_string()))
}

/// A weights file read into memory.
pub struct Weights {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl Weights {
    /// Reads `path`; an error if it is missing or not a safetensors file.
    pub fn read(path: &Path) -> Result<Self, TrainError> {
        let bytes = std::fs::read(path)
            .map_err(|e| TrainError::Backend(format!("{}: {e}", path.display())))?;
        Self::from_bytes(path, bytes)
    }

    /// The weights file `bytes` (read from `path`, which errors name); an error if they are not
    /// a safetensors file.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Self, TrainError> {
        let weights = Self {
            path: path.to_path_buf(),
            bytes,
        };
        weights.tensors()?;
        Ok(weights)
    }

    fn fail(&self, what: String) -> TrainError {
        TrainError::Backend(format!("{}: {what}", self.path.display()))
    }

    fn tensors(&self) -> Result<SafeTensors<'_>, TrainError> {
        SafeTensors::deserialize(&self.bytes)
            .map_err(|e| self.fail(format!("not a weights file this tool wrote ({e})")))
    }

    /// The names and shapes of every tensor.
    pub fn shapes(&self) -> Result<HashMap<String, Vec<usize>>, TrainError> {
        Ok(self
            .tensors()?
            .tensors()
            .into_iter()
            .map(|(name, view)| (name, view.shape().to_vec()))
            .collect())
    }

    fn bytes_of(&self, name: &str, dtype: Dtype, shape: &[usize]) -> Result<Vec<u8>, TrainError> {
        let tensors = self.tensors()?;
        let view = tensors.tensor(name).map_err(|_| {
            self.fail(format!(
                "no tensor {name:?} (saved by another backend or version of the tool?)"
            ))
        })?;
        if view.dtype() != dtype || view.shape() != shape {
            return Err(self.fail(format!(
                "tensor {name:?} is {:?} {:?}, this model needs {dtype:?} {shape:?} (saved with \
                 other settings?)",
                view.dtype(),
                view.shape()
            )));
        }
        Ok(view.data().to_vec())
    }

    /// The 32-bit floats of `name`, which must have `shape`.
    pub fn f32(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, TrainError> {
        let bytes = self.bytes_of(name, Dtype::F32, shape)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    /// The 64-bit floats of `name`, which must have `shape`.
    pub fn f64(&self, name: &str, shape: &[usize]) -> Result<Vec<f64>, TrainError> {
        let bytes = self.bytes_of(name, Dtype::F64, shape)?;
        Ok(bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(std::array::from_fn(|i| b[i])))
            .collect())
    }

    /// The 64-bit integers of `name`, which must have `shape`.
    pub fn i64(&self, name: &str, shape: &[usize]) -> Result<Vec<i64>, TrainError> {
        let bytes = self.bytes_of(name, Dtype::I64, shape)?;
        Ok(bytes
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(std::array::from_fn(|i| b[i])))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensors_round_trip_and_a_wrong_shape_or_name_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        let w = [1.5f32, -0.0, f32::MIN_POSITIVE, 3.0];
        let idx = [7i64, 9];
        write(
            &path,
            &[
                ("w", vec![2, 2], Values::F32(&w)),
                ("idx", vec![2], Values::I64(&idx)),
            ],
        )
        .unwrap();
        let read = Weights::read(&path).unwrap();
        let back = read.f32("w", &[2, 2]).unwrap();
        assert!(back.iter().zip(&w).all(|(a, b)| a.to_bits() == b.to_bits()));
        assert_eq!(read.i64("idx", &[2]).unwrap(), idx);
        let err = read.f32("w", &[4, 1]).unwrap_err().to_string();
        assert!(
            err.contains("w.safetensors") && err.contains("other settings"),
            "{err}"
        );
        let err = read.f32("b", &[2]).unwrap_err().to_string();
        assert!(err.contains("no tensor \"b\""), "{err}");
        std::fs::write(&path, b"not weights").unwrap();
        let err = Weights::read(&path).err().unwrap().to_string();
        assert!(err.contains("not a weights file"), "{err}");
    }
}
