//! Threads for linfa's matrix products: with BLIS, every core along the rows of the result; with
//! matrixmultiply, its own threading (ndarray's `matrixmultiply-threading` feature, workspace
//! `Cargo.toml`).

#[cfg(feature = "blis")]
unsafe extern "C" {
    fn bli_thread_set_ways(jc: i64, pc: i64, ic: i64, jr: i64, ir: i64);
}

/// Splits BLIS's products over every core along the rows of the result, on the calling thread
/// (BLIS keeps this setting per thread). linfa's products are tall and thin (`X W` has ten
/// columns); BLIS's own choice for two threads splits those ten columns 8 + 2, so both
/// threads read the whole feature matrix and the fit takes longer (`cargo xtask bench linfa-fit`).
#[cfg(feature = "blis")]
pub fn use_all_cores() {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    let n = i64::try_from(n).unwrap_or(1);
    // SAFETY: plain setter of BLIS's per-thread runtime settings; any positive count is valid.
    unsafe { bli_thread_set_ways(1, 1, n, 1, 1) };
}

/// Nothing to set: matrixmultiply's threading is on through ndarray's
/// `matrixmultiply-threading` feature (workspace `Cargo.toml`).
#[cfg(not(feature = "blis"))]
pub fn use_all_cores() {}
