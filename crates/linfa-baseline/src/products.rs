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
use cblas::{BlisFloat, NO_TRANS};

// Links BLIS, which provides `bli_?gemm` and the CBLAS functions not defined here.
extern crate blis_src;

/// How many recent products a fit remembers: a line-search trial and the gradient after it need
/// the last `X W` and `Xᵀ G`; two more cover a trial that is retried.
pub const REMEMBERED: usize = 4;

mod cblas;
#[cfg(test)]
mod tests;

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
        // SAFETY: the caller's contract.
        let remembered = unsafe { self.recall(size, &a, &b, &c) };
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

    /// Answers the call from this thread's scope: `Some(true)` when it repeats a remembered
    /// product (C then holds its result), `Some(false)` when it is a product of `X` to compute
    /// and remember, `None` outside a scope or for any other product.
    ///
    /// # Safety
    /// The CBLAS contract for the call's operands, `a`, `b` and `c` as [`Call::run`] reads them.
    unsafe fn recall(&self, size: usize, a: &Stored, b: &Stored, c: &Stored) -> Option<bool> {
        SCOPE.with(|scope| {
            let mut scope = scope.borrow_mut();
            let scope = scope.as_mut()?;
            let inside = |x: &Stored| {
                let (start, end) = x.span(size);
                scope.constant.0 <= start && end <= scope.constant.1
            };
            // Only products of X, whose result does not depend on C's old contents.
            if self.beta != T::ZERO || !(inside(a) || inside(b)) {
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
                a: identity(a),
                b: identity(b),
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
            let (a_bytes, b_bytes) = (bytes(a), bytes(b));
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
            // A miss: BLIS computes it (in `run`), and its result is remembered then.
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
        })
    }
}
