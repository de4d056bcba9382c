//! What every burn backend shares, so that each backend crate holds only its network: the device
//! chosen at run time ([`BurnDevice`]) among those compiled in (`burn-ndarray` always; Flex, CUDA
//! and wgpu behind the cargo features of those names), the training loop over any
//! [`training::Network`] with Adam, seeding and per-epoch validation ([`training`]), early
//! stopping on the validation loss ([`early_stop`], the `patience` setting in [`patience`]), the
//! flush-to-zero guard as burn needs it ([`denormals`], under the `flush` setting), batches as
//! tensors ([`data`]), saved weights ([`record`]) and the lock that has burn trainings in one
//! process run one at a time (held by [`training::train`]).
//!
//! It is no backend itself: `burn-mlp` and `burn-cnn` depend on it, never on each other.
//! Depends on `bench-core`, `mnist-data`, `burn`, and `ndarray` (in burn's build) to start
//! matrixmultiply's pool before the flush guard.

pub mod data;
pub mod denormals;
pub mod device;
pub mod early_stop;
pub mod patience;
pub mod record;
pub mod training;

use std::sync::Mutex;

use bench_core::Feature;

pub use device::BurnDevice;
pub use patience::{
    PATIENCE, patience_needs_validation, patience_note, patience_setting, patience_value,
};
pub use record::{MODEL_FILE, load_record, save_record};

/// The `flex` cargo feature (of this crate, and of the backend crates that forward it).
pub const FLEX: Feature = Feature {
    name: "flex",
    compiled: cfg!(feature = "flex"),
};

/// burn seeds its random state per backend, possibly globally, so two trainings at once in one
/// process would draw from each other's stream; runs are serialised to stay reproducible.
static TRAINING: Mutex<()> = Mutex::new(());

/// Holds burn's training lock: every burn network in this process trains one at a time
/// (`training::train` takes it).
pub(crate) fn serial_training() -> std::sync::MutexGuard<'static, ()> {
    TRAINING.lock().unwrap_or_else(|e| e.into_inner())
}
