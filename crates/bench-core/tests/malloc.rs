//! `keep_freed_memory` takes effect: glibc maps a block of its own for an 8 MiB allocation by
//! default (and, freeing it, raises its threshold to about 8 MiB), and a 24 MiB block, which
//! that threshold would still map, comes from the heap once the setting is made (glibc's count
//! of mapped blocks). A test binary without the harness, so that it is the only thread when it
//! sets the allocator.
#![allow(unsafe_code)]

fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mapped_while_held = |bytes: usize| {
            let block = std::hint::black_box(vec![1u8; bytes]);
            // SAFETY: mallinfo2 only reads malloc's statistics.
            let mapped = unsafe { libc::mallinfo2() }.hblks;
            drop(block);
            mapped
        };
        assert!(
            mapped_while_held(8 << 20) >= 1,
            "by default 8 MiB is mapped"
        );
        // SAFETY: this test's main thread is the only thread (harness = false).
        assert!(unsafe { bench_core::malloc::keep_freed_memory() });
        assert_eq!(
            mapped_while_held(24 << 20),
            0,
            "24 MiB from the heap once set"
        );
        assert!(bench_core::malloc::description().contains("32 MiB"));
        println!("malloc: ok");
    }
}
