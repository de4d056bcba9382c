//! The CBLAS `?gemm` entry points ndarray calls, routed through [`Call::run`], and BLIS's typed
//! `bli_?gemm` that computes what is not remembered.

use std::ffi::c_int;

use super::Call;

const ROW_MAJOR: c_int = 101;
pub(super) const NO_TRANS: c_int = 111;
const BLIS_NO_TRANSPOSE: c_int = 0;
const BLIS_TRANSPOSE: c_int = 0x8;

unsafe extern "C" {
    fn bli_sgemm(
        transa: c_int,
        transb: c_int,
        m: i64,
        n: i64,
        k: i64,
        alpha: *const f32,
        a: *const f32,
        rsa: i64,
        csa: i64,
        b: *const f32,
        rsb: i64,
        csb: i64,
        beta: *const f32,
        c: *mut f32,
        rsc: i64,
        csc: i64,
    );
    fn bli_dgemm(
        transa: c_int,
        transb: c_int,
        m: i64,
        n: i64,
        k: i64,
        alpha: *const f64,
        a: *const f64,
        rsa: i64,
        csa: i64,
        b: *const f64,
        rsb: i64,
        csb: i64,
        beta: *const f64,
        c: *mut f64,
        rsc: i64,
        csc: i64,
    );
}

/// The float types with a BLIS `?gemm` (not the crate's [`crate::Float`], the types linfa fits in,
/// though they are the same two).
pub(super) trait BlisFloat: Copy + PartialEq {
    const ZERO: Self;
    fn bits(self) -> u64;
    /// BLIS's typed `?gemm`.
    ///
    /// # Safety
    /// The CBLAS contract for the call's operands.
    unsafe fn blis(call: &Call<Self>);
}

macro_rules! impl_float {
    ($t:ty, $blis:ident) => {
        impl BlisFloat for $t {
            const ZERO: Self = 0.0;

            fn bits(self) -> u64 {
                u64::from(self.to_bits())
            }

            unsafe fn blis(c: &Call<Self>) {
                let trans = |t| {
                    if t == NO_TRANS {
                        BLIS_NO_TRANSPOSE
                    } else {
                        BLIS_TRANSPOSE
                    }
                };
                let dim = |d: usize| d as i64;
                // SAFETY: the caller's contract; the strides are those of column-major operands,
                // as BLIS's own BLAS layer passes them.
                unsafe {
                    $blis(
                        trans(c.transa),
                        trans(c.transb),
                        dim(c.m),
                        dim(c.n),
                        dim(c.k),
                        &c.alpha,
                        c.a,
                        1,
                        dim(c.lda),
                        c.b,
                        1,
                        dim(c.ldb),
                        &c.beta,
                        c.c,
                        1,
                        dim(c.ldc),
                    )
                }
            }
        }
    };
}

impl_float!(f32, bli_sgemm);
impl_float!(f64, bli_dgemm);

/// Reads a CBLAS dimension; a negative one is the caller's bug, treated as empty.
fn dim(v: c_int) -> usize {
    usize::try_from(v).unwrap_or(0)
}

macro_rules! gemm_entry {
    ($name:ident, $t:ty) => {
        /// CBLAS `?gemm`: `C = alpha op(A) op(B) + beta C` (see the module docs).
        ///
        /// # Safety
        /// The CBLAS contract: the pointers and leading dimensions describe valid matrices.
        #[unsafe(no_mangle)]
        #[allow(clippy::too_many_arguments)]
        pub unsafe extern "C" fn $name(
            layout: c_int,
            transa: c_int,
            transb: c_int,
            m: c_int,
            n: c_int,
            k: c_int,
            alpha: $t,
            a: *const $t,
            lda: c_int,
            b: *const $t,
            ldb: c_int,
            beta: $t,
            c: *mut $t,
            ldc: c_int,
        ) {
            let (m, n, k, lda, ldb, ldc) = (dim(m), dim(n), dim(k), dim(lda), dim(ldb), dim(ldc));
            let call = if layout == ROW_MAJOR {
                // Row-major C is column-major Cᵀ = op(B)ᵀ op(A)ᵀ, as CBLAS wrappers compute it.
                Call {
                    transa: transb,
                    transb: transa,
                    m: n,
                    n: m,
                    k,
                    alpha,
                    a: b,
                    lda: ldb,
                    b: a,
                    ldb: lda,
                    beta,
                    c,
                    ldc,
                }
            } else {
                Call {
                    transa,
                    transb,
                    m,
                    n,
                    k,
                    alpha,
                    a,
                    lda,
                    b,
                    ldb,
                    beta,
                    c,
                    ldc,
                }
            };
            // SAFETY: the caller's CBLAS contract.
            unsafe { call.run() }
        }
    };
}

gemm_entry!(cblas_sgemm, f32);
gemm_entry!(cblas_dgemm, f64);
