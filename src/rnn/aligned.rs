//! Data-aligned construction (`docs/theory/linear-rnn.md#data-alignment`) and its inverse.
//!
//! `A = U Ā Pᵀ`, `W = P W̄ Pᵀ`, `B = P B̄ Vᵀ` with U (o×o), V (d×d), P (n×n) orthogonal and the barred
//! matrices (rectangular) diagonal holding the per-mode `a_i`, `w_i`, `b_i`. RFLO's aligned feedback
//! is `R = U R̄ Pᵀ` with `R̄ = diag(â_i)`.
use super::model::Rnn;
use crate::error::{LroError, Result};
use crate::linalg;
use crate::scalar::Real;
use nalgebra::DMatrix;
use rand::Rng;

/// One mode's parameters `(a, b, w)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mode<T> {
    /// Readout gain a.
    pub a: T,
    /// Input gain b.
    pub b: T,
    /// Recurrent eigenvalue w.
    pub w: T,
}

impl<T: Real> Mode<T> {
    /// A mode from its three parameters.
    pub fn new(a: T, b: T, w: T) -> Self {
        Mode { a, b, w }
    }
}

/// The orthogonal bases `U` (o×o), `V` (d×d) and `P` (n×n) of an aligned network.
#[derive(Clone, Debug, PartialEq)]
pub struct AlignedBasis<T: Real> {
    /// Output basis (o×o).
    pub u: DMatrix<T>,
    /// Input basis (d×d).
    pub v: DMatrix<T>,
    /// Hidden basis (n×n).
    pub p: DMatrix<T>,
}

/// Per-mode parameters read back from a network, with how far it is from aligned.
#[derive(Clone, Debug, PartialEq)]
pub struct ModeReadout<T> {
    /// The diagonals of `UᵀAP`, `PᵀWP`, `PᵀBV`, one mode per hidden direction (zero where the
    /// rectangular diagonal has no entry).
    pub modes: Vec<Mode<T>>,
    /// The largest absolute off-diagonal entry of the three rotated matrices (0 when aligned).
    pub off_diagonal: f64,
}

fn square<T: Real>(name: &str, m: &DMatrix<T>) -> Result<usize> {
    if m.nrows() != m.ncols() || m.nrows() == 0 {
        return Err(LroError::ShapeMismatch {
            context: "AlignedBasis".into(),
            detail: format!(
                "{name} must be square and non-empty, got {}×{}",
                m.nrows(),
                m.ncols()
            ),
        });
    }
    Ok(m.nrows())
}

impl<T: Real> AlignedBasis<T> {
    /// Bases from given square matrices (their orthogonality is the caller's; see
    /// [`Self::orthogonality_defect`]).
    pub fn new(u: DMatrix<T>, v: DMatrix<T>, p: DMatrix<T>) -> Result<Self> {
        square("U", &u)?;
        square("V", &v)?;
        square("P", &p)?;
        Ok(AlignedBasis { u, v, p })
    }

    /// Random orthogonal bases (rational entries, exactly orthogonal over `Rational`).
    pub fn random<R: Rng + ?Sized>(o: usize, n: usize, d: usize, rng: &mut R) -> Result<Self> {
        if o == 0 || n == 0 || d == 0 {
            return Err(LroError::InvalidParameter {
                name: "dimensions".into(),
                reason: format!("o, n, d must all be at least 1, got ({o}, {n}, {d})"),
            });
        }
        Ok(AlignedBasis {
            u: linalg::random_orthogonal(o, rng),
            v: linalg::random_orthogonal(d, rng),
            p: linalg::random_orthogonal(n, rng),
        })
    }

    /// Dimensions (o, n, d).
    pub fn dims(&self) -> (usize, usize, usize) {
        (self.u.nrows(), self.p.nrows(), self.v.nrows())
    }

    /// `max(‖UᵀU − I‖, ‖VᵀV − I‖, ‖PᵀP − I‖)` (max-abs, f64): zero for orthogonal bases.
    pub fn orthogonality_defect(&self) -> f64 {
        [&self.u, &self.v, &self.p]
            .iter()
            .map(|m| linalg::max_abs(&(m.transpose() * *m - linalg::identity::<T>(m.nrows()))))
            .fold(0.0, crate::linalg::worse)
    }

    /// The aligned network with the given modes (`docs/theory/linear-rnn.md#data-alignment`). `modes.len()` must be n; modes with
    /// index ≥ o must have `a = 0` and modes with index ≥ d must have `b = 0` (they have no output
    /// row or input column).
    pub fn build(&self, modes: &[Mode<T>]) -> Result<Rnn<T>> {
        let (o, n, d) = self.dims();
        if modes.len() != n {
            return Err(LroError::ShapeMismatch {
                context: "AlignedBasis::build".into(),
                detail: format!("{} modes given for hidden dimension n = {n}", modes.len()),
            });
        }
        for (i, m) in modes.iter().enumerate() {
            if (i >= o && !m.a.is_zero()) || (i >= d && !m.b.is_zero()) {
                return Err(LroError::InvalidParameter {
                    name: format!("mode {i}"),
                    reason: format!(
                        "with o = {o}, d = {d}, mode {i} has no {}; set that gain to 0",
                        if i >= o {
                            "output row (a)"
                        } else {
                            "input column (b)"
                        }
                    ),
                });
            }
        }
        let abar = DMatrix::from_fn(o, n, |i, j| {
            if i == j {
                modes[j].a.clone()
            } else {
                T::zero()
            }
        });
        let wbar = DMatrix::from_fn(n, n, |i, j| {
            if i == j {
                modes[j].w.clone()
            } else {
                T::zero()
            }
        });
        let bbar = DMatrix::from_fn(n, d, |i, j| {
            if i == j {
                modes[i].b.clone()
            } else {
                T::zero()
            }
        });
        let pt = self.p.transpose();
        Rnn::new(
            &self.u * abar * &pt,
            &self.p * wbar * &pt,
            &self.p * bbar * self.v.transpose(),
        )
    }

    /// Aligned RFLO feedback `R = U R̄ Pᵀ`, with `a_hat.len() = min(o, n)` feedback gains.
    pub fn feedback(&self, a_hat: &[T]) -> Result<DMatrix<T>> {
        let (o, n, _) = self.dims();
        if a_hat.len() != o.min(n) {
            return Err(LroError::ShapeMismatch {
                context: "AlignedBasis::feedback".into(),
                detail: format!(
                    "{} feedback gains given, min(o, n) = {} needed",
                    a_hat.len(),
                    o.min(n)
                ),
            });
        }
        let rbar = DMatrix::from_fn(
            o,
            n,
            |i, j| if i == j { a_hat[i].clone() } else { T::zero() },
        );
        Ok(&self.u * rbar * self.p.transpose())
    }

    /// Reads per-mode parameters back from a network: the diagonals of `UᵀAP`, `PᵀWP`, `PᵀBV`.
    pub fn read_modes(&self, net: &Rnn<T>) -> Result<ModeReadout<T>> {
        let (o, n, d) = self.dims();
        if (net.o(), net.n(), net.d()) != (o, n, d) {
            return Err(LroError::ShapeMismatch {
                context: "AlignedBasis::read_modes".into(),
                detail: format!(
                    "basis is (o, n, d) = ({o}, {n}, {d}), network is ({}, {}, {})",
                    net.o(),
                    net.n(),
                    net.d()
                ),
            });
        }
        let (ar, wr, br) = self.rotate(net.a(), net.w(), net.b());
        let get = |m: &DMatrix<T>, i: usize| {
            if i < m.nrows() && i < m.ncols() {
                m[(i, i)].clone()
            } else {
                T::zero()
            }
        };
        let modes = (0..n)
            .map(|i| Mode::new(get(&ar, i), get(&br, i), get(&wr, i)))
            .collect();
        let off = [&ar, &wr, &br]
            .iter()
            .map(|m| linalg::max_off_diagonal(m))
            .fold(0.0, crate::linalg::worse);
        Ok(ModeReadout {
            modes,
            off_diagonal: off,
        })
    }

    /// `(UᵀAP, PᵀWP, PᵀBV)`: a network's (or an update's) matrices in the mode bases.
    pub fn rotate(
        &self,
        a: &DMatrix<T>,
        w: &DMatrix<T>,
        b: &DMatrix<T>,
    ) -> (DMatrix<T>, DMatrix<T>, DMatrix<T>) {
        let pt = self.p.transpose();
        (
            self.u.transpose() * a * &self.p,
            &pt * w * &self.p,
            &pt * b * &self.v,
        )
    }
}
