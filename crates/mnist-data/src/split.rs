//! Seeded, deterministic train/validation/test splits.
//!
//! Two protocols: `standard` keeps the official 60k/10k files apart and holds a validation
//! fraction out of the training file; `pooled-80-20` reproduces the notebook: all 70k images
//! pooled, shuffled, 80% train and 20% test, validation carved from the train part on request. Its
//! shuffle is scikit-learn's `train_test_split(test_size=0.2, random_state=seed)`, image for image
//! (see [`crate::numpy_shuffle`]), so the same seed gives the notebook's test set; by default it
//! holds no validation out, so the models train on the notebook's 56k images.

use std::fmt;
use std::str::FromStr;

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::idx::IMAGE_PIXELS;
use crate::numpy_shuffle;
use crate::rng::Rng;

/// Which protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SplitKind {
    /// The official files: 60k train (minus validation), 10k test.
    #[default]
    Standard,
    /// All 70k pooled and shuffled: 80% train (minus validation), 20% test.
    Pooled8020,
}

impl SplitKind {
    /// Every protocol, for help texts.
    pub const ALL: [SplitKind; 2] = [SplitKind::Standard, SplitKind::Pooled8020];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Pooled8020 => "pooled-80-20",
        }
    }

    /// The validation fraction used when none is asked for: 10% of the official training file
    /// for `standard`; none for `pooled-80-20`, whose notebook trained on all 56k training images
    /// (the figures it is compared with come from that training set).
    pub fn default_validation_fraction(self) -> f64 {
        match self {
            Self::Standard => 0.1,
            Self::Pooled8020 => 0.0,
        }
    }
}

impl fmt::Display for SplitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SplitKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown split {s:?}; expected one of: standard, pooled-80-20"))
    }
}

/// How to split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitSpec {
    /// The protocol.
    pub kind: SplitKind,
    /// Seed of the shuffle.
    pub seed: u64,
    /// Fraction of the training part held out for validation, in `[0, 1)`.
    pub validation_fraction: f64,
}

impl SplitSpec {
    /// Share of the pooled images used for testing in `pooled-80-20`.
    pub const POOLED_TEST_FRACTION: f64 = 0.2;
}

/// Indices into the pooled index space: `0..n_train` are the training file's images,
/// `n_train..n_train + n_test` the test file's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitIndices {
    /// Images to train on.
    pub train: Vec<usize>,
    /// Images held out for validation (may be empty).
    pub validation: Vec<usize>,
    /// Images to test on, once, at the end.
    pub test: Vec<usize>,
}

/// Computes the split of `n_train + n_test` images.
pub fn split_indices(
    n_train: usize,
    n_test: usize,
    spec: &SplitSpec,
) -> Result<SplitIndices, DataError> {
    let frac = spec.validation_fraction;
    if !(0.0..1.0).contains(&frac) {
        return Err(DataError::Invalid(format!(
            "--val-fraction must be in [0, 1), got {frac}"
        )));
    }
    let (train_part, test) = match spec.kind {
        SplitKind::Standard => (
            Rng::derive(spec.seed, "split").permutation(n_train),
            (n_train..n_train + n_test).collect(),
        ),
        SplitKind::Pooled8020 => {
            // scikit-learn's `train_test_split(test_size=0.2, random_state=seed)` on the images
            // pooled in file order: the test set is the first ceil(20%) of numpy's permutation.
            let seed = u32::try_from(spec.seed).map_err(|_| {
                DataError::Invalid(format!(
                    "--seed {} is too large for --split pooled-80-20, which shuffles as numpy's \
                     RandomState does: use a seed below 2^32",
                    spec.seed
                ))
            })?;
            let mut all = numpy_shuffle::permutation(n_train + n_test, seed);
            let n_test_pooled =
                ((n_train + n_test) as f64 * SplitSpec::POOLED_TEST_FRACTION).ceil() as usize;
            let train_part = all.split_off(n_test_pooled);
            (train_part, all)
        }
    };
    let n_val = (train_part.len() as f64 * frac).round() as usize;
    if n_val >= train_part.len() {
        return Err(DataError::Invalid(format!(
            "--val-fraction {frac} leaves no training images out of {}",
            train_part.len()
        )));
    }
    let mut validation = train_part;
    let train = validation.split_off(n_val);
    Ok(SplitIndices {
        train,
        validation,
        test,
    })
}

/// A materialised split.
#[derive(Debug, Clone)]
pub struct Split {
    /// Images to train on.
    pub train: Dataset,
    /// Images for per-epoch validation (empty with a validation fraction of 0).
    pub validation: Dataset,
    /// Images to test on, once, at the end of a run.
    pub test: Dataset,
    /// How it was made.
    pub spec: SplitSpec,
}

impl Split {
    /// Splits the training and test files according to `spec`.
    pub fn new(
        train_file: &Dataset,
        test_file: &Dataset,
        spec: SplitSpec,
    ) -> Result<Self, DataError> {
        let idx = split_indices(train_file.len(), test_file.len(), &spec)?;
        let n_train = train_file.len();
        let pick = |indices: &[usize]| {
            let mut pixels = Vec::with_capacity(indices.len() * IMAGE_PIXELS);
            let mut labels = Vec::with_capacity(indices.len());
            for &i in indices {
                let (file, j) = if i < n_train {
                    (train_file, i)
                } else {
                    (test_file, i - n_train)
                };
                pixels.extend_from_slice(file.image(j));
                labels.push(file.labels()[j]);
            }
            Dataset::new(pixels, labels)
        };
        Ok(Self {
            train: pick(&idx.train)?,
            validation: pick(&idx.validation)?,
            test: pick(&idx.test)?,
            spec,
        })
    }

    /// Images in the train, validation and test parts.
    pub fn sizes(&self) -> [usize; 3] {
        [self.train.len(), self.validation.len(), self.test.len()]
    }
}
