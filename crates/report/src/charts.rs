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

use crate::stats::{BackendRuns, accuracy_interval, mean_curve};
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
    let points_of = |unit: HistoryUnit| {
        groups
            .iter()
            .filter(move |g| g.unit == unit)
            .map(|g| mean_curve(g).len())
    };
    let iteration_curve = points_of(HistoryUnit::Iteration).any(|n| n > 1);
    let iteration_point = points_of(HistoryUnit::Iteration).any(|n| n == 1);
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
    if iteration_point {
        key.push("dotted: final value of a backend without epochs".to_string());
    }
    let subtitle = wrap_clauses(&key, SUBTITLE_CHARS);
    let header = 54 + 26 * subtitle.len() as u32;
    let height = header + 460 * rows.len() as u32;
    canvas(path, (1400, height), |root| {
        let (title, body) = root.split_vertically(header);
        title.draw_text("Learning curves", &bold(30), (30, 12))?;
        for (i, line) in subtitle.iter().enumerate() {
            title.draw_text(line, &text(20), (30, 50 + 26 * i as i32))?;
        }
        for (row_area, (unit, xlabel)) in body.split_evenly((rows.len(), 1)).iter().zip(&rows) {
            let panels = row_area.split_evenly((1, 2));
            for (panel, metric) in panels.iter().zip(["loss", "accuracy"]) {
                curve_panel(panel, groups, *unit, xlabel, metric)?;
            }
        }
        Ok(())
    })
}

/// How many characters of the 20-px subtitle font fit across a 1400-px chart, with margins.
const SUBTITLE_CHARS: usize = 125;

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
    let mut references: Vec<(usize, &str, String, f64, Option<f64>)> = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let curve = mean_curve(g);
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
            let label = format!("{} after {} iterations", g.name, p.step);
            references.push((
                i,
                g.name,
                label,
                value(p.train_loss, p.train_accuracy),
                valid,
            ));
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
                .flat_map(|r| std::iter::once(r.3).chain(r.4)),
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
    let mut chart = ChartBuilder::on(&area.margin(10, 20, 10, 20))
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
    for (i, name, train, valid) in series {
        let c = colour(i);
        chart
            .draw_series(LineSeries::new(train.clone(), c.stroke_width(3)))?
            .label(format!("{name} train"))
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (30, 0)], c.stroke_width(3))
                    + Circle::new((15, 0), 3, c.filled())
            });
        chart.draw_series(train.iter().map(|&p| Circle::new(p, 3, c.filled())))?;
        if !valid.is_empty() {
            chart
                .draw_series(DashedLineSeries::new(
                    valid.clone(),
                    8,
                    5,
                    c.stroke_width(2),
                ))?
                .label(format!("{name} validation"))
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (10, 0)], c.stroke_width(2))
                        + PathElement::new(vec![(20, 0), (30, 0)], c.stroke_width(2))
                        + TriangleMarker::new((15, 0), 4, c.filled())
                });
            chart.draw_series(valid.iter().map(|&p| TriangleMarker::new(p, 5, c.filled())))?;
        }
    }
    // A tag at the left end of each reference line says which of the two it is: above the upper
    // line and below the lower one, so that close lines keep their tags apart.
    let tag = |name: &str, part: &str, v: f64, above: bool| {
        let side = if above { VPos::Bottom } else { VPos::Top };
        Text::new(
            format!("{name} {part}"),
            (x_min, v),
            text(14).pos(Pos::new(HPos::Left, side)),
        )
    };
    for (i, name, label, train, valid) in references {
        let c = colour(i);
        let across = |v: f64| vec![(x_min, v), (x_max, v)];
        let dots = |width: u32| {
            move |(x, y): (i32, i32)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (4, 0)], c.stroke_width(width))
                    + PathElement::new(vec![(9, 0), (13, 0)], c.stroke_width(width))
                    + PathElement::new(vec![(18, 0), (22, 0)], c.stroke_width(width))
                    + PathElement::new(vec![(27, 0), (31, 0)], c.stroke_width(width))
            }
        };
        chart
            .draw_series(DashedLineSeries::new(
                across(train),
                3,
                5,
                c.stroke_width(3),
            ))?
            .label(format!("{label}, train"))
            .legend(dots(3));
        let train_above = valid.is_none_or(|v| train >= v);
        chart.draw_series(std::iter::once(tag(name, "train", train, train_above)))?;
        if let Some(v) = valid {
            chart
                .draw_series(DashedLineSeries::new(across(v), 3, 5, c.stroke_width(2)))?
                .label(format!("{label}, validation"))
                .legend(dots(2));
            chart.draw_series(std::iter::once(tag(name, "validation", v, !train_above)))?;
        }
    }
    if metric != "loss" {
        // Same colours and styles as the loss panel's legend: one legend is enough.
        return Ok(());
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font(text(16))
        .draw()?;
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
    canvas(path, (1000, 620), |root| {
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
            .build_cartesian_2d(
                -0.5..(n as f64 - 0.5),
                (lo - pad).max(0.0)..(hi + pad).min(100.0),
            )?;
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
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.25, low), (x + 0.25, high)],
                c.mix(0.2).filled(),
            )))?;
            // The error bar: a line from low to high with caps.
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
            let spread = values.len().max(2) as f64 - 1.0;
            chart.draw_series(values.iter().enumerate().map(|(k, &v)| {
                Circle::new((x - 0.12 + 0.24 * k as f64 / spread, v), 6, c.filled())
            }))?;
            let label = match interval {
                Some((l, h)) => format!("{mean:.2}% ({l:.2}–{h:.2})"),
                None => format!("{mean:.2}%"),
            };
            let top = values.iter().copied().fold(high, f64::max);
            let style = bold(18).pos(Pos::new(HPos::Center, VPos::Bottom));
            chart.draw_series(std::iter::once(Text::new(
                label,
                (x, top + pad * 0.25),
                style,
            )))?;
        }
        Ok(())
    })
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
    use super::wrap_clauses;

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
