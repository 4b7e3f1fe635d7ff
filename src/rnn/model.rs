//! The RNN `(A, W, B)` with optional leak and tanh activation.
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use crate::linalg;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// The activation φ applied to the pre-activation `u_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// φ(u) = u (the linear RNN of the theory).
    #[default]
    Identity,
    /// φ(u) = tanh(u), with its exact derivative 1 − tanh²(u).
    Tanh,
}

impl Activation {
    /// φ(u) and φ'(u). Fails for tanh over a number kind without transcendentals (rationals).
    pub fn apply<T: Real>(self, u: &T) -> Result<(T, T)> {
        match self {
            Activation::Identity => Ok((u.clone(), T::one())),
            Activation::Tanh => {
                let t = u.try_tanh().ok_or_else(|| {
                    LroError::Unsupported(format!(
                        "tanh over {} numbers; use f64, complex, dual or mpfr for tanh networks",
                        T::kind()
                    ))
                })?;
                let d = T::one() - t.clone() * t.clone();
                Ok((t, d))
            }
        }
    }
}

/// A recurrent network: readout `A` (o×n), recurrence `W` (n×n), input weights `B` (n×d), leak
/// rate `alpha ∈ (0, 1]` and activation φ:
///
/// `u_t = W h_{t-1} + B x_{t-1}`, `h_t = (1 − α) h_{t-1} + α φ(u_t)`, `y_t = A h_t`, `h_0 = 0`.
///
/// With the defaults (α = 1, φ = identity) this is the linear RNN of `docs/theory/linear-rnn.md#indexing`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rnn<T: Real> {
    a: DMatrix<T>,
    w: DMatrix<T>,
    b: DMatrix<T>,
    alpha: T,
    activation: Activation,
}

/// Every state of one forward pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory<T: Real> {
    /// `h_0 … h_T` (length T + 1; `h[0] = 0`).
    pub h: Vec<DVector<T>>,
    /// Pre-activations `u_1 … u_T` (`u[t-1]` is `u_t`).
    pub u: Vec<DVector<T>>,
    /// Activation derivatives `φ'(u_t)` (`dphi[t-1]`).
    pub dphi: Vec<DVector<T>>,
    /// Outputs `y_1 … y_T` (`y[t-1]` is `y_t`).
    pub y: Vec<DVector<T>>,
}

fn check_finite<T: Real>(name: &str, m: &DMatrix<T>) -> Result<()> {
    if linalg::all_finite(m) {
        Ok(())
    } else {
        Err(LroError::NotFinite { name: name.into() })
    }
}

impl<T: Real> Rnn<T> {
    /// A linear RNN (α = 1, identity). Checks that `W` is square, `A` has n columns and `B` has n
    /// rows, and that every entry is finite.
    pub fn new(a: DMatrix<T>, w: DMatrix<T>, b: DMatrix<T>) -> Result<Self> {
        let n = w.nrows();
        if w.ncols() != n || n == 0 {
            return Err(LroError::ShapeMismatch {
                context: "Rnn::new".into(),
                detail: format!(
                    "W must be square and non-empty, got {}×{}",
                    w.nrows(),
                    w.ncols()
                ),
            });
        }
        if a.ncols() != n || a.nrows() == 0 {
            return Err(LroError::ShapeMismatch {
                context: "Rnn::new".into(),
                detail: format!(
                    "A must be o×{n} with o ≥ 1 (W is {n}×{n}), got {}×{}",
                    a.nrows(),
                    a.ncols()
                ),
            });
        }
        if b.nrows() != n || b.ncols() == 0 {
            return Err(LroError::ShapeMismatch {
                context: "Rnn::new".into(),
                detail: format!(
                    "B must be {n}×d with d ≥ 1 (W is {n}×{n}), got {}×{}",
                    b.nrows(),
                    b.ncols()
                ),
            });
        }
        check_finite("A", &a)?;
        check_finite("W", &w)?;
        check_finite("B", &b)?;
        Ok(Rnn {
            a,
            w,
            b,
            alpha: T::one(),
            activation: Activation::Identity,
        })
    }

    /// Sets the leak rate α ∈ (0, 1] (α = 1: no leak).
    pub fn with_leak(mut self, alpha: T) -> Result<Self> {
        let v = alpha.to_f64();
        if !(alpha.is_finite() && v > 0.0 && v <= 1.0) {
            return Err(LroError::OutOfDomain {
                name: "leak rate alpha".into(),
                value: v,
                reason: "it must lie in (0, 1]; alpha = 1 means no leak, Murray's tau_m = 1/alpha"
                    .into(),
            });
        }
        self.alpha = alpha;
        Ok(self)
    }

    /// Sets the activation.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Readout A (o×n).
    pub fn a(&self) -> &DMatrix<T> {
        &self.a
    }
    /// Recurrence W (n×n).
    pub fn w(&self) -> &DMatrix<T> {
        &self.w
    }
    /// Input weights B (n×d).
    pub fn b(&self) -> &DMatrix<T> {
        &self.b
    }
    /// Leak rate α.
    pub fn alpha(&self) -> &T {
        &self.alpha
    }
    /// Activation φ.
    pub fn activation(&self) -> Activation {
        self.activation
    }
    /// Hidden dimension n.
    pub fn n(&self) -> usize {
        self.w.nrows()
    }
    /// Output dimension o.
    pub fn o(&self) -> usize {
        self.a.nrows()
    }
    /// Input dimension d.
    pub fn d(&self) -> usize {
        self.b.ncols()
    }
    /// Whether this is the linear RNN of the theory (α = 1, identity activation).
    pub fn is_linear(&self) -> bool {
        self.activation == Activation::Identity && self.alpha.is_one()
    }

    /// Replaces the parameters (same shapes required), keeping leak and activation.
    pub fn with_params(&self, a: DMatrix<T>, w: DMatrix<T>, b: DMatrix<T>) -> Result<Self> {
        if a.shape() != self.a.shape() || w.shape() != self.w.shape() || b.shape() != self.b.shape()
        {
            return Err(LroError::ShapeMismatch {
                context: "Rnn::with_params".into(),
                detail: "new parameters must have the shapes of the old ones".into(),
            });
        }
        let mut out = Rnn::new(a, w, b)?;
        out.alpha = self.alpha.clone();
        out.activation = self.activation;
        Ok(out)
    }

    /// The parameters packed as one vector: A, then W, then B, each row-major (length on + n² + nd).
    pub fn params_flat(&self) -> Vec<T> {
        let rows = |m: &DMatrix<T>| -> Vec<T> {
            (0..m.nrows())
                .flat_map(|i| (0..m.ncols()).map(move |j| (i, j)))
                .map(|ij| m[ij].clone())
                .collect()
        };
        let mut v = rows(&self.a);
        v.extend(rows(&self.w));
        v.extend(rows(&self.b));
        v
    }

    /// A network of this one's shapes, leak and activation with parameters unpacked from
    /// [`Self::params_flat`]'s layout, over any number kind `U` (e.g. dual numbers for derivatives).
    /// The leak rate is carried over through f64 (exact when it is 1 or dyadic).
    pub fn with_params_flat<U: Real>(&self, p: &[U]) -> Result<Rnn<U>> {
        let (o, n, d) = (self.o(), self.n(), self.d());
        if p.len() != o * n + n * n + n * d {
            return Err(LroError::ShapeMismatch {
                context: "Rnn::with_params_flat".into(),
                detail: format!(
                    "{} values given, on + n² + nd = {} needed",
                    p.len(),
                    o * n + n * n + n * d
                ),
            });
        }
        let (pa, rest) = p.split_at(o * n);
        let (pw, pb) = rest.split_at(n * n);
        let m = |v: &[U], r: usize, c: usize| DMatrix::from_fn(r, c, |i, j| v[i * c + j].clone());
        let mut out = Rnn::new(m(pa, o, n), m(pw, n, n), m(pb, n, d))?;
        out.alpha = U::from_f64(self.alpha.to_f64());
        if self.alpha.is_one() {
            out.alpha = U::one();
        }
        out.activation = self.activation;
        Ok(out)
    }

    /// The same network over another number kind, entry by entry through `f`.
    pub fn map<U: Real>(&self, f: impl Fn(&T) -> U) -> Rnn<U> {
        Rnn {
            a: self.a.map(|x| f(&x)),
            w: self.w.map(|x| f(&x)),
            b: self.b.map(|x| f(&x)),
            alpha: f(&self.alpha),
            activation: self.activation,
        }
    }

    /// Checks that `xs` is a non-empty sequence of finite d-vectors.
    pub fn check_inputs(&self, xs: &[DVector<T>]) -> Result<()> {
        if xs.is_empty() {
            return Err(LroError::ZeroHorizon);
        }
        for (t, x) in xs.iter().enumerate() {
            if x.len() != self.d() {
                return Err(LroError::ShapeMismatch {
                    context: "inputs".into(),
                    detail: format!(
                        "x_{t} has length {}, the network's input dimension d is {}",
                        x.len(),
                        self.d()
                    ),
                });
            }
            if !x.iter().all(|v| v.is_finite()) {
                return Err(LroError::NotFinite {
                    name: format!("input x_{t}"),
                });
            }
        }
        Ok(())
    }

    /// The forward pass of `docs/theory/linear-rnn.md#indexing` over inputs `x_0 … x_{T-1}`.
    ///
    /// A scalar leaky network by hand: `a = 2`, `w = ½`, `b = 1`, leak `α = ½`, inputs
    /// `x_0 = x_1 = 1`. Then `u_1 = 1`, `h_1 = ½·0 + ½·1 = ½`, `u_2 = w h_1 + b x_1 = 5/4`,
    /// `h_2 = ½·½ + ½·5/4 = 7/8`, and `y = (a h_1, a h_2) = (1, 7/4)`.
    ///
    /// ```
    /// use lro::rnn::Rnn;
    /// use lro::scalar::{Rational, Real};
    /// use nalgebra::{dmatrix, dvector};
    ///
    /// let q = |n: i64, d: i64| Rational::ratio(n, d);
    /// let net = Rnn::new(dmatrix![q(2, 1)], dmatrix![q(1, 2)], dmatrix![q(1, 1)])?
    ///     .with_leak(q(1, 2))?;
    /// let traj = net.forward(&[dvector![q(1, 1)], dvector![q(1, 1)]])?;
    /// assert_eq!(traj.h, vec![dvector![q(0, 1)], dvector![q(1, 2)], dvector![q(7, 8)]]);
    /// assert_eq!(traj.u[1], dvector![q(5, 4)]);
    /// assert_eq!(traj.y, vec![dvector![q(1, 1)], dvector![q(7, 4)]]);
    /// # Ok::<(), lro::LroError>(())
    /// ```
    pub fn forward(&self, xs: &[DVector<T>]) -> Result<Trajectory<T>> {
        self.check_inputs(xs)?;
        let packed: Vec<DMatrix<T>> = xs
            .iter()
            .map(|x| DMatrix::from_column_slice(x.len(), 1, x.as_slice()))
            .collect();
        Ok(self.forward_packed(&packed)?.column(0))
    }

    /// The forward pass of B sequences at once: `xs[t]` is the d×B matrix whose column b is sample
    /// b's `x_t`. Every step is one matrix product per weight matrix. All samples share the horizon.
    pub fn forward_batch(&self, xs: &[DMatrix<T>]) -> Result<BatchTrajectory<T>> {
        let Some(first) = xs.first() else {
            return Err(LroError::ZeroHorizon);
        };
        let width = first.ncols();
        for (t, x) in xs.iter().enumerate() {
            if x.nrows() != self.d() || x.ncols() != width || width == 0 {
                return Err(LroError::ShapeMismatch {
                    context: "batched inputs".into(),
                    detail: format!(
                        "x_{t} is {}×{}; every step must be d×B = {}×{} with B ≥ 1",
                        x.nrows(),
                        x.ncols(),
                        self.d(),
                        width
                    ),
                });
            }
            check_finite(&format!("batched input x_{t}"), x)?;
        }
        self.forward_packed(xs)
    }

    /// The forward pass on checked d×B inputs (the one implementation behind both entry points).
    fn forward_packed(&self, xs: &[DMatrix<T>]) -> Result<BatchTrajectory<T>> {
        let (n, horizon, width) = (self.n(), xs.len(), xs[0].ncols());
        let leaky = !self.alpha.is_one();
        let one_minus_alpha = T::one() - self.alpha.clone();
        let gain = if faults::active(Fault::LeakTwice) {
            self.alpha.clone() * self.alpha.clone()
        } else {
            self.alpha.clone()
        };
        let mut h = Vec::with_capacity(horizon + 1);
        h.push(DMatrix::zeros(n, width));
        let mut us = Vec::with_capacity(horizon);
        let mut ds = Vec::with_capacity(horizon);
        let mut ys = Vec::with_capacity(horizon);
        for x in xs {
            let prev: &DMatrix<T> = h.last().expect("h starts with h_0");
            // U = W H_{t-1} + B X_{t-1}, two in-place products.
            let mut u = DMatrix::zeros(n, width);
            linalg::mul_into(&mut u, &self.w, prev, false);
            linalg::mul_into(&mut u, &self.b, x, true);
            let (mut next, dphi) = match self.activation {
                Activation::Identity => (u.clone(), DMatrix::from_element(n, width, T::one())),
                Activation::Tanh => {
                    let mut phi = DMatrix::zeros(n, width);
                    let mut dphi = DMatrix::zeros(n, width);
                    for ((p, d), v) in phi.iter_mut().zip(dphi.iter_mut()).zip(u.iter()) {
                        (*p, *d) = self.activation.apply(v)?;
                    }
                    (phi, dphi)
                }
            };
            if leaky {
                // h_t = (1 − α) h_{t-1} + α φ(u_t)
                next *= gain.clone();
                next += prev * one_minus_alpha.clone();
            }
            let mut y = DMatrix::zeros(self.o(), width);
            linalg::mul_into(&mut y, &self.a, &next, false);
            ys.push(y);
            h.push(next);
            us.push(u);
            ds.push(dphi);
        }
        Ok(BatchTrajectory {
            h,
            u: us,
            dphi: ds,
            y: ys,
        })
    }
}

/// Every state of a batched forward pass: column b of each matrix belongs to sample b.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchTrajectory<T: Real> {
    /// `H_0 … H_T` (n×B each; `h[0] = 0`).
    pub h: Vec<DMatrix<T>>,
    /// Pre-activations `U_1 … U_T`.
    pub u: Vec<DMatrix<T>>,
    /// Activation derivatives `φ'(U_t)`.
    pub dphi: Vec<DMatrix<T>>,
    /// Outputs `Y_1 … Y_T` (o×B).
    pub y: Vec<DMatrix<T>>,
}

impl<T: Real> BatchTrajectory<T> {
    /// The number of samples B.
    pub fn width(&self) -> usize {
        self.h[0].ncols()
    }

    /// Sample b's trajectory. Panics if `b ≥ B` (an internal index, never user input).
    pub fn column(&self, b: usize) -> Trajectory<T> {
        let col = |v: &[DMatrix<T>]| -> Vec<DVector<T>> {
            v.iter().map(|m| m.column(b).into_owned()).collect()
        };
        Trajectory {
            h: col(&self.h),
            u: col(&self.u),
            dphi: col(&self.dphi),
            y: col(&self.y),
        }
    }
}
