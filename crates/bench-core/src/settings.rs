//! Backend settings, declared next to each backend's code: a backend crate lists its settings
//! (name, help, default) and builds itself from their values through a [`BackendFactory`]; the
//! command line sets any of them with `--set BACKEND.SETTING=VALUE` and knows none of them.
//!
//! [`build_backends`] checks every assignment (a known backend, one of its settings, a value it
//! accepts) and builds every backend that will run or was given a setting, before anything
//! trains: a bad value is one error naming the setting, even for a backend left out of the run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::backend::Backend;
use crate::benchmark::Workload;
use crate::config::ConfigError;

/// One setting a backend declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingSpec {
    /// The name after the backend's, e.g. `device` in `burn.device`.
    pub name: &'static str,
    /// One line for `--help`.
    pub help: &'static str,
    /// The value used unless set, as it would be typed.
    pub default: &'static str,
}

/// A backend as the registry knows it: its name, its settings, and how to build it.
pub trait BackendFactory: Send + Sync {
    /// The backend's name, as in [`Backend::name`].
    fn name(&self) -> &'static str;

    /// The settings it takes.
    fn settings(&self) -> &'static [SettingSpec];

    /// Builds the backend from every setting's value (the defaults filled in). A value it cannot
    /// use is an error naming the setting ([`Settings::invalid`]).
    fn build(&self, settings: &Settings) -> Result<Box<dyn Backend>, ConfigError>;

    /// Whether a comparison runs it when no backend is named (a slow backend says no, and runs
    /// when named or with `--backends all`).
    fn in_default_run(&self) -> bool {
        true
    }

    /// The workloads `cargo xtask bench` can time it on; none by default.
    fn workloads(&self) -> &'static [Workload] {
        &[]
    }

    /// Facts of how this build compiled the backend that its results depend on, for the
    /// provenance line of every report and benchmark (e.g. `linfa products by BLIS`); none by
    /// default.
    fn build_facts(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The values of one backend's settings, each declared setting present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    backend: String,
    values: BTreeMap<String, String>,
    /// The settings given on the command line (the others hold their defaults).
    assigned: BTreeSet<String>,
}

impl Settings {
    /// `specs`' defaults for `backend`.
    pub fn defaults(backend: &str, specs: &[SettingSpec]) -> Self {
        Self {
            backend: backend.to_string(),
            values: specs
                .iter()
                .map(|s| (s.name.to_string(), s.default.to_string()))
                .collect(),
            assigned: BTreeSet::new(),
        }
    }

    /// The value of `name` as typed (empty for a setting that was never declared).
    pub fn raw(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    /// The value of `name`, parsed.
    pub fn parse<T: FromStr>(&self, name: &str) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        let raw = self.raw(name);
        raw.trim().parse::<T>().map_err(|e| {
            if self.assigned.contains(name) {
                self.invalid(name, &format!("cannot use {raw:?}: {e}"))
            } else {
                self.invalid(name, &e.to_string())
            }
        })
    }

    /// The value of `name` as a comma-separated list (empty for an empty value).
    pub fn list<T: FromStr>(&self, name: &str) -> Result<Vec<T>, ConfigError>
    where
        T::Err: fmt::Display,
    {
        let raw = self.raw(name);
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse()
                    .map_err(|e| self.invalid(name, &format!("cannot use {s:?} in {raw:?}: {e}")))
            })
            .collect()
    }

    /// The value of `name` as layer widths: one or more positive numbers, comma-separated.
    pub fn widths(&self, name: &str) -> Result<Vec<usize>, ConfigError> {
        let widths: Vec<usize> = self.list(name)?;
        if widths.is_empty() || widths.contains(&0) {
            return Err(self.invalid(name, "give one or more positive widths, e.g. 256,128"));
        }
        Ok(widths)
    }

    /// The error for a value of `name` that cannot be used, saying `reason`: naming the `--set`
    /// that gave it, or, for a default nobody set, saying that it is the default, so that the
    /// user is not blamed for a value they never typed.
    pub fn invalid(&self, name: &str, reason: &str) -> ConfigError {
        let backend = &self.backend;
        ConfigError::Invalid(if self.assigned.contains(name) {
            format!("--set {backend}.{name}: {reason}")
        } else {
            format!(
                "{backend}.{name} is {:?} by default, which this build cannot use: {reason}; or \
                 choose another value with --set {backend}.{name}=VALUE",
                self.raw(name)
            )
        })
    }

    pub(crate) fn set(&mut self, name: &str, value: &str) {
        self.values.insert(name.to_string(), value.to_string());
        self.assigned.insert(name.to_string());
    }
}

/// How a backend says that a value needs a cargo feature this build lacks (in the reason it
/// gives [`Settings::invalid`]): the command line finds it with [`feature_needed`] and names the
/// command that works.
pub fn needs_feature(feature: &str) -> String {
    format!("rebuild with the `{feature}` cargo feature")
}

/// The cargo feature an error message says is needed ([`needs_feature`]), if it says one.
pub fn feature_needed(message: &str) -> Option<&str> {
    const BEFORE: &str = "rebuild with the `";
    let start = message.find(BEFORE)? + BEFORE.len();
    let rest = &message[start..];
    let feature = &rest[..rest.find("` cargo feature")?];
    (!feature.is_empty() && !feature.contains(char::is_whitespace)).then_some(feature)
}

/// One `BACKEND.SETTING=VALUE` from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The backend's name.
    pub backend: String,
    /// The setting's name.
    pub setting: String,
    /// The value, as typed.
    pub value: String,
}

impl FromStr for Assignment {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wrong = || "expected BACKEND.SETTING=VALUE, e.g. burn.device=flex".to_string();
        let (key, value) = s.split_once('=').ok_or_else(wrong)?;
        let (backend, setting) = key.trim().split_once('.').ok_or_else(wrong)?;
        if backend.is_empty() || setting.is_empty() {
            return Err(wrong());
        }
        Ok(Self {
            backend: backend.to_string(),
            setting: setting.to_string(),
            value: value.to_string(),
        })
    }
}

/// Every setting of `factory` with the value `assignments` give it, or its default: what a saved
/// model records to rebuild its backend.
pub fn resolved(
    factory: &dyn BackendFactory,
    assignments: &[Assignment],
) -> BTreeMap<String, String> {
    let mut settings = Settings::defaults(factory.name(), factory.settings());
    for a in assignments.iter().filter(|a| a.backend == factory.name()) {
        settings.set(&a.setting, &a.value);
    }
    settings.values
}

/// Builds the backends of `factories` named in `selected`, in the factories' order, with
/// `assignments` applied (a later assignment of the same setting wins). Each assignment must name
/// a known backend and one of its settings, and every backend given a setting is built too, so
/// that its values are checked whether or not it runs; a backend that is neither selected nor
/// set is not built (its defaults may need a cargo feature this build lacks). Nothing is
/// returned unless every build succeeds.
pub fn build_backends(
    factories: &[Box<dyn BackendFactory>],
    assignments: &[Assignment],
    selected: &[&str],
) -> Result<Vec<Box<dyn Backend>>, ConfigError> {
    let mut settings: Vec<Settings> = factories
        .iter()
        .map(|f| Settings::defaults(f.name(), f.settings()))
        .collect();
    for a in assignments {
        let Some(i) = factories.iter().position(|f| f.name() == a.backend) else {
            let names: Vec<&str> = factories.iter().map(|f| f.name()).collect();
            return Err(ConfigError::Invalid(format!(
                "--set {}.{}: unknown backend {:?}; available: {}",
                a.backend,
                a.setting,
                a.backend,
                names.join(", ")
            )));
        };
        let specs = factories[i].settings();
        if !specs.iter().any(|s| s.name == a.setting) {
            let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
            return Err(ConfigError::Invalid(format!(
                "--set {}.{}: {} has no setting {:?}; its settings: {}",
                a.backend,
                a.setting,
                a.backend,
                a.setting,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
        settings[i].set(&a.setting, &a.value);
    }
    let mut built = Vec::new();
    for (f, s) in factories.iter().zip(&settings) {
        let is_selected = selected.contains(&f.name());
        if is_selected || assignments.iter().any(|a| a.backend == f.name()) {
            let backend = f.build(s)?;
            if is_selected {
                built.push(backend);
            }
        }
    }
    Ok(built)
}

/// Every backend's settings for `--help`: one line each, `backend.setting (default …): help`.
pub fn help(factories: &[Box<dyn BackendFactory>]) -> String {
    let mut out = String::from("Backend settings (--set BACKEND.SETTING=VALUE, repeatable):\n");
    for f in factories {
        for s in f.settings() {
            let default = if s.default.is_empty() {
                "none".to_string()
            } else {
                s.default.to_string()
            };
            out.push_str(&format!(
                "  {}.{} (default {default}): {}\n",
                f.name(),
                s.name,
                s.help
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{FittedModel, Observer, TrainData, TrainError};
    use crate::config::{Hyperparams, ValidHyperparams};

    /// A backend whose one setting, `width`, must be a positive number.
    struct Toy(usize);

    impl Backend for Toy {
        fn name(&self) -> &str {
            "toy"
        }
        fn model(&self) -> String {
            format!("toy {}", self.0)
        }
        fn defaults(&self) -> Hyperparams {
            Hyperparams {
                seed: 0,
                epochs: 1,
                batch_size: None,
                learning_rate: None,
            }
        }
        fn train(
            &self,
            _: &ValidHyperparams,
            _: &TrainData<'_>,
            _: &mut dyn Observer,
        ) -> Result<Box<dyn FittedModel>, TrainError> {
            Err(TrainError::Backend("not for training".into()))
        }
    }

    struct ToyFactory;

    impl BackendFactory for ToyFactory {
        fn name(&self) -> &'static str {
            "toy"
        }
        fn settings(&self) -> &'static [SettingSpec] {
            &[SettingSpec {
                name: "width",
                help: "a positive number",
                default: "3",
            }]
        }
        fn build(&self, s: &Settings) -> Result<Box<dyn Backend>, ConfigError> {
            let width: usize = s.parse("width")?;
            if width == 0 {
                return Err(s.invalid("width", "must be positive"));
            }
            Ok(Box::new(Toy(width)))
        }
    }

    fn build(assignments: &[&str]) -> Result<Vec<String>, String> {
        let factories: Vec<Box<dyn BackendFactory>> = vec![Box::new(ToyFactory)];
        let parsed: Vec<Assignment> = assignments.iter().map(|a| a.parse().unwrap()).collect();
        build_backends(&factories, &parsed, &["toy"])
            .map(|b| b.iter().map(|b| b.model()).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_backend_left_out_is_built_only_to_check_what_was_set_on_it() {
        let factories: Vec<Box<dyn BackendFactory>> = vec![Box::new(ToyFactory)];
        let built = |a: &[&str]| {
            let parsed: Vec<Assignment> = a.iter().map(|a| a.parse().unwrap()).collect();
            build_backends(&factories, &parsed, &[]).map(|b| b.len())
        };
        assert_eq!(built(&[]).ok(), Some(0));
        assert_eq!(built(&["toy.width=2"]).ok(), Some(0));
        let err = built(&["toy.width=0"]).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("--set toy.width: must be positive"));
    }

    #[test]
    fn defaults_apply_and_the_last_assignment_wins() {
        assert_eq!(build(&[]), Ok(vec!["toy 3".to_string()]));
        assert_eq!(
            build(&["toy.width=5", "toy.width=7"]),
            Ok(vec!["toy 7".to_string()])
        );
    }

    #[test]
    fn every_mistake_names_the_setting() {
        let err = build(&["toy.width=0"]).unwrap_err();
        assert_eq!(err, "--set toy.width: must be positive");
        let err = build(&["toy.width=wide"]).unwrap_err();
        assert!(
            err.starts_with("--set toy.width: cannot use \"wide\""),
            "{err}"
        );
        let err = build(&["toy.height=1"]).unwrap_err();
        assert_eq!(
            err,
            "--set toy.height: toy has no setting \"height\"; its settings: width"
        );
        let err = build(&["other.width=1"]).unwrap_err();
        assert_eq!(
            err,
            "--set other.width: unknown backend \"other\"; available: toy"
        );
    }

    #[test]
    fn the_feature_a_message_needs_is_found_again() {
        let message = format!(
            "the gpu device is missing; {}; compiled in: cpu",
            needs_feature("gpu")
        );
        assert_eq!(feature_needed(&message), Some("gpu"));
        assert_eq!(feature_needed("unknown device \"gpu\""), None);
        assert_eq!(feature_needed("rebuild with the ` cargo feature"), None);
    }

    #[test]
    fn a_default_that_cannot_be_used_is_said_to_be_the_default() {
        let specs = [SettingSpec {
            name: "device",
            help: "where",
            default: "gpu",
        }];
        let defaults = Settings::defaults("toy", &specs);
        let err = defaults.parse::<usize>("device").unwrap_err().to_string();
        assert!(
            err.starts_with("toy.device is \"gpu\" by default, which this build cannot use: ")
                && err.ends_with("or choose another value with --set toy.device=VALUE"),
            "{err}"
        );
        let mut set = defaults.clone();
        set.set("device", "tpu");
        let err = set.parse::<usize>("device").unwrap_err().to_string();
        assert!(
            err.starts_with("--set toy.device: cannot use \"tpu\": "),
            "{err}"
        );
    }

    #[test]
    fn widths_are_one_or_more_positive_numbers() {
        let spec = [SettingSpec {
            name: "hidden",
            help: "",
            default: "128, 64",
        }];
        let mut s = Settings::defaults("net", &spec);
        assert_eq!(s.widths("hidden").ok(), Some(vec![128, 64]));
        for bad in ["", "128,0", "wide"] {
            s.set("hidden", bad);
            let err = s.widths("hidden").err().map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.starts_with("--set net.hidden: ")),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn assignments_parse_backend_setting_and_value() {
        let a: Assignment = "scratch.hidden=256,128".parse().unwrap();
        assert_eq!(
            (a.backend.as_str(), a.setting.as_str(), a.value.as_str()),
            ("scratch", "hidden", "256,128")
        );
        for bad in ["burn", "burn=1", ".x=1", "burn.=1"] {
            assert!(bad.parse::<Assignment>().is_err(), "{bad}");
        }
        let help = help(&[Box::new(ToyFactory) as Box<dyn BackendFactory>]);
        assert!(
            help.contains("toy.width (default 3): a positive number"),
            "{help}"
        );
    }
}
