//! Quadratic equilibrium propagation (`docs/theory/contrastive.md#toys`, `[derived]`), generic over [`Real`] so
//! that the closed forms are checked exactly over `Rational` and the EP gradient theorem by
//! `Dual` numbers.
//!
//! `E(W, s) = ½‖s‖² − sᵀWx`, `C(s) = ½‖s − y‖²`, `F = E + βC`; `s⁰ = Wx`,
//! `s^β = (Wx + βy)/(1 + β)`, `L(W) = ½‖Wx − y‖²`, `∇L = (Wx − y)xᵀ`, `∂E/∂W(s) = −sxᵀ`.
//! Coupled generalisation (P-CL-9): `E = ½sᵀHs − sᵀVx`, `s^β = (H + βI)⁻¹(Vx + βy)`.
use crate::contrastive::Phase;
use crate::contrastive::solve::solve;
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::scalar::{Real, RealFn};
use nalgebra::DMatrix;

/// The quadratic EP toy: weights `W` (m×n), input `x` (n×1), target `y` (m×1).
#[derive(Clone, Debug, PartialEq)]
pub struct EpQuadratic<T: Real> {
    /// Weights W (m×n).
    pub w: DMatrix<T>,
    /// Input x (n×1).
    pub x: DMatrix<T>,
    /// Target y (m×1).
    pub y: DMatrix<T>,
}

impl<T: Real> EpQuadratic<T> {
    /// A toy; fails if the shapes do not fit.
    pub fn new(w: DMatrix<T>, x: DMatrix<T>, y: DMatrix<T>) -> Result<Self> {
        if x.ncols() != 1 || y.ncols() != 1 || w.ncols() != x.nrows() || w.nrows() != y.nrows() {
            return Err(LroError::ShapeMismatch {
                context: "EpQuadratic::new".into(),
                detail: format!(
                    "W {}×{}, x {}×{}, y {}×{}; need W m×n, x n×1, y m×1",
                    w.nrows(),
                    w.ncols(),
                    x.nrows(),
                    x.ncols(),
                    y.nrows(),
                    y.ncols()
                ),
            });
        }
        Ok(EpQuadratic { w, x, y })
    }
    /// Free equilibrium `s⁰ = Wx`.
    pub fn s_free(&self) -> DMatrix<T> {
        &self.w * &self.x
    }
    /// Nudged equilibrium `s^β = (Wx + βy)/(1 + β)` (closed form).
    pub fn s_nudged(&self, beta: &T) -> DMatrix<T> {
        let beta = if faults::active(Fault::EpBetaSignFlip) {
            -beta.clone()
        } else {
            beta.clone()
        };
        let num = self.s_free() + &self.y * beta.clone();
        num / (T::one() + beta)
    }
    /// Nudged equilibrium by solving `∂F/∂s = (1 + β)s − Wx − β(s − y)… = 0` as a linear system
    /// `(1 + β) I s = Wx + βy` (an independent route to [`Self::s_nudged`]).
    pub fn s_nudged_by_solve(&self, beta: &T) -> Result<DMatrix<T>> {
        let m = self.y.nrows();
        let a = DMatrix::<T>::identity(m, m) * (T::one() + beta.clone());
        solve(&a, &(self.s_free() + &self.y * beta.clone()))
    }
    /// Loss `L = ½‖Wx − y‖²`.
    pub fn loss(&self) -> T {
        let r = self.s_free() - &self.y;
        r.iter().fold(T::zero(), |s, v| s + v.clone() * v.clone()) / T::from_i64(2)
    }
    /// Exact gradient `∇L = (Wx − y)xᵀ`.
    pub fn grad_loss(&self) -> DMatrix<T> {
        (self.s_free() - &self.y) * self.x.transpose()
    }
    /// `∂E/∂W(s) = −s xᵀ`.
    pub fn de_dw(&self, s: &DMatrix<T>) -> DMatrix<T> {
        -(s * self.x.transpose())
    }
    /// One-sided EP estimate `(1/β)[∂E/∂W(s^β) − ∂E/∂W(s⁰)]` (equals `∇L/(1 + β)`).
    pub fn one_sided(&self, beta: &T) -> DMatrix<T> {
        let diff = self.de_dw(&self.s_nudged(beta)) - self.de_dw(&self.s_free());
        if faults::active(Fault::EpMissingInvBeta) {
            return diff;
        }
        diff / beta.clone()
    }
    /// Symmetric EP estimate `(1/2β)[∂E/∂W(s^β) − ∂E/∂W(s^{−β})]` (equals `∇L/(1 − β²)`).
    pub fn symmetric(&self, beta: &T) -> DMatrix<T> {
        let nb = -beta.clone();
        (self.de_dw(&self.s_nudged(beta)) - self.de_dw(&self.s_nudged(&nb)))
            / (beta.clone() + beta.clone())
    }
}

/// The coupled quadratic EP model `E = ½sᵀHs − sᵀVx` (H symmetric positive definite),
/// `docs/theory/contrastive.md#ep-quadratic` generalisation (P-CL-9, `[derived, unchecked]`).
#[derive(Clone, Debug, PartialEq)]
pub struct EpCoupled<T: Real> {
    /// Couplings H (m×m, symmetric positive definite).
    pub h: DMatrix<T>,
    /// Input weights V (m×n).
    pub v: DMatrix<T>,
    /// Input x (n×1).
    pub x: DMatrix<T>,
    /// Target y (m×1).
    pub y: DMatrix<T>,
}

impl<T: Real> EpCoupled<T> {
    /// `s^β = (H + βI)⁻¹(Vx + βy)` (β = 0: the free state).
    pub fn s_beta(&self, beta: &T) -> Result<DMatrix<T>> {
        let m = self.h.nrows();
        let a = &self.h + DMatrix::<T>::identity(m, m) * beta.clone();
        solve(&a, &(&self.v * &self.x + &self.y * beta.clone()))
    }
    /// `∂F/∂s = Hs − Vx + β(s − y)` (zero at the minimiser of F).
    pub fn grad_f_s(&self, s: &DMatrix<T>, beta: &T) -> DMatrix<T> {
        &self.h * s - &self.v * &self.x + (s - &self.y) * beta.clone()
    }
    /// Loss `L = ½‖s⁰ − y‖²`.
    pub fn loss(&self) -> Result<T> {
        let r = self.s_beta(&T::zero())? - &self.y;
        Ok(r.iter().fold(T::zero(), |s, v| s + v.clone() * v.clone()) / T::from_i64(2))
    }
    /// `∂E/∂V(s) = −s xᵀ`.
    pub fn de_dv(&self, s: &DMatrix<T>) -> DMatrix<T> {
        -(s * self.x.transpose())
    }
    /// `∂E/∂H(s) = ½ s sᵀ` (entries of H as independent parameters).
    pub fn de_dh(&self, s: &DMatrix<T>) -> DMatrix<T> {
        (s * s.transpose()) / T::from_i64(2)
    }
    /// Exact `∇_V L = H⁻¹(s⁰ − y)xᵀ` (implicit differentiation).
    pub fn grad_v(&self) -> Result<DMatrix<T>> {
        let s0 = self.s_beta(&T::zero())?;
        Ok(solve(&self.h, &(s0 - &self.y))? * self.x.transpose())
    }
    /// Exact `∇_H L = −H⁻¹(s⁰ − y)s⁰ᵀ`, entries of H as independent parameters.
    pub fn grad_h(&self) -> Result<DMatrix<T>> {
        let s0 = self.s_beta(&T::zero())?;
        Ok(-(solve(&self.h, &(s0.clone() - &self.y))? * s0.transpose()))
    }
}

/// The transient factor κ(T⁺, T⁻) of alternating relaxation (`docs/theory/contrastive.md#kappa`, `[derived]`):
/// `κ = 1 − (1 − q₊)(1 − q₋)/(1 − q₊q₋) · (1/(k₊T⁺) + 1/(k₋T⁻))`, `q_± = exp(−k_± T^±)`.
pub fn kappa<T: RealFn>(k_plus: &T, t_plus: &T, k_minus: &T, t_minus: &T) -> T {
    let qp = (-(k_plus.clone() * t_plus.clone())).exp();
    let qm = (-(k_minus.clone() * t_minus.clone())).exp();
    let frac = (T::one() - qp.clone()) * (T::one() - qm.clone()) / (T::one() - qp * qm);
    let k = T::one()
        - frac
            * (T::one() / (k_plus.clone() * t_plus.clone())
                + T::one() / (k_minus.clone() * t_minus.clone()));
    if faults::active(Fault::KappaOff3Percent) {
        // The fault: invisible in both limits (q₊q₋ → 0 for long phases, κ → 0 for
        // short ones), about 3 % where phases are comparable to the relaxation times.
        let qq = (-(k_plus.clone() * t_plus.clone() + k_minus.clone() * t_minus.clone())).exp();
        return k + qq * T::from_f64(5e-3);
    }
    k
}

/// The discrete-time analogue of κ for Euler relaxation `u ← D + r(u − D)` (`r = 1 − dt·k`) and
/// Eq.3-R's indexing (the state averaged in a phase is the state after each step of that phase):
/// `κ_d = 1 − (1 − Q₊)(1 − Q₋)/(1 − Q₊Q₋) · (r₊/((1 − r₊)T⁺) + r₋/((1 − r₋)T⁻))`, `Q = r^T`,
/// with `T^±` in steps (derived for this project; → κ as dt → 0). Exact over rationals.
pub fn kappa_discrete<T: Real>(r_plus: &T, t_plus: u32, r_minus: &T, t_minus: u32) -> T {
    let qp = r_plus.powi(t_plus);
    let qm = r_minus.powi(t_minus);
    let frac = (T::one() - qp.clone()) * (T::one() - qm.clone()) / (T::one() - qp * qm);
    let tp = T::from_i64(t_plus as i64);
    let tm = T::from_i64(t_minus as i64);
    T::one()
        - frac
            * (r_plus.clone() / ((T::one() - r_plus.clone()) * tp)
                + r_minus.clone() / ((T::one() - r_minus.clone()) * tm))
}

/// Euler relaxation of the quadratic toy, phase `beta` (β = 0: free), one step of size `dt`:
/// `s ← s − dt·∂F/∂s = s − dt·((1 + β)s − Wx − βy)`.
pub fn relax_step<T: Real>(toy: &EpQuadratic<T>, s: &DMatrix<T>, beta: &T, dt: &T) -> DMatrix<T> {
    let grad = s * (T::one() + beta.clone()) - toy.s_free() - &toy.y * beta.clone();
    s - grad * dt.clone()
}

/// The states of one cycle of strict alternation (nudged `n_plus` Euler steps, then free `n_minus`
/// steps) in the exact periodic steady state, each with its phase: the start state is the fixed
/// point of the affine cycle map, found by a linear solve (the map is built by running it on basis
/// vectors). The listed states are the states *after* each step, as Eq.3-R sees them. Exact over
/// rationals.
pub fn alternating_orbit<T: Real>(
    toy: &EpQuadratic<T>,
    beta: &T,
    dt: &T,
    n_plus: u32,
    n_minus: u32,
) -> Result<Vec<(Phase, DMatrix<T>)>> {
    let m = toy.y.nrows();
    let cycle = |s0: &DMatrix<T>| {
        let mut s = s0.clone();
        let mut out = Vec::with_capacity((n_plus + n_minus) as usize);
        for _ in 0..n_plus {
            s = relax_step(toy, &s, beta, dt);
            out.push((Phase::Plus, s.clone()));
        }
        for _ in 0..n_minus {
            s = relax_step(toy, &s, &T::zero(), dt);
            out.push((Phase::Minus, s.clone()));
        }
        (s, out)
    };
    let b = cycle(&DMatrix::<T>::zeros(m, 1)).0;
    let mut a = DMatrix::<T>::zeros(m, m);
    for j in 0..m {
        let mut e = DMatrix::<T>::zeros(m, 1);
        e[(j, 0)] = T::one();
        let col = cycle(&e).0 - &b;
        a.set_column(j, &col.column(0));
    }
    let start = solve(&(DMatrix::<T>::identity(m, m) - a), &b)?;
    Ok(cycle(&start).1)
}

/// Time-averaged states `(s̄⁺, s̄⁻)` over the phases of [`alternating_orbit`].
pub fn alternating_phase_means<T: Real>(
    toy: &EpQuadratic<T>,
    beta: &T,
    dt: &T,
    n_plus: u32,
    n_minus: u32,
) -> Result<(DMatrix<T>, DMatrix<T>)> {
    let m = toy.y.nrows();
    let orbit = alternating_orbit(toy, beta, dt, n_plus, n_minus)?;
    let mut sp = DMatrix::<T>::zeros(m, 1);
    let mut sm = DMatrix::<T>::zeros(m, 1);
    for (z, s) in orbit {
        match z {
            Phase::Plus => sp += s,
            Phase::Minus => sm += s,
        }
    }
    Ok((
        sp / T::from_i64(n_plus as i64),
        sm / T::from_i64(n_minus as i64),
    ))
}

/// Effective κ of strict alternation with random phase lengths in continuous time, simulated with
/// the exact within-phase solution along the direction `D = s^β − s⁰` (`docs/theory/contrastive.md#kappa`, P-CL-11):
/// returns the per-cycle pairs `(∫₊ u dt, T⁺, ∫₋ u dt, T⁻)` (u in units of D) so that the caller can
/// form the ratio estimator `κ_eff = Σ∫₊u/ΣT⁺ − Σ∫₋u/ΣT⁻` with batch means.
pub fn random_length_cycles(
    k_plus: f64,
    k_minus: f64,
    lengths: impl Iterator<Item = (f64, f64)>,
) -> Vec<[f64; 4]> {
    let mut u = 0.0; // start at the free fixed point
    let mut out = Vec::new();
    for (tp, tm) in lengths {
        // Nudged: u(t) = 1 + (u0 − 1) e^{−k t}.
        let qp = (-k_plus * tp).exp();
        let int_p = tp + (u - 1.0) * (1.0 - qp) / k_plus;
        u = 1.0 + (u - 1.0) * qp;
        // Free: u(t) = u1 e^{−k t}.
        let qm = (-k_minus * tm).exp();
        let int_m = u * (1.0 - qm) / k_minus;
        u *= qm;
        out.push([int_p, tp, int_m, tm]);
    }
    out
}
