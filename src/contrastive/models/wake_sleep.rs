//! Wake-sleep on a tiny Helmholtz machine (Hinton, Dayan, Frey & Neal 1995; `docs/theory/contrastive.md#wake-sleep`), in the
//! blockwise CL form of `docs/theory/contrastive.md#wake-sleep` (`[derived, unchecked]`, checked by P-CL-7's wake-sleep part):
//! `f = (−∇_{gen} log p(x, h), 0)` in the wake (+) phase and `f = (0, +∇_{rec} log q(h | x))` in the
//! sleep (−) phase, so Eq.3-R with σ = ±1 applies exactly each phase's delta rule.
//!
//! Machine: one binary hidden unit h and `n_x` binary visibles. Generative: `p(h=1) = σ(c)`,
//! `p(x_i = 1 | h) = σ(G_i h + d_i)`. Recognition: `q(h=1 | x) = σ(Σ_i R_i x_i + e)`. Parameters
//! `θ = (c, G, d | R, e)`: a generative block of size `1 + 2n_x` and a recognition block of size
//! `n_x + 1`. Each phase is a single ancestral pass (non-equilibrium CL: no transient).
use crate::contrastive::Phase;
use crate::contrastive::driver::ClModel;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The Helmholtz machine with a data distribution over the `2^{n_x}` visible vectors.
#[derive(Clone, Debug, PartialEq)]
pub struct Helmholtz {
    /// Number of visible units.
    pub n_x: usize,
    /// Data distribution over visible vectors (bit i of the index = unit i).
    pub data: Vec<f64>,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Helmholtz {
    /// Size of the generative block.
    pub fn n_gen(&self) -> usize {
        1 + 2 * self.n_x
    }
    /// Total number of parameters.
    pub fn n_params(&self) -> usize {
        self.n_gen() + self.n_x + 1
    }
    fn q1(&self, theta: &[f64], x: usize) -> f64 {
        let g = self.n_gen();
        let mut a = theta[g + self.n_x];
        for i in 0..self.n_x {
            a += theta[g + i] * ((x >> i) & 1) as f64;
        }
        sigmoid(a)
    }
    fn px1(&self, theta: &[f64], h: f64, i: usize) -> f64 {
        sigmoid(theta[1 + i] * h + theta[1 + self.n_x + i])
    }
    /// The statistic of a wake sample `(x, h)`: `(−∇_{gen} log p(x, h), 0)` (delta rule).
    pub fn wake_stat(&self, theta: &[f64], x: usize, h: f64) -> Vec<f64> {
        let mut f = vec![0.0; self.n_params()];
        f[0] = -(h - sigmoid(theta[0]));
        for i in 0..self.n_x {
            let xi = ((x >> i) & 1) as f64;
            let err = xi - self.px1(theta, h, i);
            f[1 + i] = -err * h;
            f[1 + self.n_x + i] = -err;
        }
        f
    }
    /// The statistic of a sleep sample `(x, h)`: `(0, +∇_{rec} log q(h | x))` (delta rule).
    pub fn sleep_stat(&self, theta: &[f64], x: usize, h: f64) -> Vec<f64> {
        let mut f = vec![0.0; self.n_params()];
        let g = self.n_gen();
        let err = h - self.q1(theta, x);
        for i in 0..self.n_x {
            f[g + i] = err * ((x >> i) & 1) as f64;
        }
        f[g + self.n_x] = err;
        f
    }
    /// Exact `(g⁺, g⁻)` by enumeration: wake expectation under `p_data(x) q(h|x)`, sleep under
    /// `p(h) p(x|h)`.
    pub fn g_plus_minus(&self, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let d = self.n_params();
        let (mut gp, mut gm) = (vec![0.0; d], vec![0.0; d]);
        for x in 0..1usize << self.n_x {
            for hb in 0..2 {
                let h = hb as f64;
                let q = self.q1(theta, x);
                let wq = self.data[x] * if hb == 1 { q } else { 1.0 - q };
                let ph = sigmoid(theta[0]);
                let mut wp = if hb == 1 { ph } else { 1.0 - ph };
                for i in 0..self.n_x {
                    let p = self.px1(theta, h, i);
                    wp *= if (x >> i) & 1 == 1 { p } else { 1.0 - p };
                }
                for (g, f) in gp.iter_mut().zip(self.wake_stat(theta, x, h)) {
                    *g += wq * f;
                }
                for (g, f) in gm.iter_mut().zip(self.sleep_stat(theta, x, h)) {
                    *g += wp * f;
                }
            }
        }
        (gp, gm)
    }
}

impl ClModel for Helmholtz {
    type State = (usize, f64, Phase);
    fn dim(&self) -> usize {
        self.n_params()
    }
    fn stat(&self, a: &(usize, f64, Phase), theta: &[f64]) -> Vec<f64> {
        match a.2 {
            Phase::Plus => self.wake_stat(theta, a.0, a.1),
            Phase::Minus => self.sleep_stat(theta, a.0, a.1),
        }
    }
    fn step(
        &self,
        _a: &(usize, f64, Phase),
        theta: &[f64],
        z: Phase,
        rng: &mut ChaCha8Rng,
    ) -> (usize, f64, Phase) {
        match z {
            Phase::Plus => {
                let u: f64 = rng.random();
                let mut acc = 0.0;
                let mut x = self.data.len() - 1;
                for (v, p) in self.data.iter().enumerate() {
                    acc += p;
                    if u < acc {
                        x = v;
                        break;
                    }
                }
                let h = if rng.random::<f64>() < self.q1(theta, x) {
                    1.0
                } else {
                    0.0
                };
                (x, h, z)
            }
            Phase::Minus => {
                let h = if rng.random::<f64>() < sigmoid(theta[0]) {
                    1.0
                } else {
                    0.0
                };
                let mut x = 0;
                for i in 0..self.n_x {
                    if rng.random::<f64>() < self.px1(theta, h, i) {
                        x |= 1 << i;
                    }
                }
                (x, h, z)
            }
        }
    }
}
