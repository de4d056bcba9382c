//! PNG charts drawn with plotters: learning curves, accuracy per backend, confusion matrices and
//! grids of test images. Text uses the DejaVu Sans font shipped in `assets/`, so charts look the
//! same on every machine, with or without system fonts.

use std::path::Path;
use std::sync::Once;

use bench_core::HistoryUnit;
use mnist_data::{Dataset, N_CLASSES, SIDE};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::stats::{BackendRuns, CurvePoint, accuracy_interval, mean_curve};
use crate::{DatasetLabels, ReportError};

const FONT: &str = "sans-serif";

/// Colours for backends, in report order (colour-blind friendly, from the Okabe-Ito palette).
const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
];
const WRONG: RGBColor = RGBColor(200, 30, 30);
const RIGHT: RGBColor = RGBColor(40, 40, 40);

/// The colour of the `i`th backend.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // Both are valid TrueType files compiled into the binary.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../assets/DejaVuSans.ttf"),
        );
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Bold,
            include_bytes!("../assets/DejaVuSans-Bold.ttf"),
        );
    });
}

fn chart_error(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> ReportError + '_ {
    move |e| ReportError::Chart {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Runs `draw` on a white `width x height` canvas and saves it as PNG at `path`.
pub(crate) fn canvas(
    path: &Path,
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<(), ReportError> {
    register_fonts();
    let err = chart_error(path);
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    draw(&root).map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

pub(crate) fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&RIGHT)
}

pub(crate) fn bold(size: u32) -> TextStyle<'static> {
    (FONT, size)
        .into_font()
        .style(FontStyle::Bold)
        .color(&RIGHT)
}

/// `curves.png`: loss and accuracy, train (solid) and validation (dashed), per epoch. A backend
/// without epochs (L-BFGS) gets its own row against iterations when it recorded a curve; with a
/// single final point it is drawn as a dotted reference line across the epoch panels.
pub fn curves(path: &Path, groups: &[BackendRuns<'_>]) -> Result<(), ReportError> {
    // Each backend's curve, averaged over its seeds once for every panel, and whether it is a
    // backend without epochs that recorded one final point (a dotted line).
    let curves: Vec<Vec<CurvePoint>> = groups.iter().map(mean_curve).collect();
    let single: Vec<bool> = groups
        .iter()
        .zip(&curves)
        .map(|(g, c)| g.unit == HistoryUnit::Iteration && c.len() == 1)
        .collect();
    let iteration_curve = groups
        .iter()
        .zip(&curves)
        .any(|(g, c)| g.unit == HistoryUnit::Iteration && c.len() > 1);
    let mut rows = vec![(HistoryUnit::Epoch, "epoch")];
    if iteration_curve {
        rows.push((
            HistoryUnit::Iteration,
            "iterations (a backend without epochs)",
        ));
    }
    let seeds = groups.iter().map(|g| g.runs.len()).max().unwrap_or(1);
    let validated = groups.iter().any(|g| {
        g.runs
            .iter()
            .any(|r| r.history.iter().any(|h| h.validation_accuracy.is_some()))
    });
    let mut key = Vec::new();
    if seeds > 1 {
        key.push(format!("mean over {seeds} seeds"));
    }
    key.push("solid: train (averaged over each epoch's batches as trained)".to_string());
    key.push(if validated {
        "dashed: validation".to_string()
    } else {
        "no validation set (--val-fraction 0)".to_string()
    });
    let single_points: Vec<String> = groups
        .iter()
        .zip(&curves)
        .zip(&single)
        .filter(|(_, single)| **single)
        .map(|((g, c), _)| format!("{} after {} iterations", g.name, c[0].step))
        .collect();
    if !single_points.is_empty() {
        key.push(format!(
            "dotted: final value of a backend without epochs ({})",
            single_points.join(", ")
        ));
    }
    let subtitle = wrap_clauses(&key, SUBTITLE_CHARS);
    // A legend entry for each backend with a curve: its colour index, name, and whether it is
    // drawn dotted (a single final point).
    let entries: Vec<(usize, &str, bool)> = groups
        .iter()
        .zip(&curves)
        .enumerate()
        .filter(|(_, (_, c))| !c.is_empty())
        .map(|(i, (g, _))| (i, g.name, single[i]))
        .collect();
    let names: Vec<&str> = entries.iter().map(|e| e.1).collect();
    let legend = legend_layout(&names, CURVES_WIDTH as i32 - 60);
    let legend_rows = legend.iter().map(|e| e.1).max().map_or(0, |r| r + 1);
    let legend_top = 50 + 26 * subtitle.len() as i32 + 6;
    let header = (legend_top + LEGEND_ROW * legend_rows as i32 + 6) as u32;
    let height = header + 460 * rows.len() as u32;
    canvas(path, (CURVES_WIDTH, height), |root| {
        let (title, body) = root.split_vertically(header);
        title.draw_text("Learning curves", &bold(30), (30, 12))?;
        for (i, line) in subtitle.iter().enumerate() {
            title.draw_text(line, &text(20), (30, 50 + 26 * i as i32))?;
        }
        // The legend stands above the panels, never on their data: one swatch per backend.
        for (&(i, name, dotted), &(x, row)) in entries.iter().zip(&legend) {
            let (x, y) = (
                30 + x,
                legend_top + LEGEND_ROW * row as i32 + LEGEND_ROW / 2,
            );
            let c = colour(i);
            if dotted {
                for dot in (0..SWATCH).step_by(8) {
                    title.draw(&PathElement::new(
                        vec![(x + dot, y), (x + dot + 4, y)],
                        c.stroke_width(4),
                    ))?;
                }
            } else {
                title.draw(&PathElement::new(
                    vec![(x, y), (x + SWATCH, y)],
                    c.stroke_width(4),
                ))?;
                title.draw(&Circle::new((x + SWATCH / 2, y), 4, c.filled()))?;
            }
            let style = text(LEGEND_FONT).pos(Pos::new(HPos::Left, VPos::Center));
            title.draw_text(name, &style, (x + SWATCH + 8, y))?;
        }
        for (row_area, (unit, xlabel)) in body.split_evenly((rows.len(), 1)).iter().zip(&rows) {
            let panels = row_area.split_evenly((1, 2));
            for (panel, metric) in panels.iter().zip(["loss", "accuracy"]) {
                curve_panel(panel, groups, &curves, *unit, xlabel, metric)?;
            }
        }
        Ok(())
    })
}

/// How many characters of the 20-px subtitle font fit across a 1400-px chart, with margins.
const SUBTITLE_CHARS: usize = 125;

/// The width of `curves.png`.
const CURVES_WIDTH: u32 = 1400;
/// The legend's font size, row height, and the length of a backend's colour swatch.
const LEGEND_FONT: u32 = 18;
const LEGEND_ROW: i32 = 28;
const SWATCH: i32 = 30;

/// Where each backend's legend entry goes, as (x, row): entries left to right, a new row when
/// the next would pass `width`. An entry is its swatch, a gap and its name.
pub(crate) fn legend_layout(names: &[&str], width: i32) -> Vec<(i32, usize)> {
    let mut out = Vec::with_capacity(names.len());
    let (mut x, mut row) = (0, 0);
    for name in names {
        let w = legend_entry_width(name);
        if x > 0 && x + w > width {
            x = 0;
            row += 1;
        }
        out.push((x, row));
        x += w + 36;
    }
    out
}

/// The width of one legend entry: swatch, gap, name.
pub(crate) fn legend_entry_width(name: &str) -> i32 {
    SWATCH + 8 + text_width(name, LEGEND_FONT, false)
}

/// The tag font of a reference line, and the least distance between two tags' centres.
const TAG_FONT: u32 = 15;
pub(crate) const TAG_GAP: i32 = 18;

/// Vertical positions for tags that want to stand at `wanted` (pixels, any order), moved apart
/// so that no two centres are closer than `gap`, each as near its wish as that allows, and kept
/// within `top..=bottom` where there is room. Returned in the order of `wanted`.
pub(crate) fn spread_tags(wanted: &[i32], gap: i32, top: i32, bottom: i32) -> Vec<i32> {
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by_key(|&i| wanted[i]);
    let mut placed = vec![0; wanted.len()];
    // Down from the top: each at its wish or just below the one above it.
    let mut floor = top;
    for &i in &order {
        placed[i] = wanted[i].max(floor);
        floor = placed[i] + gap;
    }
    // Then up from the bottom, where the last ones ran past it.
    let mut ceiling = bottom;
    for &i in order.iter().rev() {
        placed[i] = placed[i].min(ceiling);
        ceiling = placed[i] - gap;
    }
    placed
}

/// Joins `clauses` with "; " into lines of at most `width` characters, breaking only between
/// clauses (a clause longer than `width` gets a line of its own). A line that goes on ends in
/// ";", which may take it one character past `width`.
fn wrap_clauses(clauses: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for clause in clauses {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 2 + clause.chars().count() <= width => {
                line.push_str("; ");
                line.push_str(clause);
            }
            Some(line) => {
                line.push(';');
                lines.push(clause.clone());
            }
            None => lines.push(clause.clone()),
        }
    }
    lines
}

/// One backend's series for a panel: train and validation points.
type Series<'a> = (usize, &'a str, Vec<(f64, f64)>, Vec<(f64, f64)>);

fn curve_panel(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    groups: &[BackendRuns<'_>],
    curves: &[Vec<CurvePoint>],
    unit: HistoryUnit,
    xlabel: &str,
    metric: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let value = |loss: f64, accuracy: f64| {
        if metric == "loss" {
            loss
        } else {
            100.0 * accuracy
        }
    };
    let mut series: Vec<Series<'_>> = Vec::new();
    // Backends without epochs that have a single point: reference lines on the epoch panels.
    let mut references: Vec<(usize, &str, f64, Option<f64>)> = Vec::new();
    for (i, (g, curve)) in groups.iter().zip(curves).enumerate() {
        if g.unit == unit && !(unit == HistoryUnit::Iteration && curve.len() < 2) {
            let train = curve
                .iter()
                .map(|p| (p.step, value(p.train_loss, p.train_accuracy)))
                .collect();
            let valid = curve
                .iter()
                .filter_map(|p| Some((p.step, value(p.validation_loss?, p.validation_accuracy?))))
                .collect();
            if !curve.is_empty() {
                series.push((i, g.name, train, valid));
            }
        } else if unit == HistoryUnit::Epoch
            && g.unit == HistoryUnit::Iteration
            && let [p] = curve.as_slice()
        {
            let valid = p
                .validation_loss
                .zip(p.validation_accuracy)
                .map(|(l, a)| value(l, a));
            references.push((i, g.name, value(p.train_loss, p.train_accuracy), valid));
        }
    }
    let xs = series
        .iter()
        .flat_map(|s| s.2.iter().chain(&s.3))
        .map(|p| p.0);
    let x_max = xs.fold(1.0f64, f64::max);
    let x_min = if unit == HistoryUnit::Epoch { 1.0 } else { 0.0 };
    let x_max = x_max.max(x_min + 1.0);
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.2.iter().chain(&s.3).map(|p| p.1))
        .chain(
            references
                .iter()
                .flat_map(|r| std::iter::once(r.2).chain(r.3)),
        )
        .collect();
    let y_min = ys.iter().copied().fold(f64::INFINITY, f64::min);
    let y_max = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (y_min, y_max) = if y_min.is_finite() {
        (y_min, y_max)
    } else {
        (0.0, 1.0)
    };
    let pad = ((y_max - y_min) * 0.08).max(1e-3);
    let y_hi = if metric == "accuracy" {
        (y_max + pad).min(100.0)
    } else {
        y_max + pad
    };
    let tag_texts: Vec<String> = references
        .iter()
        .flat_map(|r| {
            std::iter::once(format!("{} train", r.1))
                .chain(r.3.map(|_| format!("{} validation", r.1)))
        })
        .collect();
    let tag_room = tag_texts
        .iter()
        .map(|t| text_width(t, TAG_FONT, false) + 12)
        .max()
        .unwrap_or(0);
    let mut chart = ChartBuilder::on(&area.margin(10, 20, 10, 20 + tag_room))
        .caption(format!("{} per {}", metric, unit_short(unit)), bold(22))
        .x_label_area_size(50)
        .y_label_area_size(75)
        .build_cartesian_2d(x_min..x_max, (y_min - pad).max(0.0)..y_hi)?;
    let integer_epochs = unit == HistoryUnit::Epoch && x_max <= 40.0;
    chart
        .configure_mesh()
        .x_labels(if integer_epochs {
            (x_max - x_min) as usize + 1
        } else {
            10
        })
        .x_label_formatter(&|x| format!("{x:.0}"))
        .x_desc(xlabel)
        .y_desc(if metric == "loss" {
            "cross-entropy"
        } else {
            "accuracy (%)"
        })
        .axis_desc_style(text(18))
        .label_style(text(16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    for (i, _, train, valid) in series {
        let c = colour(i);
        chart.draw_series(LineSeries::new(train.clone(), c.stroke_width(3)))?;
        chart.draw_series(train.iter().map(|&p| Circle::new(p, 3, c.filled())))?;
        if !valid.is_empty() {
            chart.draw_series(DashedLineSeries::new(
                valid.clone(),
                8,
                5,
                c.stroke_width(2),
            ))?;
            chart.draw_series(valid.iter().map(|&p| TriangleMarker::new(p, 5, c.filled())))?;
        }
    }
    // Each reference line is tagged right of the plot, off the data, the tags moved apart where
    // lines run close.
    let mut tags: Vec<(usize, String, i32)> = Vec::new();
    for (i, name, train, valid) in references {
        let c = colour(i);
        let across = |v: f64| vec![(x_min, v), (x_max, v)];
        chart.draw_series(DashedLineSeries::new(
            across(train),
            3,
            5,
            c.stroke_width(3),
        ))?;
        tags.push((
            i,
            format!("{name} train"),
            chart.backend_coord(&(x_max, train)).1,
        ));
        if let Some(v) = valid {
            chart.draw_series(DashedLineSeries::new(across(v), 3, 5, c.stroke_width(2)))?;
            tags.push((
                i,
                format!("{name} validation"),
                chart.backend_coord(&(x_max, v)).1,
            ));
        }
    }
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let wanted: Vec<i32> = tags.iter().map(|t| t.2).collect();
    let at = spread_tags(
        &wanted,
        TAG_GAP,
        ys.start + TAG_GAP / 2,
        ys.end - TAG_GAP / 2,
    );
    let base = area.get_base_pixel();
    for ((i, tag, _), y) in tags.iter().zip(at) {
        let c = colour(*i);
        let style = text(TAG_FONT)
            .color(&c)
            .pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(tag, &style, (xs.end + 8 - base.0, y - base.1))?;
    }
    Ok(())
}

fn unit_short(unit: HistoryUnit) -> &'static str {
    match unit {
        HistoryUnit::Epoch => "epoch",
        HistoryUnit::Iteration => "iteration budget",
    }
}

/// `accuracy.png`: test accuracy per backend, every seed as a dot, the mean as a line and its
/// 95% interval as an error bar (Student-t over seeds; Wilson over the test images for one run).
pub fn accuracy(path: &Path, groups: &[BackendRuns<'_>]) -> Result<(), ReportError> {
    type Bar<'a> = (usize, &'a str, Vec<f64>, Option<(f64, f64)>);
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
    canvas(path, (width, 620), |root| {
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
        let seeds = data.iter().map(|d| d.2.len()).max().unwrap_or(0);
        let caption = if seeds > 1 {
            format!("Test accuracy: each seed (dot), mean (line), 95% CI over {seeds} seeds (bar)")
        } else {
            "Test accuracy (one seed), 95% Wilson CI over the test images (bar)".to_string()
        };
        let n = data.len().max(1);
        let mut chart = ChartBuilder::on(&root.margin(15, 25, 15, 15))
            .caption(caption, bold(24))
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), bottom..hi + headroom)?;
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
        for (i, _, values, interval) in &data {
            let c = colour(*i);
            let x = *i as f64;
            let Some(mean) = crate::stats::mean_std(values).0 else {
                continue;
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
                values.iter().enumerate().map(|(k, &v)| {
                    Circle::new((left + 0.24 * k as f64 / spread, v), 6, c.filled())
                }),
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
        }
        Ok(())
    })
}

/// The font size of the accuracy chart's labels, and each backend's horizontal slot.
const LABEL_FONT: u32 = 18;
pub(crate) const ACCURACY_SLOT: u32 = 160;

/// The width of `accuracy.png` for `n` backends: every backend gets at least a slot.
pub(crate) fn accuracy_width(n: usize) -> u32 {
    (110 + ACCURACY_SLOT * n as u32).max(1000)
}

/// The label over a backend in `accuracy.png`: its mean, and its interval if any.
pub(crate) fn accuracy_labels(mean: f64, interval: Option<(f64, f64)>) -> [String; 2] {
    [
        format!("{mean:.2}%"),
        interval.map_or(String::new(), |(l, h)| format!("({l:.2}–{h:.2})")),
    ]
}

/// The widest label `accuracy_labels` can give (accuracies below 100%), in pixels.
#[cfg(test)]
pub(crate) fn widest_accuracy_label() -> i32 {
    let [mean, interval] = accuracy_labels(99.99, Some((99.99, 99.99)));
    text_width(&mean, LABEL_FONT, true).max(text_width(&interval, LABEL_FONT - 2, false))
}

/// The width in pixels of `line` in `style`'s font (an estimate if the font cannot say).
pub(crate) fn text_width(line: &str, size: u32, bold_face: bool) -> i32 {
    register_fonts();
    let font = (FONT, size).into_font();
    let font = if bold_face {
        font.style(FontStyle::Bold)
    } else {
        font
    };
    font.box_size(line).map_or(
        line.chars().count() as i32 * size as i32 * 6 / 10,
        |(w, _)| w as i32,
    )
}

/// Draws a 28x28 image at `(x0, y0)`, each pixel a `scale`-sided square, dark ink on white as
/// MNIST's digits are printed.
pub(crate) fn draw_digit(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    pixels: &[u8],
    (x0, y0): (i32, i32),
    scale: i32,
) -> Result<(), Box<dyn std::error::Error>> {
    for (p, &v) in pixels.iter().enumerate() {
        let (r, c) = ((p / SIDE) as i32, (p % SIDE) as i32);
        let g = 255 - v;
        let px = (x0 + c * scale, y0 + r * scale);
        root.draw(&Rectangle::new(
            [px, (px.0 + scale, px.1 + scale)],
            RGBColor(g, g, g).filled(),
        ))?;
    }
    Ok(())
}

/// `confusion-<backend>.png`: counts of true (rows) against predicted (columns) classes, shaded
/// by the share of each true class. Named classes label the rows, and the columns vertically.
pub fn confusion(
    path: &Path,
    title: &str,
    matrix: &[[usize; N_CLASSES]; N_CLASSES],
    labels: &DatasetLabels,
) -> Result<(), ReportError> {
    let cell = 62i32;
    let names: Vec<String> = (0..N_CLASSES as u8).map(|c| labels.name(c)).collect();
    let named = !labels.numeric();
    let widest = names
        .iter()
        .map(|n| text_width(n, 18, true))
        .max()
        .unwrap_or(0);
    // Room for the rotated axis title, then the row names; above, the column names stand up.
    let (left, top) = if named {
        (widest + 60, widest + 100)
    } else {
        (110, 110)
    };
    let width = (left + cell * 10 + 40).max(text_width(title, 24, true) + 40);
    let size = (width, top + cell * 10 + 40);
    let noun = &labels.class_noun;
    canvas(path, (size.0 as u32, size.1 as u32), |root| {
        root.draw_text(title, &bold(24), (20, 14))?;
        let across = format!("predicted {noun}");
        let across_w = text_width(&across, 20, false);
        root.draw_text(&across, &text(20), (left + cell * 5 - across_w / 2, 52))?;
        for (d, name) in names.iter().enumerate() {
            let d = d as i32;
            let centre = (left + d * cell + cell / 2, top + d * cell + cell / 2);
            if named {
                let up = bold(18)
                    .transform(FontTransform::Rotate270)
                    .pos(Pos::new(HPos::Left, VPos::Center));
                root.draw_text(name, &up, (centre.0, top - 10))?;
            } else {
                let style = bold(20).pos(Pos::new(HPos::Center, VPos::Bottom));
                root.draw_text(name, &style, (centre.0, top - 10))?;
            }
            let style = bold(if named { 18 } else { 20 }).pos(Pos::new(HPos::Right, VPos::Center));
            root.draw_text(name, &style, (left - 12, centre.1))?;
        }
        let down = format!("true {noun}");
        let down_w = text_width(&down, 20, false);
        let label_style = text(20).transform(FontTransform::Rotate270);
        root.draw_text(&down, &label_style, (14, top + cell * 5 + down_w / 2))?;
        for (t, row) in matrix.iter().enumerate() {
            let total = row.iter().sum::<usize>().max(1) as f64;
            for (p, &count) in row.iter().enumerate() {
                let share = count as f64 / total;
                let (x, y) = (left + p as i32 * cell, top + t as i32 * cell);
                let shade = if t == p {
                    share
                } else {
                    (share * 8.0).min(1.0)
                };
                let colour = if t == p {
                    RGBColor(
                        255 - (200.0 * shade) as u8,
                        255 - (120.0 * shade) as u8,
                        255 - (40.0 * shade) as u8,
                    )
                } else {
                    RGBColor(
                        255,
                        255 - (150.0 * shade) as u8,
                        255 - (150.0 * shade) as u8,
                    )
                };
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell, y + cell)],
                    colour.filled(),
                ))?;
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell, y + cell)],
                    RGBColor(220, 220, 220),
                ))?;
                if count > 0 {
                    let label = count.to_string();
                    let fg = if t == p && shade > 0.6 { WHITE } else { RIGHT };
                    let style = (FONT, 17)
                        .into_font()
                        .color(&fg)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    root.draw_text(&label, &style, (x + cell / 2, y + cell / 2))?;
                }
            }
        }
        Ok(())
    })
}

/// One tile of an image grid: the test image and lines of text under it.
pub struct Tile {
    /// Index into the test set.
    pub index: usize,
    /// Lines under the image, each with whether it marks a mistake.
    pub lines: Vec<(String, bool)>,
}

/// The widest a grid of images may be drawn: GitHub shows a report's images at most about 900 px
/// wide, so a wider grid shrinks its captions below legibility.
const GRID_MAX_WIDTH: i32 = 1300;

/// A grid of test images with captions, at most `columns` tiles across (fewer when long captions
/// widen the tiles); tiles with a mistake get a red frame.
pub fn image_grid(
    path: &Path,
    title: &str,
    test: &Dataset,
    tiles: &[Tile],
    columns: usize,
) -> Result<(), ReportError> {
    let scale = 4i32;
    let image = SIDE as i32 * scale;
    let font = 18u32;
    let lines = tiles.iter().map(|t| t.lines.len()).max().unwrap_or(0) as i32;
    let widest = tiles
        .iter()
        .flat_map(|t| &t.lines)
        .map(|(line, wrong)| text_width(line, font, *wrong))
        .max()
        .unwrap_or(0);
    let tile_w = (image + 80).max(widest + 20);
    let (tile_h, line_h) = (image + 16 + 22 * lines, 22);
    let columns = columns
        .min(((GRID_MAX_WIDTH - 20) / tile_w).max(1) as usize)
        .max(1);
    let rows = tiles.len().div_ceil(columns) as i32;
    let width = (tile_w * columns as i32 + 20).max(text_width(title, 24, true) + 30);
    let size = (width, 60 + tile_h * rows + 10);
    canvas(path, (size.0 as u32, size.1 as u32), |root| {
        root.draw_text(title, &bold(24), (14, 16))?;
        for (k, tile) in tiles.iter().enumerate() {
            let (col, row) = ((k % columns) as i32, (k / columns) as i32);
            let left = 10 + col * tile_w;
            let (x0, y0) = (left + (tile_w - image) / 2, 60 + row * tile_h);
            draw_digit(root, test.image(tile.index), (x0, y0), scale)?;
            let wrong = tile.lines.iter().any(|(_, w)| *w);
            let frame = if wrong {
                WRONG.stroke_width(3)
            } else {
                RGBColor(190, 190, 190).stroke_width(1)
            };
            root.draw(&Rectangle::new(
                [(x0 - 2, y0 - 2), (x0 + image + 2, y0 + image + 2)],
                frame,
            ))?;
            for (i, (line, is_wrong)) in tile.lines.iter().enumerate() {
                let style = if *is_wrong {
                    bold(font).color(&WRONG)
                } else {
                    text(font)
                };
                // The captions of a tile share a left edge, their block centred under the image.
                let y = y0 + image + 8 + line_h * i as i32;
                root.draw_text(line, &style, (left + ((tile_w - widest) / 2).max(6), y))?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Backend names as long as the registry's, and longer.
    const NAMES: [&str; 6] = [
        "scratch",
        "linfa",
        "burn",
        "candle",
        "cnn",
        "my-own-backend",
    ];

    #[test]
    fn legend_entries_never_overlap_and_stay_on_the_canvas() {
        let width = CURVES_WIDTH as i32 - 60;
        for n in 1..=NAMES.len() {
            let layout = legend_layout(&NAMES[..n], width);
            assert_eq!(layout.len(), n);
            for (k, &(x, row)) in layout.iter().enumerate() {
                let right = x + legend_entry_width(NAMES[k]);
                assert!(right <= width, "{n} backends: entry {k} ends at {right}");
                if let Some(&(next_x, next_row)) = layout.get(k + 1)
                    && next_row == row
                {
                    assert!(
                        right < next_x,
                        "{n} backends: entries {k} and {} touch",
                        k + 1
                    );
                }
            }
        }
        // Entries too wide for one row go on to the next.
        let narrow = legend_layout(&NAMES, 300);
        assert!(narrow.iter().any(|e| e.1 > 0), "{narrow:?}");
        // Each entry fits, unless it is too wide for any row and stands alone at its start.
        for (k, &(x, _)) in narrow.iter().enumerate() {
            assert!(
                x == 0 || x + legend_entry_width(NAMES[k]) <= 300,
                "{narrow:?}"
            );
        }
    }

    #[test]
    fn tags_of_close_lines_are_moved_apart_and_kept_in_the_plot() {
        // Six lines within 10 pixels of each other, in no order, near the bottom.
        let wanted = [405, 400, 409, 401, 404, 408];
        let at = spread_tags(&wanted, TAG_GAP, 20, 410);
        let mut sorted = at.clone();
        sorted.sort();
        for pair in sorted.windows(2) {
            assert!(pair[1] - pair[0] >= TAG_GAP, "{at:?}");
        }
        assert!(sorted.iter().all(|&y| (20..=410).contains(&y)), "{at:?}");
        // The order of the lines is kept: the higher line keeps the higher tag.
        assert!(at[1] < at[3] && at[3] < at[4] && at[4] < at[0], "{at:?}");
        // Lines far apart keep their own heights.
        assert_eq!(spread_tags(&[300, 100], TAG_GAP, 0, 500), [300, 100]);
    }

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

    #[test]
    fn subtitles_wrap_between_clauses() {
        let clauses: Vec<String> = ["aaaa", "bbbb", "cccccccc", "dd"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            wrap_clauses(&clauses, 10),
            ["aaaa; bbbb;", "cccccccc;", "dd"]
        );
        assert_eq!(wrap_clauses(&clauses, 100), ["aaaa; bbbb; cccccccc; dd"]);
        assert_eq!(wrap_clauses(&clauses[2..3], 4), ["cccccccc"]);
    }
}
