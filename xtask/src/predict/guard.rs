//! Each image is decoded and prepared, and each saved model loaded, inside a guard: a panic in a
//! decoder (an image's, or a framework's reader of its weights) becomes that file's one-line
//! error, and the other images and models are still used.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Result, anyhow};

/// How many guards are running. While one is, a panic on any thread is taken as its work's
/// (predict reads one file at a time; a decoder may run threads of its own) and is not printed:
/// the guard reports a panic of the work itself, and the work reports a failed thread of its own
/// as an error.
static GUARDS: AtomicUsize = AtomicUsize::new(0);

/// Runs `work` on the file or folder `path`; a panic inside it is returned as one error line
/// naming the file. No panic, on any thread, is printed while a guard runs; panics at other
/// times go to the panic hook in place before the first guard.
pub fn guarded<T>(path: &Path, work: impl FnOnce() -> Result<T>) -> Result<T> {
    quiet_inside_guards();
    GUARDS.fetch_add(1, Ordering::SeqCst);
    // Nothing `work` borrows is used after a panic: the partly built image is dropped with it.
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(work));
    GUARDS.fetch_sub(1, Ordering::SeqCst);
    outcome.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
        Err(anyhow!(
            "{}: cannot read: its reader stopped on an internal error ({message}); the file is \
             probably damaged",
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
            if GUARDS.load(Ordering::SeqCst) == 0 {
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
        let err = guarded(path, || -> Result<()> {
            panic!("index out of bounds\nat row 3")
        })
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(text.starts_with("images/bad.png: cannot read:"), "{text}");
        assert!(text.contains("index out of bounds at row 3"), "{text}");
        assert_eq!(text.lines().count(), 1, "{text}");
        // A panic on a thread the work started is the file's error too.
        let err = guarded(path, || -> Result<()> {
            let worker = std::thread::spawn(|| panic!("worker failed"));
            worker
                .join()
                .map_err(|_| anyhow!("the decoder's worker thread failed"))
        })
        .unwrap_err();
        assert_eq!(format!("{err:#}"), "the decoder's worker thread failed");
        // The guard holds nothing after a panic: the next image is prepared as usual.
        assert_eq!(guarded(path, || Ok(7)).unwrap(), 7);
        let err = guarded(path, || -> Result<()> { Err(anyhow!("truncated")) }).unwrap_err();
        assert_eq!(format!("{err:#}"), "truncated");
    }
}
