//! The `patience` setting every burn network takes: early stopping on the validation loss, off
//! by default, with what a run records and a report says of it.

use bench_core::{ConfigError, SettingSpec, Settings};

/// The `patience` setting of a burn network: early stopping on the validation loss.
pub const PATIENCE: SettingSpec = SettingSpec {
    name: "patience",
    help: "early stopping: stop after this many epochs without a lower validation loss and keep \
           the best epoch's weights (needs a validation set), or off",
    default: "off",
};

/// The value of [`PATIENCE`]: `None` for `off`, else a count of epochs, at least 1.
pub fn patience_setting(s: &Settings) -> Result<Option<usize>, ConfigError> {
    if s.raw("patience").trim() == "off" {
        return Ok(None);
    }
    let epochs: usize = s.parse("patience")?;
    if epochs == 0 {
        return Err(s.invalid("patience", "must be at least 1 epoch, or off"));
    }
    Ok(Some(epochs))
}

/// Why a backend with early stopping needs a validation set (`Backend::needs_validation`).
pub fn patience_needs_validation(backend: &str, patience: Option<usize>) -> Option<String> {
    patience.map(|_| {
        format!(
            "--set {backend}.patience: early stopping watches the validation loss, and this split \
             holds no validation set out: give --val-fraction above 0, or leave patience off"
        )
    })
}

/// How a run's settings record [`PATIENCE`]: `off` or the count.
pub fn patience_value(patience: Option<usize>) -> String {
    patience.map_or("off".to_string(), |p| p.to_string())
}

/// The sentence a report needs about a backend that stops early (`Backend::notes`).
pub fn patience_note(backend: &str, patience: Option<usize>) -> Option<String> {
    patience.map(|p| {
        format!(
            "{backend} stops early once its validation loss has not improved for {p} epochs in a \
             row and keeps the weights of the epoch with the lowest validation loss; its epochs \
             and history count the epochs it trained, those after its best one included."
        )
    })
}
