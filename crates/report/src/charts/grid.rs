//! Grids of test images with captions under each: the sample predictions and each backend's
//! most confident mistakes.

use mnist_data::{Dataset, SIDE};
use plotters::prelude::*;

use super::canvas::{ChartError, WRONG, bold, canvas, draw_digit, text, text_width};

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
    title: &str,
    test: &Dataset,
    tiles: &[Tile],
    columns: usize,
) -> Result<Vec<u8>, ChartError> {
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
    canvas((size.0 as u32, size.1 as u32), |root| {
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
