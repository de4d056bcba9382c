//! Each image is decoded and prepared, and each saved model loaded, inside a guard: a panic in a
//! decoder (an image's, or a framework's reader of its weights) becomes that file's one-line
//! error, and the other images and models are still used.

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Once;

use anyhow::{Result, anyhow};

thread_local! {
    /// Whether this thread runs guarded work, whose panics the guard reports itself.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work` on the file or folder `path`; a panic inside it is returned as an error naming the file
/// (and printed by no one else). Panics outside a guard are printed as before.
pub fn guarded<T>(path: &Path, work: impl FnOnce() -> Result<T>) -> Result<T> {
    quiet_inside_guards();
    GUARDED.with(|g| g.set(true));
    // Nothing `work` borrows is used after a panic: the partly built image is dropped with it.
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(work));
    GUARDED.with(|g| g.set(false));
    outcome.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        Err(anyhow!(
            "{}: cannot read: its reader stopped on an internal error ({message}); the file is \
             probably damaged: make it again",
            path.display()
        ))
    })
}

/// Installs, once, a panic hook that stays silent inside a guard and otherwise does what the
/// hook before it did.
fn quiet_inside_guards() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_the_files_one_line_error_and_the_next_file_goes_on() {
        let path = Path::new("images/bad.png");
        let err = guarded(path, || -> Result<()> { panic!("index out of bounds") }).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.starts_with("images/bad.png: cannot read:"), "{text}");
        assert!(text.contains("index out of bounds"), "{text}");
        assert_eq!(text.lines().count(), 1, "{text}");
        // The guard holds nothing after a panic: the next image is prepared as usual.
        assert_eq!(guarded(path, || Ok(7)).unwrap(), 7);
        let err = guarded(path, || -> Result<()> { Err(anyhow!("truncated")) }).unwrap_err();
        assert_eq!(format!("{err:#}"), "truncated");
    }
}
