//! A user's image turned into what the models were trained on, as MNIST's own preprocessing made
//! its digits: grayscale, light ink on a dark field (a dark-on-light image is inverted), the
//! ink's bounding box scaled to fit 20x20 keeping its aspect ratio (anti-aliased by area
//! averaging), and placed in a 28x28 field with its centre of mass at pixel (14, 14).
//!
//! `decode.rs` reads the file within limits (size and memory, a JPEG sized from its header
//! first) and makes it grayscale;
//! `field.rs` finds the ink and builds the 28x28 field. Whatever the bytes, the result is the
//! field or a [`PrepareError`], never a panic of this crate's own and never more memory than the
//! limits allow (`fuzz/fuzz_targets/image.rs` feeds it arbitrary bytes).

mod decode;
mod field;

use std::io::{BufRead, Seek};
use std::path::Path;

use image::GrayImage;
use mnist_data::IMAGE_PIXELS;

pub use decode::{JPEG_BUDGET, MAX_ALLOC, MAX_SIDE};
pub use field::to_mnist;

/// The side the image as given is kept at, at most, for the picture.
const THUMBNAIL: u32 = 280;

/// An image read and converted.
pub struct Prepared {
    /// The image as read, in grayscale (as it looked), at most [`THUMBNAIL`] pixels a side, for
    /// the picture.
    pub original: GrayImage,
    /// The 28x28 the models see, row-major, ink bright.
    pub pixels: [u8; IMAGE_PIXELS],
}

/// Why an image could not be prepared; the caller names the file.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The file could not be opened or read.
    #[error("cannot read: {0}")]
    Read(std::io::Error),
    /// Not a format this crate decodes.
    #[error("not an image this tool reads (PNG, JPEG or BMP)")]
    NotAnImage,
    /// Larger than the limits allow.
    #[error(
        "too large to read (more than {MAX_SIDE} pixels a side, or more pixels than the memory \
         limit holds decoded); crop or scale it down"
    )]
    TooLarge,
    /// A damaged or unsupported file.
    #[error("cannot decode: {0}")]
    Decode(image::ImageError),
    /// No stroke stands out from the paper.
    #[error("nothing to classify: the image is blank: no stroke stands out from the background")]
    Blank,
}

/// Reads the image at `path` (PNG, JPEG or BMP) and converts it.
pub fn prepare(path: &Path) -> Result<Prepared, PrepareError> {
    let file = std::fs::File::open(path).map_err(PrepareError::Read)?;
    prepare_from(std::io::BufReader::new(file))
}

/// [`prepare`] for an image held in memory.
pub fn prepare_bytes(bytes: &[u8]) -> Result<Prepared, PrepareError> {
    prepare_from(std::io::Cursor::new(bytes))
}

/// Decodes the image `reader` holds and converts it.
fn prepare_from(reader: impl BufRead + Seek) -> Result<Prepared, PrepareError> {
    let gray = decode::grayscale(reader)?;
    let pixels = to_mnist(&gray)?;
    let (w, h) = gray.dimensions();
    let fit = (THUMBNAIL as f32 / w.max(h) as f32).min(1.0);
    let original = if fit < 1.0 {
        let side = |v: u32| ((v as f32 * fit).round() as u32).max(1);
        let whole = field::View {
            w,
            h,
            at: |x, y| gray.get_pixel(x, y).0[0],
        };
        field::area_resize(&whole, side(w), side(h))
    } else {
        gray
    };
    Ok(Prepared { original, pixels })
}
