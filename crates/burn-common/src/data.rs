//! Turning MNIST bytes into burn tensors, one batch at a time.

use burn::prelude::*;
use mnist_data::{Dataset, IMAGE_PIXELS};

/// Images at `indices`, scaled to [0, 1], as a `[n, 784]` tensor.
pub fn images(data: &Dataset, indices: &[usize], device: &Device) -> Tensor<2> {
    let mut pixels = vec![0.0; indices.len() * IMAGE_PIXELS];
    data.fill_batch(indices, &mut pixels);
    pixels_tensor(pixels, device)
}

/// Images `start..end`, scaled to [0, 1], as a `[n, 784]` tensor.
pub fn image_range(data: &Dataset, start: usize, end: usize, device: &Device) -> Tensor<2> {
    pixels_tensor(data.range_f32(start, end), device)
}

fn pixels_tensor(pixels: Vec<f32>, device: &Device) -> Tensor<2> {
    let rows = pixels.len() / IMAGE_PIXELS;
    Tensor::from_data(TensorData::new(pixels, [rows, IMAGE_PIXELS]), device)
}

/// Labels at `indices` as an integer tensor.
pub fn labels(data: &Dataset, indices: &[usize], device: &Device) -> Tensor<1, Int> {
    let labels: Vec<i64> = indices
        .iter()
        .map(|&i| i64::from(data.labels()[i]))
        .collect();
    Tensor::from_data(TensorData::new(labels, [indices.len()]), device)
}
