//! The charts' layout for the backends that ran: a row of panels for a backend without epochs,
//! and six backends' legend and slots.

// Tests fail by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use bench_core::{EpochStats, HistoryUnit};
use common::{answer, png_size, run, write_report, wrong_on};
use mnist_data::synth;

#[test]
fn a_curve_for_a_backend_without_epochs_gets_its_own_row() {
    let test = synth::separable(100, 3);
    let mut runs = vec![
        run("scratch", HistoryUnit::Epoch, 1, &test, 10),
        run("linfa", HistoryUnit::Iteration, 1, &test, 5),
    ];
    runs[1].history = [10, 25, 100]
        .iter()
        .map(|&s| EpochStats {
            step: s,
            train_loss: 1.0 / s as f64,
            train_accuracy: 0.9,
            validation_loss: Some(1.0 / s as f64),
            validation_accuracy: Some(0.9),
            seconds: 1.0,
        })
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    write_report(&runs, &test, vec![1], &out);
    // Two rows of panels (epochs, then L-BFGS iterations) under a one-line key and a legend.
    assert_eq!(
        png_size(&out.join("curves.png")),
        (1400, 50 + 26 + 6 + 28 + 6 + 2 * 460)
    );
}

/// Six backends, one of them without epochs, over five seeds: the report a user with every
/// backend gets. It is written where `cargo test` keeps test files (`CARGO_TARGET_TMPDIR`,
/// `six-backends/`), so that its charts can be looked at.
#[test]
fn six_backends_get_a_legend_off_the_data_and_a_slot_each() {
    let test = synth::separable(600, 11);
    let mut runs = Vec::new();
    for seed in 1..=5 {
        for (k, (name, unit, every)) in [
            ("scratch", HistoryUnit::Epoch, 40),
            ("linfa", HistoryUnit::Iteration, 8),
            ("burn", HistoryUnit::Epoch, 45),
            ("candle", HistoryUnit::Epoch, 44),
            ("cnn", HistoryUnit::Epoch, 90),
            ("my-own-backend", HistoryUnit::Epoch, 12),
        ]
        .into_iter()
        .enumerate()
        {
            let offset = seed as usize % 3;
            let mut base = run(name, unit, seed, &test, every);
            // Curves apart from each other, as real backends' are; linfa's one point where an
            // L-BFGS fit ends.
            for h in &mut base.history {
                let spread = 1.0 + 0.12 * k as f64;
                h.train_loss *= spread;
                h.validation_loss = h.validation_loss.map(|l| l * spread);
                h.train_accuracy -= 0.01 * k as f64;
                h.validation_accuracy = h.validation_accuracy.map(|a| a - 0.012 * k as f64);
                if unit == HistoryUnit::Iteration {
                    (h.train_loss, h.train_accuracy) = (0.27, 0.936);
                    (h.validation_loss, h.validation_accuracy) = (Some(0.29), Some(0.928));
                }
            }
            let wrong = (0..test.len()).filter(|i| (i + offset).is_multiple_of(every));
            runs.push(wrong_on(base, &test, wrong));
        }
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("six-backends");
    // Written afresh, so that no file of an earlier run's report stays beside it.
    let _ = std::fs::remove_dir_all(&out);
    write_report(&runs, &test, (1..=5).collect(), &out);
    // One row of panels under a two-line key (linfa's single point named in it) and one legend
    // row of six entries.
    assert_eq!(
        png_size(&out.join("curves.png")),
        (1400, 50 + 2 * 26 + 6 + 28 + 6 + 460)
    );
    // A slot of 160 pixels per backend beside the axis.
    assert_eq!(png_size(&out.join("accuracy.png")), (110 + 6 * 160, 620));
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("- **Most accurate:** cnn, 98.9"),
        "{}",
        answer(&md)
    );
}
