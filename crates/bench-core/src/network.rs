//! What every neural-network backend shares, whatever its framework: the `hidden` and `dropout`
//! settings and their checks, the `device` setting's parsing (a device known but not compiled in
//! names the cargo feature that brings it), the dropout note, and prediction in chunks of rows so that a large
//! set never becomes one tensor.

use std::fmt::Debug;

use mnist_data::{Dataset, N_CLASSES};

use crate::{ConfigError, SettingSpec, Settings, TrainError, needs_feature};

/// Rows per forward pass when a network predicts a whole set.
pub const PREDICT_ROWS: usize = 1000;

/// The `hidden` setting of an MLP: hidden layer widths, comma-separated.
pub const fn hidden_setting(default: &'static str) -> SettingSpec {
    SettingSpec {
        name: "hidden",
        help: "hidden layer widths, comma-separated",
        default,
    }
}

/// The `dropout` setting: a rate in [0, 1), applied where `help` says.
pub const fn dropout_setting(help: &'static str, default: &'static str) -> SettingSpec {
    SettingSpec {
        name: "dropout",
        help,
        default,
    }
}

/// The help of an MLP's `dropout` setting.
pub const DROPOUT_AFTER_HIDDEN: &str = "dropout rate after each hidden layer, in [0, 1)";

/// The value of the `dropout` setting: a rate in [0, 1), or an error naming the setting.
pub fn dropout(s: &Settings) -> Result<f64, ConfigError> {
    let dropout: f64 = s.parse("dropout")?;
    if !(0.0..1.0).contains(&dropout) {
        return Err(s.invalid("dropout", &format!("must be in [0, 1), got {dropout}")));
    }
    Ok(dropout)
}

/// The note of a backend that trains with dropout at `rate`: its curves are averaged with dropout
/// on (`as_keras`: the way Keras reports them, said where the network is the notebook's), its
/// train accuracy measured without.
pub fn dropout_curves_note(backend: &str, rate: f64, as_keras: bool) -> String {
    let keras = if as_keras {
        ", as Keras reports them"
    } else {
        ""
    };
    format!(
        "{backend}'s training curves are averaged over each epoch's batches with dropout on \
         (rate {rate}){keras}; its train accuracy in the table is measured on the final model, \
         without dropout."
    )
}

/// Checks an MLP's shape as built in code rather than from settings (a `Backend` value made
/// directly): positive widths, at least one, and a dropout rate in [0, 1).
pub fn check_shape(backend: &str, hidden: &[usize], dropout: f64) -> Result<(), ConfigError> {
    if hidden.is_empty() || hidden.contains(&0) {
        return Err(ConfigError::Invalid(format!(
            "{backend}: hidden layer sizes must be positive, got {hidden:?}"
        )));
    }
    check_dropout(backend, dropout)
}

/// Checks a dropout rate set in code rather than from settings: in [0, 1).
pub fn check_dropout(backend: &str, dropout: f64) -> Result<(), ConfigError> {
    if !(0.0..1.0).contains(&dropout) {
        return Err(ConfigError::Invalid(format!(
            "{backend}: dropout must be in [0, 1), got {dropout}"
        )));
    }
    Ok(())
}

/// The devices a framework knows: each with the cargo feature that compiles it in (`None`:
/// always), and those this build has.
#[derive(Debug, Clone, Copy)]
pub struct DeviceNames<'a> {
    /// The framework, as the error says it: `burn`, `candle`.
    pub framework: &'a str,
    /// Every device name the framework's crate knows, with its feature.
    pub known: &'a [(&'a str, Option<&'a str>)],
}

impl DeviceNames<'_> {
    /// The device called `s` among `compiled` (each with its name), or an error saying which
    /// are compiled in and, for a known device left out, the feature that brings it.
    pub fn parse<D: Copy + Debug>(&self, s: &str, compiled: &[(D, &str)]) -> Result<D, String> {
        if let Some((d, _)) = compiled.iter().find(|(_, name)| *name == s) {
            return Ok(*d);
        }
        let names: Vec<&str> = compiled.iter().map(|(_, name)| *name).collect();
        let names = names.join(", ");
        match self.known.iter().find(|(name, _)| *name == s) {
            Some((_, Some(feature))) => Err(format!(
                "the {s} device is not compiled into this build; {}; compiled in: {names}",
                needs_feature(feature)
            )),
            _ => Err(format!(
                "unknown {} device {s:?}; compiled in: {names}{}",
                self.framework,
                self.optional()
            )),
        }
    }

    /// What brings the devices that need a feature, in brackets: ` (cuda and metal come with the
    /// cargo features of those names)`; empty when every device is always compiled in.
    fn optional(&self) -> String {
        let names: Vec<&str> = self
            .known
            .iter()
            .filter(|(_, feature)| feature.is_some())
            .map(|(name, _)| *name)
            .collect();
        let list = match names.split_last() {
            None => return String::new(),
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        };
        format!(" ({list} come with the cargo features of those names)")
    }
}

/// Class probabilities of every image in `data` (`n x 10`), computed [`PREDICT_ROWS`] rows at a
/// time by `chunk`, which returns the probabilities of the images `start..end`.
pub fn predict_in_chunks(
    data: &Dataset,
    mut chunk: impl FnMut(usize, usize) -> Result<Vec<f32>, TrainError>,
) -> Result<Vec<f32>, TrainError> {
    let mut out = Vec::with_capacity(data.len() * N_CLASSES);
    for start in (0..data.len()).step_by(PREDICT_ROWS) {
        let end = (start + PREDICT_ROWS).min(data.len());
        out.extend(chunk(start, end)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [(&str, Option<&str>); 3] = [
        ("cpu", None),
        ("cuda", Some("cuda")),
        ("metal", Some("metal")),
    ];

    #[test]
    fn a_device_is_found_by_name_or_the_error_says_what_to_do() {
        let names = DeviceNames {
            framework: "candle",
            known: &KNOWN,
        };
        let compiled = [(0u8, "cpu")];
        assert_eq!(names.parse("cpu", &compiled), Ok(0));
        assert_eq!(
            names.parse("tpu", &compiled),
            Err(
                "unknown candle device \"tpu\"; compiled in: cpu (cuda and metal come with the \
                 cargo features of those names)"
                    .to_string()
            )
        );
        assert_eq!(
            names.parse("cuda", &compiled),
            Err(
                "the cuda device is not compiled into this build; rebuild with the `cuda` cargo \
                 feature; compiled in: cpu"
                    .to_string()
            )
        );
    }

    #[test]
    fn shapes_and_rates_outside_their_range_are_refused() {
        assert!(check_shape("net", &[128, 64], 0.2).is_ok());
        for (hidden, dropout) in [(&[][..], 0.0), (&[128, 0][..], 0.0), (&[8][..], 1.0)] {
            let err = check_shape("net", hidden, dropout)
                .err()
                .map(|e| e.to_string());
            assert!(
                err.is_some_and(|e| e.starts_with("net: ")),
                "{hidden:?} {dropout}"
            );
        }
        let spec = [dropout_setting(DROPOUT_AFTER_HIDDEN, "0.2")];
        let mut s = Settings::defaults("net", &spec);
        assert_eq!(dropout(&s).ok(), Some(0.2));
        s.set("dropout", "1");
        let err = dropout(&s).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("--set net.dropout: must be in [0, 1), got 1")
        );
    }

    #[test]
    fn chunks_cover_every_row_once_in_order() {
        let data = mnist_data::synth::separable(2500, 1);
        let mut seen = Vec::new();
        let out = predict_in_chunks(&data, |start, end| {
            seen.push((start, end));
            Ok(vec![0.1; (end - start) * N_CLASSES])
        })
        .unwrap();
        assert_eq!(seen, [(0, 1000), (1000, 2000), (2000, 2500)]);
        assert_eq!(out.len(), 2500 * N_CLASSES);
    }
}
