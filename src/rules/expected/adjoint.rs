//! The untruncated rules' `(ΔW, ΔB)` in adjoint form (`docs/theory/linear-rnn.md#adjoint-form`):
//! one backward recursion over the lags, and ΔW accumulated from its finished blocks (on a second
//! thread at large f64 sizes).
use super::{Back, Lags, S_BLOCKED_MIN_COLS};
use crate::faults::{self, Fault};
use crate::linalg;
use crate::rnn::StudentTeacher;
use crate::scalar::Real;
use nalgebra::{DMatrix, DMatrixView};

/// `(ΔW, ΔB)` of an untruncated rule (M = h) by the adjoint recursion `[derived]`: swapping the
/// order of the double sum in `ΔW = Σ_m F_mᵀ S_m` gives `ΔW = Σ_{j ≤ h−2} Λ_j (W^j B)ᵀ` with
/// `Λ_j = Σ_m (Mᵀ)^m F_0ᵀ G_{m+j+1}`, that is `Λ_{h−2} = F_0ᵀ G_{h−1}`,
/// `Λ_j = F_0ᵀ G_{j+1} + Mᵀ Λ_{j+1}`, and `ΔB = F_0ᵀ G_0 + Mᵀ Λ_0`. The powers `F_m` are never
/// formed: one thin product per lag (n × n by n × d) and one wide product `[Λ_j] [W^j B]ᵀ` replace
/// the backward powers and the covariance recursion (the same flops as reverse-mode
/// differentiation of the expected loss). Equal to the summed form over Q (tested).
pub(super) fn untruncated<T: Real>(
    st: &StudentTeacher<T>,
    lags: &Lags<T>,
    h: usize,
    f0t: &DMatrix<T>,
    back: &Back<T>,
) -> (DMatrix<T>, DMatrix<T>) {
    let s = &st.student;
    let (n, d) = (s.n(), s.d());
    // ΔB starts at F_0ᵀ G_0; block j of `lam` (j ≤ h − 2) starts at F_0ᵀ G_{j+1}, all in one product.
    let mut b = DMatrix::<T>::zeros(n, d);
    linalg::gemm(&mut b, T::one(), f0t, &lags.g.columns(0, d), T::zero());
    let mut lam = DMatrix::<T>::zeros(n, h.saturating_sub(1) * d);
    if h < 2 {
        return (DMatrix::zeros(n, n), b);
    }
    linalg::gemm(
        &mut lam,
        T::one(),
        f0t,
        &lags.g.columns(d, (h - 1) * d),
        T::zero(),
    );
    // The same Mᵀ multiplies every lag (the fault: M where Mᵀ belongs).
    let mt = match back {
        Back::Right(mt) if faults::active(Fault::ExpectedLagTranspose) => Some(mt.transpose()),
        Back::Right(mt) => Some(mt.clone()),
        _ => None,
    };
    let blocked = linalg::is_f64::<T>() && d >= S_BLOCKED_MIN_COLS;
    // dst ← dst + Mᵀ src on n × d column-major blocks.
    let advance = |dst: &mut [T], src: &[T]| match (back, &mt) {
        (Back::Diag(v), _) => {
            for (k, x) in dst.iter_mut().enumerate() {
                x.add_mul(&v[k % n], &src[k]);
            }
        }
        (Back::Scale(c), _) => {
            for (x, y) in dst.iter_mut().zip(src) {
                x.add_mul(c, y);
            }
        }
        (Back::Right(_), Some(mt)) if blocked => {
            let mut y = nalgebra::DMatrixViewMut::from_slice(dst, n, d);
            linalg::gemm(
                &mut y,
                T::one(),
                mt,
                &DMatrixView::from_slice(src, n, d),
                T::one(),
            );
        }
        (Back::Right(_), _) => {
            if let Some(mt) = &mt {
                linalg::cols_into(dst, mt, src, n, true);
            }
        }
    };
    // Λ_j += Mᵀ Λ_{j+1} for j = h − 3 … 0, finishing the blocks highest first, a chunk of
    // `chunk` blocks at a time; ΔW = [Λ_0, …, Λ_{h−2}] [W⁰B, …, W^{h−2}B]ᵀ accumulates each
    // finished chunk's share. When the sizes make it pay, the accumulation runs on a second thread
    // while the recursion goes on (the same operations in the same order either way).
    let block = n * d;
    let chunk = n.max(CHUNK_MIN_COLS).div_ceil(d.max(1));
    let add_chunk = |w: &mut DMatrix<T>, lo: usize, done: &[T]| {
        let cols = done.len() / n;
        linalg::gemm_nt(
            &mut w.as_view_mut(),
            T::one(),
            &DMatrixView::from_slice(done, n, cols),
            &lags.wb,
            lo * d..lo * d + cols,
            T::one(),
        );
    };
    let mut w = DMatrix::zeros(n, n);
    let parallel = linalg::parallel_pays::<T>(n * n * (h - 1) * d);
    let lam0 = if parallel {
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::channel::<(usize, &[T])>();
            let consumer = scope.spawn(faults::carried(|| {
                linalg::serial(|| {
                    let mut w = DMatrix::zeros(n, n);
                    for (lo, done) in rx {
                        add_chunk(&mut w, lo, done);
                    }
                    w
                })
            }));
            let lam0 = linalg::serial(|| {
                lag_recursion(lam.as_mut_slice(), block, chunk, &advance, |lo, done| {
                    // The consumer only stops when this sender is dropped (or it panicked,
                    // which the join below re-raises).
                    let _ = tx.send((lo, done));
                })
            });
            drop(tx);
            w = consumer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            lam0
        })
    } else {
        lag_recursion(lam.as_mut_slice(), block, chunk, &advance, |lo, done| {
            add_chunk(&mut w, lo, done)
        })
    };
    advance(b.as_mut_slice(), lam0);
    (w, b)
}

/// Fewest columns in one chunk of finished `Λ` blocks that the ΔW accumulation takes at a time
/// (with at least n columns each product is at least n × n × n).
pub(super) const CHUNK_MIN_COLS: usize = 32;

/// The backward lag recursion `Λ_j ← Λ_j + Mᵀ Λ_{j+1}` (`advance(dst, src)`) over the `block`-long
/// blocks of `lam`, from the second-highest down to block 0 (the highest is final as it starts).
/// After each `chunk` blocks it hands the finished ones to `emit(first block index, their slice)`,
/// highest chunk first. Returns block 0.
fn lag_recursion<'a, T: Real>(
    lam: &'a mut [T],
    block: usize,
    chunk: usize,
    advance: &impl Fn(&mut [T], &[T]),
    mut emit: impl FnMut(usize, &'a [T]),
) -> &'a [T] {
    if block == 0 {
        return &[];
    }
    let blocks = lam.len() / block;
    let mut pending: &'a mut [T] = lam;
    let mut finished: &'a [T] = &[];
    let mut hi = blocks;
    while hi > 0 {
        let lo = hi.saturating_sub(chunk.max(1));
        let (rest, cur) = std::mem::take(&mut pending).split_at_mut(lo * block);
        for j in (lo..hi).rev() {
            let k = j - lo;
            if j + 1 == blocks {
                continue;
            }
            if j + 1 == hi {
                advance(&mut cur[k * block..(k + 1) * block], &finished[..block]);
            } else {
                let (head, tail) = cur.split_at_mut((k + 1) * block);
                advance(&mut head[k * block..], &tail[..block]);
            }
        }
        let cur: &'a [T] = cur;
        emit(lo, cur);
        finished = cur;
        pending = rest;
        hi = lo;
    }
    &finished[..block.min(finished.len())]
}
