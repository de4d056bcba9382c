//! The workloads the registered backends declare, found by name, listed, and built into the
//! variants a side-by-side run times.

use anyhow::{Result, bail};
use bench_core::{Assignment, Backend, Twin, Workload};

use crate::registry;

/// A workload and the backend that declares it.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    /// The backend's registry name.
    pub backend: &'static str,
    /// What it declares.
    pub workload: Workload,
}

/// Every declared workload, in registry order.
pub fn declared() -> Vec<Declared> {
    registry::factories()
        .iter()
        .flat_map(|f| {
            let backend = f.name();
            f.workloads()
                .iter()
                .map(move |&workload| Declared { backend, workload })
        })
        .collect()
}

/// The workload called `name`, or an error listing them.
pub fn find(name: &str) -> Result<Declared> {
    let all = declared();
    match all.iter().find(|d| d.workload.name == name) {
        Some(d) => Ok(*d),
        None => {
            let left_out: Vec<String> = registry::left_out()
                .iter()
                .map(|why| format!("; {why} (its workloads are not in it)"))
                .collect();
            bail!(
                "unknown workload {name:?}; the backends declare: {} (`cargo xtask bench \
                 --list`){}",
                names(&all),
                left_out.concat()
            )
        }
    }
}

/// The workloads' names, comma-separated.
pub fn names(all: &[Declared]) -> String {
    all.iter()
        .map(|d| d.workload.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `bench --list`: each workload, its unit and split, its variants (and the cargo feature of
/// those this build lacks) and each variant's twins with the default settings; then the
/// backends this build lacks, whose workloads are not listed.
pub fn list() -> Result<String> {
    let mut s = String::new();
    for d in declared() {
        let w = d.workload;
        s.push_str(&format!(
            "{} ({} backend; per {}; {})\n  {}\n",
            w.name,
            d.backend,
            w.unit.name(),
            w.split.describe(),
            w.about
        ));
        for v in w.variants {
            match v.feature.filter(|_| !v.compiled()) {
                Some(f) => s.push_str(&format!("  - {}\n", missing_feature(v.label, f.name))),
                None => {
                    let built = build_variant(d, v, &[])?;
                    let twins = built.twins.iter().map(|t| t.label.as_str());
                    s.push_str(&format!(
                        "  - {}: {}; twins: {}\n",
                        v.label,
                        built.backend.model(),
                        twins.collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
    }
    for why in registry::left_out() {
        s.push_str(&format!("Not listed: {why}.\n"));
    }
    Ok(s)
}

/// Why `label` cannot run in this build.
fn missing_feature(label: &str, feature: &str) -> String {
    format!(
        "{label} needs the `{feature}` cargo feature, which this build lacks (rebuild xtask with \
         it: `cargo run --release -p xtask --features {feature} -- bench ...`)"
    )
}

/// A variant built with the command line's settings: the Rust side of some rows.
pub struct Built {
    /// The workload it is a variant of.
    pub declared: Declared,
    /// Its row label.
    pub label: &'static str,
    /// The backend as configured.
    pub backend: Box<dyn Backend>,
    /// Its twins, mirroring the configuration.
    pub twins: Vec<Twin>,
    /// The environment it runs under; not empty: in a process of its own (`alone`).
    pub env: &'static [(&'static str, &'static str)],
    /// The settings the variant sets on top of the command line's.
    pub settings: &'static [(&'static str, &'static str)],
}

/// Builds `variant` of `declared` from `settings` with the variant's own on top.
pub fn build_variant(
    declared: Declared,
    variant: &bench_core::Variant,
    settings: &[Assignment],
) -> Result<Built> {
    let backend = declared.backend;
    let mut assigned = settings.to_vec();
    assigned.extend(variant.settings.iter().map(|&(setting, value)| Assignment {
        backend: backend.to_string(),
        setting: setting.to_string(),
        value: value.to_string(),
    }));
    let built = registry::one(backend, &assigned)?;
    let twins = match built.twins() {
        Ok(t) => t,
        Err(why) => bail!("{why}"),
    };
    Ok(Built {
        declared,
        label: variant.label,
        backend: built,
        twins,
        env: variant.env,
        settings: variant.settings,
    })
}

/// The variants of `selected` this build can run with `settings`, in order. A variant is left
/// out when it needs a cargo feature this build lacks, or when the command line set one of its
/// own settings to another value (`--set burn.device=flex` keeps burn's Flex row alone); what
/// was left out is returned as sentences. A selection left with no variant is an error naming
/// the features or settings, before anything runs.
pub fn build_selected(
    selected: &[Declared],
    settings: &[Assignment],
) -> Result<(Vec<Built>, Vec<String>)> {
    // Every value is checked first, so that a typo is named as one, not taken for a choice.
    registry::select(None, settings)?;
    let mut built = Vec::new();
    let mut left_out = Vec::new();
    for d in selected {
        for v in d.workload.variants {
            if let Some(f) = v.feature.filter(|_| !v.compiled()) {
                left_out.push(missing_feature(v.label, f.name));
                continue;
            }
            let overridden = v.settings.iter().find_map(|&(setting, value)| {
                settings
                    .iter()
                    .rev()
                    .find(|a| a.backend == d.backend && a.setting == setting)
                    .filter(|a| a.value.trim() != value)
                    .map(|a| format!("--set {}.{}={}", a.backend, a.setting, a.value))
            });
            if let Some(set) = overridden {
                left_out.push(format!(
                    "{} left out: {set} asks for another configuration",
                    v.label
                ));
                continue;
            }
            built.push(build_variant(*d, v, settings)?);
        }
    }
    if built.is_empty() {
        let what = match selected {
            [one] => format!("bench {} --reference: no variant of it", one.workload.name),
            _ => "bench --reference: no variant".to_string(),
        };
        bail!(
            "{what} can run, so nothing was run or written: {}",
            left_out.join("; ")
        );
    }
    Ok((built, left_out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_name_is_unique_and_has_a_variant() {
        let all = declared();
        assert!(!all.is_empty());
        for d in &all {
            assert!(!d.workload.variants.is_empty(), "{}", d.workload.name);
            let same = all.iter().filter(|o| o.workload.name == d.workload.name);
            assert_eq!(same.count(), 1, "{}", d.workload.name);
        }
        assert!(find("no-such-workload").is_err());
    }

    #[test]
    fn a_setting_of_the_command_line_narrows_the_variants_it_contradicts() {
        // A workload with two variants that differ in one setting and need no feature.
        let d = declared()
            .into_iter()
            .find(|d| {
                let v = d.workload.variants;
                v.len() >= 2
                    && v.iter()
                        .all(|v| v.feature.is_none() && v.settings.len() == 1)
                    && v[0].settings[0].0 == v[1].settings[0].0
            })
            .expect("a workload with two variants of one setting");
        let (first, second) = (d.workload.variants[0], d.workload.variants[1]);
        let (setting, value) = second.settings[0];
        let set = Assignment {
            backend: d.backend.to_string(),
            setting: setting.to_string(),
            value: value.to_string(),
        };
        let (built, left_out) = build_selected(&[d], &[set]).unwrap();
        let labels: Vec<&str> = built.iter().map(|b| b.label).collect();
        assert!(labels.contains(&second.label), "{labels:?}");
        assert!(!labels.contains(&first.label), "{labels:?}");
        assert!(
            left_out.iter().any(|w| w.contains(first.label)),
            "{left_out:?}"
        );
    }
}
