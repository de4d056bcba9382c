//! The network: dense layers with ReLU between them and softmax at the end, and inference.

use bench_core::{FittedModel, TrainError};
use mnist_data::{Dataset, IMAGE_PIXELS, N_CLASSES, Rng};
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis, linalg::general_mat_mul};

/// One fully connected layer: `output = input . w + b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Weights, `n_in x n_out`.
    pub w: Array2<f32>,
    /// Biases, `n_out`.
    pub b: Array1<f32>,
}

impl Dense {
    /// Weights drawn from N(0, 1) / sqrt(fan_in), biases zero (the notebook's initialisation).
    fn init(n_in: usize, n_out: usize, rng: &mut Rng) -> Self {
        let scale = 1.0 / (n_in as f64).sqrt();
        Self {
            w: Array2::from_shape_simple_fn((n_in, n_out), || (rng.normal() * scale) as f32),
            b: Array1::zeros(n_out),
        }
    }

    /// Writes `input . w + b` into `out`.
    pub fn forward_into(&self, input: &ArrayView2<'_, f32>, out: &mut ArrayViewMut2<'_, f32>) {
        let shape = out.raw_dim();
        out.assign(
            &self
                .b
                .broadcast(shape)
                .expect("bias matches the layer width"),
        );
        general_mat_mul(1.0, input, &self.w, 1.0, out);
    }
}

/// A multilayer perceptron: ReLU hidden layers, a softmax output layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    /// Hidden layers followed by the output layer.
    pub layers: Vec<Dense>,
}

/// Rows evaluated at a time during inference: large enough for efficient matrix products, small
/// enough that activations stay in cache.
const INFERENCE_ROWS: usize = 512;

impl Mlp {
    /// A freshly initialised network `784 - hidden... - 10`.
    pub fn new(hidden: &[usize], seed: u64) -> Self {
        let mut rng = Rng::derive(seed, "scratch-init");
        let sizes: Vec<usize> = std::iter::once(IMAGE_PIXELS)
            .chain(hidden.iter().copied())
            .chain(std::iter::once(N_CLASSES))
            .collect();
        Self {
            layers: sizes
                .windows(2)
                .map(|w| Dense::init(w[0], w[1], &mut rng))
                .collect(),
        }
    }

    /// Layer widths, input first.
    pub fn sizes(&self) -> Vec<usize> {
        std::iter::once(IMAGE_PIXELS)
            .chain(self.layers.iter().map(|l| l.b.len()))
            .collect()
    }

    /// Class probabilities for `x` (`rows x 784`), `rows x 10`.
    pub fn forward(&self, x: &ArrayView2<'_, f32>) -> Array2<f32> {
        let mut activations: Option<Array2<f32>> = None;
        for (i, layer) in self.layers.iter().enumerate() {
            let input = activations.as_ref().map_or(x.view(), |a| a.view());
            let mut out = Array2::zeros((input.nrows(), layer.b.len()));
            layer.forward_into(&input, &mut out.view_mut());
            if i + 1 < self.layers.len() {
                out.mapv_inplace(relu);
            }
            activations = Some(out);
        }
        let mut proba = activations.expect("an MLP has at least its output layer");
        for mut row in proba.axis_iter_mut(Axis(0)) {
            softmax_in_place(row.as_slice_mut().expect("rows are contiguous"));
        }
        proba
    }

    /// Probabilities for every image of `data`, computed on `threads` threads.
    pub fn predict_dataset(&self, data: &Dataset, threads: usize) -> Vec<f32> {
        let mut proba = vec![0.0f32; data.len() * N_CLASSES];
        let per_thread = data.len().div_ceil(threads.max(1)).max(1);
        std::thread::scope(|s| {
            for (t, out) in proba.chunks_mut(per_thread * N_CLASSES).enumerate() {
                s.spawn(move || {
                    let first = t * per_thread;
                    for (c, out) in out.chunks_mut(INFERENCE_ROWS * N_CLASSES).enumerate() {
                        let start = first + c * INFERENCE_ROWS;
                        let rows = out.len() / N_CLASSES;
                        let x = data.range_f32(start, start + rows);
                        let x =
                            ArrayView2::from_shape((rows, IMAGE_PIXELS), &x).expect("batch shape");
                        out.copy_from_slice(
                            self.forward(&x).as_slice().expect("contiguous output"),
                        );
                    }
                });
            }
        });
        proba
    }

    /// Trainable parameters.
    pub fn param_count(&self) -> usize {
        self.layers.iter().map(|l| l.w.len() + l.b.len()).sum()
    }
}

/// The rectifier between layers.
pub fn relu(v: f32) -> f32 {
    v.max(0.0)
}

/// Replaces logits by their softmax, stably; returns `log(sum(exp(logits)))`.
pub fn softmax_in_place(row: &mut [f32]) -> f32 {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in row.iter_mut() {
        *v /= sum;
    }
    max + sum.ln()
}

/// The weights file in a saved model's folder: `layers.I.weight` (`n_in x n_out`) and
/// `layers.I.bias` of each layer I, f32, in the safetensors format.
pub const WEIGHTS_FILE: &str = "weights.safetensors";

impl Mlp {
    /// Writes the weights to `path` ([`WEIGHTS_FILE`]'s format).
    pub fn save(&self, path: &std::path::Path) -> Result<(), TrainError> {
        use bench_core::weights::Values;
        let names: Vec<[String; 2]> = (0..self.layers.len())
            .map(|i| [format!("layers.{i}.weight"), format!("layers.{i}.bias")])
            .collect();
        // In logical (row-major) order, whatever the arrays' layout.
        let weights: Vec<Vec<f32>> = self
            .layers
            .iter()
            .map(|l| l.w.iter().copied().collect())
            .collect();
        let biases: Vec<Vec<f32>> = self.layers.iter().map(|l| l.b.to_vec()).collect();
        let mut tensors = Vec::new();
        for (i, [weight, bias]) in names.iter().enumerate() {
            let w = &self.layers[i].w;
            tensors.push((
                weight.as_str(),
                vec![w.nrows(), w.ncols()],
                Values::F32(&weights[i]),
            ));
            tensors.push((
                bias.as_str(),
                vec![biases[i].len()],
                Values::F32(&biases[i]),
            ));
        }
        bench_core::weights::write(path, &tensors)
    }

    /// Reads weights written by [`Mlp::save`] for a network of layer widths `sizes` (input
    /// first); an error names the file and the tensor that does not fit.
    pub fn load(path: &std::path::Path, sizes: &[usize]) -> Result<Self, TrainError> {
        let weights = bench_core::weights::Weights::read(path)?;
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let weight = weights.f32(&format!("layers.{i}.weight"), &[w[0], w[1]])?;
                let bias = weights.f32(&format!("layers.{i}.bias"), &[w[1]])?;
                Ok(Dense {
                    w: Array2::from_shape_vec((w[0], w[1]), weight).expect("shape checked"),
                    b: Array1::from(bias),
                })
            })
            .collect::<Result<Vec<_>, TrainError>>()?;
        let expected = 2 * (sizes.len() - 1);
        if weights.shapes()?.len() != expected {
            return Err(TrainError::Backend(format!(
                "{}: {} tensors, a network of widths {sizes:?} has {expected} (saved with other \
                 settings?)",
                path.display(),
                weights.shapes()?.len()
            )));
        }
        Ok(Self { layers })
    }
}

/// A trained scratch MLP.
#[derive(Debug, Clone)]
pub struct FittedMlp {
    /// The network.
    pub mlp: Mlp,
    /// Threads used for inference.
    pub threads: usize,
}

impl FittedModel for FittedMlp {
    fn predict_proba(&self, images: &Dataset) -> Result<Vec<f32>, TrainError> {
        Ok(self.mlp.predict_dataset(images, self.threads))
    }

    fn param_count(&self) -> usize {
        self.mlp.param_count()
    }

    fn save(&self, dir: &std::path::Path) -> Result<(), TrainError> {
        self.mlp.save(&dir.join(WEIGHTS_FILE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_matches_the_notebook_scale() {
        let mlp = Mlp::new(&[128], 3);
        assert_eq!(mlp.sizes(), vec![784, 128, 10]);
        assert_eq!(mlp.param_count(), 784 * 128 + 128 + 128 * 10 + 10);
        let w = &mlp.layers[0].w;
        let var = w.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / w.len() as f64;
        assert!(
            (var * 784.0 - 1.0).abs() < 0.05,
            "variance x fan_in = {}",
            var * 784.0
        );
        assert!(mlp.layers.iter().all(|l| l.b.iter().all(|&b| b == 0.0)));
    }

    #[test]
    fn softmax_is_stable_and_normalised() {
        let mut row = [1000.0, 1000.0, -1000.0];
        let lse = softmax_in_place(&mut row);
        assert!((row[0] - 0.5).abs() < 1e-6 && row[2] == 0.0);
        assert!((lse - (1000.0 + 2f32.ln())).abs() < 1e-3);
    }

    #[test]
    fn batched_prediction_matches_one_by_one() {
        let data = mnist_data::synth::separable(1100, 1);
        let mlp = Mlp::new(&[16], 1);
        let all = mlp.predict_dataset(&data, 3);
        let one = data.range_f32(1037, 1038);
        let one = mlp.forward(&ArrayView2::from_shape((1, IMAGE_PIXELS), &one).unwrap());
        assert_eq!(&all[1037 * 10..1038 * 10], one.as_slice().unwrap());
    }
}
