//! In-memory MNIST: pixels kept as `u8`, converted to normalised `f32` one batch at a time.

use crate::error::DataError;
use crate::idx::{IMAGE_PIXELS, N_CLASSES};

/// Labelled images, `28 x 28` grey levels each, stored row-major as bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dataset {
    pixels: Vec<u8>,
    labels: Vec<u8>,
}

impl Dataset {
    /// Builds a dataset, checking that there is one label in 0..=9 per 784 pixels.
    pub fn new(pixels: Vec<u8>, labels: Vec<u8>) -> Result<Self, DataError> {
        if pixels.len() != labels.len() * IMAGE_PIXELS {
            return Err(DataError::Invalid(format!(
                "{} pixels do not make {} images of {IMAGE_PIXELS} pixels",
                pixels.len(),
                labels.len()
            )));
        }
        if let Some(bad) = labels.iter().find(|&&l| usize::from(l) >= N_CLASSES) {
            return Err(DataError::Invalid(format!("label {bad} is outside 0-9")));
        }
        Ok(Self { pixels, labels })
    }

    /// Number of images.
    #[inline]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// All pixels, image after image.
    #[inline]
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// All labels.
    #[inline]
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The pixels of image `index`.
    #[inline]
    pub fn image(&self, index: usize) -> &[u8] {
        &self.pixels[index * IMAGE_PIXELS..(index + 1) * IMAGE_PIXELS]
    }

    /// Writes the images at `indices`, scaled to `[0, 1]`, into `out` (`indices.len() x 784`).
    pub fn fill_batch(&self, indices: &[usize], out: &mut [f32]) {
        debug_assert_eq!(out.len(), indices.len() * IMAGE_PIXELS);
        for (&index, row) in indices.iter().zip(out.chunks_exact_mut(IMAGE_PIXELS)) {
            for (dst, &src) in row.iter_mut().zip(self.image(index)) {
                *dst = f32::from(src) * (1.0 / 255.0);
            }
        }
    }

    /// Images `start..end` scaled to `[0, 1]`, as a new row-major buffer.
    pub fn range_f32(&self, start: usize, end: usize) -> Vec<f32> {
        let indices: Vec<usize> = (start..end).collect();
        let mut out = vec![0.0; indices.len() * IMAGE_PIXELS];
        self.fill_batch(&indices, &mut out);
        out
    }

    /// A new dataset holding the images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Self {
        let mut pixels = Vec::with_capacity(indices.len() * IMAGE_PIXELS);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            pixels.extend_from_slice(self.image(i));
            labels.push(self.labels[i]);
        }
        Self { pixels, labels }
    }

    /// Appends `other`'s images after this dataset's.
    pub fn extend(&mut self, other: &Self) {
        self.pixels.extend_from_slice(&other.pixels);
        self.labels.extend_from_slice(&other.labels);
    }

    /// Number of images per class.
    pub fn class_counts(&self) -> [usize; N_CLASSES] {
        let mut counts = [0; N_CLASSES];
        for &l in &self.labels {
            counts[usize::from(l)] += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_rejects_mismatched_lengths_and_bad_labels() {
        assert!(Dataset::new(vec![0; IMAGE_PIXELS * 2], vec![1]).is_err());
        assert!(Dataset::new(vec![0; IMAGE_PIXELS], vec![10]).is_err());
        assert!(Dataset::new(vec![0; IMAGE_PIXELS], vec![9]).is_ok());
    }

    #[test]
    fn batches_are_normalised_and_ordered() {
        let mut pixels = vec![0u8; IMAGE_PIXELS * 3];
        pixels[IMAGE_PIXELS] = 255;
        pixels[2 * IMAGE_PIXELS + 5] = 51;
        let data = Dataset::new(pixels, vec![0, 1, 2]).unwrap();
        let mut out = vec![9.0; 2 * IMAGE_PIXELS];
        data.fill_batch(&[2, 1], &mut out);
        assert!((out[5] - 0.2).abs() < 1e-7);
        assert_eq!(out[IMAGE_PIXELS], 1.0);
        assert_eq!(out.iter().filter(|&&v| v != 0.0).count(), 2);
        let picked = data.select(&[2, 0]);
        assert_eq!(picked.labels(), &[2, 0]);
        assert_eq!(picked.image(0), data.image(2));
        assert_eq!(data.class_counts()[..3], [1, 1, 1]);
    }
}
