//! The data for the workspace: the known 28x28, 10-class IDX datasets as specs (MNIST,
//! Fashion-MNIST), reading IDX files (raw or gzip), finding, verifying and identifying them,
//! downloading them when missing, holding them as bytes, and splitting them with a seed.
//!
//! This crate owns the data and nothing about models: backends receive a [`Split`] and convert
//! pixels to `f32` one batch at a time with [`Dataset::fill_batch`]. Of the workspace crates it
//! depends on `safe-write` alone, through which a download replaces its file atomically.
//!
//! Layout: [`spec`] (the datasets as data), [`idx`] (the format, every size checked before what
//! the header asks for is allocated), [`source`] (finding, verifying and identifying files; an
//! explicit folder never falls through to another source), [`download`], [`dataset`], [`split`]
//! with [`numpy_shuffle`] (scikit-learn's split, image for image), [`rng`] (the workspace's
//! seeded generator), [`write`](mod@write) (`cargo xtask split` and the test fixtures) and
//! [`synth`] (synthetic fixtures, with a spec of their own).

pub mod dataset;
pub mod download;
pub mod error;
pub mod idx;
pub mod numpy_shuffle;
pub mod rng;
pub mod source;
pub mod spec;
pub mod split;
pub mod synth;
pub mod write;

pub use dataset::Dataset;
pub use error::{DataError, IdxProblem};
pub use idx::{IMAGE_PIXELS, N_CLASSES, SIDE};
pub use rng::Rng;
pub use source::{Checksums, Mnist, Origin, Part, Sources};
pub use spec::{DatasetSpec, FASHION_MNIST, MNIST};
pub use split::{Split, SplitKind, SplitSpec};
