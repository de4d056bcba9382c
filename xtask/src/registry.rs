//! The one place that knows every backend. To add one: write a crate implementing
//! `bench_core::Backend`, depend on it from xtask, and add one line to `all`.

use anyhow::{Result, bail};
use bench_core::Backend;

/// Backend-specific command-line settings.
#[derive(Debug, Clone, Default)]
pub struct BackendOptions {
    /// Hidden layer widths of the scratch MLP (`None`: its default).
    pub scratch_hidden: Option<Vec<usize>>,
    /// Where burn runs.
    pub burn_device: burn_mlp::BurnDevice,
    /// Float type of the linfa backend.
    pub linfa_precision: linfa_baseline::Precision,
    /// linfa's extra history checkpoints.
    pub linfa_checkpoints: Vec<usize>,
}

/// Every registered backend, in report order.
pub fn all(opts: &BackendOptions) -> Vec<Box<dyn Backend>> {
    let mut scratch = scratch_mlp::ScratchBackend::default();
    if let Some(hidden) = &opts.scratch_hidden {
        scratch.hidden = hidden.clone();
    }
    vec![
        Box::new(scratch),
        Box::new(linfa_baseline::LinfaBackend {
            precision: opts.linfa_precision,
            checkpoints: opts.linfa_checkpoints.clone(),
            ..Default::default()
        }),
        Box::new(burn_mlp::BurnBackend {
            device: opts.burn_device,
            ..Default::default()
        }),
    ]
}

/// The backends named in `selection` (comma-separated), or all of them.
pub fn select(selection: Option<&str>, opts: &BackendOptions) -> Result<Vec<Box<dyn Backend>>> {
    let available = all(opts);
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
