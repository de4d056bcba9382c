//! Reading and writing IDX files (the MNIST container format), raw or gzip-compressed.
//!
//! Compression is detected from the bytes, never from the file name. Every size is checked against
//! what the header implies before anything proportional to the header is allocated, so a hostile
//! header or a gzip bomb fails fast instead of exhausting memory.

use std::io::{self, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use crate::error::{DataError, IdxProblem};

/// Magic number of an IDX file of unsigned bytes with three dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with one dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Image side length in pixels.
pub const SIDE: usize = 28;
/// Pixels per image.
pub const IMAGE_PIXELS: usize = SIDE * SIDE;
/// Number of classes (digits 0-9).
pub const N_CLASSES: usize = 10;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Deflate's largest possible expansion (258-byte matches from ~2-bit codes), rounded up.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// The decoded contents of an IDX file.
#[derive(Debug, Clone)]
pub struct IdxFile {
    /// The payload after the header.
    pub data: Vec<u8>,
    /// Number of items (images or labels).
    pub count: usize,
    /// SHA-256 of the decoded bytes, header included, in lowercase hex.
    pub sha256: String,
}

/// What kind of IDX file is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxKind {
    /// `idx3-ubyte`: count x 28 x 28 pixels.
    Images,
    /// `idx1-ubyte`: count labels in 0..=9.
    Labels,
}

impl IdxKind {
    fn magic(self) -> u32 {
        match self {
            Self::Images => IMAGES_MAGIC,
            Self::Labels => LABELS_MAGIC,
        }
    }

    fn header_len(self) -> usize {
        match self {
            Self::Images => 16,
            Self::Labels => 8,
        }
    }

    fn item_len(self) -> usize {
        match self {
            Self::Images => IMAGE_PIXELS,
            Self::Labels => 1,
        }
    }
}

/// Reads and validates an IDX file from disk.
pub fn read_idx(path: &Path, kind: IdxKind) -> Result<IdxFile, DataError> {
    let bytes = std::fs::read(path).map_err(|error| DataError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    parse_idx(&bytes, kind).map_err(|problem| DataError::Idx {
        path: path.to_path_buf(),
        problem,
    })
}

/// Parses IDX bytes (raw or gzip) and validates magic, dimensions, length and label range.
pub fn parse_idx(bytes: &[u8], kind: IdxKind) -> Result<IdxFile, IdxProblem> {
    let gzipped = bytes.starts_with(&GZIP_MAGIC);
    let mut reader: Box<dyn Read + '_> = if gzipped {
        Box::new(MultiGzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    };

    // The magic first, so that a file of the wrong kind is named as such even when it is shorter
    // than this kind's header.
    let mut header = vec![0u8; kind.header_len()];
    let short = |filled: usize| IdxProblem::Truncated {
        expected: kind.header_len() as u64,
        found: filled as u64,
    };
    let fail = |e| match e {
        ReadFail::Short(n) => short(n),
        ReadFail::Gzip(msg) => IdxProblem::Gzip(msg),
    };
    read_full(&mut reader, &mut header[..4], gzipped).map_err(fail)?;
    let magic = be_u32(&header[0..4]);
    if magic != kind.magic() {
        return Err(IdxProblem::BadMagic {
            expected: kind.magic(),
            found: magic,
            gzipped,
        });
    }
    read_full(&mut reader, &mut header[4..], gzipped).map_err(|e| match e {
        ReadFail::Short(n) => short(n + 4),
        other => fail(other),
    })?;
    let count = be_u32(&header[4..8]) as usize;
    if kind == IdxKind::Images {
        let (rows, cols) = (be_u32(&header[8..12]), be_u32(&header[12..16]));
        if rows as usize != SIDE || cols as usize != SIDE {
            return Err(IdxProblem::BadDimensions { rows, cols });
        }
    }

    let expected_payload = count as u64 * kind.item_len() as u64;
    let expected_total = kind.header_len() as u64 + expected_payload;
    if !gzipped && bytes.len() as u64 != expected_total {
        // A raw file's length is known up front: reject before allocating anything.
        return Err(length_problem(expected_total, bytes.len() as u64));
    }
    let most_decodable = bytes.len() as u64 * MAX_DEFLATE_RATIO;
    if gzipped && expected_total > most_decodable {
        // Deflate cannot expand beyond ~1032:1, so this header cannot be honest.
        return Err(IdxProblem::ImpossibleCount {
            count: count as u64,
            compressed_len: bytes.len() as u64,
        });
    }

    // The payload grows as bytes arrive, so a header that lies about the count costs only what the
    // stream really holds; one byte past the expected end is enough to detect trailing data.
    let mut data = Vec::new();
    reader
        .take(expected_payload + 1)
        .read_to_end(&mut data)
        .map_err(|e| IdxProblem::Gzip(e.to_string()))?;
    let found_total = kind.header_len() as u64 + data.len() as u64;
    if found_total != expected_total {
        return Err(length_problem(expected_total, found_total));
    }

    if kind == IdxKind::Labels
        && let Some((index, &value)) = data
            .iter()
            .enumerate()
            .find(|&(_, &v)| usize::from(v) >= N_CLASSES)
    {
        return Err(IdxProblem::LabelOutOfRange { index, value });
    }

    let mut hasher = Sha256::new();
    hasher.update(&header);
    hasher.update(&data);
    Ok(IdxFile {
        data,
        count,
        sha256: hex(&hasher.finalize()),
    })
}

fn length_problem(expected: u64, found: u64) -> IdxProblem {
    if found < expected {
        IdxProblem::Truncated { expected, found }
    } else {
        IdxProblem::TrailingBytes { expected }
    }
}

enum ReadFail {
    Short(usize),
    Gzip(String),
}

fn read_full(reader: &mut dyn Read, buf: &mut [u8], gzipped: bool) -> Result<(), ReadFail> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => return Err(ReadFail::Short(filled)),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if gzipped => return Err(ReadFail::Gzip(e.to_string())),
            Err(_) => return Err(ReadFail::Short(filled)),
        }
    }
    Ok(())
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Encodes images (`count x 28 x 28` pixels) as raw IDX bytes.
pub fn encode_images(pixels: &[u8]) -> Vec<u8> {
    let count = pixels.len() / IMAGE_PIXELS;
    let mut out = Vec::with_capacity(16 + pixels.len());
    for v in [IMAGES_MAGIC, count as u32, SIDE as u32, SIDE as u32] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(&pixels[..count * IMAGE_PIXELS]);
    out
}

/// Encodes labels as raw IDX bytes.
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    for v in [LABELS_MAGIC, labels.len() as u32] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(labels);
    out
}

/// Gzip-compresses `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// SHA-256 of `bytes` in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
