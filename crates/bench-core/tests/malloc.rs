//! `keep_freed_memory` takes effect: a 4 MiB block is mapped on its own before it and comes
//! from the heap after it (glibc's count of mapped blocks). A test binary without the harness,
//! so that it is the only thread when it sets the allocator.
#![allow(unsafe_code)]

fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mapped_while_held = || {
            let block = std::hint::black_box(vec![1u8; 4 << 20]);
            // SAFETY: mallinfo2 only reads malloc's statistics.
            let mapped = unsafe { libc::mallinfo2() }.hblks;
            drop(block);
            mapped
        };
        assert!(
            mapped_while_held() >= 1,
            "by default a 4 MiB block is mapped"
        );
        // SAFETY: this test's main thread is the only thread (harness = false).
        assert!(unsafe { bench_core::malloc::keep_freed_memory() });
        assert_eq!(mapped_while_held(), 0, "kept in the heap once set");
        assert!(bench_core::malloc::description().contains("32 MiB"));
        println!("malloc: ok");
    }
}
