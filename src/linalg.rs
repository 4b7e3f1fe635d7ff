//! Small generic matrix helpers over any [`Real`] (nalgebra supplies the arithmetic).
use crate::faults;
use crate::scalar::Real;
use nalgebra::storage::{Storage, StorageMut};
use nalgebra::{DMatrix, DMatrixView, DMatrixViewMut, Dyn, Matrix, MatrixView};
use rand::Rng;

/// `max(a, b)` that propagates NaN: a NaN error must fail a check, never be skipped the way
/// `f64::max` skips it.
pub fn worse(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Converts an `f64` matrix entrywise (exactly, for rationals).
pub fn from_f64<T: Real>(m: &DMatrix<f64>) -> DMatrix<T> {
    m.map(T::from_f64)
}

/// Converts entrywise to `f64`.
pub fn to_f64<T: Real>(m: &DMatrix<T>) -> DMatrix<f64> {
    m.map(|x| x.to_f64())
}

/// The n×n identity.
pub fn identity<T: Real>(n: usize) -> DMatrix<T> {
    DMatrix::identity(n, n)
}

/// `m^k` by repeated multiplication (k small in lro's uses).
pub fn pow<T: Real>(m: &DMatrix<T>, k: usize) -> DMatrix<T> {
    let mut acc = identity::<T>(m.nrows());
    for _ in 0..k {
        acc = &acc * m;
    }
    acc
}

/// Columns from which an f64 product goes to [`gemm`] (multi-threaded at large sizes) instead of
/// the column loops below.
const BLOCKED_MIN_COLS: usize = 5;

/// Whether the number kind is `f64` (the kind whose products [`gemm`] hands to an optimised,
/// multi-threaded kernel).
pub(crate) fn is_f64<T: 'static>() -> bool {
    std::any::TypeId::of::<T>() == std::any::TypeId::of::<f64>()
}

/// Whether the CPU has AVX2, for the generic loops' f64 instances (the crate itself is compiled
/// for the x86-64 baseline, whose vectors hold two f64).
#[cfg(target_arch = "x86_64")]
fn avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// Multiply-adds (m·n·k) from which f64 work is split over the cores: below it starting and
/// joining the threads costs more than they save (measured on the project's 2-core machine: the
/// expected BPTT update at n = 64, T = 200, 6.5 M multiply-adds per phase, ran 1.46–1.53 ms on one
/// thread and 1.69–1.75 ms on two; at n = 256, 417 M per phase, two threads took it from about
/// 80 ms to 55 ms).
const PARALLEL_MIN_MULADDS: usize = 1 << 24;

/// Output entries (m·n) from which one f64 product is split over the cores: the kernel splits the
/// output, so a small output with a deep inner dimension gains nothing (measured with the `gemm`
/// crate on the project's 2-core machine: 256 × 256 outputs run 1.6–1.7× faster on two threads,
/// 128 × 128 and 64 × 64 outputs with k = 1592–2000 no faster or slower).
const PARALLEL_MIN_OUTPUTS: usize = 1 << 16;

std::thread_local! {
    /// Set while the current thread is one of several that [`join`] or a pipeline runs: its
    /// products then stay on this thread (the other cores are busy already).
    static SERIAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with this thread's f64 products kept on this thread.
pub fn serial<R>(f: impl FnOnce() -> R) -> R {
    let was = SERIAL.with(|c| c.replace(true));
    let r = f();
    SERIAL.with(|c| c.set(was));
    r
}

/// Whether f64 work of `muladds` multiply-adds should be split over the cores: the number kind is
/// f64, the machine has more than one core, the work is at least [`PARALLEL_MIN_MULADDS`], and the
/// current thread is not already one of several ([`serial`]). The sizes alone decide, so the same
/// inputs always take the same path.
pub fn parallel_pays<T: Real>(muladds: usize) -> bool {
    is_f64::<T>() && muladds >= PARALLEL_MIN_MULADDS && !SERIAL.with(|c| c.get()) && cores() > 1
}

/// The cores this process may use, read once (`available_parallelism` reads the cgroup files on
/// every call).
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `(a(), b())`, on two threads when `parallel` (each then keeps its products on its own thread,
/// and `b` runs with the caller's fault), one after the other otherwise. The results are the same
/// either way.
pub fn join<RA: Send, RB: Send>(
    parallel: bool,
    a: impl FnOnce() -> RA + Send,
    b: impl FnOnce() -> RB + Send,
) -> (RA, RB) {
    if !parallel {
        return (a(), b());
    }
    let b = faults::carried(b);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| serial(b));
        let ra = serial(a);
        let rb = other
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (ra, rb)
    })
}

/// Largest dimension at which nalgebra multiplies with its own loops instead of handing f64 to
/// matrixmultiply (its `gemm` does that only when every dimension exceeds it).
const NALGEBRA_SMALL_DIM: usize = 5;

/// Whether an m × k by k × n product of this kind runs the fast f64 kernel: f64 with every
/// dimension above [`NALGEBRA_SMALL_DIM`]. Below that f64 keeps nalgebra's generic loops, the very
/// operations every other kind runs, so that on small instances the value part of a dual or
/// complex-step number equals the f64 result bit for bit (tested in `tests/scalar_kinds.rs`).
fn fast_f64<T: 'static>(m: usize, k: usize, n: usize) -> bool {
    is_f64::<T>() && m.min(k).min(n) > NALGEBRA_SMALL_DIM
}

/// `y ← α A B + β y` for any number kind and any strides (views of columns, transposed views).
///
/// f64 products with every dimension above [`NALGEBRA_SMALL_DIM`] run the `gemm` crate's kernels
/// (AVX-512 or AVX2+FMA chosen at run time; every core when [`parallel_pays`] and the output has
/// at least [`PARALLEL_MIN_OUTPUTS`] entries); the rest run nalgebra's generic product.
/// nalgebra's small-matrix loops misread a row-strided operand, so a small product must get
/// contiguous columns (as [`gemm_nt`] and [`add_mul_tr`] ensure). With `β = 0`, `y` is not read
/// (NaN in it does not leak into the result), as in BLAS.
pub fn gemm<T, SY, SA, SB>(
    y: &mut Matrix<T, Dyn, Dyn, SY>,
    alpha: T,
    a: &Matrix<T, Dyn, Dyn, SA>,
    b: &Matrix<T, Dyn, Dyn, SB>,
    beta: T,
) where
    T: Real,
    SY: StorageMut<T, Dyn, Dyn>,
    SA: Storage<T, Dyn, Dyn>,
    SB: Storage<T, Dyn, Dyn>,
{
    let (m, n, k) = (y.nrows(), y.ncols(), a.ncols());
    assert!(
        a.nrows() == m && b.nrows() == k && b.ncols() == n,
        "gemm: {m}×{n} ← {}×{} · {}×{}",
        a.nrows(),
        k,
        b.nrows(),
        b.ncols()
    );
    if !fast_f64::<T>(m, k, n) {
        y.gemm(alpha, a, b, beta);
        return;
    }
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if beta.to_f64() == 0.0 {
            y.fill(T::zero());
        } else {
            y.iter_mut().for_each(|x| *x *= beta.clone());
        }
        return;
    }
    let (alpha, beta) = (alpha.to_f64(), beta.to_f64());
    let stride = |s: (usize, usize)| (s.0 as isize, s.1 as isize);
    let ((y_rs, y_cs), (a_rs, a_cs), (b_rs, b_cs)) = (
        stride(y.strides()),
        stride(a.strides()),
        stride(b.strides()),
    );
    let par = if m * n >= PARALLEL_MIN_OUTPUTS && parallel_pays::<f64>(m * n * k) {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: T is f64 (checked above), so the pointers are f64 pointers; the shapes were checked
    // against each other and every stride is the storage's own, so each access stays inside its
    // matrix. `y` is borrowed mutably and so does not alias `a` or `b`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            y.as_mut_ptr() as *mut f64,
            y_cs,
            y_rs,
            beta != 0.0,
            a.as_ptr() as *const f64,
            a_cs,
            a_rs,
            b.as_ptr() as *const f64,
            b_cs,
            b_rs,
            beta,
            alpha,
            false,
            false,
            false,
            par,
        );
    }
}

/// `y ← A X` (or `y ← y + A X` when `accumulate`), for any number kind. Narrow X (a vector or a
/// few columns) runs as column-wise `axpy` loops over contiguous slices (four columns of A per
/// pass), which the compiler vectorises for f64; wider f64 products use [`gemm`].
pub fn mul_into<T: Real>(y: &mut DMatrix<T>, a: &DMatrix<T>, x: &DMatrix<T>, accumulate: bool) {
    debug_assert_eq!((y.nrows(), y.ncols()), (a.nrows(), x.ncols()));
    debug_assert_eq!(a.ncols(), x.nrows());
    if x.ncols() >= BLOCKED_MIN_COLS && is_f64::<T>() {
        let beta = if accumulate { T::one() } else { T::zero() };
        gemm(y, T::one(), a, x, beta);
        return;
    }
    let k = x.nrows();
    cols_into(y.as_mut_slice(), a, x.as_slice(), k, accumulate);
}

/// `Y ← A X` (or `Y ← Y + A X` when `accumulate`) on column-major slices: Y is `a.nrows()` × c and
/// X is `k` × c with `k = a.ncols()`, c = `x.len() / k`. Column-wise `axpy` loops over contiguous
/// slices, four columns of A per pass, for any number kind (in place through [`Real::add_mul`]); no
/// packing, so it suits products with few columns that repeat with the same A (the recursions over
/// lags), where a blocked kernel would repack A every time.
pub fn cols_into<T: Real>(y: &mut [T], a: &DMatrix<T>, x: &[T], k: usize, accumulate: bool) {
    #[cfg(target_arch = "x86_64")]
    if is_f64::<T>() && avx2() {
        // SAFETY: the CPU has AVX2 (checked at run time just above).
        return unsafe { cols_into_avx2(y, a, x, k, accumulate) };
    }
    cols_into_loops(y, a, x, k, accumulate)
}

/// [`cols_into`] compiled with AVX2 (4-wide vectors, no fused multiply-add, so the same roundings).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn cols_into_avx2<T: Real>(
    y: &mut [T],
    a: &DMatrix<T>,
    x: &[T],
    k: usize,
    accumulate: bool,
) {
    cols_into_loops(y, a, x, k, accumulate)
}

#[inline(always)]
fn cols_into_loops<T: Real>(y: &mut [T], a: &DMatrix<T>, x: &[T], k: usize, accumulate: bool) {
    let m = a.nrows();
    debug_assert_eq!(a.ncols(), k);
    if m == 0 {
        return;
    }
    for (yc, xc) in y.chunks_exact_mut(m).zip(x.chunks_exact(k.max(1))) {
        if !accumulate {
            yc.fill(T::zero());
        }
        // Four columns of A per pass over y (each y_i still adds its terms in column order, so the
        // result is the same as one column at a time, with a quarter of the loads and stores of y).
        let (quads, xq) = (a.as_slice().chunks_exact(4 * m), xc.chunks_exact(4));
        let (rest, xr) = (quads.remainder(), xq.remainder());
        for (block, x) in quads.zip(xq) {
            let (c0, block) = block.split_at(m);
            let (c1, block) = block.split_at(m);
            let (c2, c3) = block.split_at(m);
            for ((((yi, a0), a1), a2), a3) in yc.iter_mut().zip(c0).zip(c1).zip(c2).zip(c3) {
                yi.add_mul(a0, &x[0]);
                yi.add_mul(a1, &x[1]);
                yi.add_mul(a2, &x[2]);
                yi.add_mul(a3, &x[3]);
            }
        }
        for (col, xj) in rest.chunks_exact(m).zip(xr) {
            for (yi, aij) in yc.iter_mut().zip(col) {
                yi.add_mul(aij, xj);
            }
        }
    }
}

/// `y ← y + A Bᵀ` without forming `Bᵀ`. f64 uses [`gemm`] (on a strided view of B when the product
/// is large enough for the fast kernel); other number kinds accumulate the outer products of A's and B's columns in place ([`Real::add_mul`]).
pub fn add_mul_tr<T: Real>(y: &mut DMatrix<T>, a: &DMatrix<T>, b: &DMatrix<T>) {
    debug_assert_eq!((y.nrows(), y.ncols()), (a.nrows(), b.nrows()));
    debug_assert_eq!(a.ncols(), b.ncols());
    if fast_f64::<T>(a.nrows(), a.ncols(), b.nrows()) {
        gemm(y, T::one(), a, &transposed(b, 0..b.ncols()), T::one());
        return;
    }
    if is_f64::<T>() {
        gemm(y, T::one(), a, &b.transpose(), T::one());
        return;
    }
    let (m, n) = (a.nrows(), b.nrows());
    if m == 0 || n == 0 {
        return;
    }
    for (acol, bcol) in a
        .as_slice()
        .chunks_exact(m)
        .zip(b.as_slice().chunks_exact(n))
    {
        for (yc, bj) in y.as_mut_slice().chunks_exact_mut(m).zip(bcol) {
            for (yi, ai) in yc.iter_mut().zip(acol) {
                yi.add_mul(ai, bj);
            }
        }
    }
}

/// `bᵀ` for the columns `cols` of `b`, as a strided view (no copy).
fn transposed<T: Real>(
    b: &DMatrix<T>,
    cols: std::ops::Range<usize>,
) -> MatrixView<'_, T, Dyn, Dyn, Dyn, Dyn> {
    let rows = b.nrows();
    MatrixView::from_slice_with_strides_generic(
        &b.as_slice()[cols.start * rows..cols.end * rows],
        Dyn(cols.len()),
        Dyn(rows),
        Dyn(rows),
        Dyn(1),
    )
}

/// `y ← α a bᵀ + β y`, where `bᵀ` is the transpose of the columns `cols` of `b`.
///
/// For f64 products on the fast kernel, `bᵀ` is read through a strided view (no copy). The rest form
/// `bᵀ` first: nalgebra's small-matrix loops read a row-strided operand past its end, so they only
/// ever see contiguous columns.
pub fn gemm_nt<T: Real>(
    y: &mut DMatrixViewMut<'_, T>,
    alpha: T,
    a: &DMatrixView<'_, T>,
    b: &DMatrix<T>,
    cols: std::ops::Range<usize>,
    beta: T,
) {
    if fast_f64::<T>(a.nrows(), a.ncols(), b.nrows()) {
        gemm(y, alpha, a, &transposed(b, cols), beta);
    } else {
        let bt = b.columns(cols.start, cols.len()).transpose();
        gemm(y, alpha, a, &bt, beta);
    }
}

/// `Σ a_i b_i` with four interleaved partial sums (vectorisable for f64).
#[inline(always)]
fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::zero(), T::zero(), T::zero(), T::zero()];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k].add_mul(&x[k], &y[k]);
        }
    }
    let [a0, a1, a2, a3] = acc;
    let mut s = (a0 + a1) + (a2 + a3);
    for (x, y) in ra.iter().zip(rb) {
        s += x.clone() * y.clone();
    }
    s
}

/// `y ← Aᵀ X` (or `y ← y + Aᵀ X` when `accumulate`) without forming `Aᵀ`: one contiguous dot
/// product per entry (columns of A against columns of X).
pub fn tr_mul_into<T: Real>(y: &mut DMatrix<T>, a: &DMatrix<T>, x: &DMatrix<T>, accumulate: bool) {
    #[cfg(target_arch = "x86_64")]
    if is_f64::<T>() && avx2() {
        // SAFETY: the CPU has AVX2 (checked at run time just above).
        return unsafe { tr_mul_into_avx2(y, a, x, accumulate) };
    }
    tr_mul_into_loops(y, a, x, accumulate)
}

/// [`tr_mul_into`] compiled with AVX2: the four partial sums of [`dot`] are one 4-wide vector, so
/// the sums are added in the same order as in the plain loops.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn tr_mul_into_avx2<T: Real>(
    y: &mut DMatrix<T>,
    a: &DMatrix<T>,
    x: &DMatrix<T>,
    accumulate: bool,
) {
    tr_mul_into_loops(y, a, x, accumulate)
}

#[inline(always)]
fn tr_mul_into_loops<T: Real>(
    y: &mut DMatrix<T>,
    a: &DMatrix<T>,
    x: &DMatrix<T>,
    accumulate: bool,
) {
    debug_assert_eq!((y.nrows(), y.ncols()), (a.ncols(), x.ncols()));
    debug_assert_eq!(a.nrows(), x.nrows());
    let (k, n) = (a.nrows(), y.nrows());
    if n == 0 {
        return;
    }
    for (yc, xc) in y
        .as_mut_slice()
        .chunks_exact_mut(n)
        .zip(x.as_slice().chunks_exact(k.max(1)))
    {
        for (yj, col) in yc.iter_mut().zip(a.as_slice().chunks_exact(k.max(1))) {
            let v = if k == 0 { T::zero() } else { dot(col, xc) };
            if accumulate {
                *yj += v;
            } else {
                *yj = v;
            }
        }
    }
}

/// Squared Frobenius norm.
pub fn frob_sq<T: Real>(m: &DMatrix<T>) -> T {
    m.iter().fold(T::zero(), |s, x| s + x.clone() * x.clone())
}

/// Largest absolute entry, in f64.
pub fn max_abs<T: Real>(m: &DMatrix<T>) -> f64 {
    m.iter().map(|x| x.to_f64().abs()).fold(0.0, worse)
}

/// Whether every entry is finite.
pub fn all_finite<T: Real>(m: &DMatrix<T>) -> bool {
    m.iter().all(|x| x.is_finite())
}

/// `|x − y| / (max(|x|, |y|) + floor)`: the scale-aware relative difference of two numbers, the
/// 1×1 case of [`rel_diff`]. These two are lro's only relative-difference helpers; `floor` (e.g.
/// [`crate::tolerances::F64_IDENTITY_ABS_FLOOR`]) keeps a difference of two near-zeros from
/// counting as a large relative one.
pub fn rel_diff_scalar(x: f64, y: f64, floor: f64) -> f64 {
    (x - y).abs() / (x.abs().max(y.abs()) + floor)
}

/// `max |a − b| / (max(|a|∞, |b|∞) + floor)`: a scale-aware relative difference in f64. Returns
/// infinity when the shapes differ.
pub fn rel_diff<T: Real>(a: &DMatrix<T>, b: &DMatrix<T>, floor: f64) -> f64 {
    if a.shape() != b.shape() {
        return f64::INFINITY;
    }
    let diff = a
        .iter()
        .zip(b.iter())
        .map(|(x, y)| (x.to_f64() - y.to_f64()).abs())
        .fold(0.0, worse);
    diff / (max_abs(a).max(max_abs(b)) + floor)
}

/// Largest absolute off-diagonal entry, in f64 (rectangular matrices: entries with i ≠ j).
pub fn max_off_diagonal<T: Real>(m: &DMatrix<T>) -> f64 {
    let mut worst: f64 = 0.0;
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            if i != j {
                worst = worse(worst, m[(i, j)].to_f64().abs());
            }
        }
    }
    worst
}

/// Whether every off-diagonal entry is exactly zero.
pub fn is_exactly_diagonal<T: Real>(m: &DMatrix<T>) -> bool {
    (0..m.nrows()).all(|i| (0..m.ncols()).all(|j| i == j || m[(i, j)].is_zero()))
}

/// A random orthogonal n×n matrix, built as a product of n Householder reflections
/// `I − 2vvᵀ/(vᵀv)` with small-integer vectors v. Every entry is rational, so over `Rational` the
/// result is *exactly* orthogonal (QᵀQ = I with no rounding); over f64 it is orthogonal to rounding.
pub fn random_orthogonal<T: Real, R: Rng + ?Sized>(n: usize, rng: &mut R) -> DMatrix<T> {
    let mut q = identity::<T>(n);
    for _ in 0..n {
        let v: Vec<i64> = loop {
            let v: Vec<i64> = (0..n).map(|_| rng.random_range(-3..=3)).collect();
            if v.iter().any(|&x| x != 0) {
                break v;
            }
        };
        let vv: i64 = v.iter().map(|x| x * x).sum();
        let vt = DMatrix::from_fn(n, 1, |i, _| T::from_i64(v[i]));
        let outer = &vt * vt.transpose();
        let h = identity::<T>(n) - outer * T::ratio(2, vv);
        q = &q * h;
    }
    q
}

/// Exact rank by Gaussian elimination with exact zero tests; meaningful over `Rational` (and
/// `Dual<Rational>` value parts). Over floats use singular values instead.
pub fn exact_rank<T: Real>(m: &DMatrix<T>) -> usize {
    let mut a = m.clone();
    let (rows, cols) = a.shape();
    let mut rank = 0;
    for c in 0..cols {
        let Some(p) = (rank..rows).find(|&r| !a[(r, c)].is_zero()) else {
            continue;
        };
        a.swap_rows(rank, p);
        let piv = a[(rank, c)].clone();
        for r in (rank + 1)..rows {
            if a[(r, c)].is_zero() {
                continue;
            }
            let f = a[(r, c)].clone() / piv.clone();
            for cc in c..cols {
                let v = a[(rank, cc)].clone() * f.clone();
                a[(r, cc)] -= v;
            }
        }
        rank += 1;
        if rank == rows {
            break;
        }
    }
    rank
}

/// Singular values of an f64 matrix, descending.
pub fn singular_values(m: &DMatrix<f64>) -> Vec<f64> {
    if m.nrows() == 0 || m.ncols() == 0 {
        return Vec::new();
    }
    let mut s: Vec<f64> = m
        .clone()
        .svd(false, false)
        .singular_values
        .iter()
        .copied()
        .collect();
    s.sort_by(|a, b| b.total_cmp(a));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_match_nalgebra_for_narrow_and_wide_operands() {
        let a = DMatrix::from_fn(7, 6, |i, j| (i as f64 - 2.0 * j as f64) / 3.0 + 0.25);
        for cols in [1usize, 3, 8] {
            let x = DMatrix::from_fn(6, cols, |i, j| (i * j) as f64 / 5.0 - 0.5);
            let xt = DMatrix::from_fn(7, cols, |i, j| (i + 2 * j) as f64 / 7.0 - 0.3);
            let mut y = DMatrix::from_element(7, cols, 1.0);
            mul_into(&mut y, &a, &x, true);
            let want = DMatrix::from_element(7, cols, 1.0) + &a * &x;
            assert!(rel_diff(&y, &want, 0.0) <= crate::tolerances::F64_IDENTITY_REL);
            mul_into(&mut y, &a, &x, false);
            assert!(rel_diff(&y, &(&a * &x), 0.0) <= crate::tolerances::F64_IDENTITY_REL);
            let mut z = DMatrix::from_element(6, cols, 2.0);
            tr_mul_into(&mut z, &a, &xt, true);
            let want = DMatrix::from_element(6, cols, 2.0) + a.transpose() * &xt;
            assert!(rel_diff(&z, &want, 0.0) <= crate::tolerances::F64_IDENTITY_REL);
            tr_mul_into(&mut z, &a, &xt, false);
            assert!(
                rel_diff(&z, &(a.transpose() * &xt), 0.0) <= crate::tolerances::F64_IDENTITY_REL
            );
        }
    }

    #[test]
    fn nan_errors_are_never_skipped() {
        assert!(worse(0.5, f64::NAN).is_nan() && worse(f64::NAN, 0.5).is_nan());
        assert_eq!(worse(0.5, 2.0), 2.0);
        let a = DMatrix::from_row_slice(1, 2, &[1.0, f64::NAN]);
        let b = DMatrix::from_row_slice(1, 2, &[1.0, 2.0]);
        assert!(
            rel_diff(&a, &b, 0.0).is_nan(),
            "a NaN entry must make the difference NaN"
        );
        assert!(max_abs(&a).is_nan());
    }

    /// Work handed to the second thread runs with the caller's fault, and with its products on
    /// its own thread.
    #[test]
    fn join_carries_the_fault_and_keeps_products_serial() {
        use crate::faults::{self, Fault};
        let f = Fault::ALL[0];
        let probe = || (faults::active(f), SERIAL.with(|c| c.get()));
        let (a, b) = faults::inject(f, || join(true, probe, probe));
        assert_eq!((a, b), ((true, true), (true, true)));
        assert_eq!(join(false, probe, probe), ((false, false), (false, false)));
    }

    /// The fast f64 kernel against nalgebra's product: plain, column-view and transposed-view
    /// operands, α and β both away from 1, and β = 0 ignoring a NaN already in y.
    #[test]
    fn fast_kernel_matches_nalgebra_with_strides_and_scalars() {
        use crate::tolerances::{F64_IDENTITY_REL, ZERO_GUARD_F64};
        let (m, k, n) = (37, 23, 29);
        assert!(fast_f64::<f64>(m, k, n));
        let a = DMatrix::from_fn(m, k, |i, j| ((i * 7 + j * 3) % 11) as f64 / 7.0 - 0.6);
        let b = DMatrix::from_fn(k, n + 4, |i, j| ((i * 5 + j * 2) % 13) as f64 / 9.0 - 0.4);
        let y0 = DMatrix::from_fn(m, n, |i, j| (i as f64 - j as f64) / 10.0);
        let want = &a * b.columns(2, n) * 2.0 - &y0 * 0.5;
        let check = |got: &DMatrix<f64>, what: &str| {
            let diff = rel_diff(got, &want, ZERO_GUARD_F64);
            assert!(diff <= F64_IDENTITY_REL, "{what}: {diff:e}");
        };
        let mut y = y0.clone();
        gemm(&mut y, 2.0, &a, &b.columns(2, n), -0.5);
        check(&y, "column view");
        // gemm_nt multiplies by the transpose of columns 3..3+k of an n × (k + 4) matrix.
        let mut c = DMatrix::zeros(n, k + 4);
        c.columns_mut(3, k).copy_from(&b.columns(2, n).transpose());
        let mut y = y0.clone();
        gemm_nt(&mut y.as_view_mut(), 2.0, &a.as_view(), &c, 3..3 + k, -0.5);
        check(&y, "transposed view");
        let mut y = DMatrix::from_element(m, n, f64::NAN);
        gemm(&mut y, 1.0, &a, &b.columns(2, n), 0.0);
        let diff = rel_diff(&y, &(&a * b.columns(2, n)), ZERO_GUARD_F64);
        assert!(diff <= F64_IDENTITY_REL, "β = 0: {diff:e}");
    }
}
