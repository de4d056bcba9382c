//! Fuzzes a user's image, as bytes, into the 28x28 the models see (`image_input::prepare_bytes`,
//! what `predict` runs on each file). It must never panic, and whatever it accepts must give a
//! field with some ink and a picture no larger than its thumbnail.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(prepared) = image_input::prepare_bytes(data) {
        assert!(prepared.pixels.iter().any(|&p| p > 0));
        let (w, h) = prepared.original.dimensions();
        assert!(w >= 1 && h >= 1 && w <= 280 && h <= 280);
    }
});
