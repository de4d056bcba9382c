//! The input layer's two big products, computed over non-zero pixels only.
//!
//! About 81% of MNIST pixels are exactly zero, and a zero pixel contributes exactly nothing to
//! `x . W` or to `x^T . dZ`. Skipping them is the same arithmetic as the dense products minus the
//! multiplications by zero (only the summation order differs), at about a fifth of the work.

use std::ops::Range;

use mnist_data::Dataset;

/// The non-zero pixels of one batch, grouped by pixel (compressed sparse columns), with values
/// scaled to [0, 1].
#[derive(Debug, Default, Clone)]
pub struct SparseBatch {
    /// `[pixel][word]`: bit `r % 64` of word `r / 64` is set when image `r` has the pixel lit.
    masks: Vec<u64>,
    /// Entries of pixel `k` are `pixel_start[k]..pixel_start[k + 1]`.
    pixel_start: Vec<usize>,
    /// The image of each entry.
    image: Vec<usize>,
    /// The value of each entry.
    value: Vec<f32>,
    /// Padded accumulators for the forward pass (see `forward`).
    acc: Vec<f32>,
}

impl SparseBatch {
    /// Collects the non-zero pixels in `pixels` (a range of the 784) of the images at `indices`;
    /// entries are numbered from the start of the range.
    pub fn fill(&mut self, data: &Dataset, indices: &[usize], pixels: Range<usize>) {
        let images: Vec<&[u8]> = indices
            .iter()
            .map(|&i| &data.image(i)[pixels.clone()])
            .collect();
        // Bit masks first: one branch-free OR per pixel and image, which vectorises.
        let words = indices.len().div_ceil(64);
        self.masks.clear();
        self.masks.resize(pixels.len() * words, 0);
        for (r, image) in images.iter().enumerate() {
            let (word, bit) = (r / 64, r % 64);
            if words == 1 {
                for (mask, &p) in self.masks.iter_mut().zip(image.iter()) {
                    *mask |= u64::from(p != 0) << bit;
                }
            } else {
                for (mask, &p) in self
                    .masks
                    .iter_mut()
                    .skip(word)
                    .step_by(words)
                    .zip(image.iter())
                {
                    *mask |= u64::from(p != 0) << bit;
                }
            }
        }
        // Then the entries in pixel order, read off the masks.
        self.pixel_start.clear();
        self.image.clear();
        self.value.clear();
        for (k, masks) in self.masks.chunks_exact(words).enumerate() {
            self.pixel_start.push(self.image.len());
            for (w, &mask) in masks.iter().enumerate() {
                let mut m = mask;
                while m != 0 {
                    let r = w * 64 + m.trailing_zeros() as usize;
                    m &= m - 1;
                    self.image.push(r);
                    self.value.push(f32::from(images[r][k]) * (1.0 / 255.0));
                }
            }
        }
        self.pixel_start.push(self.image.len());
    }

    /// Number of non-zero pixels in the batch.
    pub fn nnz(&self) -> usize {
        self.image.len()
    }

    fn pixel(&self, k: usize) -> (&[usize], &[f32]) {
        let range = self.pixel_start[k]..self.pixel_start[k + 1];
        (&self.image[range.clone()], &self.value[range])
    }

    /// `out[r, :] = x[r, P] . W` for every image `r` of the batch, where `P` is the pixel range
    /// given to `fill`, `W` is row-major `|P| x width` and `out` row-major `rows x width`. Each
    /// weight row is read once per batch, a block of it held in registers while it is added to
    /// every image that has the pixel lit.
    pub fn forward(&mut self, w: &[f32], out: &mut [f32]) {
        let width = w.len() / (self.pixel_start.len() - 1).max(1);
        let rows = out.len() / width.max(1);
        // Accumulator rows are padded so that rows a few apart do not share an address modulo
        // 4 KiB: with a stride of 512 bytes, every eighth row's store stalled the next load.
        let stride = width + PAD;
        self.acc.resize(rows * stride, 0.0);
        let mut acc = std::mem::take(&mut self.acc);
        acc.fill(0.0);
        for (k, w_row) in w.chunks_exact(width).enumerate() {
            let (images, values) = self.pixel(k);
            for start in (0..width).step_by(BLOCK) {
                let end = (start + BLOCK).min(width);
                if let Ok(block) = <&[f32; BLOCK]>::try_from(&w_row[start..end]) {
                    let block = *block;
                    for (&r, &v) in images.iter().zip(values) {
                        let at = r * stride + start;
                        let a: &mut [f32; BLOCK] =
                            (&mut acc[at..at + BLOCK]).try_into().expect("full block");
                        for (a, &wv) in a.iter_mut().zip(&block) {
                            *a = v.mul_add(wv, *a);
                        }
                    }
                } else {
                    for (&r, &v) in images.iter().zip(values) {
                        let at = r * stride;
                        for (a, &wv) in acc[at + start..at + end].iter_mut().zip(&w_row[start..end])
                        {
                            *a = v.mul_add(wv, *a);
                        }
                    }
                }
            }
        }
        for (dst, src) in out.chunks_exact_mut(width).zip(acc.chunks_exact(stride)) {
            dst.copy_from_slice(&src[..width]);
        }
        self.acc = acc;
    }

    /// `W -= lr * x[:, P]^T . g`, touching only the rows of pixels lit somewhere in the batch;
    /// `g` is row-major `rows x width`. Each block of a weight row is accumulated in registers
    /// and written once.
    pub fn update(&self, g: &[f32], lr: f32, w: &mut [f32]) {
        let width = w.len() / (self.pixel_start.len() - 1).max(1);
        for (k, row) in w.chunks_exact_mut(width).enumerate() {
            let (images, values) = self.pixel(k);
            if images.is_empty() {
                continue;
            }
            for start in (0..width).step_by(BLOCK) {
                let end = (start + BLOCK).min(width);
                if let Ok(block) = <&mut [f32; BLOCK]>::try_from(&mut row[start..end]) {
                    let mut acc = *block;
                    for (&r, &v) in images.iter().zip(values) {
                        let at = r * width + start;
                        let grad: &[f32; BLOCK] = g[at..at + BLOCK].try_into().expect("full block");
                        let scale = -lr * v;
                        for (a, &gv) in acc.iter_mut().zip(grad) {
                            *a = scale.mul_add(gv, *a);
                        }
                    }
                    *block = acc;
                } else {
                    for (&r, &v) in images.iter().zip(values) {
                        let at = r * width;
                        let scale = -lr * v;
                        for (wv, &gv) in row[start..end].iter_mut().zip(&g[at + start..at + end]) {
                            *wv = scale.mul_add(gv, *wv);
                        }
                    }
                }
            }
        }
    }
}

/// Padding of the forward accumulators' rows, in floats (64 bytes).
const PAD: usize = 16;

/// Columns processed together: 64 floats are eight AVX registers, so a block of a weight row
/// (forward) or of its update (backward) stays in registers across a pixel's images.
const BLOCK: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use mnist_data::IMAGE_PIXELS;
    use ndarray::{Array2, linalg::general_mat_mul, s};

    #[test]
    fn sparse_products_match_the_dense_ones() {
        let data = mnist_data::synth::separable(20, 4);
        let indices = [3, 0, 17, 9, 9];
        let width = 71; // a full block and a remainder
        let mut batch = SparseBatch::default();
        batch.fill(&data, &indices, 0..IMAGE_PIXELS);
        let mut x = vec![0.0f32; indices.len() * IMAGE_PIXELS];
        data.fill_batch(&indices, &mut x);
        assert_eq!(batch.nnz(), x.iter().filter(|&&v| v != 0.0).count());
        let x = Array2::from_shape_vec((indices.len(), IMAGE_PIXELS), x).unwrap();
        let w = Array2::from_shape_fn((IMAGE_PIXELS, width), |(i, j)| {
            ((i * 31 + j * 7) % 17) as f32 * 0.01 - 0.08
        });
        let b: Vec<f32> = (0..width).map(|j| j as f32 * 0.1).collect();

        let mut dense = Array2::from_shape_fn((indices.len(), width), |(_, j)| b[j]);
        general_mat_mul(1.0, &x, &w, 1.0, &mut dense);
        let mut sparse = vec![0.0f32; indices.len() * width];
        batch.forward(w.as_slice().unwrap(), &mut sparse);
        for row in sparse.chunks_exact_mut(width) {
            for (v, bias) in row.iter_mut().zip(&b) {
                *v += bias;
            }
        }
        for (s, d) in sparse.iter().zip(dense.iter()) {
            assert!((s - d).abs() < 1e-4, "{s} vs {d}");
        }

        // Two pixel ranges' partial products add up to the whole.
        let mut halves = vec![0.0f32; indices.len() * width];
        for range in [0..400, 400..IMAGE_PIXELS] {
            let mut part = SparseBatch::default();
            part.fill(&data, &indices, range.clone());
            let mut out = vec![0.0f32; indices.len() * width];
            part.forward(
                w.slice(s![range, ..]).to_owned().as_slice().unwrap(),
                &mut out,
            );
            for (h, o) in halves.iter_mut().zip(&out) {
                *h += o;
            }
        }
        for ((h, d), j) in halves.iter().zip(dense.iter()).zip((0..width).cycle()) {
            assert!((h + b[j] - d).abs() < 1e-4, "{h} vs {d}");
        }

        let g = Array2::from_shape_fn((indices.len(), width), |(r, j)| {
            (r as f32 - j as f32) * 0.05
        });
        let mut dense_w = w.clone();
        general_mat_mul(-0.3, &x.t(), &g, 1.0, &mut dense_w);
        let mut sparse_w = w.clone();
        batch.update(g.as_slice().unwrap(), 0.3, sparse_w.as_slice_mut().unwrap());
        for (s, d) in sparse_w.iter().zip(dense_w.iter()) {
            assert!((s - d).abs() < 1e-5, "{s} vs {d}");
        }
    }
}
