//! One rule on one seed at one point: the seed's draw (teacher bases, student init, feedback), the
//! rule, the training run and what it leaves behind ([`RunRecord`]), including the effective
//! per-mode parameters of every teacher mode at the start and the end ([`ModeState`]).
use super::{FeedbackDist, Point, RULES, Result, StudyError, UpdateKind, W_STAR};
use crate::linalg;
use crate::modes::systems::spectral_radius;
use crate::rnn::{Rnn, StudentTeacher};
use crate::rules::{Feedback, Loss, Rule};
use crate::tolerances;
use crate::train::{self, Data, Recording, Schedule, TrainConfig, Updates};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// One seed's draw at a point: the student–teacher pair, the feedback R, and the teacher's output
/// and input bases U (o×o) and V (d×d).
#[derive(Clone, Debug)]
pub struct Draw {
    /// Student and teacher.
    pub st: StudentTeacher<f64>,
    /// Feedback R (o×n).
    pub feedback: DMatrix<f64>,
    /// Output basis U.
    pub u: DMatrix<f64>,
    /// Input basis V.
    pub v: DMatrix<f64>,
}

fn gaussian(rng: &mut ChaCha8Rng, rows: usize, cols: usize, std: f64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| {
        std * rng.sample::<f64, _>(StandardNormal)
    })
}

/// Draws seed `seed`'s teacher bases, student init and feedback at point `p`.
pub fn draw(p: &Point, seed: u64) -> Result<Draw> {
    p.validate()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (n, d, o, m) = (p.n, p.d, p.o, p.modes);
    let u: DMatrix<f64> = linalg::random_orthogonal(o, &mut rng);
    let v: DMatrix<f64> = linalg::random_orthogonal(d, &mut rng);
    let pp: DMatrix<f64> = linalg::random_orthogonal(n, &mut rng);
    let abar = DMatrix::from_fn(o, n, |i, j| if j < m && j % o == i { 1.0 } else { 0.0 });
    let wbar = DMatrix::from_fn(n, n, |i, j| if i == j && i < m { W_STAR[i] } else { 0.0 });
    let bbar = DMatrix::from_fn(n, d, |i, j| if i == j && i < m { 1.0 } else { 0.0 });
    let teacher = Rnn::new(
        &u * abar * pp.transpose(),
        &pp * wbar * pp.transpose(),
        &pp * bbar * v.transpose(),
    )?;
    let student = Rnn::new(
        gaussian(&mut rng, o, n, p.init_std / (n as f64).sqrt()),
        gaussian(&mut rng, n, n, p.init_std / (n as f64).sqrt()),
        gaussian(&mut rng, n, d, p.init_std / (d as f64).sqrt()),
    )?;
    let scale = 1.0 / (n as f64).sqrt();
    let feedback = match p.feedback {
        FeedbackDist::Gaussian => gaussian(&mut rng, o, n, scale),
        FeedbackDist::Rademacher => {
            DMatrix::from_fn(
                o,
                n,
                |_, _| {
                    if rng.random::<bool>() { scale } else { -scale }
                },
            )
        }
    };
    Ok(Draw {
        st: StudentTeacher::new(student, teacher)?,
        feedback,
        u,
        v,
    })
}

/// The rule named `name` (one of [`RULES`]) with this draw's feedback and the point's ŵ.
pub fn rule(name: &str, p: &Point, dr: &Draw) -> Result<Rule<f64>> {
    Ok(match name {
        "bptt" => Rule::Bptt,
        "tbptt:1" => Rule::Tbptt { k: 1 },
        "rflo" => Rule::Rflo {
            feedback: dr.feedback.clone(),
            w_hat: p.w_hat,
        },
        "eprop-random" => Rule::Eprop {
            feedback: Feedback::Random(dr.feedback.clone()),
        },
        other => {
            return Err(StudyError::Invalid {
                name: "rule".into(),
                reason: format!("unknown rule {other:?}; use one of {RULES:?}"),
            });
        }
    })
}

/// A student's effective parameters along one teacher mode i (the alignment-free reading of
/// `docs/theory/modes.md`): with `v_i` the mode's input direction, `u` its output direction and
/// `p = B v_i / ‖B v_i‖` the hidden direction the input drives, `b = ‖B v_i‖`, `a = uᵀ A p`,
/// `c = ab = uᵀ A B v_i`, the recurrence along p `w = pᵀ W p` (the Rayleigh quotient: exactly the
/// mode's eigenvalue when p is an eigenvector of W, as in an aligned student, and bounded by ‖W‖
/// for any student, unlike `uᵀ A W B v_i / c`, which blows up as c → 0 at a small random init),
/// and the feedback gain along p, `â = uᵀ R p`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModeState {
    /// Effective readout gain a.
    pub a: f64,
    /// Effective input gain b.
    pub b: f64,
    /// Effective product c = ab.
    pub c: f64,
    /// Recurrence along the mode's hidden direction, `w = pᵀ W p` (0 when `B v_i = 0`).
    pub w: f64,
    /// Feedback gain â along the mode's hidden direction.
    pub a_hat: f64,
}

/// The effective per-mode parameters of `net` along each of the `m` teacher modes.
pub fn mode_states(p: &Point, dr: &Draw, net: &Rnn<f64>) -> Vec<ModeState> {
    (0..p.modes)
        .map(|i| {
            let vi = dr.v.column(i).into_owned();
            let ui = dr.u.column(i % p.o).into_owned();
            let h = net.b() * &vi;
            let b = h.norm();
            let c = (ui.transpose() * net.a() * &h)[(0, 0)];
            let hwh = (h.transpose() * net.w() * &h)[(0, 0)];
            let fb = (ui.transpose() * &dr.feedback * &h)[(0, 0)];
            let finite = |x: f64| if x.is_finite() { x } else { 0.0 };
            ModeState {
                a: finite(if b > 0.0 { c / b } else { 0.0 }),
                b: finite(b),
                c: finite(c),
                w: finite(if b > 0.0 { hwh / (b * b) } else { 0.0 }),
                a_hat: finite(if b > 0.0 { fb / b } else { 0.0 }),
            }
        })
        .collect()
}

/// The fractions of K at which losses are recorded: ¼, ½, 9/10 and 1.
pub const CHECKPOINTS: [(usize, usize); 4] = [(1, 4), (1, 2), (9, 10), (1, 1)];

/// One run's outcome: what the analysis needs, nothing it can recompute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The point's key ([`Point::key`]).
    pub point: String,
    /// Rule name.
    pub rule: String,
    /// Seed.
    pub seed: u64,
    /// Expected loss at step 0.
    pub loss0: f64,
    /// `L_k / L_0` at the [`CHECKPOINTS`] (`None` after a divergence).
    pub ratios: Vec<Option<f64>>,
    /// Step at which the run diverged, if it did.
    pub diverged_at: Option<usize>,
    /// Spectral radius of `W_K`.
    pub radius_end: f64,
    /// Effective per-mode parameters at the start.
    pub start: Vec<ModeState>,
    /// Effective per-mode parameters at the end.
    pub end: Vec<ModeState>,
    /// Singular values of `W_K − W_0`, descending.
    pub spectrum: Vec<f64>,
}

/// Runs rule `name` on seed `seed` at point `p`.
pub fn run_one(p: &Point, name: &str, seed: u64) -> Result<RunRecord> {
    let dr = draw(p, seed)?;
    let updates = match p.updates {
        UpdateKind::Expected => Updates::Expected,
        UpdateKind::Online => Updates::Online,
        UpdateKind::MiniBatch(batch) => Updates::MiniBatch { batch },
    };
    let schedule = match p.decay_k0 {
        None => Schedule::Constant(p.eta),
        Some(k0) => Schedule::Decaying { eta0: p.eta, k0 },
    };
    let mut cfg = TrainConfig::new(
        rule(name, p, &dr)?,
        updates,
        Loss::Final,
        p.horizon,
        p.steps,
        schedule,
    );
    cfg.data = Data::Gaussian;
    // The data stream differs from the draw's stream (the draw used `seed` itself).
    cfg.seed = seed ^ 0x5eed_da7a;
    cfg.divergence_bound = tolerances::STUDY_DIVERGENCE_BOUND;
    cfg.record = Recording {
        every: p.steps / 20,
        loss: true,
        alignment: None,
        params: false,
    };
    let res = train::train(&dr.st, &cfg)?;
    let loss0 = res.checkpoints[0].loss.unwrap_or(f64::NAN);
    let ratios = CHECKPOINTS
        .iter()
        .map(|&(num, den)| {
            let step = p.steps * num / den;
            res.checkpoints
                .iter()
                .find(|c| c.step == step)
                .and_then(|c| c.loss)
                .filter(|l| l.is_finite())
                .map(|l| l / loss0)
        })
        .collect();
    let change = &res.net.w().clone() - dr.st.student.w();
    let radius = spectral_radius(res.net.w());
    Ok(RunRecord {
        point: p.key(),
        rule: name.into(),
        seed,
        loss0,
        ratios,
        diverged_at: res.divergence.map(|d| d.step),
        radius_end: if radius.is_finite() { radius } else { 1e300 },
        start: mode_states(p, &dr, &dr.st.student),
        end: mode_states(p, &dr, &res.net),
        spectrum: linalg::singular_values(&change)
            .into_iter()
            .map(|s| if s.is_finite() { s } else { 1e300 })
            .collect(),
    })
}

/// Runs every rule of [`RULES`] on every seed of `seeds` at every point, in memory (no cache), on
/// `threads` threads; the records come back in job order (point, rule, seed).
pub fn run_many(
    points: &[Point],
    seeds: std::ops::Range<u64>,
    threads: usize,
) -> Result<Vec<RunRecord>> {
    let mut jobs: Vec<(usize, &str, u64)> = Vec::new();
    for i in 0..points.len() {
        for rule in RULES {
            for seed in seeds.clone() {
                jobs.push((i, rule, seed));
            }
        }
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: std::sync::Mutex<Vec<Option<Result<RunRecord>>>> =
        std::sync::Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(i, rule, seed)) = jobs.get(k) else {
                        break;
                    };
                    let rec = run_one(&points[i], rule, seed);
                    slots.lock().unwrap_or_else(|p| p.into_inner())[k] = Some(rec);
                }
            });
        }
    });
    slots
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(StudyError::Invalid {
                    name: "run".into(),
                    reason: "a worker stopped before its job (a bug in lro: please report it)"
                        .into(),
                })
            })
        })
        .collect()
}
