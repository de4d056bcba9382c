//! Fuzzes the parser of a saved model's `model.json` (`bench_core::manifest`): it must never
//! panic, and a manifest it accepts must read back the same after being written again.
#![no_main]

use std::path::Path;

use bench_core::manifest::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("model.json");
    if let Ok(manifest) = Manifest::parse(data, path) {
        let again = Manifest::parse(manifest.to_json().as_bytes(), path).unwrap();
        assert_eq!(again, manifest);
    }
});
