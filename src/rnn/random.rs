//! Seeded random instances for checks and property tests.
//!
//! Every value is a dyadic rational (k/8, k/(4n), ±1), so one draw can be run exactly over
//! `Rational` and in floating point over `f64`, and the two runs see the same numbers.
use super::aligned::{AlignedBasis, Mode};
use super::inputs::{self, Sequence};
use super::model::Rnn;
use super::task::StudentTeacher;
use crate::error::{LroError, Result};
use crate::scalar::Real;
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to draw: a seed and the dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceSpec {
    /// Seed of the ChaCha8 generator.
    pub seed: u64,
    /// Output dimension o.
    pub o: usize,
    /// Student hidden dimension n.
    pub n: usize,
    /// Teacher hidden dimension.
    pub n_teacher: usize,
    /// Input dimension d.
    pub d: usize,
    /// Horizon T.
    pub horizon: usize,
}

/// A drawn instance: student, teacher, RFLO feedback and ŵ, one input sequence and its targets.
#[derive(Clone, Debug)]
pub struct Instance<T: Real> {
    /// Student and teacher.
    pub st: StudentTeacher<T>,
    /// A feedback matrix R (o×n) for RFLO and random e-prop.
    pub feedback: DMatrix<T>,
    /// A surrogate ŵ with |ŵ| < 1.
    pub w_hat: T,
    /// Horizon T.
    pub horizon: usize,
    /// One Rademacher input sequence `x_0 … x_{T-1}`.
    pub xs: Sequence<T>,
    /// The teacher's outputs on `xs`.
    pub targets: Sequence<T>,
}

/// Size classes of drawn instances; [`InstanceSpec::sized`] draws the dimensions within them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceSize {
    /// Exact runs over rationals: o, d ≤ 3, n ≤ 4, T ≤ 6.
    Small,
    /// f64 runs: o, n, d ≤ 8, T ≤ 30.
    Large,
    /// Exact enumeration of Rademacher inputs: o ≤ 3, n ≤ 3, d ≤ 2, d·T ≤ 10.
    Enumerable,
    /// Monte Carlo: o, d ≤ 3, n ≤ 4, T ≤ 8.
    MonteCarlo,
}

impl std::fmt::Display for InstanceSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InstanceSize::Small => "o, d ≤ 3, n ≤ 4, T ≤ 6",
            InstanceSize::Large => "o, n, d ≤ 8, T ≤ 30",
            InstanceSize::Enumerable => "o, n ≤ 3, d ≤ 2, d·T ≤ 10",
            InstanceSize::MonteCarlo => "o, d ≤ 3, n ≤ 4, T ≤ 8",
        })
    }
}

impl InstanceSpec {
    /// The spec drawn for `seed` within a size class (the dimensions are drawn from the seed too,
    /// so the seed alone reproduces the instance).
    pub fn sized(seed: u64, size: InstanceSize) -> InstanceSpec {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005e_ed0f_d1e5);
        let (o, n, d, t) = match size {
            InstanceSize::Small => (3, 4, 3, 6),
            InstanceSize::Large => (8, 8, 8, 30),
            InstanceSize::Enumerable => (3, 3, 2, 5),
            InstanceSize::MonteCarlo => (3, 4, 3, 8),
        };
        let d = rng.random_range(1..=d);
        let horizon = match size {
            InstanceSize::Enumerable => rng.random_range(1..=(10 / d).min(t)),
            _ => rng.random_range(1..=t),
        };
        InstanceSpec {
            seed,
            o: rng.random_range(1..=o),
            n: rng.random_range(1..=n),
            n_teacher: rng.random_range(1..=n),
            d,
            horizon,
        }
    }
}

fn grid<R: Rng>(rng: &mut R, rows: usize, cols: usize, k: i64, den: f64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-k..=k) as f64 / den)
}

impl InstanceSpec {
    fn validate(&self) -> Result<()> {
        if self.o == 0 || self.n == 0 || self.n_teacher == 0 || self.d == 0 {
            return Err(LroError::InvalidParameter {
                name: "instance dimensions".into(),
                reason: format!("o, n, n_teacher, d must be ≥ 1, got {self:?}"),
            });
        }
        if self.horizon == 0 {
            return Err(LroError::ZeroHorizon);
        }
        Ok(())
    }

    /// A generic (non-aligned) instance: entries of A, B, R in {k/8 : |k| ≤ 8}, of W in
    /// {k/(4n) : |k| ≤ 3} (so ‖W‖_∞ ≤ 3/4 and trajectories stay bounded), ŵ in {k/8 : |k| ≤ 7}.
    pub fn draw(&self) -> Result<Instance<f64>> {
        self.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let student = Rnn::new(
            grid(&mut rng, self.o, self.n, 8, 8.0),
            grid(&mut rng, self.n, self.n, 3, 4.0 * self.n as f64),
            grid(&mut rng, self.n, self.d, 8, 8.0),
        )?;
        let nt = self.n_teacher;
        let teacher = Rnn::new(
            grid(&mut rng, self.o, nt, 8, 8.0),
            grid(&mut rng, nt, nt, 3, 4.0 * nt as f64),
            grid(&mut rng, nt, self.d, 8, 8.0),
        )?;
        self.finish(StudentTeacher::new(student, teacher)?, &mut rng)
    }

    /// A data-aligned instance (`docs/theory/linear-rnn.md#data-alignment`): shared U, V; hidden bases P (student) and P* (teacher);
    /// modes with a, b in {k/4 : |k| ≤ 6}, |w| ≤ 3/4; aligned feedback R = U R̄ Pᵀ. Requires
    /// `n_teacher = n`. Returns the instance and the student's bases. Built in `T`'s arithmetic, so over
    /// `Rational` the bases are exactly orthogonal and the network exactly aligned; the same seed gives
    /// the same instance (up to rounding) for every number kind.
    pub fn draw_aligned<T: Real>(&self) -> Result<(Instance<T>, AlignedBasis<T>)> {
        self.validate()?;
        if self.n_teacher != self.n {
            return Err(LroError::InvalidParameter {
                name: "n_teacher".into(),
                reason: "aligned instances use n_teacher = n".into(),
            });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let basis = AlignedBasis::<T>::random(self.o, self.n, self.d, &mut rng)?;
        let teacher_basis = AlignedBasis::new(
            basis.u.clone(),
            basis.v.clone(),
            crate::linalg::random_orthogonal(self.n, &mut rng),
        )?;
        let modes = |rng: &mut ChaCha8Rng| -> Vec<Mode<T>> {
            (0..self.n)
                .map(|i| {
                    let a = if i < self.o {
                        rng.random_range(-6..=6) as f64 / 4.0
                    } else {
                        0.0
                    };
                    let b = if i < self.d {
                        rng.random_range(-6..=6) as f64 / 4.0
                    } else {
                        0.0
                    };
                    let w = rng.random_range(-3..=3) as f64 / 4.0;
                    Mode::new(T::from_f64(a), T::from_f64(b), T::from_f64(w))
                })
                .collect()
        };
        let student = basis.build(&modes(&mut rng))?;
        let teacher = teacher_basis.build(&modes(&mut rng))?;
        let a_hat: Vec<T> = (0..self.o.min(self.n))
            .map(|_| T::from_f64(rng.random_range(-8..=8) as f64 / 8.0))
            .collect();
        let mut inst = self.finish(StudentTeacher::new(student, teacher)?, &mut rng)?;
        inst.feedback = basis.feedback(&a_hat)?;
        Ok((inst, basis))
    }

    fn finish<T: Real>(&self, st: StudentTeacher<T>, rng: &mut ChaCha8Rng) -> Result<Instance<T>> {
        let feedback = grid(rng, self.o, self.n, 8, 8.0).map(T::from_f64);
        let w_hat = T::from_f64(rng.random_range(-7..=7) as f64 / 8.0);
        let xs = inputs::cast(&inputs::rademacher(self.d, self.horizon, rng));
        let targets = st.targets(&xs)?;
        Ok(Instance {
            st,
            feedback,
            w_hat,
            horizon: self.horizon,
            xs,
            targets,
        })
    }
}

impl Instance<f64> {
    /// The same instance over another number kind (exact for rationals: every value is dyadic).
    pub fn cast<T: Real>(&self) -> Instance<T> {
        let f = |x: &f64| T::from_f64(*x);
        Instance {
            st: StudentTeacher {
                student: self.st.student.map(f),
                teacher: self.st.teacher.map(f),
            },
            feedback: self.feedback.map(T::from_f64),
            w_hat: T::from_f64(self.w_hat),
            horizon: self.horizon,
            xs: inputs::cast(&self.xs),
            targets: inputs::cast(&self.targets),
        }
    }
}
