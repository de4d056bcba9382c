//! IDX parsing: every malformed input gives the specific error, raw or gzipped.

use mnist_data::IdxProblem;
use mnist_data::idx::{
    IMAGES_MAGIC, IdxKind, LABELS_MAGIC, encode_images, encode_labels, gzip, parse_idx, sha256_hex,
};

fn images(n: usize) -> Vec<u8> {
    encode_images(&(0..n * 784).map(|i| (i % 251) as u8).collect::<Vec<_>>())
}

#[test]
fn raw_and_gzip_decode_to_the_same_bytes_and_checksum() {
    let raw = images(3);
    let a = parse_idx(&raw, IdxKind::Images).unwrap();
    let b = parse_idx(&gzip(&raw), IdxKind::Images).unwrap();
    assert_eq!(a.count, 3);
    assert_eq!(a.data, b.data);
    assert_eq!(a.sha256, sha256_hex(&raw));
    assert_eq!(a.sha256, b.sha256);
}

#[test]
fn concatenated_gzip_members_are_one_stream() {
    let raw = images(2);
    let (head, tail) = raw.split_at(1000);
    let mut two = gzip(head);
    two.extend(gzip(tail));
    assert_eq!(parse_idx(&two, IdxKind::Images).unwrap().data, raw[16..]);
}

#[test]
fn truncated_images_are_rejected_raw_and_gzipped() {
    let raw = images(4);
    let cut = &raw[..raw.len() - 100];
    let expected = IdxProblem::Truncated {
        expected: raw.len() as u64,
        found: cut.len() as u64,
    };
    assert_eq!(parse_idx(cut, IdxKind::Images).unwrap_err(), expected);
    assert_eq!(
        parse_idx(&gzip(cut), IdxKind::Images).unwrap_err(),
        expected
    );
    assert!(matches!(
        parse_idx(&raw[..10], IdxKind::Images),
        Err(IdxProblem::Truncated {
            expected: 16,
            found: 10
        })
    ));
}

#[test]
fn a_cut_gzip_stream_is_a_gzip_error() {
    let gz = gzip(&images(50));
    let err = parse_idx(&gz[..gz.len() / 2], IdxKind::Images).unwrap_err();
    assert!(
        matches!(err, IdxProblem::Gzip(_) | IdxProblem::Truncated { .. }),
        "{err}"
    );
}

#[test]
fn trailing_data_is_rejected() {
    let mut raw = images(1);
    raw.push(0);
    assert_eq!(
        parse_idx(&raw, IdxKind::Images).unwrap_err(),
        IdxProblem::TrailingBytes { expected: 16 + 784 }
    );
    assert_eq!(
        parse_idx(&gzip(&raw), IdxKind::Images).unwrap_err(),
        IdxProblem::TrailingBytes { expected: 16 + 784 }
    );
}

#[test]
fn wrong_magic_is_named_with_a_hint() {
    let labels = encode_labels(&[1, 2, 3]);
    let err = parse_idx(&labels, IdxKind::Images).unwrap_err();
    assert_eq!(
        err,
        IdxProblem::BadMagic {
            expected: IMAGES_MAGIC,
            found: LABELS_MAGIC,
            gzipped: false
        }
    );
    assert_eq!(
        err.to_string(),
        "expected magic 0x00000803, found 0x00000801 (this is a labels file, not images)"
    );
}

#[test]
fn a_file_that_is_not_gzip_despite_its_name_fails_on_the_magic() {
    // The name says .gz but the bytes are text: detection goes by the bytes.
    let err = parse_idx(b"<html>not found</html>", IdxKind::Labels).unwrap_err();
    assert!(
        matches!(err, IdxProblem::BadMagic { gzipped: false, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("not gzip-compressed"), "{err}");
}

#[test]
fn a_twice_gzipped_file_gets_a_hint() {
    let err = parse_idx(&gzip(&gzip(&encode_labels(&[1]))), IdxKind::Labels).unwrap_err();
    assert!(err.to_string().contains("gzipped twice"), "{err}");
}

#[test]
fn wrong_image_dimensions_are_rejected() {
    let mut raw = images(1);
    raw[8..12].copy_from_slice(&32u32.to_be_bytes());
    assert_eq!(
        parse_idx(&raw, IdxKind::Images).unwrap_err(),
        IdxProblem::BadDimensions { rows: 32, cols: 28 }
    );
}

#[test]
fn labels_outside_0_to_9_are_rejected() {
    let err = parse_idx(&encode_labels(&[3, 9, 10, 4]), IdxKind::Labels).unwrap_err();
    assert_eq!(
        err,
        IdxProblem::LabelOutOfRange {
            index: 2,
            value: 10
        }
    );
}
