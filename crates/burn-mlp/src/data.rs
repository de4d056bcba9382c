//! Turning MNIST bytes into burn tensors, one batch at a time.

use burn::prelude::*;
use mnist_data::{Dataset, IMAGE_PIXELS};

/// Images at `indices`, scaled to [0, 1], as a `[n, 784]` tensor; `buffer` is reused between
/// batches.
pub fn images(
    data: &Dataset,
    indices: &[usize],
    buffer: &mut Vec<f32>,
    device: &Device,
) -> Tensor<2> {
    buffer.resize(indices.len() * IMAGE_PIXELS, 0.0);
    data.fill_batch(indices, buffer);
    Tensor::from_data(
        TensorData::new(buffer.clone(), [indices.len(), IMAGE_PIXELS]),
        device,
    )
}

/// Labels at `indices` as an integer tensor.
pub fn labels(data: &Dataset, indices: &[usize], device: &Device) -> Tensor<1, Int> {
    let labels: Vec<i64> = indices
        .iter()
        .map(|&i| i64::from(data.labels()[i]))
        .collect();
    Tensor::from_data(TensorData::new(labels, [indices.len()]), device)
}
