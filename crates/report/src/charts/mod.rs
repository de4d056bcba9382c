//! PNG charts drawn with plotters, rendered into memory: learning curves, accuracy per backend,
//! confusion matrices and grids of test images. Each drawing function returns the PNG's bytes;
//! the caller decides where they go.

mod accuracy;
mod canvas;
mod confusion;
mod curves;
mod grid;
mod layout;

pub use accuracy::accuracy;
pub use canvas::{ChartError, colour};
pub use confusion::confusion;
pub use curves::curves;
pub use grid::{Tile, image_grid};

pub(crate) use canvas::{bold, canvas, draw_digit, text, text_width};

/// Backend names as long as the registry's, and longer: the names the layout tests fit.
#[cfg(test)]
const TEST_NAMES: [&str; 6] = [
    "scratch",
    "linfa",
    "burn",
    "candle",
    "cnn",
    "my-own-backend",
];
