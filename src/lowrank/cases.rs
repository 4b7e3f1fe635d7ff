//! Training cases for the low-rank checks (P-RNN-35 … 37): one description of a run (instance,
//! update kind, loss, schedule, steps, data, ŵ) that runs over any [`Real`] and is measured exactly
//! (rationals) or in f64. Shared by the catalogue entries and `tests/lowrank_*.rs`.
use super::{Change, excess_rank_exact, krylov_union, param_scale, projector_residual, sv_gap};
use crate::error::Result;
use crate::linalg;
use crate::rnn::{Instance, InstanceSpec, Rnn};
use crate::rules::{Feedback, Loss, Rule, online::SamplePair};
use crate::scalar::Real;
use crate::tolerances;
use crate::train::{self, Data, Recording, Schedule, TrainConfig, TrainResult, Updates};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Which rule a case trains, and which space its changes are measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contrast {
    /// RFLO; space `col(Rᵀ)` (Proposition 3.1).
    Rflo,
    /// One-step tBPTT with A frozen; space `col(A_0ᵀ)` (`docs/theory/lowrank.md#other-rules`).
    TbpttFrozenA,
    /// One-step tBPTT with A trained; measured against `col(A_0ᵀ)` (it escapes generically).
    TbpttFreeA,
    /// e-prop with random feedback R; space: the sum of the order-T Krylov spaces
    /// `span{Rᵀ, D_k Rᵀ, …, D_k^{T−1} Rᵀ}` over the visited `D_k = diag(W_k)` (`docs/theory/lowrank.md#other-rules`).
    Eprop,
    /// BPTT; measured against `col(A_0ᵀ)` (it escapes generically).
    Bptt,
}

/// Where the samples come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKind {
    /// Rademacher white noise, targets from the teacher.
    White,
    /// Three fixed pairs of non-white inputs (entries k/4, not zero-mean) and arbitrary targets.
    Fixed,
}

/// One training case.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// Instance (seed, dimensions, horizon).
    pub spec: InstanceSpec,
    /// Data-aligned init and feedback (needs `n_teacher = n`) or generic.
    pub aligned: bool,
    /// Online, mini-batch or expected updates (expected uses white input; `data` is then ignored).
    pub updates: Updates,
    /// Final-step or sequence loss.
    pub loss: Loss,
    /// ŵ; `None` keeps the instance's draw (|ŵ| < 1). Any finite value is allowed.
    pub w_hat: Option<f64>,
    /// Learning rate η (a dyadic value keeps rational runs exact).
    pub eta: f64,
    /// `Some(k0)`: decaying rate `η/(1 + k/k0)`; `None`: constant.
    pub decay: Option<u64>,
    /// Number of steps K.
    pub steps: usize,
    /// Data of online and mini-batch runs.
    pub data: DataKind,
}

/// What a case's run showed, for the measured matrices `W_K − W_0`, `B_K − B_0` and the stacked
/// `[W_K − W_0 | B_K − B_0]` (index 0, 1, 2).
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// Whether the run was over exact rationals (then `excess` and `rank` are exact).
    pub exact: bool,
    /// Rank of the reference space (exact, or numerical at `RANK_REL_GAP`).
    pub space_rank: usize,
    /// Exact: independent directions outside the reference space (0 = contained). f64: 0.
    pub excess: [usize; 3],
    /// Rank of each change (exact, or numerical at `RANK_REL_GAP` relative to σ_1).
    pub rank: [usize; 3],
    /// `σ_{r+1} / max(σ_1, scale)` with r = `space_rank`.
    pub gap: [f64; 3],
    /// Projector residual outside the reference space, relative to `scale` (f64 computation).
    pub residual: [f64; 3],
    /// Exact: `rank([Rᵀ | (A_K − A_0)ᵀ]) − rank(Rᵀ)` (A's change leaving `row(R)`). f64: 0.
    pub a_excess: usize,
    /// Projector residual of `(A_K − A_0)ᵀ` outside `col(Rᵀ)`, relative to `scale`.
    pub a_residual: f64,
    /// The largest absolute parameter over the run (every visited state): the scale of f64
    /// rounding in `θ_K − θ_0`.
    pub scale: f64,
    /// Whether the run diverged.
    pub diverged: bool,
    /// Updates applied.
    pub steps_done: usize,
}

impl Case {
    /// Draws the case's instance (in f64; every value is dyadic, so it casts exactly).
    pub fn instance(&self) -> Result<Instance<f64>> {
        let mut inst = if self.aligned {
            InstanceSpec {
                n_teacher: self.spec.n,
                ..self.spec
            }
            .draw_aligned()?
            .0
        } else {
            self.spec.draw()?
        };
        if let Some(w) = self.w_hat {
            inst.w_hat = w;
        }
        Ok(inst)
    }

    /// The fixed data set of [`DataKind::Fixed`]: three pairs with entries in {k/4 : −4 ≤ k ≤ 5}.
    pub fn fixed_data(&self) -> Vec<SamplePair<f64>> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.spec.seed ^ 0x5eed);
        let seq = |rng: &mut ChaCha8Rng, dim: usize| -> Vec<DVector<f64>> {
            (0..self.spec.horizon)
                .map(|_| DVector::from_fn(dim, |_, _| rng.random_range(-4..=5) as f64 / 4.0))
                .collect()
        };
        (0..3)
            .map(|_| (seq(&mut rng, self.spec.d), seq(&mut rng, self.spec.o)))
            .collect()
    }

    /// The training configuration for `rule` over `T`.
    pub fn config<T: Real>(&self, rule: Rule<T>) -> TrainConfig<T> {
        let eta = T::from_f64(self.eta);
        let schedule = match self.decay {
            None => Schedule::Constant(eta),
            Some(k0) => Schedule::Decaying { eta0: eta, k0 },
        };
        let mut cfg = TrainConfig::new(
            rule,
            self.updates.clone(),
            self.loss,
            self.spec.horizon,
            self.steps,
            schedule,
        );
        cfg.seed = self.spec.seed;
        cfg.data = match self.data {
            DataKind::White => Data::Rademacher,
            DataKind::Fixed => Data::Fixed(self.fixed_data()),
        };
        cfg.record = Recording {
            every: 0,
            loss: false,
            alignment: None,
            params: false,
        };
        cfg
    }

    /// Runs the case with the contrast's rule over `T`; returns the instance, the run, and the
    /// reference space's spanning matrix (n × r).
    pub fn run<T: Real>(
        &self,
        contrast: Contrast,
    ) -> Result<(Instance<T>, TrainResult<T>, DMatrix<T>)> {
        let inst = self.instance()?.cast::<T>();
        let r = inst.feedback.clone();
        let rule = match contrast {
            Contrast::Rflo => Rule::Rflo {
                feedback: r.clone(),
                w_hat: inst.w_hat.clone(),
            },
            Contrast::TbpttFrozenA | Contrast::TbpttFreeA => Rule::Tbptt { k: 1 },
            Contrast::Eprop => Rule::Eprop {
                feedback: Feedback::Random(r.clone()),
            },
            Contrast::Bptt => Rule::Bptt,
        };
        let mut cfg = self.config(rule);
        if contrast == Contrast::TbpttFrozenA {
            cfg.freeze.a = true;
        }
        if contrast == Contrast::Eprop {
            cfg.record.params = true;
            cfg.record.every = 1;
        }
        let res = train::train(&inst.st, &cfg)?;
        let space = match contrast {
            Contrast::Rflo => r.transpose(),
            Contrast::Eprop => {
                // The states at which the applied updates were computed: θ_0 … θ_{K−1}.
                let path: Vec<Rnn<T>> = res
                    .checkpoints
                    .iter()
                    .filter(|c| c.step < res.steps_done)
                    .filter_map(|c| c.params.clone())
                    .collect();
                krylov_union(&path, &r, self.spec.horizon)
            }
            _ => inst.st.student.a().transpose(),
        };
        Ok((inst, res, space))
    }

    /// Runs and measures the case (see [`Measurement`]).
    pub fn measure<T: Real>(&self, contrast: Contrast) -> Result<Measurement> {
        let (inst, res, space) = self.run::<T>(contrast)?;
        let change = Change::between(&inst.st.student, &res.net)?;
        let mats = [change.w.clone(), change.b.clone(), change.stacked()];
        let exact = T::is_exact();
        let space_f = linalg::to_f64(&space);
        let space_rank = if exact {
            linalg::exact_rank(&space)
        } else {
            super::numerical_rank(&space_f, tolerances::RANK_REL_GAP)
        };
        let scale = res.peak.max(param_scale(&inst.st.student, &res.net));
        let mut excess = [0; 3];
        let mut rank = [0; 3];
        let mut gap = [0.0; 3];
        let mut residual = [0.0; 3];
        for (i, m) in mats.iter().enumerate() {
            let mf = linalg::to_f64(m);
            if exact {
                excess[i] = excess_rank_exact(&space, m);
                rank[i] = linalg::exact_rank(m);
            } else {
                rank[i] = super::numerical_rank(&mf, tolerances::RANK_REL_GAP);
            }
            gap[i] = sv_gap(&mf, space_rank, scale);
            residual[i] = over_scale(projector_residual(&space_f, &mf), scale);
        }
        let rt = inst.feedback.transpose();
        let at = change.a.transpose();
        let a_excess = if exact {
            excess_rank_exact(&rt, &at)
        } else {
            0
        };
        let a_residual = over_scale(
            projector_residual(&linalg::to_f64(&rt), &linalg::to_f64(&at)),
            scale,
        );
        Ok(Measurement {
            exact,
            space_rank,
            excess,
            rank,
            gap,
            residual,
            a_excess,
            a_residual,
            scale,
            diverged: res.divergence.is_some(),
            steps_done: res.steps_done,
        })
    }
}

/// `x / scale`, or `x` when the scale is 0 (a residual relative to its matrix's size).
fn over_scale(x: f64, scale: f64) -> f64 {
    if scale > 0.0 { x / scale } else { x }
}

/// The deterministic sweep of cases used by the catalogue entries P-RNN-35 … 37: every combination
/// of aligned/generic init, online/mini-batch/expected updates, final/sequence loss, constant/
/// decaying rate, white/fixed data, cycling ŵ over {instance draw, 0, −1.5, 2}, seeds from `seed0`.
/// `exact` selects small short cases (rational runs) or larger long ones (f64, `steps` steps,
/// every fourth case with a large rate that makes it diverge).
pub fn sweep(count: usize, seed0: u64, exact: bool, steps: usize) -> Vec<Case> {
    (0..count)
        .map(|i| sweep_case(i, seed0, exact, steps))
        .collect()
}

/// Case `i` of [`sweep`] (the same case whatever the sweep's length, so one case reruns alone).
pub fn sweep_case(i: usize, seed0: u64, exact: bool, steps: usize) -> Case {
    let w_hats = [None, Some(0.0), Some(-1.5), Some(2.0)];
    let seed = seed0 + i as u64;
    let (o, n, d, horizon) = if exact {
        (1 + i % 2, 3 + i % 2, 1 + i % 3, 1 + i % 3)
    } else {
        (1 + i % 2, 4 + i % 4, 1 + i % 4, 2 + i % 5)
    };
    let updates = match i % 3 {
        0 => Updates::Online,
        1 => Updates::MiniBatch { batch: 2 },
        _ => Updates::Expected,
    };
    let diverge = !exact && i % 4 == 3;
    Case {
        spec: InstanceSpec {
            seed,
            o,
            n,
            n_teacher: 2,
            d,
            horizon,
        },
        aligned: i % 2 == 1,
        updates,
        loss: if (i / 2).is_multiple_of(2) {
            Loss::Final
        } else {
            Loss::Sequence
        },
        w_hat: w_hats[i % 4],
        eta: if diverge { 4.0 } else { 1.0 / 16.0 },
        decay: if (i / 3).is_multiple_of(2) {
            None
        } else {
            Some(5)
        },
        steps,
        data: if (i / 5).is_multiple_of(2) {
            DataKind::White
        } else {
            DataKind::Fixed
        },
    }
}

/// A continuous (Gaussian) student–teacher pair with feedback, for statements that hold with
/// probability 1 ("generically"): entries of A, R ~ N(0, 1/n), W ~ N(0, 1/(4n)), B ~ N(0, 1).
pub fn gaussian_instance(
    seed: u64,
    o: usize,
    n: usize,
    d: usize,
) -> Result<(crate::rnn::StudentTeacher<f64>, DMatrix<f64>)> {
    use rand_distr::StandardNormal;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut g = |r: usize, c: usize, std: f64| {
        DMatrix::from_fn(r, c, |_, _| std * rng.sample::<f64, _>(StandardNormal))
    };
    let s = (n as f64).sqrt();
    let student = Rnn::new(g(o, n, 1.0 / s), g(n, n, 0.5 / s), g(n, d, 1.0))?;
    let teacher = Rnn::new(g(o, n, 1.0 / s), g(n, n, 0.5 / s), g(n, d, 1.0))?;
    let r = g(o, n, 1.0 / s);
    Ok((crate::rnn::StudentTeacher::new(student, teacher)?, r))
}
