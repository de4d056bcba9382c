//! Reading an image file within limits: its size and what the decoder may allocate are bounded
//! before it allocates, and the image is made grayscale without a second whole-image copy.

use std::io::{BufRead, Seek, SeekFrom};

use image::{GrayImage, ImageFormat, Luma};

use crate::PrepareError;

/// The largest image read, in pixels per side: larger ones are refused by the decoder before it
/// allocates (a photo of a digit needs far fewer).
pub const MAX_SIDE: u32 = 8192;
/// What the decoded image may take at most, in bytes: with the grayscale plane made from it and
/// the tool itself, predict's peak memory stayed within 200 MiB for each image measured at the
/// limits (docs/evidence/predict-memory/).
pub const MAX_ALLOC: u64 = 96 << 20;
/// What decoding a JPEG may hold at once, at most, in bytes, counted from its header: the
/// JPEG decoder's own buffers are not bounded by [`MAX_ALLOC`], so a JPEG is sized from its
/// header before it is decoded.
pub const JPEG_BUDGET: u64 = 128 << 20;

/// The image `reader` holds, decoded within the limits and made grayscale ([`over_white`]).
pub(crate) fn grayscale(reader: impl BufRead + Seek) -> Result<GrayImage, PrepareError> {
    let reader = image::io::Reader::new(reader)
        .with_guessed_format()
        .map_err(PrepareError::Read)?;
    let Some(format) = reader.format() else {
        return Err(PrepareError::NotAnImage);
    };
    let mut inner = reader.into_inner();
    if format == ImageFormat::Jpeg {
        let start = inner.stream_position().map_err(PrepareError::Read)?;
        let bytes = jpeg_bytes(&mut inner);
        inner
            .seek(SeekFrom::Start(start))
            .map_err(PrepareError::Read)?;
        if bytes.is_some_and(|b| b > JPEG_BUDGET) {
            return Err(PrepareError::TooLarge);
        }
    }
    let mut reader = image::io::Reader::with_format(inner, format);
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

/// What decoding the JPEG `reader` holds would hold at once, from its header: per sample, the
/// decoded component plane, the converted pixels and the image's copy of them (3 bytes), and for
/// a progressive JPEG its coefficients besides (2 more). `None` when the header does not read
/// (the decoder then says what is wrong).
fn jpeg_bytes(reader: impl std::io::Read) -> Option<u64> {
    let mut decoder = jpeg_decoder::Decoder::new(reader);
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    let per_sample = match info.coding_process {
        jpeg_decoder::CodingProcess::DctProgressive => 5,
        _ => 3,
    };
    Some(
        u64::from(info.width)
            * u64::from(info.height)
            * info.pixel_format.pixel_bytes() as u64
            * per_sample,
    )
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

#[cfg(test)]
mod tests {
    use image::{DynamicImage, ImageBuffer, LumaA, Rgba};

    use super::*;

    #[test]
    fn transparent_parts_are_white_paper_whatever_the_colour_type() {
        // Half transparent black over white is mid-gray; fully transparent is white.
        let rgba = ImageBuffer::from_fn(3, 2, |x, _| Rgba([0u8, 0, 0, [255, 128, 0][x as usize]]));
        let gray = over_white(DynamicImage::ImageRgba8(rgba));
        assert_eq!(gray.dimensions(), (3, 2));
        assert_eq!(gray.get_pixel(0, 1).0[0], 0);
        assert_eq!(gray.get_pixel(1, 1).0[0], 127);
        assert_eq!(gray.get_pixel(2, 1).0[0], 255);
        // 16-bit grayscale with alpha: the same, scaled to 8 bits.
        let wide = ImageBuffer::from_fn(2, 1, |x, _| LumaA([65535u16, [65535, 0][x as usize]]));
        let gray = over_white(DynamicImage::ImageLumaA16(wide));
        assert_eq!(gray.as_raw(), &[255, 255]);
        let opaque = ImageBuffer::from_fn(2, 1, |x, _| LumaA([[0u16, 32896][x as usize], 65535]));
        let gray = over_white(DynamicImage::ImageLumaA16(opaque));
        assert_eq!(gray.as_raw(), &[0, 128]);
    }
}
