//! Fuzzes the safetensors reader of saved weights (`bench_core::weights`): whatever the bytes,
//! reading them and asking for each tensor they list, as each type, must never panic, and a
//! tensor read must hold as many values as its shape says.
#![no_main]

use std::path::Path;

use bench_core::weights::Weights;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(weights) = Weights::from_bytes(Path::new("fuzz.safetensors"), data.to_vec()) else {
        return;
    };
    let Ok(shapes) = weights.shapes() else {
        return;
    };
    for (name, shape) in shapes {
        let count: usize = shape.iter().product();
        if let Ok(v) = weights.f32(&name, &shape) {
            assert_eq!(v.len(), count);
        }
        if let Ok(v) = weights.f64(&name, &shape) {
            assert_eq!(v.len(), count);
        }
        if let Ok(v) = weights.i64(&name, &shape) {
            assert_eq!(v.len(), count);
        }
        // Another shape than the file's is refused, not misread.
        let mut other = shape.clone();
        other.push(2);
        assert!(weights.f32(&name, &other).is_err());
    }
});
