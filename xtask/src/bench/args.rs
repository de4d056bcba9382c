//! The flags of `cargo xtask bench`.

use std::path::PathBuf;

use clap::Args;

use crate::DataArgs;
use crate::registry::{self, SettingsArgs};

/// What to install for every twin.
pub const PIP_INSTALL: &str = "pip install numpy scikit-learn torch tensorflow-cpu threadpoolctl";

/// Rounds of a side-by-side run unless told otherwise (the committed table's).
pub const DEFAULT_ROUNDS: usize = 5;

/// Seed of the split and the first model unless told otherwise (the notebook's split).
pub const DEFAULT_SEED: u64 = 42;

/// Flags of `bench`.
#[derive(Debug, Args)]
#[command(after_help = after_help())]
pub struct BenchArgs {
    /// The workload to time (`--list` names every one), its backend configured by --set (its
    /// defaults otherwise). With --reference: only these workloads' rows, each variant beside its
    /// twins, all alternated in one run (default: every workload's), e.g. `bench burn-epoch
    /// candle-epoch --reference python3`; without it, one workload.
    #[arg(value_name = "WORKLOAD")]
    pub workloads: Vec<String>,
    /// List the workloads the backends declare, their variants and twins, and exit.
    #[arg(long)]
    pub list: bool,
    /// Timed runs (after one untimed warm-up run); with --reference, --rounds instead.
    #[arg(long, default_value_t = 5, conflicts_with = "reference")]
    pub runs: usize,
    /// Side by side with each backend's Python twins (xtask/reference/*.py), run by this
    /// interpreter: each Rust variant alternated with its twins, round after round.
    #[arg(long, value_name = "PYTHON")]
    pub reference: Option<PathBuf>,
    /// With --reference: rounds, each with its own model seed (--seed, --seed+1, ...).
    #[arg(long, default_value_t = DEFAULT_ROUNDS, requires = "reference")]
    pub rounds: usize,
    /// With --reference: epochs of every network's run, both sides (default: each backend's
    /// own). A fit (the logistic regressions) always runs its whole budget.
    #[arg(long, requires = "reference")]
    pub epochs: Option<usize>,
    /// With --reference: folder for reference.md and reference.json (default: benchmarks/ at the
    /// workspace root for every workload, benchmarks/WORKLOAD/ for one, benchmarks/A+B/ for
    /// several; replaced atomically, as reports are). Ctrl-C writes nothing and exits 130.
    #[arg(long, value_name = "DIR", requires = "reference")]
    pub out: Option<PathBuf>,
    /// With --reference: seconds a twin, or a variant run in a process of its own (an "as
    /// shipped" row), may run before it is stopped and reported as timed out.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 3600,
        value_parser = clap::value_parser!(u64).range(1..),
        requires = "reference"
    )]
    pub twin_timeout: u64,
    /// Seed of the split and the model.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// For bench's own use: run one variant in this process and print what it measured
    /// (`--reference` starts a variant whose settings hold for a whole process this way).
    #[arg(long, hide = true, value_name = "REQUEST", conflicts_with_all = ["reference", "list"])]
    pub alone: Option<String>,
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(flatten)]
    pub data: DataArgs,
}

/// `bench --help`'s words after the flags.
fn after_help() -> String {
    format!(
        "Workloads: `cargo xtask bench --list`.\n\
         Side by side with Python (--reference): the interpreter needs\n  {PIP_INSTALL}\n\
         A missing interpreter or package is reported in one line; the Rust figures are still \
         measured. The twins mirror the settings that shape the model (widths, dropout, threads); \
         a setting no twin can mirror is refused before anything runs.\nOPENBLAS_CORETYPE and \
         OPENBLAS_L2_SIZE reach NumPy and scikit-learn as set; the OpenBLAS kernel that ran is \
         recorded with the table.\n{}",
        registry::settings_help()
    )
}
