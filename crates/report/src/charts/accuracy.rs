//! `accuracy.png`: each backend's test accuracy in its own slot, every seed as a dot, the mean as
//! a line, its 95% interval as an error bar, and the figures above.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

#[cfg(test)]
use super::canvas::text_width;
use super::canvas::{Area, ChartError, Drawn, Plot, bold, canvas, colour, text};
use crate::stats::{BackendRuns, accuracy_interval};

/// One backend's slot: its colour index, name, test accuracies (%) and their interval (%).
type Bar<'a> = (usize, &'a str, Vec<f64>, Option<(f64, f64)>);

/// The font size of the accuracy chart's labels, and each backend's horizontal slot.
const LABEL_FONT: u32 = 18;
const ACCURACY_SLOT: u32 = 160;

/// `accuracy.png`: test accuracy per backend, every seed as a dot, the mean as a line and its
/// 95% interval as an error bar (Student-t over seeds; Wilson over the test images for one run).
pub fn accuracy(groups: &[BackendRuns<'_>]) -> Result<Vec<u8>, ChartError> {
    let data: Vec<Bar<'_>> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let ok: Vec<&bench_core::Metrics> = g.ok().collect();
            let interval = accuracy_interval(&ok).map(|(c, _)| (100.0 * c.low, 100.0 * c.high));
            let values = ok.iter().map(|m| 100.0 * m.test_accuracy).collect();
            (i, g.name, values, interval)
        })
        .collect();
    let width = accuracy_width(data.len());
    canvas((width, 620), |root| {
        let (bottom, top) = y_range(&data);
        let n = data.len().max(1);
        let mut chart = ChartBuilder::on(&root.margin(15, 25, 15, 15))
            .caption(caption(&data), bold(24))
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), bottom..top)?;
        let names: Vec<&str> = data.iter().map(|d| d.1).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    names
                        .get(i as usize)
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            })
            // The headroom for labels may reach past 100%, which gets no tick.
            .y_label_formatter(&|y| {
                if *y > 100.0 + 1e-9 {
                    String::new()
                } else {
                    format!("{y:.1}")
                }
            })
            .y_desc("test accuracy (%)")
            .axis_desc_style(text(18))
            .label_style(text(18))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        for bar in &data {
            draw_bar(root, &mut chart, bar)?;
        }
        Ok(())
    })
}

/// The vertical range: every value and interval, with room above the highest point for its
/// two-line label.
fn y_range(data: &[Bar<'_>]) -> (f64, f64) {
    let all: Vec<f64> = data
        .iter()
        .flat_map(|d| {
            d.2.iter()
                .copied()
                .chain(d.3.iter().flat_map(|c| [c.0, c.1]))
        })
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() {
        (lo, hi)
    } else {
        (0.0, 100.0)
    };
    let pad = ((hi - lo) * 0.15).max(0.2);
    // Room above the highest point for its two-line label: 16% of the plotted span.
    let bottom = (lo - pad).max(0.0);
    let headroom = pad.max((hi - bottom) * 0.16);
    (bottom, hi + headroom)
}

/// The chart's title: what the dots, lines and bars are.
fn caption(data: &[Bar<'_>]) -> String {
    let seeds = data.iter().map(|d| d.2.len()).max().unwrap_or(0);
    if seeds > 1 {
        format!("Test accuracy: each seed (dot), mean (line), 95% CI over {seeds} seeds (bar)")
    } else {
        "Test accuracy (one seed), 95% Wilson CI over the test images (bar)".to_string()
    }
}

/// One backend's slot: the error bar, the mean, a dot per seed and the figures above.
fn draw_bar(
    root: &Area<'_>,
    chart: &mut Plot<'_, '_>,
    (i, _, values, interval): &Bar<'_>,
) -> Drawn {
    let c = colour(*i);
    let x = *i as f64;
    let Some(mean) = crate::stats::mean_std(values).0 else {
        return Ok(());
    };
    let (low, high) = interval.unwrap_or((mean, mean));
    // The interval, drawn once: the error bar: a line from low to high with caps.
    for segment in [
        vec![(x, low), (x, high)],
        vec![(x - 0.08, low), (x + 0.08, low)],
        vec![(x - 0.08, high), (x + 0.08, high)],
    ] {
        chart.draw_series(std::iter::once(PathElement::new(
            segment,
            c.stroke_width(2),
        )))?;
    }
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x - 0.3, mean), (x + 0.3, mean)],
        c.stroke_width(4),
    )))?;
    // Seeds side by side across the slot's middle; a single seed on the middle.
    let spread = values.len().max(2) as f64 - 1.0;
    let left = if values.len() > 1 { x - 0.12 } else { x };
    chart.draw_series(
        values
            .iter()
            .enumerate()
            .map(|(k, &v)| Circle::new((left + 0.24 * k as f64 / spread, v), 6, c.filled())),
    )?;
    // The mean over its interval, two short lines that fit the backend's own slot.
    let [mean_label, interval_label] = accuracy_labels(mean, *interval);
    let top = values.iter().copied().fold(high, f64::max);
    let (px, py) = chart.backend_coord(&(x, top));
    let above = |dy: i32| (px, py - 10 - dy);
    root.draw_text(
        &interval_label,
        &text(LABEL_FONT - 2).pos(Pos::new(HPos::Center, VPos::Bottom)),
        above(0),
    )?;
    root.draw_text(
        &mean_label,
        &bold(LABEL_FONT).pos(Pos::new(HPos::Center, VPos::Bottom)),
        above(LABEL_FONT as i32 + 2),
    )?;
    Ok(())
}

/// The width of `accuracy.png` for `n` backends: every backend gets at least a slot.
pub(super) fn accuracy_width(n: usize) -> u32 {
    (110 + ACCURACY_SLOT * n as u32).max(1000)
}

/// The label over a backend in `accuracy.png`: its mean, and its interval if any.
fn accuracy_labels(mean: f64, interval: Option<(f64, f64)>) -> [String; 2] {
    [
        format!("{mean:.2}%"),
        interval.map_or(String::new(), |(l, h)| format!("({l:.2}–{h:.2})")),
    ]
}

/// The widest label `accuracy_labels` can give (accuracies below 100%), in pixels.
#[cfg(test)]
fn widest_accuracy_label() -> i32 {
    let [mean, interval] = accuracy_labels(99.99, Some((99.99, 99.99)));
    text_width(&mean, LABEL_FONT, true).max(text_width(&interval, LABEL_FONT - 2, false))
}

#[cfg(test)]
mod tests {
    use super::super::TEST_NAMES as NAMES;
    use super::*;

    #[test]
    fn accuracy_labels_fit_their_backends_slot() {
        for n in 1..=NAMES.len() {
            let plot = accuracy_width(n) as i32 - 120;
            let slot = plot / n as i32;
            assert!(
                widest_accuracy_label() < slot - 8,
                "{n} backends: label {} px in a slot of {slot}",
                widest_accuracy_label()
            );
            assert!(
                NAMES[..n]
                    .iter()
                    .all(|name| text_width(name, 18, false) < slot - 8),
                "{n} backends: a name is wider than its slot of {slot}"
            );
        }
    }
}
