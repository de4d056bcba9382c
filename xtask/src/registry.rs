//! The one place that knows every backend. To add one: write a crate implementing
//! `bench_core::Backend` and a `bench_core::BackendFactory` that declares its settings, depend
//! on it from xtask, and add one line to `factories`. Its settings then reach `--set` and
//! `--help` with no other change here.

use anyhow::{Result, bail};
use bench_core::{Assignment, Backend, BackendFactory};

/// Every registered backend, in report order.
pub fn factories() -> Vec<Box<dyn BackendFactory>> {
    vec![
        Box::new(scratch_mlp::ScratchFactory),
        Box::new(linfa_baseline::LinfaFactory),
        Box::new(burn_mlp::BurnFactory),
    ]
}

/// Every backend's settings, for `--help`.
pub fn settings_help() -> String {
    bench_core::settings::help(&factories())
}

/// Every registered backend, built with `settings` applied (each checked, before anything
/// trains).
pub fn all(settings: &[Assignment]) -> Result<Vec<Box<dyn Backend>>> {
    Ok(bench_core::build_backends(&factories(), settings)?)
}

/// The backends named in `selection` (comma-separated), or all of them, built with `settings`.
pub fn select(selection: Option<&str>, settings: &[Assignment]) -> Result<Vec<Box<dyn Backend>>> {
    let available = all(settings)?;
    let Some(selection) = selection else {
        return Ok(available);
    };
    let names: Vec<String> = available.iter().map(|b| b.name().to_string()).collect();
    let mut wanted: Vec<&str> = Vec::new();
    for name in selection
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if !names.iter().any(|n| n == name) {
            bail!(
                "--backends: unknown backend {name:?}; available: {}",
                names.join(", ")
            );
        }
        if !wanted.contains(&name) {
            wanted.push(name);
        }
    }
    if wanted.is_empty() {
        bail!(
            "--backends: no backend named; available: {}",
            names.join(", ")
        );
    }
    Ok(available
        .into_iter()
        .filter(|b| wanted.contains(&b.name()))
        .collect())
}
