//! Mini-batch SGD with hand-written backpropagation, spread over worker threads.
//!
//! Almost all the work is in the input layer (784 x 128 weights against 1,290 for the output
//! layer), and a batch of 32 is too small to split by images. So the workers split the input
//! layer by *pixels*: worker `t` owns a contiguous range of pixels, i.e. of the first weight
//! matrix's rows, computes that range's share of the first layer's pre-activations, and updates
//! those rows. The shares are summed (in a fixed order, so the result does not depend on timing)
//! at the one meeting per batch; everything after that is small and replicated: every worker
//! computes the same activations, loss and updates of the later layers, so decisions such as
//! "the loss is NaN" are taken identically everywhere without talking. With one worker the same
//! code runs without contention.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bench_core::{EpochStats, Observer, TrainData, TrainError};
use mnist_data::{Dataset, IMAGE_PIXELS, Rng};
use ndarray::{Array1, Array2, ArrayView2, Axis, Zip, linalg::general_mat_mul, s};

use crate::model::{Dense, Mlp, relu, softmax_in_place};
use crate::sparse::SparseBatch;
use crate::sync::SpinBarrier;

/// What the training loop needs to know.
#[derive(Debug, Clone, Copy)]
pub struct SgdOptions {
    /// Passes over the training set.
    pub epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Step size.
    pub learning_rate: f32,
    /// Seed of the per-epoch shuffles.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
}

/// Trains `mlp` in place, reporting every epoch to `observer`.
pub fn train(
    mlp: &mut Mlp,
    data: &TrainData<'_>,
    opts: &SgdOptions,
    observer: &mut dyn Observer,
) -> Result<(), TrainError> {
    let mut rng = Rng::derive(opts.seed, "scratch-shuffle");
    for epoch in 1..=opts.epochs {
        let started = Instant::now();
        let order = rng.permutation(data.train.len());
        let totals = run_epoch(mlp, data.train, &order, opts, observer)?;
        if observer.cancelled() {
            return Err(TrainError::Cancelled);
        }
        let n = data.train.len() as f64;
        if let Some(loss) = totals.diverged {
            return Err(TrainError::Diverged { step: epoch, loss });
        }
        let (validation_loss, validation_accuracy) =
            data.validate(|v| Ok(mlp.predict_dataset(v, opts.threads)))?;
        observer.epoch(&EpochStats {
            step: epoch,
            train_loss: totals.loss / n,
            train_accuracy: totals.correct as f64 / n,
            validation_loss,
            validation_accuracy,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    Ok(())
}

/// Summed loss and correct predictions over an epoch's batches.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    loss: f64,
    correct: usize,
    /// The mean loss of the batch where training diverged, if it did.
    diverged: Option<f64>,
}

/// Partial first-layer pre-activations, `[worker][parity]`, double-buffered by batch parity so
/// that a fast worker never overwrites what a slow one has yet to read.
struct Shared {
    barrier: SpinBarrier,
    stop: AtomicBool,
    partials: Vec<[Mutex<Vec<f32>>; 2]>,
}

/// What one worker updates: its rows of the first weight matrix, and its own copy of everything
/// that is replicated (the first layer's biases and the later layers). Copied from the model at
/// the start of an epoch and written back at its end.
struct Part {
    w1: Array2<f32>,
    b1: Array1<f32>,
    later: Vec<Dense>,
}

fn run_epoch(
    mlp: &mut Mlp,
    train: &Dataset,
    order: &[usize],
    opts: &SgdOptions,
    observer: &mut dyn Observer,
) -> Result<Totals, TrainError> {
    let pixels = balanced_pixel_ranges(train, opts.threads.clamp(1, IMAGE_PIXELS));
    let workers = pixels.len();
    let shared = Shared {
        barrier: SpinBarrier::new(workers),
        stop: AtomicBool::new(false),
        partials: (0..workers)
            .map(|_| [Mutex::new(Vec::new()), Mutex::new(Vec::new())])
            .collect(),
    };
    let parts: Vec<Part> = pixels
        .iter()
        .map(|range| Part {
            w1: mlp.layers[0].w.slice(s![range.clone(), ..]).to_owned(),
            b1: mlp.layers[0].b.clone(),
            later: mlp.layers[1..].to_vec(),
        })
        .collect();
    let context = Context {
        train,
        order,
        opts,
        pixels: &pixels,
        shared: &shared,
    };
    let (totals, parts) = std::thread::scope(|scope| {
        let mut parts = parts.into_iter();
        let mine = parts.next().expect("at least one worker");
        let others: Vec<_> = parts
            .enumerate()
            .map(|(i, part)| {
                let context = &context;
                scope.spawn(move || context.work(i + 1, part, None))
            })
            .collect();
        let (mut result, mine) = context.work(0, mine, Some(observer));
        let mut parts = vec![mine];
        for handle in others {
            match handle.join() {
                Ok((r, part)) => {
                    result = result.and_then(|t| r.map(|_| t));
                    parts.push(part);
                }
                Err(_) => result = Err(TrainError::Backend("a training worker panicked".into())),
            }
        }
        (result, parts)
    });
    let totals = totals?;
    for (part, range) in parts.iter().zip(&pixels) {
        mlp.layers[0]
            .w
            .slice_mut(s![range.clone(), ..])
            .assign(&part.w1);
    }
    // The replicated parameters are identical in every worker; take the first's.
    if let Some(first) = parts.into_iter().next() {
        mlp.layers[0].b = first.b1;
        for (layer, copy) in mlp.layers[1..].iter_mut().zip(first.later) {
            *layer = copy;
        }
    }
    Ok(totals)
}

/// Splits the 784 pixels into `workers` contiguous ranges holding about the same number of lit
/// pixels (digits are not centred exactly: an even split leaves one worker 10% more work).
/// Counted on every 16th training image, so the split is deterministic and cheap.
fn balanced_pixel_ranges(train: &Dataset, workers: usize) -> Vec<Range<usize>> {
    let mut lit = [0usize; IMAGE_PIXELS];
    for i in (0..train.len()).step_by(16) {
        for (count, &p) in lit.iter_mut().zip(train.image(i)) {
            *count += usize::from(p != 0);
        }
    }
    let total: usize = lit.iter().sum::<usize>().max(1);
    let mut bounds = vec![0];
    let mut seen = 0;
    for (k, &count) in lit.iter().enumerate() {
        seen += count;
        let next = bounds.len();
        // Close range `next - 1` once it holds its share, keeping at least one pixel per range.
        if next < workers && seen * workers >= total * next && k + 1 > bounds[next - 1] {
            bounds.push(k + 1);
        }
    }
    while bounds.len() < workers {
        let last = *bounds.last().unwrap_or(&0);
        bounds.push((last + 1).min(IMAGE_PIXELS - (workers - bounds.len())));
    }
    bounds.push(IMAGE_PIXELS);
    bounds.windows(2).map(|b| b[0]..b[1]).collect()
}

struct Context<'a> {
    train: &'a Dataset,
    order: &'a [usize],
    opts: &'a SgdOptions,
    pixels: &'a [Range<usize>],
    shared: &'a Shared,
}

impl Context<'_> {
    /// One worker's share of an epoch; hands its part back for the caller to merge. Worker 0 runs
    /// on the caller's thread and talks to the observer; its totals are the epoch's (every worker
    /// computes the same loss).
    fn work(
        &self,
        t: usize,
        mut p: Part,
        observer: Option<&mut dyn Observer>,
    ) -> (Result<Totals, TrainError>, Part) {
        let _guard = self.shared.barrier.poison_on_panic();
        let result = self.batches(t, &mut p, observer);
        (result, p)
    }

    /// Every batch of the epoch in turn, for worker `t`: forward, loss, backward and update.
    fn batches(
        &self,
        t: usize,
        p: &mut Part,
        mut observer: Option<&mut dyn Observer>,
    ) -> Result<Totals, TrainError> {
        let batch = self.opts.batch_size;
        let lr = self.opts.learning_rate;
        let mut buffers = Buffers::new(batch, p);
        let mut totals = Totals::default();
        let n_batches = self.order.len().div_ceil(batch);

        for (step, indices) in self.order.chunks(batch).enumerate() {
            let rows = indices.len();
            self.first_layer(t, p, &mut buffers, indices, step & 1)?;
            forward_later(p, &mut buffers.acts, rows);
            let batch_loss = self.output_gradient(&mut buffers, indices, &mut totals.correct);
            totals.loss += batch_loss;
            if bench_core::diverged(batch_loss / rows as f64) {
                // Every worker sees the same loss, so all stop here together.
                totals.diverged = Some(batch_loss / rows as f64);
                return Ok(totals);
            }
            backward_later(p, &buffers.acts, &mut buffers.grads, rows, lr);
            update_first_layer(p, &buffers, rows, lr);

            if let Some(observer) = observer.as_deref_mut() {
                observer.batch(step + 1, n_batches);
                if observer.cancelled() {
                    // Seen by every worker right after the next batch's meeting.
                    self.shared.stop.store(true, Ordering::Release);
                }
            }
        }
        Ok(totals)
    }

    /// This worker's pixels' share of the first layer, exchanged and summed with the others' (in
    /// worker order) into the first hidden layer's activations. An error when another worker
    /// failed or the run was cancelled.
    fn first_layer(
        &self,
        t: usize,
        p: &Part,
        buffers: &mut Buffers,
        indices: &[usize],
        parity: usize,
    ) -> Result<(), TrainError> {
        let rows = indices.len();
        let n1 = p.b1.len();
        let Buffers {
            sparse,
            partial,
            acts,
            ..
        } = buffers;
        sparse.fill(self.train, indices, self.pixels[t].clone());
        sparse.forward(contiguous(&p.w1), &mut partial[..rows * n1]);
        publish(&self.shared.partials[t][parity], &partial[..rows * n1]);
        self.shared
            .barrier
            .wait()
            .map_err(|_| TrainError::Backend("another training worker failed".into()))?;
        if self.shared.stop.load(Ordering::Acquire) {
            return Err(TrainError::Cancelled);
        }
        let mut a = acts[0].slice_mut(s![..rows, ..]);
        let shape = a.raw_dim();
        a.assign(&p.b1.broadcast(shape).expect("bias width"));
        for slot in &self.shared.partials {
            let slot = slot[parity].lock().unwrap_or_else(|e| e.into_inner());
            a += &ArrayView2::from_shape((rows, n1), &slot[..rows * n1]).expect("published shape");
        }
        a.mapv_inplace(relu);
        Ok(())
    }

    /// The gradient of the batch-mean cross-entropy with respect to the logits, into the last of
    /// `buffers.grads`; counts the batch's correct predictions into `correct` and returns its
    /// summed loss.
    fn output_gradient(
        &self,
        buffers: &mut Buffers,
        indices: &[usize],
        correct: &mut usize,
    ) -> f64 {
        let rows = indices.len();
        let n_layers = buffers.acts.len();
        let mut dz = buffers.grads[n_layers - 1].slice_mut(s![..rows, ..]);
        dz.assign(&buffers.acts[n_layers - 1].slice(s![..rows, ..]));
        let mut batch_loss = 0.0f64;
        for (mut row, &index) in dz.axis_iter_mut(Axis(0)).zip(indices) {
            let label = usize::from(self.train.labels()[index]);
            let row = row.as_slice_mut().expect("contiguous row");
            let label_logit = row[label];
            let predicted = bench_core::argmax(row);
            let log_sum_exp = softmax_in_place(row);
            batch_loss += f64::from(log_sum_exp - label_logit);
            *correct += usize::from(predicted == label);
            // dLoss/dlogits of the batch-mean cross-entropy.
            row[label] -= 1.0;
            for v in row.iter_mut() {
                *v /= rows as f32;
            }
        }
        batch_loss
    }
}

/// One worker's working memory for the batches of an epoch, allocated once.
struct Buffers {
    /// The batch's lit pixels in this worker's range.
    sparse: SparseBatch,
    /// This worker's share of the first layer's pre-activations.
    partial: Vec<f32>,
    /// acts[0] is the first hidden layer; acts[l] the output of later[l - 1] (logits last).
    acts: Vec<Array2<f32>>,
    /// The loss's gradient with respect to each layer's pre-activations, shaped as `acts`.
    grads: Vec<Array2<f32>>,
}

impl Buffers {
    /// Buffers for batches of up to `batch` images through the layers of `p`.
    fn new(batch: usize, p: &Part) -> Self {
        let n1 = p.b1.len();
        let acts: Vec<Array2<f32>> = std::iter::once(n1)
            .chain(p.later.iter().map(|l| l.b.len()))
            .map(|n| Array2::zeros((batch, n)))
            .collect();
        let grads: Vec<Array2<f32>> = acts.iter().map(|a| Array2::zeros(a.raw_dim())).collect();
        Self {
            sparse: SparseBatch::default(),
            partial: vec![0.0f32; batch * n1],
            acts,
            grads,
        }
    }
}

/// The later layers, replicated: ReLU between them, softmax at the end (applied with the loss).
fn forward_later(p: &Part, acts: &mut [Array2<f32>], rows: usize) {
    let n_layers = acts.len();
    for l in 1..n_layers {
        let (done, rest) = acts.split_at_mut(l);
        let input = done[l - 1].slice(s![..rows, ..]);
        let mut out = rest[0].slice_mut(s![..rows, ..]);
        p.later[l - 1].forward_into(&input, &mut out);
        if l + 1 < n_layers {
            out.mapv_inplace(relu);
        }
    }
}

/// Backward through the later layers (replicated): gradient into the layer below first, with the
/// weights as they were, then the update.
fn backward_later(
    p: &mut Part,
    acts: &[Array2<f32>],
    grads: &mut [Array2<f32>],
    rows: usize,
    lr: f32,
) {
    let n_layers = acts.len();
    for l in (1..n_layers).rev() {
        let (below, here) = grads.split_at_mut(l);
        let dz = here[0].slice(s![..rows, ..]);
        let layer = &mut p.later[l - 1];
        let mut d_below = below[l - 1].slice_mut(s![..rows, ..]);
        general_mat_mul(1.0, &dz, &layer.w.t(), 0.0, &mut d_below);
        Zip::from(&mut d_below)
            .and(acts[l - 1].slice(s![..rows, ..]))
            .for_each(|g, &a| {
                if a <= 0.0 {
                    *g = 0.0;
                }
            });
        general_mat_mul(
            -lr,
            &acts[l - 1].slice(s![..rows, ..]).t(),
            &dz,
            1.0,
            &mut layer.w,
        );
        layer.b.scaled_add(-lr, &dz.sum_axis(Axis(0)));
    }
}

/// The first layer's update: replicated biases, this worker's rows of the weights.
fn update_first_layer(p: &mut Part, buffers: &Buffers, rows: usize, lr: f32) {
    let dz1 = buffers.grads[0].slice(s![..rows, ..]);
    p.b1.scaled_add(-lr, &dz1.sum_axis(Axis(0)));
    let dz1 = dz1
        .as_slice()
        .expect("leading rows of a standard array are contiguous");
    buffers.sparse.update(
        dz1,
        lr,
        p.w1.as_slice_mut().expect("owned weights are contiguous"),
    );
}

fn contiguous(a: &Array2<f32>) -> &[f32] {
    a.as_slice().expect("owned weights are contiguous")
}

fn publish(slot: &Mutex<Vec<f32>>, values: &[f32]) {
    let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    slot.clear();
    slot.extend_from_slice(values);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_ranges_cover_every_pixel_once_and_balance_the_ink() {
        let data = mnist_data::synth::separable(500, 3);
        for workers in [1, 2, 3, 7, 784] {
            let ranges = balanced_pixel_ranges(&data, workers);
            assert_eq!(ranges.len(), workers);
            assert_eq!(ranges[0].start, 0);
            assert_eq!(ranges[workers - 1].end, IMAGE_PIXELS);
            assert!(
                ranges
                    .windows(2)
                    .all(|w| w[0].end == w[1].start && !w[0].is_empty())
            );
        }
        // Synthetic images light every pixel with noise, so two ranges split near the middle.
        let two = balanced_pixel_ranges(&data, 2);
        assert!((300..500).contains(&two[0].end), "{two:?}");
    }
}
