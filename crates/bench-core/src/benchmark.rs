//! What a backend declares for `cargo xtask bench`: the workloads it can be timed on (which
//! images, what one timed unit is, the variants timed side by side), the Python twins that train
//! the same model, and the work it can count while it trains. The harness holds no backend's
//! name: it reads these declarations from the registry.

use mnist_data::{SplitKind, SplitSpec};

/// The images a workload trains on. Both hold nothing out for validation that training sees:
/// timed epochs contain no validation pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkSplit {
    /// The notebook's protocol, `pooled-80-20`, with nothing held out: 56k train, 14k test.
    Pooled,
    /// The official files with 20% of the training file held out and unused, as the notebook's
    /// Keras run (`validation_split=0.2`): 48k train, the official 10k test.
    StandardHeldOut,
}

impl WorkSplit {
    /// Every split, in the order tables describe them.
    pub const ALL: [Self; 2] = [Self::Pooled, Self::StandardHeldOut];

    /// The split's specification with `seed`.
    pub fn spec(self, seed: u64) -> SplitSpec {
        match self {
            Self::Pooled => SplitSpec {
                kind: SplitKind::Pooled8020,
                seed,
                validation_fraction: 0.0,
            },
            Self::StandardHeldOut => SplitSpec {
                kind: SplitKind::Standard,
                seed,
                validation_fraction: 0.2,
            },
        }
    }

    /// How a table describes it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Pooled => "split pooled-80-20, nothing held out",
            Self::StandardHeldOut => {
                "split standard with 20% of the training file held out and unused (as the \
                 notebook's Keras `validation_split=0.2`)"
            }
        }
    }
}

/// What one timed unit of a workload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkUnit {
    /// One pass over the training images; a run's figure is the median of its epochs.
    Epoch,
    /// A whole fit (e.g. L-BFGS's iterations); a run's figure is its training time.
    Fit,
}

impl WorkUnit {
    /// The unit's name in tables: `epoch` or `fit`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Epoch => "epoch",
            Self::Fit => "fit",
        }
    }
}

/// A cargo feature a variant needs, and whether this build has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    /// The feature's name, e.g. `flex`.
    pub name: &'static str,
    /// Whether it is compiled in (the backend crate's `cfg!(feature = ...)`).
    pub compiled: bool,
}

/// One configuration of the backend timed side by side with its twins, e.g. burn on Flex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// Its row label, e.g. `burn flex, tuned`.
    pub label: &'static str,
    /// The backend's settings it sets on top of the command line's, as (setting, value).
    pub settings: &'static [(&'static str, &'static str)],
    /// The cargo feature it needs, if any.
    pub feature: Option<Feature>,
    /// Environment variables it runs under, as (name, value): settings that hold for a whole
    /// process, such as the allocator's ([`crate::malloc::OPT_OUT`]). A variant with any runs in
    /// a process of its own.
    pub env: &'static [(&'static str, &'static str)],
}

/// The environment of a variant that runs with glibc's default allocator, as a framework ships.
pub const DEFAULT_MALLOC: &[(&str, &str)] = &[(crate::malloc::OPT_OUT, "default")];

impl Variant {
    /// Whether this build can run it.
    pub fn compiled(&self) -> bool {
        self.feature.is_none_or(|f| f.compiled)
    }
}

/// A workload a backend declares: `bench NAME` times it, `bench --reference` times its variants
/// alternated with their twins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    /// Its name on the command line, e.g. `burn-epoch`.
    pub name: &'static str,
    /// One line for `bench --list`.
    pub about: &'static str,
    /// The images it trains on.
    pub split: WorkSplit,
    /// What one timed unit is.
    pub unit: WorkUnit,
    /// The configurations timed side by side (at least one).
    pub variants: &'static [Variant],
}

/// A Python program that trains the same model as a backend, for `bench --reference`. It is run
/// as `PYTHON SCRIPT SPLIT_DIR --seed S [--epochs E] ARGS...` and prints one JSON line (the
/// protocol is `_common.py`'s, in the twins' folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Twin {
    /// Its column label, e.g. `NumPy f32`.
    pub label: String,
    /// The script's file name in the folder of Python twins the command line names (its
    /// registry), e.g. `torch_mlp.py`.
    pub script: &'static str,
    /// Arguments that make it train the backend's model as configured (widths, dropout, float
    /// type, threads); `--seed` and `--epochs` are added by the harness.
    pub args: Vec<String>,
    /// What a reader should know about the pairing, e.g. `same precision` (may be empty).
    pub note: &'static str,
}

/// The PyTorch and Keras twins of a dropout MLP (`torch_mlp.py` and `keras_mlp.py`): ReLU hidden
/// layers of the widths `hidden`, dropout `dropout` after each, Glorot-uniform weights, Adam
/// (learning rate 1e-3): the network of every MLP backend with dropout and Adam.
pub fn dropout_mlp_twins(hidden: &[usize], dropout: f64) -> Vec<Twin> {
    let hidden: Vec<String> = hidden.iter().map(usize::to_string).collect();
    let twin = |label: &str, script, note| Twin {
        label: label.to_string(),
        script,
        args: vec![
            "--hidden".into(),
            hidden.join(","),
            "--dropout".into(),
            dropout.to_string(),
        ],
        note,
    };
    vec![
        twin("PyTorch", "torch_mlp.py", ""),
        twin("Keras", "keras_mlp.py", "the notebook's framework"),
    ]
}

/// The PyTorch twin of the small CNN (xtask/reference/torch_cnn.py), the same network with
/// `dropout` before the last layer: every CNN backend's twin, whatever its framework.
pub fn cnn_twin(dropout: f64) -> Twin {
    Twin {
        label: "PyTorch CNN".to_string(),
        script: "torch_cnn.py",
        args: vec!["--dropout".into(), dropout.to_string()],
        note: "same network",
    }
}

/// Counts the work a backend does while it is timed, for `bench`'s printout.
pub trait WorkMeter {
    /// Lines describing the work of one unit, given how many units were trained since the meter
    /// was made (the untimed warm-up included) and the median seconds of one.
    fn lines(&self, units: u64, median_seconds: f64) -> Vec<String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mlp_twins_build_the_widths_and_dropout_they_are_given() {
        let twins = dropout_mlp_twins(&[256, 128], 0.5);
        let labels: Vec<&str> = twins.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["PyTorch", "Keras"]);
        for twin in twins {
            assert_eq!(twin.args, ["--hidden", "256,128", "--dropout", "0.5"]);
        }
    }
}
