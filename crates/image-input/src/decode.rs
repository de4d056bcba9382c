//! Reading an image file within limits: its size and what the decoder may allocate are bounded
//! before it allocates, and the image is made grayscale without a second whole-image copy.

use std::io::{BufRead, Seek};

use image::{GrayImage, Luma};

use crate::PrepareError;

/// The largest image read, in pixels per side: larger ones are refused by the decoder before it
/// allocates (a photo of a digit needs far fewer).
pub const MAX_SIDE: u32 = 8192;
/// What the decoder may allocate at most: with the grayscale copy of a colour image (a quarter
/// of an 8-bit RGBA image's bytes, half of a 16-bit grayscale one's) and the tool itself,
/// predict's peak stays under 200 MiB. An 8192x8192 grayscale image fits; an 8-bit RGBA one up
/// to about 4900x4900.
pub const MAX_ALLOC: u64 = 96 << 20;
/// The image `reader` holds, decoded within the limits and made grayscale ([`over_white`]).
pub(crate) fn grayscale(reader: impl BufRead + Seek) -> Result<GrayImage, PrepareError> {
    let mut reader = image::io::Reader::new(reader)
        .with_guessed_format()
        .map_err(PrepareError::Read)?;
    if reader.format().is_none() {
        return Err(PrepareError::NotAnImage);
    }
    let mut limits = image::io::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => PrepareError::TooLarge,
        other => PrepareError::Decode(other),
    })?;
    Ok(over_white(decoded))
}

/// Grayscale, transparent parts shown as white paper. A grayscale image without alpha is taken as
/// it is; any other is converted one row at a time, so that the only whole-image buffers are the
/// decoded image and the grayscale one.
fn over_white(image: image::DynamicImage) -> GrayImage {
    let image = match image {
        image::DynamicImage::ImageLuma8(gray) => return gray,
        other => other,
    };
    let (w, h) = (image.width(), image.height());
    let mut gray = GrayImage::new(w, h);
    for y in 0..h {
        let row = image.crop_imm(0, y, w, 1).to_luma_alpha8();
        for (x, _, p) in row.enumerate_pixels() {
            let [l, a] = p.0;
            let v = (u32::from(l) * u32::from(a) + 255 * (255 - u32::from(a))) / 255;
            gray.put_pixel(x, y, Luma([v as u8]));
        }
    }
    gray
}
