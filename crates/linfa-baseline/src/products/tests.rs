//! The remembered products against plain loops: same values, each call seen and counted, the
//! scope ended and restored whatever the closure does.

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
