//! linfa's matrix products: BLIS computes them, and during a fit a product that repeats an earlier
//! one exactly is answered from memory.
//!
//! linfa-logistic evaluates the cost and the gradient separately, each starting from `X W`, and
//! argmin's L-BFGS asks for the gradient again at the point its line search has just evaluated:
//! of the five products `X W`, `X W`, `Xᵀ G`, `X W`, `Xᵀ G` in a typical iteration only the first
//! and the third are new. While [`with_constant`] holds the feature matrix `X` (borrowed, so it
//! cannot change), every `cblas_sgemm`/`cblas_dgemm` call ndarray makes on this thread whose
//! operands are the same as those of one of the last [`REMEMBERED`] products (`X` by address,
//! the other operand by its bits, and every size, stride, flag and scalar) gets that product's
//! result back, bit for bit what BLIS would compute again. Outside such a scope, or for any other
//! product, the call goes straight to BLIS.
//!
//! These two functions take the place of BLIS's own CBLAS `?gemm` wrappers, which ndarray's
//! `blas` feature calls; they end in BLIS's typed API (`bli_?gemm`) with the same strides BLIS's
//! BLAS layer would pass. The other CBLAS functions ndarray refers to remain BLIS's. BLIS's static
//! library defines the two wrappers too; the linker takes these, defined in a crate linked before
//! it. Were it ever to take BLIS's, fits would compute every product again, slower and otherwise
//! identical, and the tests here, which count the calls they see, would fail.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::ffi::c_int;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::ProductCounts as Counts;

// Links BLIS, which provides `bli_?gemm` and the CBLAS functions not defined here.
extern crate blis_src;

/// How many recent products a fit remembers: a line-search trial and the gradient after it need
/// the last `X W` and `Xᵀ G`; two more cover a trial that is retried.
pub const REMEMBERED: usize = 4;

const ROW_MAJOR: c_int = 101;
const NO_TRANS: c_int = 111;
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

static COMPUTED: AtomicU64 = AtomicU64::new(0);
static REMEMBERED_TOTAL: AtomicU64 = AtomicU64::new(0);

/// The products of every [`with_constant`] scope that has ended, on any thread.
pub fn totals() -> Counts {
    Counts {
        computed: COMPUTED.load(Ordering::Relaxed),
        remembered: REMEMBERED_TOTAL.load(Ordering::Relaxed),
    }
}

/// A column-major operand of a BLAS call: `rows x cols` as stored, columns `ld` elements apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stored {
    addr: usize,
    rows: usize,
    cols: usize,
    ld: usize,
}

impl Stored {
    /// The byte range its elements span.
    fn span(&self, size: usize) -> (usize, usize) {
        let elements = if self.rows == 0 || self.cols == 0 {
            0
        } else {
            (self.cols - 1) * self.ld + self.rows
        };
        (self.addr, self.addr + elements * size)
    }

    /// Its elements, column by column, as bytes.
    ///
    /// # Safety
    /// It must describe readable memory.
    unsafe fn gather(&self, size: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rows * self.cols * size);
        for j in 0..self.cols {
            // SAFETY: column j of the operand lies inside it.
            out.extend_from_slice(unsafe {
                std::slice::from_raw_parts(
                    (self.addr + j * self.ld * size) as *const u8,
                    self.rows * size,
                )
            });
        }
        out
    }

    /// Writes `bytes` (as [`Stored::gather`] returns them) back into the operand.
    ///
    /// # Safety
    /// It must describe writable memory not borrowed elsewhere.
    unsafe fn scatter(&self, size: usize, bytes: &[u8]) {
        for (j, column) in bytes.chunks_exact(self.rows * size).enumerate() {
            // SAFETY: column j of the operand lies inside it.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    column.as_ptr(),
                    (self.addr + j * self.ld * size) as *mut u8,
                    column.len(),
                );
            }
        }
    }
}

/// What identifies a product, apart from the contents of its operands outside `X`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    size: usize,
    trans: (c_int, c_int),
    dims: (usize, usize, usize),
    a: Stored,
    b: Stored,
    c: (usize, usize, usize),
    alpha: u64,
}

struct Remembered {
    key: Key,
    /// The bytes of A and B when they lie outside `X` (empty when inside).
    a: Vec<u8>,
    b: Vec<u8>,
    c: Vec<u8>,
}

struct Scope {
    /// The bytes of `X`.
    constant: (usize, usize),
    recent: Vec<Remembered>,
    counts: Counts,
}

thread_local! {
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

/// Runs `f` with products of `constant` remembered (see the module docs) on this thread, and
/// says how many were computed and how many remembered.
pub fn with_constant<T, R>(constant: &[T], f: impl FnOnce() -> R) -> (R, Counts) {
    /// Ends the scope even if `f` panics, adds its counts to the totals and restores the scope
    /// it was nested in, if any.
    struct Reset(Option<Scope>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let outer = self.0.take();
            if let Some(scope) = SCOPE.with(|s| s.replace(outer)) {
                COMPUTED.fetch_add(scope.counts.computed, Ordering::Relaxed);
                REMEMBERED_TOTAL.fetch_add(scope.counts.remembered, Ordering::Relaxed);
            }
        }
    }
    let start = constant.as_ptr() as usize;
    let reset = Reset(SCOPE.with(|s| {
        s.replace(Some(Scope {
            constant: (start, start + size_of_val(constant)),
            recent: Vec::new(),
            counts: Counts::default(),
        }))
    }));
    let result = f();
    let counts = SCOPE.with(|s| s.borrow().as_ref().map(|s| s.counts).unwrap_or_default());
    drop(reset);
    (result, counts)
}

/// One column-major BLAS call (after CBLAS's row-major layout is turned around), for `T`.
struct Call<T> {
    transa: c_int,
    transb: c_int,
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: *const T,
    lda: usize,
    b: *const T,
    ldb: usize,
    beta: T,
    c: *mut T,
    ldc: usize,
}

/// The float types with a BLIS `?gemm` (not the crate's [`crate::Float`], the types linfa fits in,
/// though they are the same two).
trait BlisFloat: Copy + PartialEq {
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

impl<T: BlisFloat> Call<T> {
    /// How operand `x` of `op(x)`'s `rows x cols` is stored.
    fn stored(addr: *const T, trans: c_int, rows: usize, cols: usize, ld: usize) -> Stored {
        let (rows, cols) = if trans == NO_TRANS {
            (rows, cols)
        } else {
            (cols, rows)
        };
        Stored {
            addr: addr as usize,
            rows,
            cols,
            ld,
        }
    }

    /// Runs the call, from memory when it repeats a remembered one.
    ///
    /// # Safety
    /// The CBLAS contract for the call's operands.
    unsafe fn run(&self) {
        let size = size_of::<T>();
        let a = Self::stored(self.a, self.transa, self.m, self.k, self.lda);
        let b = Self::stored(self.b, self.transb, self.k, self.n, self.ldb);
        let c = Stored {
            addr: self.c as usize,
            rows: self.m,
            cols: self.n,
            ld: self.ldc,
        };
        let remembered = SCOPE.with(|scope| {
            let mut scope = scope.borrow_mut();
            let scope = scope.as_mut()?;
            let inside = |x: &Stored| {
                let (start, end) = x.span(size);
                scope.constant.0 <= start && end <= scope.constant.1
            };
            // Only products of X, whose result does not depend on C's old contents.
            if self.beta != T::ZERO || !(inside(&a) || inside(&b)) {
                return None;
            }
            // X by address; any other operand by its shape here and its bytes below.
            let identity = |x: &Stored| {
                if inside(x) {
                    *x
                } else {
                    Stored { addr: 0, ..*x }
                }
            };
            let key = Key {
                size,
                trans: (self.transa, self.transb),
                dims: (self.m, self.n, self.k),
                a: identity(&a),
                b: identity(&b),
                c: (c.rows, c.cols, c.ld),
                alpha: self.alpha.bits(),
            };
            let bytes = |x: &Stored| {
                if inside(x) {
                    Vec::new()
                } else {
                    // SAFETY: the caller's contract: A and B are readable.
                    unsafe { x.gather(size) }
                }
            };
            let (a_bytes, b_bytes) = (bytes(&a), bytes(&b));
            if let Some(hit) = scope
                .recent
                .iter()
                .position(|r| r.key == key && r.a == a_bytes && r.b == b_bytes)
            {
                let entry = scope.recent.remove(hit);
                // SAFETY: the caller's contract: C is writable and not borrowed elsewhere.
                unsafe { c.scatter(size, &entry.c) };
                scope.recent.insert(0, entry);
                scope.counts.remembered += 1;
                return Some(true);
            }
            // A miss: BLIS computes it below, and its result is remembered then.
            scope.recent.truncate(REMEMBERED - 1);
            scope.recent.insert(
                0,
                Remembered {
                    key,
                    a: a_bytes,
                    b: b_bytes,
                    c: Vec::new(),
                },
            );
            scope.counts.computed += 1;
            Some(false)
        });
        if remembered == Some(true) {
            return;
        }
        // SAFETY: the caller's contract.
        unsafe { T::blis(self) };
        if remembered == Some(false) {
            // SAFETY: C was just written.
            let result = unsafe { c.gather(size) };
            SCOPE.with(|scope| {
                if let Some(entry) = scope
                    .borrow_mut()
                    .as_mut()
                    .and_then(|s| s.recent.first_mut())
                {
                    entry.c = result;
                }
            });
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray_linfa::linalg::general_mat_mul;
    use ndarray_linfa::{Array2, ArrayView2, ShapeBuilder};

    /// A matrix of distinct, exactly representable values, in either memory order.
    fn matrix(rows: usize, cols: usize, seed: usize, column_major: bool) -> Array2<f32> {
        let shape = (rows, cols).set_f(column_major);
        Array2::from_shape_fn(shape, |(i, j)| {
            ((i * 31 + j * 17 + seed * 7) % 23) as f32 - 11.0
        })
    }

    fn reference(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> Array2<f32> {
        Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
            (0..a.ncols()).map(|p| a[[i, p]] * b[[p, j]]).sum()
        })
    }

    #[test]
    fn every_memory_order_multiplies_like_a_plain_loop() {
        // Integer-valued entries: every product is exact, whatever the order of the sums.
        let mut checked = 0;
        for x_f in [false, true] {
            let x = matrix(37, 23, 1, x_f);
            for other_f in [false, true] {
                let w = matrix(23, 5, 2, other_f);
                let g = matrix(37, 5, 3, other_f);
                let (products, counts) = with_constant(x.as_slice_memory_order().unwrap(), || {
                    [
                        (x.dot(&w), reference(x.view(), w.view())),
                        (x.t().dot(&g), reference(x.t(), g.view())),
                        // Wide results: the constant operand on the right.
                        (w.t().dot(&x.t()), reference(w.t(), x.t())),
                        (g.t().dot(&x), reference(g.t(), x.view())),
                    ]
                });
                for (got, want) in products {
                    assert_eq!(
                        got, want,
                        "X column-major {x_f}, other column-major {other_f}"
                    );
                    checked += 1;
                }
                // Every one went through this module (not BLIS's own CBLAS wrapper).
                assert_eq!(counts.computed + counts.remembered, 4);
            }
        }
        assert_eq!(checked, 16);
    }

    #[test]
    fn f64_products_go_the_same_way() {
        let x = matrix(40, 12, 4, false).mapv(f64::from);
        let w = matrix(12, 10, 5, true).mapv(f64::from);
        let (product, counts) = with_constant(x.as_slice().unwrap(), || x.dot(&w));
        let want = reference(x.mapv(|v| v as f32).view(), w.mapv(|v| v as f32).view());
        assert_eq!(product.mapv(|v| v as f32), want);
        assert_eq!(counts.computed, 1);
    }

    #[test]
    fn a_repeated_product_of_the_constant_matrix_is_remembered() {
        let x = matrix(50, 20, 6, false);
        let w = matrix(20, 10, 7, false);
        let g = matrix(50, 10, 8, false);
        let outside = x.dot(&w);
        let ((first, again, changed, gradient, gradient_again, unrelated), counts) =
            with_constant(x.as_slice().unwrap(), || {
                let first = x.dot(&w);
                // Same values in a new allocation, as L-BFGS hands linfa its weights.
                let again = x.dot(&w.clone());
                let mut moved = w.clone();
                moved[[3, 4]] += 1.0;
                let changed = x.dot(&moved);
                let gradient = x.t().dot(&g);
                let gradient_again = x.t().dot(&g.clone());
                // Neither operand is X: not for this module to remember.
                let unrelated = w.t().dot(&w);
                (first, again, changed, gradient, gradient_again, unrelated)
            });
        assert_eq!(
            counts,
            Counts {
                computed: 3,
                remembered: 2
            }
        );
        assert_eq!(first, outside);
        assert_eq!(again, outside);
        assert_ne!(changed, outside);
        assert_eq!(gradient, gradient_again);
        assert_eq!(gradient, reference(x.t(), g.view()));
        assert_eq!(unrelated, reference(w.t(), w.view()));
    }

    #[test]
    fn a_product_added_to_what_c_holds_is_never_remembered() {
        let x = matrix(30, 12, 9, false);
        let w = matrix(12, 10, 10, false);
        let mut c = Array2::<f32>::ones((30, 10));
        let ((), counts) = with_constant(x.as_slice().unwrap(), || {
            general_mat_mul(1.0, &x, &w, 1.0, &mut c);
            general_mat_mul(1.0, &x, &w, 1.0, &mut c);
        });
        assert_eq!(counts, Counts::default());
        assert_eq!(c, reference(x.view(), w.view()) * 2.0 + 1.0);
    }

    #[test]
    fn the_scope_ends_with_the_closure_even_when_it_panics() {
        let x = matrix(30, 12, 11, false);
        let w = matrix(12, 10, 12, false);
        let caught = std::panic::catch_unwind(|| {
            with_constant(x.as_slice().unwrap(), || {
                let _ = x.dot(&w);
                panic!("inside the scope");
            })
        });
        assert!(caught.is_err());
        SCOPE.with(|s| assert!(s.borrow().is_none()));
        // Scopes nest: the inner one is replaced by the outer again when it ends.
        let (inner, outer) = with_constant(x.as_slice().unwrap(), || {
            let ((), inner) = with_constant(w.as_slice().unwrap(), || {
                let _ = x.dot(&w);
            });
            let _ = x.dot(&w);
            inner
        });
        assert_eq!(inner.computed, 1);
        assert_eq!(outer.computed, 1);
    }
}
