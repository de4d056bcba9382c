//! The picture `cargo xtask predict --out FILE.png` shows: for each image, the image as given,
//! the 28x28 the models saw, and each model's probability for every class. It is rendered into
//! memory as PNG bytes; the caller writes them.

use image::GrayImage;
use image::imageops::FilterType;
use mnist_data::{IMAGE_PIXELS, N_CLASSES, SIDE};
use plotters::prelude::*;

use crate::charts::{ChartError, bold, canvas, colour, draw_digit, text, text_width};

/// One image's row of the picture.
pub struct PredictionRow<'a> {
    /// The image's name, above its row.
    pub title: String,
    /// The image as read, grayscale.
    pub original: &'a GrayImage,
    /// The 28x28 the models saw (ink bright).
    pub seen: &'a [u8; IMAGE_PIXELS],
    /// Each model's label and its 10 probabilities.
    pub models: Vec<(String, Vec<f32>)>,
}

/// `p` as a percentage that never shows a near-certainty as 100% or a small chance as 0% (a
/// softmax in f32 can round to exactly 1 or 0; the model's probability is not).
pub fn percent(p: f32) -> String {
    if p >= 0.9995 {
        ">99.9%".to_string()
    } else if p < 0.0005 {
        "<0.1%".to_string()
    } else {
        format!("{:.1}%", 100.0 * p)
    }
}

/// Side of the two image panels, in pixels.
const PANEL: i32 = 140;
/// Height of one class's bar.
const BAR: i32 = 16;

/// Draws `rows` and returns the picture as PNG bytes; classes are named by `class_names`.
pub fn predictions(
    class_names: &[String],
    rows: &[PredictionRow<'_>],
) -> Result<Vec<u8>, ChartError> {
    let label_w = class_names
        .iter()
        .map(|n| text_width(n, 14, false))
        .max()
        .unwrap_or(20)
        + 8;
    let bars_w = 170;
    let block_w = label_w + bars_w + 60;
    let most_models = rows.iter().map(|r| r.models.len()).max().unwrap_or(0) as i32;
    let width = 20 + 2 * (PANEL + 20) + most_models * (block_w + 10);
    let row_h = 40 + (BAR * N_CLASSES as i32).max(PANEL + 24) + 20;
    let height = 10 + row_h * rows.len() as i32;
    canvas((width as u32, height as u32), |root| {
        for (k, row) in rows.iter().enumerate() {
            let top = 10 + k as i32 * row_h;
            root.draw_text(&row.title, &bold(18), (14, top))?;
            let y0 = top + 34;
            // The image as given, scaled to fit its panel.
            let (w, h) = row.original.dimensions();
            let fit = PANEL as f32 / w.max(h) as f32;
            let (tw, th) = (
                ((w as f32 * fit).round() as u32).max(1),
                ((h as f32 * fit).round() as u32).max(1),
            );
            let thumb = image::imageops::resize(row.original, tw, th, FilterType::Triangle);
            for (x, y, p) in thumb.enumerate_pixels() {
                let g = p.0[0];
                let at = (14 + x as i32, y0 + y as i32);
                root.draw_pixel(at, &RGBColor(g, g, g))?;
            }
            root.draw_text("as given", &text(13), (14, y0 + PANEL + 4))?;
            // What the models saw, dark ink on white as the report's grids show it.
            let scale = PANEL / SIDE as i32;
            let x0 = 14 + PANEL + 20;
            draw_digit(root, row.seen, (x0, y0), scale)?;
            root.draw(&Rectangle::new(
                [(x0 - 1, y0 - 1), (x0 + PANEL + 1, y0 + PANEL + 1)],
                RGBColor(190, 190, 190).stroke_width(1),
            ))?;
            root.draw_text("28x28 the models saw", &text(13), (x0, y0 + PANEL + 4))?;
            // Each model's probabilities.
            for (m, (label, probabilities)) in row.models.iter().enumerate() {
                let left = 14 + 2 * (PANEL + 20) + m as i32 * (block_w + 10);
                // Regular 15, not bold 14: in bold the "rn" of "burn" runs into an "m".
                root.draw_text(label, &text(15), (left, top + 16))?;
                let best = bench_core::argmax(probabilities);
                for (class, name) in class_names.iter().enumerate() {
                    let p = probabilities.get(class).copied().unwrap_or(0.0);
                    let y = y0 + class as i32 * BAR;
                    root.draw_text(name, &text(13), (left, y + 1))?;
                    let bar_x = left + label_w;
                    let len = (p.clamp(0.0, 1.0) * bars_w as f32).round() as i32;
                    root.draw(&Rectangle::new(
                        [(bar_x, y + 2), (bar_x + bars_w, y + BAR - 2)],
                        RGBColor(235, 235, 235).filled(),
                    ))?;
                    if len > 0 {
                        root.draw(&Rectangle::new(
                            [(bar_x, y + 2), (bar_x + len, y + BAR - 2)],
                            colour(m).filled(),
                        ))?;
                    }
                    let style = if class == best { bold(13) } else { text(13) };
                    root.draw_text(&percent(p), &style, (bar_x + bars_w + 6, y + 1))?;
                }
            }
        }
        Ok(())
    })
}
