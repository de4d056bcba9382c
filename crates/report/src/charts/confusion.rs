//! `confusion-<backend>.png`: a backend's counts of true against predicted classes.

use mnist_data::N_CLASSES;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Area, ChartError, Drawn, FONT, RIGHT, bold, canvas, text, text_width};
use crate::DatasetLabels;

/// The side of one cell, in pixels.
const CELL: i32 = 62;

/// `confusion-<backend>.png`: counts of true (rows) against predicted (columns) classes, shaded
/// by the share of each true class. Named classes label the rows, and the columns vertically.
pub fn confusion(
    title: &str,
    matrix: &[[usize; N_CLASSES]; N_CLASSES],
    labels: &DatasetLabels,
) -> Result<Vec<u8>, ChartError> {
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
    let width = (left + CELL * 10 + 40).max(text_width(title, 24, true) + 40);
    let size = (width, top + CELL * 10 + 40);
    let noun = &labels.class_noun;
    canvas((size.0 as u32, size.1 as u32), |root| {
        root.draw_text(title, &bold(24), (20, 14))?;
        let across = format!("predicted {noun}");
        let across_w = text_width(&across, 20, false);
        root.draw_text(&across, &text(20), (left + CELL * 5 - across_w / 2, 52))?;
        draw_names(root, &names, named, (left, top))?;
        let down = format!("true {noun}");
        let down_w = text_width(&down, 20, false);
        let label_style = text(20).transform(FontTransform::Rotate270);
        root.draw_text(&down, &label_style, (14, top + CELL * 5 + down_w / 2))?;
        for (t, row) in matrix.iter().enumerate() {
            let total = row.iter().sum::<usize>().max(1) as f64;
            for (p, &count) in row.iter().enumerate() {
                let at = (left + p as i32 * CELL, top + t as i32 * CELL);
                draw_cell(root, at, t == p, count, count as f64 / total)?;
            }
        }
        Ok(())
    })
}

/// The class names over the columns (standing up when named) and beside the rows.
fn draw_names(root: &Area<'_>, names: &[String], named: bool, (left, top): (i32, i32)) -> Drawn {
    for (d, name) in names.iter().enumerate() {
        let d = d as i32;
        let centre = (left + d * CELL + CELL / 2, top + d * CELL + CELL / 2);
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
    Ok(())
}

/// One cell at `(x, y)`: blue on the diagonal, red off it, deeper for a larger `share` of its
/// true class, with its count unless zero.
fn draw_cell(
    root: &Area<'_>,
    (x, y): (i32, i32),
    diagonal: bool,
    count: usize,
    share: f64,
) -> Drawn {
    let shade = if diagonal {
        share
    } else {
        (share * 8.0).min(1.0)
    };
    let colour = if diagonal {
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
        [(x, y), (x + CELL, y + CELL)],
        colour.filled(),
    ))?;
    root.draw(&Rectangle::new(
        [(x, y), (x + CELL, y + CELL)],
        RGBColor(220, 220, 220),
    ))?;
    if count > 0 {
        let label = count.to_string();
        let fg = if diagonal && shade > 0.6 {
            WHITE
        } else {
            RIGHT
        };
        let style = (FONT, 17)
            .into_font()
            .color(&fg)
            .pos(Pos::new(HPos::Center, VPos::Center));
        root.draw_text(&label, &style, (x + CELL / 2, y + CELL / 2))?;
    }
    Ok(())
}
