//! `curves.png`: loss and accuracy, train and validation, per epoch for each backend, and per
//! iteration for a backend without epochs.

use bench_core::HistoryUnit;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Area, ChartError, Drawn, Plot, bold, canvas, colour, text, text_width};
use super::layout::{
    LEGEND_FONT, LEGEND_ROW, SWATCH, TAG_FONT, TAG_GAP, legend_layout, spread_tags, wrap_clauses,
};
use crate::stats::{BackendRuns, CurvePoint, mean_curve};

/// How many characters of the 20-px subtitle font fit across a 1400-px chart, with margins.
const SUBTITLE_CHARS: usize = 125;

/// The width of `curves.png`.
pub(super) const CURVES_WIDTH: u32 = 1400;

/// One legend entry: the backend's colour index, its name, and whether it is drawn dotted (a
/// single final point).
type Entry<'a> = (usize, &'a str, bool);

/// `curves.png`: loss and accuracy, train (solid) and validation (dashed), per epoch. A backend
/// without epochs (L-BFGS) gets its own row against iterations when it recorded a curve; with a
/// single final point it is drawn as a dotted reference line across the epoch panels.
pub fn curves(groups: &[BackendRuns<'_>]) -> Result<Vec<u8>, ChartError> {
    // Each backend's curve, averaged over its seeds once for every panel, and whether it is a
    // backend without epochs that recorded one final point (a dotted line).
    let curves: Vec<Vec<CurvePoint>> = groups.iter().map(mean_curve).collect();
    let single: Vec<bool> = groups
        .iter()
        .zip(&curves)
        .map(|(g, c)| g.unit == HistoryUnit::Iteration && c.len() == 1)
        .collect();
    let rows = panel_rows(groups, &curves);
    let subtitle = wrap_clauses(&key(groups, &curves, &single), SUBTITLE_CHARS);
    // A legend entry for each backend with a curve.
    let entries: Vec<Entry<'_>> = groups
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
    canvas((CURVES_WIDTH, height), |root| {
        let (title, body) = root.split_vertically(header);
        title.draw_text("Learning curves", &bold(30), (30, 12))?;
        for (i, line) in subtitle.iter().enumerate() {
            title.draw_text(line, &text(20), (30, 50 + 26 * i as i32))?;
        }
        draw_legend(&title, &entries, &legend, legend_top)?;
        for (row_area, (unit, xlabel)) in body.split_evenly((rows.len(), 1)).iter().zip(&rows) {
            let panels = row_area.split_evenly((1, 2));
            for (panel, metric) in panels.iter().zip(["loss", "accuracy"]) {
                curve_panel(panel, groups, &curves, *unit, xlabel, metric)?;
            }
        }
        Ok(())
    })
}

/// The rows of panels: epochs, and iterations when a backend without epochs recorded a curve.
fn panel_rows(
    groups: &[BackendRuns<'_>],
    curves: &[Vec<CurvePoint>],
) -> Vec<(HistoryUnit, &'static str)> {
    let iteration_curve = groups
        .iter()
        .zip(curves)
        .any(|(g, c)| g.unit == HistoryUnit::Iteration && c.len() > 1);
    let mut rows = vec![(HistoryUnit::Epoch, "epoch")];
    if iteration_curve {
        rows.push((
            HistoryUnit::Iteration,
            "iterations (a backend without epochs)",
        ));
    }
    rows
}

/// The clauses of the subtitle: what is averaged, and what each line style means.
fn key(groups: &[BackendRuns<'_>], curves: &[Vec<CurvePoint>], single: &[bool]) -> Vec<String> {
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
        .zip(curves)
        .zip(single)
        .filter(|(_, single)| **single)
        .map(|((g, c), _)| format!("{} after {} iterations", g.name, c[0].step))
        .collect();
    if !single_points.is_empty() {
        key.push(format!(
            "dotted: final value of a backend without epochs ({})",
            single_points.join(", ")
        ));
    }
    key
}

/// The legend above the panels, never on their data: one swatch per backend.
fn draw_legend(
    title: &Area<'_>,
    entries: &[Entry<'_>],
    legend: &[(i32, usize)],
    legend_top: i32,
) -> Drawn {
    for (&(i, name, dotted), &(x, row)) in entries.iter().zip(legend) {
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
    Ok(())
}

/// One backend's series for a panel: train and validation points.
type Series<'a> = (usize, &'a str, Vec<(f64, f64)>, Vec<(f64, f64)>);

/// A backend without epochs that has a single point, drawn as reference lines on the epoch
/// panels: its colour index, name, train value and validation value.
type Reference<'a> = (usize, &'a str, f64, Option<f64>);

/// The value a panel plots: the loss, or the accuracy in percent.
fn value(metric: &str, loss: f64, accuracy: f64) -> f64 {
    if metric == "loss" {
        loss
    } else {
        100.0 * accuracy
    }
}

/// The series and the reference lines of one panel.
fn panel_data<'a>(
    groups: &[BackendRuns<'a>],
    curves: &[Vec<CurvePoint>],
    unit: HistoryUnit,
    metric: &str,
) -> (Vec<Series<'a>>, Vec<Reference<'a>>) {
    let value = |loss, accuracy| value(metric, loss, accuracy);
    let mut series: Vec<Series<'a>> = Vec::new();
    let mut references: Vec<Reference<'a>> = Vec::new();
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
    (series, references)
}

/// The vertical range of a panel: its values with some room, never below 0 (nor above 100% for
/// accuracy).
fn y_range(series: &[Series<'_>], references: &[Reference<'_>], metric: &str) -> (f64, f64) {
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
    ((y_min - pad).max(0.0), y_hi)
}

/// The room right of the plot for the reference lines' tags.
fn tag_room(references: &[Reference<'_>]) -> i32 {
    references
        .iter()
        .flat_map(|r| {
            std::iter::once(format!("{} train", r.1))
                .chain(r.3.map(|_| format!("{} validation", r.1)))
        })
        .map(|t| text_width(&t, TAG_FONT, false) + 12)
        .max()
        .unwrap_or(0)
}

fn curve_panel(
    area: &Area<'_>,
    groups: &[BackendRuns<'_>],
    curves: &[Vec<CurvePoint>],
    unit: HistoryUnit,
    xlabel: &str,
    metric: &str,
) -> Drawn {
    let (series, references) = panel_data(groups, curves, unit, metric);
    let xs = series
        .iter()
        .flat_map(|s| s.2.iter().chain(&s.3))
        .map(|p| p.0);
    let x_max = xs.fold(1.0f64, f64::max);
    let x_min = if unit == HistoryUnit::Epoch { 1.0 } else { 0.0 };
    let x_max = x_max.max(x_min + 1.0);
    let (y_lo, y_hi) = y_range(&series, &references, metric);
    let mut chart = ChartBuilder::on(&area.margin(10, 20, 10, 20 + tag_room(&references)))
        .caption(format!("{} per {}", metric, unit_short(unit)), bold(22))
        .x_label_area_size(50)
        .y_label_area_size(75)
        .build_cartesian_2d(x_min..x_max, y_lo..y_hi)?;
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
    draw_series(&mut chart, series)?;
    draw_references(area, &mut chart, references, (x_min, x_max))
}

/// Each backend's train line with dots, and its validation line dashed with triangles.
fn draw_series(chart: &mut Plot<'_, '_>, series: Vec<Series<'_>>) -> Drawn {
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
    Ok(())
}

/// The reference lines across the panel, each tagged right of the plot, off the data, the tags
/// moved apart where lines run close.
fn draw_references(
    area: &Area<'_>,
    chart: &mut Plot<'_, '_>,
    references: Vec<Reference<'_>>,
    (x_min, x_max): (f64, f64),
) -> Drawn {
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
