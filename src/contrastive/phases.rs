//! Phase processes P1–P4 (`docs/theory/contrastive.md#phase-processes`, `[assumed]`), their long-run time fractions (renewal-reward
//! theorem for P1–P3, Markov stationarity for P4, `[standard]`), and seeded samplers.
use super::Phase;
use crate::error::{LroError, Result};
use crate::faults::{self, Fault};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A distribution of phase lengths on `{1, 2, …}` (steps).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LengthDist {
    /// Deterministic length `T ≥ 1`.
    Fixed(u64),
    /// Geometric on `{1, 2, …}` with the given mean `≥ 1` (success probability `1/mean`).
    Geometric {
        /// Mean length.
        mean: f64,
    },
    /// Uniform on the integers `lo..=hi`, `1 ≤ lo ≤ hi`.
    Uniform {
        /// Smallest length.
        lo: u64,
        /// Largest length.
        hi: u64,
    },
}

impl LengthDist {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        match *self {
            LengthDist::Fixed(0) => Err(LroError::InvalidParameter {
                name: "phase length".into(),
                reason: "a fixed phase length must be at least 1 step".into(),
            }),
            LengthDist::Geometric { mean } if !(mean >= 1.0 && mean.is_finite()) => {
                Err(LroError::OutOfDomain {
                    name: "geometric mean phase length".into(),
                    value: mean,
                    reason: "the mean of a geometric length on {1,2,…} must be finite and ≥ 1"
                        .into(),
                })
            }
            LengthDist::Uniform { lo, hi } if lo == 0 || lo > hi => {
                Err(LroError::InvalidParameter {
                    name: "uniform phase length".into(),
                    reason: format!("need 1 ≤ lo ≤ hi (got lo = {lo}, hi = {hi})"),
                })
            }
            _ => Ok(()),
        }
    }
    /// Mean length `μ`.
    pub fn mean(&self) -> f64 {
        match *self {
            LengthDist::Fixed(t) => t as f64,
            LengthDist::Geometric { mean } => mean,
            LengthDist::Uniform { lo, hi } => (lo + hi) as f64 / 2.0,
        }
    }
    /// Variance of the length.
    pub fn variance(&self) -> f64 {
        match *self {
            LengthDist::Fixed(_) => 0.0,
            // Geometric on {1,2,…} with success probability q: (1 − q)/q².
            LengthDist::Geometric { mean } => mean * mean * (1.0 - 1.0 / mean),
            LengthDist::Uniform { lo, hi } => {
                let n = (hi - lo + 1) as f64;
                (n * n - 1.0) / 12.0
            }
        }
    }
    /// Second moment `E[L²]`.
    pub fn second_moment(&self) -> f64 {
        self.variance() + self.mean() * self.mean()
    }
    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        match *self {
            LengthDist::Fixed(t) => t,
            LengthDist::Geometric { mean } => {
                let q = 1.0 / mean;
                if q >= 1.0 {
                    return 1;
                }
                // Inversion: L = 1 + floor(ln U / ln(1 − q)), U ∈ (0, 1].
                let u: f64 = 1.0 - rng.random::<f64>();
                1 + (u.ln() / (1.0 - q).ln()).floor() as u64
            }
            LengthDist::Uniform { lo, hi } => rng.random_range(lo..=hi),
        }
    }
}

/// The phase processes of `docs/theory/contrastive.md#phase-processes`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PhaseProcess {
    /// P1: strict alternation with deterministic lengths (the standard, periodic schedule).
    P1 {
        /// Positive-phase length T⁺.
        t_plus: u64,
        /// Negative-phase length T⁻.
        t_minus: u64,
    },
    /// P2: strict alternation with i.i.d. random lengths.
    P2 {
        /// Positive-phase lengths D⁺.
        plus: LengthDist,
        /// Negative-phase lengths D⁻.
        minus: LengthDist,
    },
    /// P3: phase type drawn i.i.d. at each boundary (`+` with probability p), length from `D^z`.
    P3 {
        /// Probability of a positive phase at each boundary.
        p: f64,
        /// Positive-phase lengths D⁺.
        plus: LengthDist,
        /// Negative-phase lengths D⁻.
        minus: LengthDist,
    },
    /// P4: two-state Markov chain per step, `P(+→−) = α_+`, `P(−→+) = α_−`.
    P4 {
        /// Switching probability out of the positive phase.
        alpha_plus: f64,
        /// Switching probability out of the negative phase.
        alpha_minus: f64,
    },
}

impl PhaseProcess {
    /// Short name ("P1" … "P4").
    pub fn name(&self) -> &'static str {
        match self {
            PhaseProcess::P1 { .. } => "P1",
            PhaseProcess::P2 { .. } => "P2",
            PhaseProcess::P3 { .. } => "P3",
            PhaseProcess::P4 { .. } => "P4",
        }
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        let prob = |name: &str, v: f64| {
            if v > 0.0 && v < 1.0 {
                Ok(())
            } else {
                Err(LroError::OutOfDomain {
                    name: name.into(),
                    value: v,
                    reason: "must lie strictly between 0 and 1".into(),
                })
            }
        };
        match *self {
            PhaseProcess::P1 { t_plus, t_minus } => {
                LengthDist::Fixed(t_plus).validate()?;
                LengthDist::Fixed(t_minus).validate()
            }
            PhaseProcess::P2 { plus, minus } => {
                plus.validate()?;
                minus.validate()
            }
            PhaseProcess::P3 { p, plus, minus } => {
                prob("p", p)?;
                plus.validate()?;
                minus.validate()
            }
            PhaseProcess::P4 {
                alpha_plus,
                alpha_minus,
            } => {
                // α = 1 is allowed (deterministic switching); α = 0 is not (absorbing).
                for (name, a) in [("alpha_plus", alpha_plus), ("alpha_minus", alpha_minus)] {
                    if !(a > 0.0 && a <= 1.0) {
                        return Err(LroError::OutOfDomain {
                            name: name.into(),
                            value: a,
                            reason: "a switching probability must lie in (0, 1]".into(),
                        });
                    }
                }
                Ok(())
            }
        }
    }

    /// The positive phase's length distribution (P4: geometric with mean `1/α_+`).
    pub fn plus_lengths(&self) -> LengthDist {
        match *self {
            PhaseProcess::P1 { t_plus, .. } => LengthDist::Fixed(t_plus),
            PhaseProcess::P2 { plus, .. } | PhaseProcess::P3 { plus, .. } => plus,
            PhaseProcess::P4 { alpha_plus, .. } => LengthDist::Geometric {
                mean: 1.0 / alpha_plus,
            },
        }
    }
    /// The negative phase's length distribution (P4: geometric with mean `1/α_−`).
    pub fn minus_lengths(&self) -> LengthDist {
        match *self {
            PhaseProcess::P1 { t_minus, .. } => LengthDist::Fixed(t_minus),
            PhaseProcess::P2 { minus, .. } | PhaseProcess::P3 { minus, .. } => minus,
            PhaseProcess::P4 { alpha_minus, .. } => LengthDist::Geometric {
                mean: 1.0 / alpha_minus,
            },
        }
    }

    /// Long-run fraction of steps in the positive phase, `π⁺` (`docs/theory/contrastive.md#phase-processes` table).
    pub fn pi_plus(&self) -> f64 {
        match *self {
            PhaseProcess::P1 { t_plus, t_minus } => t_plus as f64 / (t_plus + t_minus) as f64,
            PhaseProcess::P2 { plus, minus } => plus.mean() / (plus.mean() + minus.mean()),
            PhaseProcess::P3 { p, plus, minus } => {
                p * plus.mean() / (p * plus.mean() + (1.0 - p) * minus.mean())
            }
            PhaseProcess::P4 {
                alpha_plus,
                alpha_minus,
            } => alpha_minus / (alpha_plus + alpha_minus),
        }
    }

    /// Mean sojourn (phase) length of phase `z` (P3: of one drawn phase, consecutive phases of the
    /// same type counted separately; P4: of a maximal run, `1/α_z`).
    pub fn mean_sojourn(&self, z: Phase) -> f64 {
        match z {
            Phase::Plus => self.plus_lengths().mean(),
            Phase::Minus => self.minus_lengths().mean(),
        }
    }

    /// Asymptotic variance of the empirical positive-time fraction per renewal cycle, in the form
    /// `Var(π̂⁺) ≈ v / K` after `K` cycles, from the renewal-reward CLT (delta method):
    /// `v = Var(R − π⁺ C) / E[C]²` with reward `R` (positive steps) and length `C` of a cycle.
    /// A cycle is one `(+, −)` pair for P1, P2 and P4, and one drawn phase for P3.
    pub fn fraction_variance_per_cycle(&self) -> f64 {
        let pi = self.pi_plus();
        match *self {
            PhaseProcess::P3 { p, plus, minus } => {
                // Y = L (1{+} − π): E[Y²] = p (1−π)² E[L⁺²] + (1−p) π² E[L⁻²].
                let ey2 = p * (1.0 - pi).powi(2) * plus.second_moment()
                    + (1.0 - p) * pi * pi * minus.second_moment();
                let mu = p * plus.mean() + (1.0 - p) * minus.mean();
                ey2 / (mu * mu)
            }
            _ => {
                let (dp, dm) = (self.plus_lengths(), self.minus_lengths());
                // Y = (1 − π) L⁺ − π L⁻.
                let var = (1.0 - pi).powi(2) * dp.variance() + pi * pi * dm.variance();
                let mu = dp.mean() + dm.mean();
                var / (mu * mu)
            }
        }
    }
}

/// One phase of a schedule: its type and length in steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhaseRun {
    /// Phase type.
    pub phase: Phase,
    /// Length in steps (≥ 1).
    pub len: u64,
}

/// A seeded sampler of a phase process, step by step or phase by phase.
///
/// P1 and P2 start with a positive phase; P3 draws the first type; P4 starts in `+`. For P4 the
/// sampler runs the per-step Markov chain and [`PhaseSampler::next_run`] returns maximal runs; for
/// P3 consecutive drawn phases of the same type are returned separately by `next_run`.
#[derive(Clone, Debug)]
pub struct PhaseSampler {
    process: PhaseProcess,
    rng: ChaCha8Rng,
    current: Phase,
    remaining: u64,
    started: bool,
}

impl PhaseSampler {
    /// A sampler seeded with `seed`; fails on invalid parameters.
    pub fn new(process: PhaseProcess, seed: u64) -> Result<Self> {
        process.validate()?;
        Ok(PhaseSampler {
            process,
            rng: ChaCha8Rng::seed_from_u64(seed),
            current: Phase::Minus,
            remaining: 0,
            started: false,
        })
    }

    /// The process being sampled.
    pub fn process(&self) -> &PhaseProcess {
        &self.process
    }

    fn draw_run(&mut self) -> PhaseRun {
        let phase = match self.process {
            PhaseProcess::P1 { .. } | PhaseProcess::P2 { .. } => {
                if self.started {
                    self.current.other()
                } else {
                    Phase::Plus
                }
            }
            PhaseProcess::P3 { p, .. } => {
                if self.rng.random::<f64>() < p {
                    Phase::Plus
                } else {
                    Phase::Minus
                }
            }
            PhaseProcess::P4 { .. } => unreachable!("P4 is sampled per step"),
        };
        let dist = match phase {
            Phase::Plus => self.process.plus_lengths(),
            Phase::Minus => self.process.minus_lengths(),
        };
        let mut len = dist.sample(&mut self.rng);
        if faults::active(Fault::PhaseLengthOffByOne) {
            len += 1;
        }
        self.started = true;
        PhaseRun { phase, len }
    }

    /// The phase of the next step.
    pub fn next_step(&mut self) -> Phase {
        if let PhaseProcess::P4 {
            alpha_plus,
            alpha_minus,
        } = self.process
        {
            if !self.started {
                self.started = true;
                self.current = Phase::Plus;
                return Phase::Plus;
            }
            let alpha = match self.current {
                Phase::Plus => alpha_plus,
                Phase::Minus => alpha_minus,
            };
            if self.rng.random::<f64>() < alpha {
                self.current = self.current.other();
            }
            return self.current;
        }
        if self.remaining == 0 {
            let run = self.draw_run();
            self.current = run.phase;
            self.remaining = run.len;
        }
        self.remaining -= 1;
        self.current
    }

    /// The next phase (type and length). For P4, the next maximal run of the per-step chain
    /// (sampled step by step; the run ends at the first switch). Do not mix with `next_step` for P4.
    pub fn next_run(&mut self) -> PhaseRun {
        if let PhaseProcess::P4 {
            alpha_plus,
            alpha_minus,
        } = self.process
        {
            let phase = if self.started {
                self.current.other()
            } else {
                Phase::Plus
            };
            self.started = true;
            self.current = phase;
            let alpha = match phase {
                Phase::Plus => alpha_plus,
                Phase::Minus => alpha_minus,
            };
            let mut len = 1;
            while self.rng.random::<f64>() >= alpha {
                len += 1;
            }
            return PhaseRun { phase, len };
        }
        let run = self.draw_run();
        self.current = run.phase;
        run
    }

    /// The phases of the next `n` steps.
    pub fn steps(&mut self, n: usize) -> Vec<Phase> {
        (0..n).map(|_| self.next_step()).collect()
    }
}

/// Maximal runs of equal phases in a step sequence (the last run may be cut off by the end).
pub fn runs(steps: &[Phase]) -> Vec<PhaseRun> {
    let mut out: Vec<PhaseRun> = Vec::new();
    for &z in steps {
        match out.last_mut() {
            Some(r) if r.phase == z => r.len += 1,
            _ => out.push(PhaseRun { phase: z, len: 1 }),
        }
    }
    out
}
