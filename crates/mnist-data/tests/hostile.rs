//! Hostile IDX files must fail without allocating what their headers claim. A counting allocator
//! measures the peak heap use of each parse; the tests live in their own binary and run in one
//! function so nothing else allocates meanwhile.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use mnist_data::IdxProblem;
use mnist_data::idx::{IdxKind, encode_images, gzip, parse_idx};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak bytes allocated on top of what was live when `f` started.
fn peak_extra<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let out = f();
    (out, PEAK.load(Ordering::SeqCst) - base)
}

const MB: usize = 1 << 20;

#[test]
fn hostile_headers_and_gzip_bombs_fail_within_a_small_memory_budget() {
    // A header claiming 2^31 images (1.6 TB of pixels) on a one-image file, raw and gzipped.
    let mut raw = encode_images(&[7u8; 784]);
    raw[4..8].copy_from_slice(&(1u32 << 31).to_be_bytes());
    let (result, peak) = peak_extra(|| parse_idx(&raw, IdxKind::Images));
    assert!(
        matches!(result, Err(IdxProblem::Truncated { .. })),
        "{result:?}"
    );
    assert!(peak < MB, "raw 2^31 header: peak {peak} bytes");

    let gz = gzip(&raw);
    let (result, peak) = peak_extra(|| parse_idx(&gz, IdxKind::Images));
    assert!(
        matches!(
            result,
            Err(IdxProblem::ImpossibleCount {
                count: 2_147_483_648,
                ..
            })
        ),
        "{result:?}"
    );
    assert!(peak < MB, "gzipped 2^31 header: peak {peak} bytes");

    // A gzip bomb: a header for 1,000 images (784 KB), then 200 MB of zeros in ~200 KB of gzip.
    let mut header = encode_images(&[]);
    header[4..8].copy_from_slice(&1000u32.to_be_bytes());
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&header).unwrap();
    let zeros = vec![0u8; MB];
    for _ in 0..200 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    drop(zeros);
    assert!(bomb.len() < MB, "bomb is {} bytes", bomb.len());
    let (result, peak) = peak_extra(|| parse_idx(&bomb, IdxKind::Images));
    assert_eq!(
        result.unwrap_err(),
        IdxProblem::TrailingBytes {
            expected: 16 + 784_000
        }
    );
    assert!(
        peak < 4 * MB,
        "gzip bomb: peak {peak} bytes, far beyond the 784 KB the header implies"
    );

    // A bomb whose header claims as much as the bomb holds is not a bomb: it decodes fine,
    // so the cap above is what the header implies, not an arbitrary limit.
    let mut honest = encode_images(&[]);
    honest[4..8].copy_from_slice(&300u32.to_be_bytes());
    honest.extend(std::iter::repeat_n(0u8, 300 * 784));
    let (result, _) = peak_extra(|| parse_idx(&gzip(&honest), IdxKind::Images));
    assert_eq!(result.unwrap().count, 300);
}
