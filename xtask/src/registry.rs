//! The one place that knows every backend. To add one: write a crate implementing
//! `bench_core::Backend` and a `bench_core::BackendFactory` that declares its settings, depend
//! on it from xtask, and add one line to `factories`. Its settings then reach `--set` and
//! `--help` with no other change here. A backend behind a cargo feature of xtask also gets a line
//! in `OPTIONAL`, so that a build without it names the feature when asked for it.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use bench_core::{Assignment, Backend, BackendFactory};
use clap::Args;

/// Backend settings on the command line, shared by `compare` and `bench`: `--set`, and the
/// per-backend flags that are aliases of it.
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArgs {
    /// A backend's setting, as BACKEND.SETTING=VALUE (repeatable; e.g. burn.device=flex,
    /// scratch.hidden=256,128): every backend's settings are listed below.
    #[arg(long = "set", value_name = "BACKEND.SETTING=VALUE")]
    pub set: Vec<String>,
    /// Alias of --set scratch.hidden=LIST.
    #[arg(long, value_name = "LIST")]
    pub hidden: Option<String>,
    /// Alias of --set scratch.threads=N.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Alias of --set burn.device=DEVICE.
    #[arg(long, value_name = "DEVICE")]
    pub burn_device: Option<String>,
    /// Alias of --set linfa.precision=TYPE.
    #[arg(long, value_name = "TYPE")]
    pub linfa_precision: Option<String>,
    /// Alias of --set linfa.checkpoints=LIST.
    #[arg(long, value_name = "LIST")]
    pub linfa_checkpoints: Option<String>,
}

impl SettingsArgs {
    /// Every backend setting given: the aliases first, then `--set` in order (a later one wins).
    pub fn assignments(&self) -> Result<Vec<Assignment>> {
        let alias = |backend: &str, setting: &str, value: Option<String>| {
            value.map(|value| Assignment {
                backend: backend.into(),
                setting: setting.into(),
                value,
            })
        };
        [
            alias("scratch", "hidden", self.hidden.clone()),
            alias("scratch", "threads", self.threads.map(|t| t.to_string())),
            alias("burn", "device", self.burn_device.clone()),
            alias("linfa", "precision", self.linfa_precision.clone()),
            alias("linfa", "checkpoints", self.linfa_checkpoints.clone()),
        ]
        .into_iter()
        .flatten()
        .map(Ok)
        .chain(self.set.iter().map(|s| {
            s.parse::<Assignment>()
                .map_err(|e| anyhow::anyhow!("--set {s}: {e}"))
        }))
        .collect()
    }
}

/// The one backend called `name`, built with `settings`.
pub fn one(name: &str, settings: &[Assignment]) -> Result<Box<dyn Backend>> {
    if let Some(why) = not_compiled(name, OPTIONAL) {
        bail!("{why}");
    }
    let mut picked = select(Some(name), settings)?;
    picked
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no backend called {name:?}"))
}

/// Every registered backend, in report order.
pub fn factories() -> Vec<Box<dyn BackendFactory>> {
    vec![
        Box::new(scratch_mlp::ScratchFactory),
        Box::new(linfa_baseline::LinfaFactory),
        Box::new(burn_mlp::BurnFactory),
        Box::new(burn_cnn::CnnFactory),
        #[cfg(feature = "candle")]
        Box::new(candle_mlp::CandleFactory),
        #[cfg(feature = "candle")]
        Box::new(candle_cnn::CandleCnnFactory),
    ]
}

/// Every setting of the backend `name`, with the value `assignments` give it or its default
/// (empty for an unknown backend): what a saved model records.
pub fn resolved_settings(name: &str, assignments: &[Assignment]) -> BTreeMap<String, String> {
    factories()
        .iter()
        .find(|f| f.name() == name)
        .map(|f| bench_core::settings::resolved(f.as_ref(), assignments))
        .unwrap_or_default()
}

/// Backends behind a cargo feature of xtask: (backend, feature, whether this build has it).
const OPTIONAL: &[(&str, &str, bool)] = &[
    ("candle", "candle", cfg!(feature = "candle")),
    ("candle-cnn", "candle", cfg!(feature = "candle")),
];

/// Why `backend` cannot be used in this build, naming the cargo feature that brings it, when
/// it is one of `optional` and not compiled in.
fn not_compiled(backend: &str, optional: &[(&str, &str, bool)]) -> Option<String> {
    optional
        .iter()
        .find(|(name, _, compiled)| *name == backend && !compiled)
        .map(|(name, feature, _)| {
            format!(
                "the {name} backend is not compiled into this build; {}",
                bench_core::needs_feature(feature)
            )
        })
}

/// The optional backends this build lacks, each with the sentence naming its feature.
pub fn left_out() -> Vec<String> {
    OPTIONAL
        .iter()
        .filter_map(|(name, _, _)| not_compiled(name, OPTIONAL))
        .collect()
}

/// An error for the first backend named in `selection` or `assignments` that this build lacks.
fn refuse_left_out(selection: Option<&str>, assignments: &[Assignment]) -> Result<()> {
    let named = selection
        .into_iter()
        .flat_map(|l| l.split(','))
        .map(str::trim);
    for name in named {
        if let Some(why) = not_compiled(name, OPTIONAL) {
            bail!("--backends {name}: {why}");
        }
    }
    for a in assignments {
        if let Some(why) = not_compiled(&a.backend, OPTIONAL) {
            bail!("--set {}.{}: {why}", a.backend, a.setting);
        }
    }
    Ok(())
}

/// Every backend's settings, for `--help`.
pub fn settings_help() -> String {
    bench_core::settings::help(&factories())
}

/// The backends named in `selection` (comma-separated; `all` for every one), or without a
/// selection those that run by default, built with `settings`. Every setting given is checked,
/// by building its backend, whichever backends are selected.
pub fn select(selection: Option<&str>, settings: &[Assignment]) -> Result<Vec<Box<dyn Backend>>> {
    refuse_left_out(selection, settings)?;
    let factories = factories();
    let by_default: Vec<&str> = factories
        .iter()
        .filter(|f| f.in_default_run())
        .map(|f| f.name())
        .collect();
    let names: Vec<&str> = factories.iter().map(|f| f.name()).collect();
    let wanted: Vec<&str> = match selection.map(str::trim) {
        None => by_default,
        Some("all") => names.clone(),
        Some(list) => {
            let mut wanted: Vec<&str> = Vec::new();
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let Some(&known) = names.iter().find(|&&n| n == name) else {
                    bail!(
                        "--backends: unknown backend {name:?}; available: {} (or all)",
                        names.join(", ")
                    );
                };
                if !wanted.contains(&known) {
                    wanted.push(known);
                }
            }
            if wanted.is_empty() {
                bail!(
                    "--backends: no backend named; available: {} (or all)",
                    names.join(", ")
                );
            }
            wanted
        }
    };
    Ok(bench_core::build_backends(&factories, settings, &wanted)?)
}

/// The folder, relative to the workspace root, that holds the Python twins the backends name.
pub const TWINS_DIR: &str = "xtask/reference";

/// The path of `twin`'s script relative to the workspace root: what xtask runs and prints.
pub fn twin_script(twin: &bench_core::Twin) -> String {
    format!("{TWINS_DIR}/{}", twin.script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backend_left_out_of_the_build_is_named_with_its_feature() {
        let optional = [("gpu-net", "gpu-net", false), ("fast-net", "fast", true)];
        assert_eq!(
            not_compiled("gpu-net", &optional).as_deref(),
            Some(
                "the gpu-net backend is not compiled into this build; rebuild with the \
                 `gpu-net` cargo feature"
            )
        );
        assert_eq!(not_compiled("fast-net", &optional), None);
        assert_eq!(not_compiled("scratch", &optional), None);
        // Every optional backend this build has is registered; none it lacks is.
        let registered: Vec<&str> = factories().iter().map(|f| f.name()).collect();
        for (name, _, compiled) in OPTIONAL {
            assert_eq!(registered.contains(name), *compiled, "{name}");
        }
    }

    #[test]
    fn every_twin_is_a_file_name_found_in_the_twins_folder() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut checked = 0;
        for factory in factories() {
            // A backend whose default device this build lacks (the cnn without `flex`) is left
            // out; every other one builds with its defaults.
            let Ok(backend) = one(factory.name(), &[]) else {
                assert!(factory.name() == "cnn" && !cfg!(feature = "flex"));
                continue;
            };
            for twin in backend.twins().unwrap_or_default() {
                assert!(
                    !twin.script.contains('/'),
                    "{}: {}",
                    factory.name(),
                    twin.script
                );
                let path = root.join(twin_script(&twin));
                assert!(
                    path.is_file(),
                    "{}: {} is missing",
                    factory.name(),
                    path.display()
                );
                checked += 1;
            }
        }
        assert!(checked >= 4, "{checked} twins checked");
    }
}
