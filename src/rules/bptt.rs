//! BPTT and k-step truncated BPTT (`docs/theory/linear-rnn.md#online`), for any leak α and activation φ:
//! `du_t = α φ'(u_t) ⊙ δh_t`, `ΔW += du_t h_{t-1}ᵀ`, `ΔB += du_t x_{t-1}ᵀ`,
//! `δh_{t-1} = (1 − α) δh_t + Wᵀ du_t`.
//!
//! One implementation serves one sample and a batch of B samples: the adjoints of the B samples are
//! the columns of an n×B matrix, so each backward step is one matrix product `Wᵀ DU_t`. The outer
//! products are summed as matrix products too: the columns `du_t` collected over the backward pass
//! form `DU = [DU_t …]` and `ΔW = Σ_t DU_t H_{t-1}ᵀ = DU Hᵀ` (the same sum, as one `gemm`).
use super::online::Batch;
use crate::faults::{self, Fault};
use crate::linalg;
use crate::scalar::Real;
use nalgebra::DMatrix;

/// States from which a narrow backward step reads a transposed copy of W: `Wᵀ du` then runs as
/// column `axpy` loops, which vectorise better than dot products down W's columns (measured at
/// n = 64: 0.7 µs against 1.4 µs per product); below it the copy costs more than it saves.
const TRANSPOSED_MIN_STATES: usize = 32;

/// What every backward step reads: `Wᵀ` (transposed once per call) for wide batches, where each
/// product is a blocked `gemm`, and from [`TRANSPOSED_MIN_STATES`] states; otherwise nothing
/// (`Wᵀ DU` as dot products down W's columns); the missing-transpose fault; and the number of
/// pending columns that triggers a flush.
struct Setup<T: Real> {
    wt: Option<DMatrix<T>>,
    missing_transpose: bool,
    limit: usize,
}

impl<T: Real> Setup<T> {
    /// `back ← Wᵀ du` (`W du` under [`Fault::BpttMissingTranspose`]).
    fn back(&self, s: &Batch<T>, back: &mut DMatrix<T>, du: &DMatrix<T>) {
        match &self.wt {
            Some(wt) => linalg::mul_into(back, wt, du, false),
            None if self.missing_transpose => linalg::mul_into(back, s.net.w(), du, false),
            None => linalg::tr_mul_into(back, s.net.w(), du, false),
        }
    }
}

/// `(ΔW, ΔB)` under construction: the columns `DU_t` not yet multiplied out, with their times.
struct Outer<T: Real> {
    du: Vec<DMatrix<T>>,
    at: Vec<usize>,
    dw: DMatrix<T>,
    db: DMatrix<T>,
    /// 1 under [`Fault::BpttStateOneLate`] (`du_t` is paired with `h_t`), else 0.
    late: usize,
}

impl<T: Real> Outer<T> {
    fn new(n: usize, d: usize, late: bool) -> Self {
        Outer {
            du: Vec::new(),
            at: Vec::new(),
            dw: DMatrix::zeros(n, n),
            db: DMatrix::zeros(n, d),
            late: late as usize,
        }
    }

    /// Adds `Σ DU_t H_{t-1}ᵀ` and `Σ DU_t X_{t-1}ᵀ` over the pending columns as two products.
    fn flush(&mut self, s: &Batch<T>) {
        if self.du.is_empty() {
            return;
        }
        let (n, width) = (self.dw.nrows(), s.traj.width());
        let cols = self.du.len() * width;
        let cat = |v: &mut dyn Iterator<Item = &DMatrix<T>>, rows: usize| {
            DMatrix::from_iterator(rows, cols, v.flat_map(|m| m.iter().cloned()))
        };
        let du = cat(&mut self.du.iter(), n);
        let late = self.late;
        let h = cat(&mut self.at.iter().map(|&t| &s.traj.h[t - 1 + late]), n);
        let x = cat(&mut self.at.iter().map(|&t| &s.xs[t - 1]), self.db.ncols());
        linalg::add_mul_tr(&mut self.dw, &du, &h);
        linalg::add_mul_tr(&mut self.db, &du, &x);
        self.du.clear();
        self.at.clear();
    }

    /// Flushes when the pending columns reach `limit` (bounds memory for long truncated windows).
    fn push(&mut self, s: &Batch<T>, t: usize, du: DMatrix<T>, limit: usize) {
        self.du.push(du);
        self.at.push(t);
        if self.du.len() * s.traj.width() >= limit {
            self.flush(s);
        }
    }
}

/// One backward step from `δH_t` (n×B): records `DU_t` and overwrites `dh` with `δH_{t-1}`.
fn step<T: Real>(
    s: &Batch<T>,
    t: usize,
    dh: &mut DMatrix<T>,
    back: &mut DMatrix<T>,
    out: &mut Outer<T>,
    setup: &Setup<T>,
) {
    let alpha = s.net.alpha().clone();
    let mut du = dh.component_mul(&s.traj.dphi[t - 1]);
    if !alpha.is_one() {
        du *= alpha.clone();
    }
    setup.back(s, back, &du);
    if alpha.is_one() {
        std::mem::swap(dh, back);
    } else {
        *dh *= T::one() - alpha;
        *dh += &*back;
    }
    out.push(s, t, du, setup.limit);
}

fn setup<T: Real>(s: &Batch<T>) -> (Setup<T>, Outer<T>, DMatrix<T>, DMatrix<T>) {
    let (n, d, width) = (s.net.n(), s.net.d(), s.traj.width());
    let missing_transpose = faults::active(Fault::BpttMissingTranspose);
    let wt = (width >= 5 || n >= TRANSPOSED_MIN_STATES).then(|| {
        if missing_transpose {
            s.net.w().clone()
        } else {
            s.net.w().transpose()
        }
    });
    let setup = Setup {
        wt,
        missing_transpose,
        // Pending columns before a flush: enough for an efficient product, bounded in memory.
        limit: (4 * n).max(256),
    };
    let late = faults::active(Fault::BpttStateOneLate);
    let zeros = || DMatrix::zeros(n, width);
    (setup, Outer::new(n, d, late), zeros(), zeros())
}

/// Full BPTT: one adjoint pass from t = T down to 1, injecting `Aᵀ c_t E_t` at each loss step.
/// Returns the sums of the B samples' `(ΔW, ΔB)`.
pub(super) fn full<T: Real>(s: &Batch<T>) -> (DMatrix<T>, DMatrix<T>) {
    let (setup, mut out, mut dh, mut back) = setup(s);
    for t in (1..=s.xs.len()).rev() {
        if let Some(e) = &s.errs[t - 1] {
            linalg::tr_mul_into(&mut dh, s.net.a(), e, true);
        }
        step(s, t, &mut dh, &mut back, &mut out, &setup);
    }
    out.flush(s);
    (out.dw, out.db)
}

/// k-step tBPTT: from every loss step t, backpropagate only through steps t, t − 1, …, t − k + 1.
/// Returns the sums of the B samples' `(ΔW, ΔB)`.
pub(super) fn truncated<T: Real>(s: &Batch<T>, k: usize) -> (DMatrix<T>, DMatrix<T>) {
    let window = if faults::active(Fault::TbpttWindowOffByOne) {
        k + 1
    } else {
        k
    };
    let (setup, mut out, mut dh, mut back) = setup(s);
    for t in 1..=s.xs.len() {
        let Some(e) = &s.errs[t - 1] else { continue };
        linalg::tr_mul_into(&mut dh, s.net.a(), e, false);
        for tau in (t.saturating_sub(window) + 1..=t).rev() {
            step(s, tau, &mut dh, &mut back, &mut out, &setup);
        }
    }
    out.flush(s);
    (out.dw, out.db)
}
