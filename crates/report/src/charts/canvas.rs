//! The canvas every chart is drawn on: fonts, colours and text styles, and the white bitmap in
//! memory that becomes PNG bytes. Text uses the DejaVu Sans font shipped in `assets/`, so charts
//! look the same on every machine, with or without system fonts.

use std::sync::Once;

use image::ImageEncoder;
use image::codecs::png::PngEncoder;
use mnist_data::SIDE;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// The font family every chart's text is set in.
pub(super) const FONT: &str = "sans-serif";

/// Colours for backends, in report order (colour-blind friendly, from the Okabe-Ito palette).
const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
];
/// Mistakes: captions and frames.
pub(super) const WRONG: RGBColor = RGBColor(200, 30, 30);
/// Text.
pub(super) const RIGHT: RGBColor = RGBColor(40, 40, 40);

/// The colour of the `i`th backend.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The drawing area of a whole chart.
pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// A plot with numeric axes inside a chart.
pub(super) type Plot<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// What a drawing function returns: plotters' errors, passed on.
pub(crate) type Drawn = Result<(), Box<dyn std::error::Error>>;

/// A chart that could not be drawn or encoded.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ChartError(String);

impl ChartError {
    fn new(e: impl std::fmt::Display) -> Self {
        Self(e.to_string())
    }
}

fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // Both are valid TrueType files compiled into the binary.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../../assets/DejaVuSans.ttf"),
        );
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Bold,
            include_bytes!("../../assets/DejaVuSans-Bold.ttf"),
        );
    });
}

/// Runs `draw` on a white `width x height` canvas in memory and returns it as PNG bytes.
pub(crate) fn canvas(
    (width, height): (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Drawn,
) -> Result<Vec<u8>, ChartError> {
    register_fonts();
    // Three bytes a pixel: the RGB layout `BitMapBackend::with_buffer` draws in.
    let mut pixels = vec![0u8; 3 * width as usize * height as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(ChartError::new)?;
        draw(&root).map_err(ChartError::new)?;
        root.present().map_err(ChartError::new)?;
    }
    png(&pixels, (width, height)).map_err(ChartError::new)
}

/// `pixels` (RGB, 8 bits a channel, row by row) as PNG, encoded as plotters saves a bitmap to a
/// file: `image`'s PNG encoder with its default compression and filter, colour type RGB8.
fn png(pixels: &[u8], (width, height): (u32, u32)) -> image::ImageResult<Vec<u8>> {
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes).write_image(pixels, width, height, image::ColorType::Rgb8)?;
    Ok(bytes)
}

/// Regular text of `size` pixels.
pub(crate) fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&RIGHT)
}

/// Bold text of `size` pixels.
pub(crate) fn bold(size: u32) -> TextStyle<'static> {
    (FONT, size)
        .into_font()
        .style(FontStyle::Bold)
        .color(&RIGHT)
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
    root: &Area<'_>,
    pixels: &[u8],
    (x0, y0): (i32, i32),
    scale: i32,
) -> Drawn {
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
