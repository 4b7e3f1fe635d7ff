//! The properties P-RNN-1 … P-RNN-12 as generic functions of an instance. Each returns a
//! [`Comparison`]: exact equality over `Rational`, a relative difference over `f64`. The catalogue
//! entries and the proptest suites (`tests/rnn_*.rs`) call the same functions.
use super::compare::Comparison;
use crate::error::{LroError, Result};
use crate::gradcheck;
use crate::linalg;
use crate::rnn::{AlignedBasis, Instance, Rnn, Sequence, StudentTeacher, inputs};
use crate::rules::{Feedback, Loss, Rule, Update, expected, online};
use crate::scalar::{Dual, Real};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Largest `d·T` for which the 2^(dT) Rademacher sequences are enumerated.
pub const MAX_ENUMERATION_BITS: usize = 12;

/// Both losses, for properties that hold for each.
pub const LOSSES: [Loss; 2] = [Loss::Final, Loss::Sequence];

/// Every rule of `docs/theory/linear-rnn.md#rules` configured from an instance's feedback and ŵ.
pub fn all_rules<T: Real>(inst: &Instance<T>) -> Vec<Rule<T>> {
    vec![
        Rule::Bptt,
        Rule::Tbptt { k: 1 },
        Rule::Tbptt { k: 2 },
        Rule::Rtrl,
        Rule::Rflo {
            feedback: inst.feedback.clone(),
            w_hat: inst.w_hat.clone(),
        },
        Rule::Eprop {
            feedback: Feedback::Random(inst.feedback.clone()),
        },
        Rule::Eprop {
            feedback: Feedback::Symmetric,
        },
    ]
}

/// All 2^(dT) sequences of ±1 inputs. Their uniform average is an exact expectation for any
/// quantity that depends on the inputs only through second moments, as every loss and update of
/// the linear RNN does (they are quadratic in x).
pub fn rademacher_sequences<T: Real>(d: usize, horizon: usize) -> Result<Vec<Sequence<T>>> {
    let bits = d * horizon;
    if bits > MAX_ENUMERATION_BITS || horizon == 0 {
        return Err(LroError::InvalidParameter {
            name: "enumeration size".into(),
            reason: format!(
                "d·T = {bits} must lie in 1..={MAX_ENUMERATION_BITS} for exact enumeration"
            ),
        });
    }
    Ok((0u64..1 << bits)
        .map(|code| {
            (0..horizon)
                .map(|t| {
                    DVector::from_fn(d, |i, _| {
                        if code >> (t * d + i) & 1 == 1 {
                            T::one()
                        } else {
                            -T::one()
                        }
                    })
                })
                .collect()
        })
        .collect())
}

/// The exact expectation over Rademacher inputs of `f(xs, targets)`.
fn enumerate<T: Real, V>(
    st: &StudentTeacher<T>,
    horizon: usize,
    zero: V,
    add: impl Fn(&mut V, V),
    scale: impl Fn(V, T) -> V,
    f: impl Fn(&[DVector<T>], &[DVector<T>]) -> Result<V>,
) -> Result<V> {
    let seqs = rademacher_sequences::<T>(st.student.d(), horizon)?;
    let count = T::from_i64(seqs.len() as i64);
    let mut acc = zero;
    for xs in &seqs {
        let ys = st.targets(xs)?;
        add(&mut acc, f(xs, &ys)?);
    }
    Ok(scale(acc, T::one() / count))
}

/// P-RNN-1 (final) and P-RNN-4 (sequence): the closed-form expected loss equals the exact mean of
/// the per-sample loss over all Rademacher inputs.
pub fn expected_loss_by_enumeration<T: Real>(inst: &Instance<T>, loss: Loss) -> Result<Comparison> {
    let st = &inst.st;
    let mean = enumerate(
        st,
        inst.horizon,
        T::zero(),
        |a, v| *a += v,
        |a, c| a * c,
        |xs, ys| online::loss(&st.student, xs, ys, loss),
    )?;
    Ok(Comparison::scalars(
        &mean,
        &expected::loss(st, inst.horizon, loss)?,
    ))
}

/// P-RNN-1 / P-RNN-4, statistical: the closed form lies within `z` standard errors of the mean of
/// `samples` per-sample losses under Gaussian white input. Returns |mean − closed form| / SE.
pub fn expected_loss_monte_carlo(
    inst: &Instance<f64>,
    loss: Loss,
    samples: usize,
    seed: u64,
) -> Result<f64> {
    let st = &inst.st;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut sum, mut sq) = (0.0, 0.0);
    for _ in 0..samples {
        let xs = inputs::white_noise(st.student.d(), inst.horizon, &mut rng);
        let l = online::loss(&st.student, &xs, &st.targets(&xs)?, loss)?;
        sum += l;
        sq += l * l;
    }
    let n = samples as f64;
    let mean = sum / n;
    let var = (sq / n - mean * mean) * n / (n - 1.0);
    let closed = expected::loss(st, inst.horizon, loss)?;
    Ok(z_score(mean - closed, var, n))
}

fn z_score(diff: f64, var: f64, n: f64) -> f64 {
    let se = (var.max(0.0) / n).sqrt();
    if se == 0.0 {
        if diff.abs() <= crate::tolerances::F64_IDENTITY_ABS_FLOOR {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        diff.abs() / se
    }
}

fn flat_update<T: Real>(u: &Update<T>) -> Vec<T> {
    let mut v = Vec::new();
    for m in [&u.a, &u.w, &u.b] {
        for i in 0..m.nrows() {
            for j in 0..m.ncols() {
                v.push(m[(i, j)].clone());
            }
        }
    }
    v
}

fn lift<T: Real>(net: &Rnn<T>) -> Rnn<Dual<T>> {
    net.map(|x| Dual::constant(x.clone()))
}

/// P-RNN-2 (exact): BPTT's expected update equals the derivative of the expected loss, by forward-mode
/// dual numbers over `T` (exact when `T` is `Rational`).
pub fn bptt_is_gradient_dual<T: Real>(inst: &Instance<T>, loss: Loss) -> Result<Comparison> {
    let st = &inst.st;
    let teacher = lift(&st.teacher);
    let grad = gradcheck::dual_gradient(&st.student.params_flat(), |p| {
        let student = st.student.with_params_flat(p)?;
        expected::loss(
            &StudentTeacher::new(student, teacher.clone())?,
            inst.horizon,
            loss,
        )
    })?;
    let upd = flat_update(&expected::update(&Rule::Bptt, st, inst.horizon, loss)?);
    let (g, u) = (
        DMatrix::from_vec(grad.len(), 1, grad),
        DMatrix::from_vec(upd.len(), 1, upd),
    );
    Ok(Comparison::matrices(&g, &u))
}

/// P-RNN-2 (f64): BPTT's expected update against central differences of the expected loss with step
/// [`crate::tolerances::CENTRAL_DIFF_STEP`]. The relative difference is taken against
/// `max(|∇L|∞, L)`, the scale of the differenced quantity.
pub fn bptt_is_gradient_central(inst: &Instance<f64>, loss: Loss) -> Result<f64> {
    let st = &inst.st;
    let grad = gradcheck::central_difference_gradient(
        &st.student.params_flat(),
        crate::tolerances::CENTRAL_DIFF_STEP,
        |p| {
            expected::loss(
                &StudentTeacher::new(st.student.with_params_flat(p)?, st.teacher.clone())?,
                inst.horizon,
                loss,
            )
        },
    )?;
    let upd = flat_update(&expected::update(&Rule::Bptt, st, inst.horizon, loss)?);
    let l = expected::loss(st, inst.horizon, loss)?;
    let scale =
        upd.iter().fold(l.abs(), |m, x| m.max(x.abs())) + crate::tolerances::F64_IDENTITY_ABS_FLOOR;
    Ok(grad
        .iter()
        .zip(&upd)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, crate::linalg::worse)
        / scale)
}

/// P-RNN-3: `E[ε_T h_{T-1-m}ᵀ] = S_m` and `E[ε_T x_{T-1-m}ᵀ] = G_m` for every m < T, by exact
/// enumeration over Rademacher inputs.
pub fn expectation_identities<T: Real>(inst: &Instance<T>) -> Result<Comparison> {
    let (st, horizon) = (&inst.st, inst.horizon);
    let (o, n, d) = (st.student.o(), st.student.n(), st.student.d());
    type Pair<T> = (Vec<DMatrix<T>>, Vec<DMatrix<T>>);
    let zero: Pair<T> = (
        vec![DMatrix::zeros(o, n); horizon],
        vec![DMatrix::zeros(o, d); horizon],
    );
    let (eh, ex) = enumerate(
        st,
        horizon,
        zero,
        |acc: &mut Pair<T>, v: Pair<T>| {
            for (a, b) in acc.0.iter_mut().zip(v.0) {
                *a += b;
            }
            for (a, b) in acc.1.iter_mut().zip(v.1) {
                *a += b;
            }
        },
        |(h, x), c| {
            (
                h.into_iter().map(|m| m * c.clone()).collect(),
                x.into_iter().map(|m| m * c.clone()).collect(),
            )
        },
        |xs, ys| {
            let traj = st.student.forward(xs)?;
            let eps = &traj.y[horizon - 1] - &ys[horizon - 1];
            let hs = (0..horizon)
                .map(|m| &eps * traj.h[horizon - 1 - m].transpose())
                .collect();
            let xm = (0..horizon)
                .map(|m| &eps * xs[horizon - 1 - m].transpose())
                .collect();
            Ok((hs, xm))
        },
    )?;
    let s = expected::error_state_covariances(st, horizon)?;
    let g = expected::lag_errors(st, horizon)?;
    let mut c = Comparison::identical();
    for m in 0..horizon {
        c = c
            .and(Comparison::matrices(&eh[m], &s[m]))
            .and(Comparison::matrices(&ex[m], &g[m]));
    }
    Ok(c)
}

/// Compares two rules on one instance: per sample (online, on the instance's input) and in
/// expectation, for both losses.
pub fn rules_agree<T: Real>(
    inst: &Instance<T>,
    st: &StudentTeacher<T>,
    r1: &Rule<T>,
    r2: &Rule<T>,
) -> Result<Comparison> {
    let mut c = Comparison::identical();
    let ys = st.targets(&inst.xs)?;
    for loss in LOSSES {
        let a = online::update(r1, &st.student, &inst.xs, &ys, loss)?;
        let b = online::update(r2, &st.student, &inst.xs, &ys, loss)?;
        c = c.and(Comparison::updates(&a, &b));
        let a = expected::update(r1, st, inst.horizon, loss)?;
        let b = expected::update(r2, st, inst.horizon, loss)?;
        c = c.and(Comparison::updates(&a, &b));
    }
    Ok(c)
}

/// P-RNN-5: k-step tBPTT with `k ≥ T` equals BPTT (k = T and k = T + 3).
pub fn tbptt_long_is_bptt<T: Real>(inst: &Instance<T>) -> Result<Comparison> {
    let t = inst.horizon;
    Ok(
        rules_agree(inst, &inst.st, &Rule::Bptt, &Rule::Tbptt { k: t })?.and(rules_agree(
            inst,
            &inst.st,
            &Rule::Bptt,
            &Rule::Tbptt { k: t + 3 },
        )?),
    )
}

/// A nilpotent n×n matrix of index exactly `k` (1 ≤ k ≤ n): `Q J Qᵀ` with Q a rational orthogonal
/// matrix and J strictly upper triangular on its leading k×k block with a nonzero superdiagonal.
/// `k = 1` gives the zero matrix.
pub fn nilpotent<T: Real>(n: usize, k: usize, seed: u64) -> Result<DMatrix<T>> {
    if k == 0 || k > n {
        return Err(LroError::InvalidParameter {
            name: "nilpotency index".into(),
            reason: format!("k = {k} must lie in 1..=n = {n}"),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let q = linalg::random_orthogonal::<T, _>(n, &mut rng);
    let den = 4 * n as i64;
    let j = DMatrix::from_fn(n, n, |r, c| {
        if c == r + 1 && c < k {
            let v = rng.random_range(1..=3) * if rng.random::<bool>() { 1 } else { -1 };
            T::ratio(v, den)
        } else if c > r + 1 && c < k {
            T::ratio(rng.random_range(-3..=3), den)
        } else {
            T::zero()
        }
    });
    Ok(&q * j * q.transpose())
}

/// P-RNN-6: with W nilpotent of index k (k = 1: W = 0), BPTT equals k-step tBPTT.
pub fn nilpotent_bptt_is_tbptt<T: Real>(
    inst: &Instance<T>,
    k: usize,
    seed: u64,
) -> Result<Comparison> {
    let s = &inst.st.student;
    let w = nilpotent::<T>(s.n(), k, seed)?;
    let st = StudentTeacher::new(
        s.with_params(s.a().clone(), w, s.b().clone())?,
        inst.st.teacher.clone(),
    )?;
    rules_agree(inst, &st, &Rule::Bptt, &Rule::Tbptt { k })
}

/// P-RNN-7: RFLO with `R = A`, `ŵ = 0` equals one-step tBPTT.
pub fn rflo_zero_is_tbptt1<T: Real>(inst: &Instance<T>) -> Result<Comparison> {
    let rflo = Rule::Rflo {
        feedback: inst.st.student.a().clone(),
        w_hat: T::zero(),
    };
    rules_agree(inst, &inst.st, &rflo, &Rule::Tbptt { k: 1 })
}

/// P-RNN-8: RFLO with `R = A` and `W = ŵ I` equals BPTT.
pub fn rflo_scalar_w_is_bptt<T: Real>(inst: &Instance<T>) -> Result<Comparison> {
    let s = &inst.st.student;
    let w = linalg::identity::<T>(s.n()) * inst.w_hat.clone();
    let st = StudentTeacher::new(
        s.with_params(s.a().clone(), w, s.b().clone())?,
        inst.st.teacher.clone(),
    )?;
    let rflo = Rule::Rflo {
        feedback: s.a().clone(),
        w_hat: inst.w_hat.clone(),
    };
    rules_agree(inst, &st, &rflo, &Rule::Bptt)
}

/// P-RNN-9: every rule's ΔA equals the exact readout gradient: per sample, `∂L/∂A` of the online loss
/// by dual numbers; in expectation, `∂E[L]/∂A` of the closed-form loss by dual numbers.
pub fn readout_update_is_shared<T: Real>(inst: &Instance<T>) -> Result<Comparison> {
    let st = &inst.st;
    let s = &st.student;
    let na = s.o() * s.n();
    let p = s.params_flat();
    let mut c = Comparison::identical();
    let ys_d: Vec<DVector<Dual<T>>> = inst
        .targets
        .iter()
        .map(|y| y.map(|v| Dual::constant(v)))
        .collect();
    let xs_d: Vec<DVector<Dual<T>>> = inst
        .xs
        .iter()
        .map(|x| x.map(|v| Dual::constant(v)))
        .collect();
    let teacher = lift(&st.teacher);
    let rest: Vec<Dual<T>> = p[na..].iter().map(|v| Dual::constant(v.clone())).collect();
    let with_readout = |pa: &[Dual<T>]| {
        let mut v = pa.to_vec();
        v.extend(rest.iter().cloned());
        s.with_params_flat(&v)
    };
    for loss in LOSSES {
        let online_grad = gradcheck::dual_gradient(&p[..na], |pa| {
            online::loss(&with_readout(pa)?, &xs_d, &ys_d, loss)
        })?;
        let expected_grad = gradcheck::dual_gradient(&p[..na], |pa| {
            expected::loss(
                &StudentTeacher::new(with_readout(pa)?, teacher.clone())?,
                inst.horizon,
                loss,
            )
        })?;
        let as_matrix = |v: Vec<T>| DMatrix::from_fn(s.o(), s.n(), |i, j| v[i * s.n() + j].clone());
        let (og, eg) = (as_matrix(online_grad), as_matrix(expected_grad));
        for rule in all_rules(inst) {
            let u = online::update(&rule, s, &inst.xs, &inst.targets, loss)?;
            c = c.and(Comparison::matrices(&u.a, &og));
            let u = expected::update(&rule, st, inst.horizon, loss)?;
            c = c.and(Comparison::matrices(&u.a, &eg));
        }
    }
    Ok(c)
}

/// P-RNN-10: per sample, RTRL's update equals BPTT's (both losses), for the instance's network.
pub fn rtrl_is_bptt<T: Real>(inst: &Instance<T>, net: &Rnn<T>) -> Result<Comparison> {
    let mut c = Comparison::identical();
    for loss in LOSSES {
        let a = online::update(&Rule::Rtrl, net, &inst.xs, &inst.targets, loss)?;
        let b = online::update(&Rule::Bptt, net, &inst.xs, &inst.targets, loss)?;
        c = c.and(Comparison::updates(&a, &b));
    }
    Ok(c)
}

/// P-RNN-11 (exact): for every rule and both losses, the mean of the online updates over all
/// Rademacher inputs equals the closed-form expected update.
pub fn online_mean_is_expected<T: Real>(inst: &Instance<T>) -> Result<Comparison> {
    let st = &inst.st;
    let s = &st.student;
    let mut c = Comparison::identical();
    for rule in all_rules(inst) {
        for loss in LOSSES {
            let mean =
                mean_update_over_inputs(inst, |xs, ys| online::update(&rule, s, xs, ys, loss))?;
            c = c.and(Comparison::updates(
                &mean,
                &expected::update(&rule, st, inst.horizon, loss)?,
            ));
        }
    }
    Ok(c)
}

/// The exact mean over all Rademacher inputs of a per-sample update `per_sample(xs, targets)`
/// (the targets are the teacher's outputs): with the closed forms, an estimator's expected update.
pub fn mean_update_over_inputs<T: Real>(
    inst: &Instance<T>,
    per_sample: impl Fn(&[DVector<T>], &[DVector<T>]) -> Result<Update<T>>,
) -> Result<Update<T>> {
    let s = &inst.st.student;
    enumerate(
        &inst.st,
        inst.horizon,
        Update::zeros(s.o(), s.n(), s.d()),
        |a: &mut Update<T>, v| a.add_scaled(&v, T::one()),
        |mut a, k| {
            a.a *= k.clone();
            a.w *= k.clone();
            a.b *= k;
            a
        },
        per_sample,
    )
}

/// P-RNN-11 (statistical): the mean of `samples` online updates under Gaussian white input, per entry,
/// lies within z standard errors of the closed form. Returns (max |z| over entries, rules and losses,
/// number of entries compared).
pub fn online_mean_monte_carlo(
    inst: &Instance<f64>,
    samples: usize,
    seed: u64,
) -> Result<(f64, usize)> {
    let st = &inst.st;
    let s = &st.student;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let batch: Vec<(Sequence<f64>, Sequence<f64>)> = (0..samples)
        .map(|_| {
            let xs: Sequence<f64> = (0..inst.horizon)
                .map(|_| DVector::from_fn(s.d(), |_, _| rng.sample::<f64, _>(StandardNormal)))
                .collect();
            let ys = st.targets(&xs)?;
            Ok((xs, ys))
        })
        .collect::<Result<_>>()?;
    let (mut worst, mut count) = (0.0f64, 0usize);
    for rule in all_rules(inst) {
        for loss in LOSSES {
            let ups: Vec<Vec<f64>> = batch
                .iter()
                .map(|(xs, ys)| online::update(&rule, s, xs, ys, loss).map(|u| flat_update(&u)))
                .collect::<Result<_>>()?;
            let closed = flat_update(&expected::update(&rule, st, inst.horizon, loss)?);
            let n = samples as f64;
            for (j, c) in closed.iter().enumerate() {
                let mean = ups.iter().map(|u| u[j]).sum::<f64>() / n;
                let var = ups.iter().map(|u| (u[j] - mean).powi(2)).sum::<f64>() / (n - 1.0);
                worst = crate::linalg::worse(worst, z_score(mean - c, var, n));
                count += 1;
            }
        }
    }
    Ok((worst, count))
}

/// P-RNN-12: with aligned init and aligned R, the expected updates of BPTT, tBPTT (k = 1, 3) and RFLO are
/// diagonal in the mode bases (both losses), and stay so over `steps` steps of expected-update training
/// with learning rate `eta`. `equal` is exact diagonality; `rel` is the largest off-diagonal entry
/// relative to the largest entry.
pub fn alignment_preserved<T: Real>(
    inst: &Instance<T>,
    basis: &AlignedBasis<T>,
    steps: usize,
    eta: T,
) -> Result<Comparison> {
    let rules = [
        Rule::Bptt,
        Rule::Tbptt { k: 1 },
        Rule::Tbptt { k: 3 },
        Rule::Rflo {
            feedback: inst.feedback.clone(),
            w_hat: inst.w_hat.clone(),
        },
    ];
    // One scale for the three blocks: a block that is zero in exact arithmetic (e.g. tBPTT(1)'s ΔB
    // when G_0 = 0) holds only rounding noise, which must be judged against the update's size.
    let diag = |a: &DMatrix<T>, w: &DMatrix<T>, b: &DMatrix<T>| -> Comparison {
        let (ar, wr, br) = basis.rotate(a, w, b);
        let scale = [&ar, &wr, &br]
            .iter()
            .map(|m| linalg::max_abs(m))
            .fold(0.0, linalg::worse)
            + crate::tolerances::F64_IDENTITY_ABS_FLOOR;
        let mut c = Comparison::identical();
        for m in [&ar, &wr, &br] {
            c = c.and(Comparison {
                equal: linalg::is_exactly_diagonal(m),
                rel: linalg::max_off_diagonal(m) / scale,
            });
        }
        c
    };
    let mut c = Comparison::identical();
    for rule in &rules {
        for loss in LOSSES {
            let mut st = inst.st.clone();
            for _ in 0..=steps {
                let u = expected::update(rule, &st, inst.horizon, loss)?;
                // A diverging run (an update that overflows, or non-finite parameters next) ends
                // the check for this rule: the claim concerns the steps that exist.
                if ![&u.a, &u.w, &u.b].iter().all(|m| linalg::all_finite(m)) {
                    break;
                }
                c = c.and(diag(&u.a, &u.w, &u.b));
                c = c.and(diag(st.student.a(), st.student.w(), st.student.b()));
                match u.apply(&st.student, eta.clone()) {
                    Ok(next) => st = StudentTeacher::new(next, st.teacher.clone())?,
                    Err(crate::LroError::NotFinite { .. }) => break,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(c)
}
