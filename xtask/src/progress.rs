//! Progress display: one bar per run with an ETA, one line per epoch, and Ctrl-C handling.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bench_core::{EpochStats, HistoryUnit, Observer};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Set when the user presses Ctrl-C.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Shows one run's progress.
pub struct RunProgress {
    bar: ProgressBar,
    label: String,
    epochs: usize,
    unit: HistoryUnit,
    epochs_done: usize,
}

impl RunProgress {
    /// A bar for `label` (e.g. `scratch seed 42`) that will run `epochs` epochs.
    pub fn new(label: String, epochs: usize, unit: HistoryUnit) -> Self {
        let bar =
            ProgressBar::with_draw_target(Some(epochs as u64 * 1000), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>18} [{bar:30}] {msg} ({elapsed}, ETA {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(label.clone());
        bar.set_message(format!("{} 1/{epochs}", unit_word(unit)));
        bar.enable_steady_tick(Duration::from_millis(250));
        Self {
            bar,
            label,
            epochs,
            unit,
            epochs_done: 0,
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Prints a line above the bar (or plainly when there is no terminal).
    pub fn println(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }
}

fn unit_word(unit: HistoryUnit) -> &'static str {
    match unit {
        HistoryUnit::Epoch => "epoch",
        HistoryUnit::Iteration => "checkpoint",
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.2}%", 100.0 * v))
}

impl Observer for RunProgress {
    fn epoch(&mut self, s: &EpochStats) {
        self.epochs_done += 1;
        self.bar.set_position(self.epochs_done as u64 * 1000);
        if self.epochs_done < self.epochs {
            self.bar.set_message(format!(
                "{} {}/{}",
                unit_word(self.unit),
                self.epochs_done + 1,
                self.epochs
            ));
        }
        let step = match self.unit {
            HistoryUnit::Epoch => format!("epoch {:>2}/{}", s.step, self.epochs),
            HistoryUnit::Iteration => format!("after {:>3} iterations", s.step),
        };
        self.println(&format!(
            "{:>18} {step}: loss {:.4}, acc {}, val loss {}, val acc {} ({:.1} s)",
            self.label,
            s.train_loss,
            pct(Some(s.train_accuracy)),
            s.validation_loss.map_or("-".into(), |l| format!("{l:.4}")),
            pct(s.validation_accuracy),
            s.seconds
        ));
    }

    fn batch(&mut self, done: usize, total: usize) {
        let within = (done * 1000 / total.max(1)) as u64;
        self.bar
            .set_position(self.epochs_done as u64 * 1000 + within);
    }

    fn cancelled(&self) -> bool {
        INTERRUPTED.load(Ordering::Relaxed)
    }
}

/// Set while an output folder is being swapped into place ([`while_writing`]).
static WRITING: AtomicBool = AtomicBool::new(false);

/// Runs `write` (the atomic replacement of an output folder) with the second Ctrl-C's quit held
/// off, so that quitting cannot strand the folder half-swapped.
pub fn while_writing<T>(write: impl FnOnce() -> T) -> T {
    WRITING.store(true, Ordering::SeqCst);
    let result = write();
    WRITING.store(false, Ordering::SeqCst);
    result
}

/// First Ctrl-C: ask the running backend to stop at the next batch. Second: quit at once, unless
/// an output folder is being swapped into place, which finishes first.
pub fn install_interrupt_handler() {
    let result = ctrlc::set_handler(|| {
        if WRITING.load(Ordering::SeqCst) {
            INTERRUPTED.store(true, Ordering::SeqCst);
            eprintln!("\ninterrupt: the output is being written and finishes in a moment");
            return;
        }
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            crate::child::kill_running();
            eprintln!("\ninterrupted again: quitting now; the previous reports are untouched");
            std::process::exit(i32::from(crate::EXIT_INTERRUPTED));
        }
        eprintln!("\ninterrupt: stopping after the current batch (press Ctrl-C again to quit now)");
    });
    if let Err(e) = result {
        eprintln!("warning: cannot catch Ctrl-C ({e}); interrupting will not be graceful");
    }
}

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
