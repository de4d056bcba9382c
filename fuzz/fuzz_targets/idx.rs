//! Fuzzes the IDX parser with raw bytes and with the same bytes gzip-compressed, as images and as
//! labels. It must never panic, and whatever it accepts must be self-consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mnist_data::idx::{IdxKind, gzip, parse_idx};

fuzz_target!(|data: &[u8]| {
    for kind in [IdxKind::Images, IdxKind::Labels] {
        for bytes in [data.to_vec(), gzip(data)] {
            if let Ok(file) = parse_idx(&bytes, kind) {
                let item = if kind == IdxKind::Images { 784 } else { 1 };
                assert_eq!(file.data.len(), file.count * item);
                if kind == IdxKind::Labels {
                    assert!(file.data.iter().all(|&l| l < 10));
                }
            }
        }
    }
});
