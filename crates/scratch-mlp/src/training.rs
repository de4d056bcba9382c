//! Mini-batch SGD with hand-written backpropagation, spread over worker threads.
//!
//! A batch of 32 is too small to split by rows, so the workers split the *units*: worker `t` owns
//! a contiguous slice of every hidden layer's columns (its weights, biases and activations) and
//! computes the forward pass and the weight update for that slice alone. The small output layer is
//! replicated: every worker computes the same logits, loss and update, so decisions such as
//! "the loss is NaN" are taken identically everywhere without talking. Workers meet once per
//! hidden layer on the way forward (to share activations) and once per hidden layer after the
//! first on the way back (to sum the gradient flowing into the previous layer). With one worker
//! the same code runs without contention.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bench_core::{EpochStats, Observer, TrainData, TrainError};
use mnist_data::{Dataset, IMAGE_PIXELS, N_CLASSES, Rng};
use ndarray::{
    Array2, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis, Zip, linalg::general_mat_mul, s,
};

use crate::model::{Dense, Mlp, softmax_in_place};
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
        if !totals.loss.is_finite() {
            return Err(TrainError::Diverged {
                step: epoch,
                loss: totals.loss,
            });
        }
        let (validation_loss, validation_accuracy) = match data.validation {
            Some(v) => {
                let (loss, acc) = bench_core::loss_and_accuracy(
                    &mlp.predict_dataset(v, opts.threads),
                    v.labels(),
                );
                (Some(loss), Some(acc))
            }
            None => (None, None),
        };
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
}

/// Column ranges of each hidden layer, one per worker.
fn partition(width: usize, workers: usize) -> Vec<std::ops::Range<usize>> {
    (0..workers)
        .map(|t| t * width / workers..(t + 1) * width / workers)
        .collect()
}

/// Buffers through which workers exchange activations and gradients, double-buffered by batch
/// parity so that a fast worker never overwrites what a slow one has yet to read.
struct Shared {
    barrier: SpinBarrier,
    stop: AtomicBool,
    /// `[layer][worker][parity]`: the worker's slice of a hidden layer's activations.
    activations: Vec<Vec<[Mutex<Vec<f32>>; 2]>>,
    /// `[layer][worker][parity]`: the worker's contribution to the gradient of the layer's input.
    input_grads: Vec<Vec<[Mutex<Vec<f32>>; 2]>>,
}

fn slots(layers: usize, workers: usize) -> Vec<Vec<[Mutex<Vec<f32>>; 2]>> {
    (0..layers)
        .map(|_| {
            (0..workers)
                .map(|_| [Mutex::new(Vec::new()), Mutex::new(Vec::new())])
                .collect()
        })
        .collect()
}

/// The parameters one worker updates.
struct Owned<'a> {
    /// Per hidden layer: this worker's columns of the weights and biases.
    hidden: Vec<(ArrayViewMut2<'a, f32>, ArrayViewMut1<'a, f32>)>,
    /// The output layer (the model's own for worker 0, an identical copy for the others).
    output: &'a mut Dense,
}

fn run_epoch(
    mlp: &mut Mlp,
    train: &Dataset,
    order: &[usize],
    opts: &SgdOptions,
    observer: &mut dyn Observer,
) -> Result<Totals, TrainError> {
    let sizes = mlp.sizes();
    let n_hidden = sizes.len() - 2;
    let workers = opts
        .threads
        .clamp(1, sizes[1..=n_hidden].iter().copied().min().unwrap_or(1));
    let ranges: Vec<_> = sizes[1..=n_hidden]
        .iter()
        .map(|&w| partition(w, workers))
        .collect();
    let shared = Shared {
        barrier: SpinBarrier::new(workers),
        stop: AtomicBool::new(false),
        activations: slots(n_hidden, workers),
        input_grads: slots(n_hidden, workers),
    };

    let (hidden_layers, output_layer) = mlp.layers.split_at_mut(n_hidden);
    let output = &mut output_layer[0];
    let mut copies: Vec<Dense> = (1..workers).map(|_| output.clone()).collect();
    let mut owned: Vec<Owned<'_>> = Vec::with_capacity(workers);
    let mut per_worker: Vec<Vec<_>> = (0..workers).map(|_| Vec::new()).collect();
    for (layer, cols) in hidden_layers.iter_mut().zip(&ranges) {
        let (mut w, mut b) = (layer.w.view_mut(), layer.b.view_mut());
        for (t, range) in cols.iter().enumerate() {
            let (w_t, w_rest) = w.split_at(Axis(1), range.len());
            let (b_t, b_rest) = b.split_at(Axis(0), range.len());
            per_worker[t].push((w_t, b_t));
            (w, b) = (w_rest, b_rest);
        }
    }
    let mut outputs = std::iter::once(output).chain(copies.iter_mut());
    for hidden in per_worker {
        let output = outputs.next().expect("one output layer per worker");
        owned.push(Owned { hidden, output });
    }

    let context = Context {
        train,
        order,
        opts,
        sizes: &sizes,
        ranges: &ranges,
        shared: &shared,
    };
    std::thread::scope(|s| {
        let mut owned = owned.into_iter();
        let mine = owned.next().expect("at least one worker");
        let others: Vec<_> = owned
            .enumerate()
            .map(|(i, part)| {
                let context = &context;
                s.spawn(move || context.work(i + 1, part, None))
            })
            .collect();
        let totals = context.work(0, mine, Some(observer));
        for handle in others {
            match handle.join() {
                Ok(result) => result?,
                Err(_) => return Err(TrainError::Backend("a training worker panicked".into())),
            };
        }
        totals
    })
}

struct Context<'a> {
    train: &'a Dataset,
    order: &'a [usize],
    opts: &'a SgdOptions,
    sizes: &'a [usize],
    ranges: &'a [Vec<std::ops::Range<usize>>],
    shared: &'a Shared,
}

impl Context<'_> {
    /// One worker's share of an epoch. Worker 0 runs on the caller's thread and talks to the
    /// observer; its totals are the epoch's (every worker computes the same loss).
    fn work(
        &self,
        t: usize,
        mut p: Owned<'_>,
        mut observer: Option<&mut dyn Observer>,
    ) -> Result<Totals, TrainError> {
        let _guard = self.shared.barrier.poison_on_panic();
        let poisoned = |_| TrainError::Backend("another training worker failed".into());
        let batch = self.opts.batch_size;
        let lr = self.opts.learning_rate;
        let n_hidden = self.sizes.len() - 2;
        let mine: Vec<_> = self.ranges.iter().map(|r| r[t].clone()).collect();

        let mut x = vec![0.0f32; batch * IMAGE_PIXELS];
        let mut own_act: Vec<Array2<f32>> = mine
            .iter()
            .map(|r| Array2::zeros((batch, r.len())))
            .collect();
        let mut full_act: Vec<Array2<f32>> = self.sizes[1..=n_hidden]
            .iter()
            .map(|&n| Array2::zeros((batch, n)))
            .collect();
        let mut grad: Vec<Array2<f32>> = mine
            .iter()
            .map(|r| Array2::zeros((batch, r.len())))
            .collect();
        let mut input_grad: Vec<Array2<f32>> = self.sizes[..n_hidden]
            .iter()
            .map(|&n| Array2::zeros((batch, n)))
            .collect();
        let mut logits = Array2::<f32>::zeros((batch, N_CLASSES));
        let mut totals = Totals::default();
        let n_batches = self.order.len().div_ceil(batch);

        for (step, indices) in self.order.chunks(batch).enumerate() {
            let rows = indices.len();
            let parity = step & 1;
            self.train
                .fill_batch(indices, &mut x[..rows * IMAGE_PIXELS]);
            let x = ArrayView2::from_shape((rows, IMAGE_PIXELS), &x[..rows * IMAGE_PIXELS])
                .expect("batch shape");

            // Forward through the hidden layers, sharing each layer's activations.
            for l in 0..n_hidden {
                let input = if l == 0 {
                    x.view()
                } else {
                    full_act[l - 1].slice(s![..rows, ..])
                };
                let (w, b) = &p.hidden[l];
                let mut a = own_act[l].slice_mut(s![..rows, ..]);
                a.assign(&b.broadcast((rows, b.len())).expect("bias width"));
                general_mat_mul(1.0, &input, w, 1.0, &mut a);
                a.mapv_inplace(|v| v.max(0.0));
                publish(&self.shared.activations[l][t][parity], a.view());
                self.shared.barrier.wait().map_err(poisoned)?;
                let mut full = full_act[l].slice_mut(s![..rows, ..]);
                for (u, range) in self.ranges[l].iter().enumerate() {
                    gather(
                        &self.shared.activations[l][u][parity],
                        full.slice_mut(s![.., range.clone()]),
                    );
                }
            }
            if self.shared.stop.load(Ordering::Acquire) {
                return Err(TrainError::Cancelled);
            }

            // Output layer, replicated: logits, softmax, loss, then dLoss/dlogits in place.
            let last = full_act[n_hidden - 1].slice(s![..rows, ..]);
            let mut z = logits.slice_mut(s![..rows, ..]);
            p.output.forward_into(&last, &mut z);
            for (mut row, &index) in z.axis_iter_mut(Axis(0)).zip(indices) {
                let label = usize::from(self.train.labels()[index]);
                let row = row.as_slice_mut().expect("contiguous row");
                let label_logit = row[label];
                let predicted = bench_core::argmax(row);
                let log_sum_exp = softmax_in_place(row);
                totals.loss += f64::from(log_sum_exp - label_logit);
                totals.correct += usize::from(predicted == label);
                row[label] -= 1.0;
                for v in row.iter_mut() {
                    *v /= rows as f32;
                }
            }
            if !totals.loss.is_finite() {
                // Every worker sees the same loss, so all stop here together.
                return Ok(totals);
            }
            let dz_out = z.view();

            // Backward: gradient into the last hidden layer's own columns, then update the output.
            let own_last = mine[n_hidden - 1].clone();
            let mut g = grad[n_hidden - 1].slice_mut(s![..rows, ..]);
            general_mat_mul(
                1.0,
                &dz_out,
                &p.output.w.slice(s![own_last, ..]).t(),
                0.0,
                &mut g,
            );
            general_mat_mul(-lr, &last.t(), &dz_out, 1.0, &mut p.output.w);
            p.output.b.scaled_add(-lr, &dz_out.sum_axis(Axis(0)));

            for l in (0..n_hidden).rev() {
                let mut g = grad[l].slice_mut(s![..rows, ..]);
                Zip::from(&mut g)
                    .and(own_act[l].slice(s![..rows, ..]))
                    .for_each(|g, &a| {
                        if a <= 0.0 {
                            *g = 0.0;
                        }
                    });
                let (w, b) = &mut p.hidden[l];
                if l > 0 {
                    // This worker's part of the gradient flowing into layer l-1, summed across
                    // workers in a fixed order so the result does not depend on timing.
                    let mut partial = input_grad[l].slice_mut(s![..rows, ..]);
                    general_mat_mul(1.0, &g, &w.t(), 0.0, &mut partial);
                    publish(&self.shared.input_grads[l][t][parity], partial.view());
                    self.shared.barrier.wait().map_err(poisoned)?;
                    let mut below = grad[l - 1].slice_mut(s![..rows, ..]);
                    below.fill(0.0);
                    for u in 0..self.ranges[l].len() {
                        accumulate(
                            &self.shared.input_grads[l][u][parity],
                            rows,
                            mine[l - 1].clone(),
                            &mut below,
                        );
                    }
                }
                let input = if l == 0 {
                    x.view()
                } else {
                    full_act[l - 1].slice(s![..rows, ..])
                };
                let g = grad[l].slice(s![..rows, ..]);
                general_mat_mul(-lr, &input.t(), &g, 1.0, w);
                b.scaled_add(-lr, &g.sum_axis(Axis(0)));
            }

            if let Some(observer) = observer.as_deref_mut() {
                observer.batch(step + 1, n_batches);
                if observer.cancelled() {
                    // Seen by every worker after the next batch's first meeting.
                    self.shared.stop.store(true, Ordering::Release);
                }
            }
        }
        Ok(totals)
    }
}

fn publish(slot: &Mutex<Vec<f32>>, values: ArrayView2<'_, f32>) {
    let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    slot.clear();
    slot.extend(values.iter().copied());
}

fn gather(slot: &Mutex<Vec<f32>>, mut dst: ArrayViewMut2<'_, f32>) {
    let slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    let src = ArrayView2::from_shape(dst.raw_dim(), &slot[..dst.len()]).expect("published shape");
    dst.assign(&src);
}

fn accumulate(
    slot: &Mutex<Vec<f32>>,
    rows: usize,
    cols: std::ops::Range<usize>,
    dst: &mut ArrayViewMut2<'_, f32>,
) {
    let slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    let width = slot.len() / rows;
    let src = ArrayView2::from_shape((rows, width), &slot[..]).expect("published shape");
    *dst += &src.slice(s![.., cols]);
}
