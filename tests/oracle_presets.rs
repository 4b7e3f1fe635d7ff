//! Convention presets (Murray 2019, Marschall et al. 2020) and the meaning of per-step updates.
//!
//! With every quirk switched off, each preset must equal the foundation's rules
//! (`rules::online`) up to the sign and scale its manifest documents; each quirk switch must
//! change exactly the tensors it is about; the clipped derivative must match what
//! `docs/theory/peer-conventions.md` states about it.
use lro::linalg::rel_diff;
use lro::oracle::config::{MarschallConfig, MurrayConfig, marschall_draw, murray_draw};
use lro::oracle::presets::{marschall2020, murray2019};
use lro::oracle::{cases, reference};
use lro::rnn::{Activation, Rnn};
use lro::rules::{Loss, Rule, Update, online};
use lro::tolerances::{F64_IDENTITY_ABS_FLOOR, F64_IDENTITY_REL, PEER_DF_STATED_REL};
use nalgebra::{DMatrix, DVector};

fn close(a: &DMatrix<f64>, b: &DMatrix<f64>, what: &str) {
    let r = rel_diff(a, b, F64_IDENTITY_ABS_FLOOR);
    assert!(
        r < F64_IDENTITY_REL,
        "{what}: relative difference {r:e}\n{a}\n{b}"
    );
}

fn differ(a: &DMatrix<f64>, b: &DMatrix<f64>, what: &str) {
    let r = rel_diff(a, b, F64_IDENTITY_ABS_FLOOR);
    assert!(
        r > 1e3 * F64_IDENTITY_REL,
        "{what} should differ, relative difference {r:e}"
    );
}

fn col(v: &DVector<f64>) -> DMatrix<f64> {
    DMatrix::from_column_slice(v.len(), 1, v.as_slice())
}

fn murray_cfg(seed: u64) -> MurrayConfig {
    MurrayConfig {
        name: "m".into(),
        description: String::new(),
        seed,
        n_in: 2,
        n_rec: 4,
        n_out: 3,
        t_max: 9,
        tau_m: 3.0,
        eta: [0.3, 0.2, 0.1],
        h0_scale: 0.0,
        derivative: murray2019::Derivative::Exact,
        input_trace_lag: false,
        bptt_error_shift: false,
        allow_non_finite: false,
    }
}

#[test]
fn clipped_derivative_matches_the_stated_deviations_from_tanh_prime() {
    // peer-conventions.md: df differs from sech^2 by about 0.05 % at 0.5, 0.5 % at 1, 5 % at 2,
    // 19 % at 3.
    for (x, stated) in [(0.5, 5e-4), (1.0, 5e-3), (2.0, 5e-2), (3.0, 0.19)] {
        let clipped = murray2019::df(murray2019::Derivative::Clipped, &x).unwrap();
        let exact = murray2019::df(murray2019::Derivative::Exact, &x).unwrap();
        let sech2 = 1.0 / x.cosh().powi(2);
        let (e, s2) = (
            DMatrix::from_element(1, 1, exact),
            DMatrix::from_element(1, 1, sech2),
        );
        close(&e, &s2, "exact derivative");
        let dev = clipped / sech2 - 1.0;
        assert!(
            (dev - stated).abs() < PEER_DF_STATED_REL * stated,
            "x = {x}: deviation {dev:e}, stated {stated:e}"
        );
    }
    let at0 = murray2019::df(murray2019::Derivative::Clipped, &0.0).unwrap();
    assert_eq!(at0, 1.0);
}

#[test]
fn murray_without_quirks_is_the_foundations_rflo_and_bptt() {
    for seed in 0..4 {
        let c = murray_cfg(seed);
        let (s, x, y_) = murray_draw(&c).unwrap();
        let run = s.run(&x, &y_).unwrap();
        let tau = s.tau_m;
        let net = Rnn::new(s.w_out.clone(), s.w_rec.clone(), s.w_in.clone())
            .unwrap()
            .with_leak(1.0 / tau)
            .unwrap()
            .with_activation(Activation::Tanh);
        let (xs, ys) = (x[1..].to_vec(), y_[1..].to_vec());
        let traj = net.forward(&xs).unwrap();
        for t in 0..xs.len() + 1 {
            close(&col(&run.h[t]), &col(&traj.h[t]), "h");
        }
        // Murray adds eta/t_max * sum_t (b err_t) p_t with err = -eps: -eta (T/t_max) x the
        // foundation's sequence-loss update (which carries 1/T).
        let scale = -((x.len() - 1) as f64) / x.len() as f64;
        let [eta_in, eta_rec, eta_out] = s.eta;
        let rflo = Rule::Rflo {
            feedback: s.b.transpose(),
            w_hat: 1.0 - 1.0 / tau,
        };
        for (rule, got) in [(rflo, &run.rflo), (Rule::Bptt, &run.bptt)] {
            let u = online::update(&rule, &net, &xs, &ys, Loss::Sequence).unwrap();
            close(&got.w_rec, &(&u.w * (eta_rec * scale)), "w_rec");
            close(&got.w_in, &(&u.b * (eta_in * scale)), "w_in");
            close(&got.w_out, &(&u.a * (eta_out * scale)), "w_out");
        }
    }
}

#[test]
fn each_murray_quirk_changes_exactly_its_own_tensors() {
    let base = murray_cfg(7);
    let run = |c: &MurrayConfig| {
        let (s, x, y_) = murray_draw(c).unwrap();
        s.run(&x, &y_).unwrap()
    };
    let r0 = run(&base);
    let lag = run(&MurrayConfig {
        input_trace_lag: true,
        ..base.clone()
    });
    assert_eq!(lag.rflo.w_rec, r0.rflo.w_rec);
    assert_eq!(lag.bptt, r0.bptt);
    differ(&lag.rflo.w_in, &r0.rflo.w_in, "lagged input trace");
    // The lag: q after step 1 is (1 - 1/tau) x[0]/tau + df(u[1]) x[0]/tau, built from x[0] only.
    let shift = run(&MurrayConfig {
        bptt_error_shift: true,
        ..base.clone()
    });
    assert_eq!(shift.rflo, r0.rflo);
    differ(&shift.bptt.w_rec, &r0.bptt.w_rec, "BPTT error shift");
    differ(&shift.bptt.w_in, &r0.bptt.w_in, "BPTT error shift");
    assert_eq!(shift.bptt.w_out, r0.bptt.w_out);
    let clipped = run(&MurrayConfig {
        derivative: murray2019::Derivative::Clipped,
        ..base.clone()
    });
    assert_eq!(clipped.h, r0.h);
    differ(&clipped.rflo.w_rec, &r0.rflo.w_rec, "clipped derivative");
    differ(&clipped.bptt.w_rec, &r0.bptt.w_rec, "clipped derivative");
}

#[test]
fn murray_lagged_input_trace_starts_from_x0() {
    let c = MurrayConfig {
        input_trace_lag: true,
        ..murray_cfg(3)
    };
    let (s, x, y_) = murray_draw(&c).unwrap();
    let r = s.run(&x, &y_).unwrap();
    let keep = 1.0 - 1.0 / s.tau_m;
    let x0 = x[0].transpose() / s.tau_m;
    let q0 = DMatrix::from_fn(4, 2, |_, j| x0[j]);
    close(&r.q[0], &q0, "initial input trace");
    // Step 1 adds df(u[1]) x[0]/tau, not x[1].
    let q1 = DMatrix::from_fn(4, 2, |i, j| {
        let d1 = murray2019::df(s.derivative, &r.u[1][i]).unwrap();
        keep * q0[(i, j)] + d1 * x0[j]
    });
    close(&r.q[1], &q1, "input trace after step 1");
}

fn marschall_cfg(seed: u64, activation: Activation) -> MarschallConfig {
    MarschallConfig {
        name: "s".into(),
        description: String::new(),
        seed,
        n_in: 2,
        n_h: 3,
        n_out: 2,
        horizon: 7,
        alpha: 0.6,
        alpha_rflo: None,
        activation,
        random_feedback: true,
        h0_scale: 0.0,
        bptt_k: 3,
        allow_non_finite: false,
        stochastic_init_scale: 1.0,
        stochastic_unit_scaling: false,
        kernl_sigma: 0.1,
        kernl_lr: 0.1,
    }
}

#[test]
fn marschall_with_equal_rates_is_the_foundations_rflo_and_rtrl() {
    for (seed, act) in [
        (0, Activation::Tanh),
        (1, Activation::Identity),
        (2, Activation::Tanh),
    ] {
        let c = marschall_cfg(seed, act);
        let (s, xs, ys) = marschall_draw(&c).unwrap();
        let run = s.run(&xs, &ys).unwrap();
        let (n, d) = (3, 2);
        // Foundation: bias as an input column of constant 1, output bias moved into the targets.
        let bp = DMatrix::from_fn(
            n,
            d + 1,
            |i, j| if j < d { s.w_in[(i, j)] } else { s.b_rec[i] },
        );
        let net = Rnn::new(s.w_out.clone(), s.w_rec.clone(), bp)
            .unwrap()
            .with_leak(s.alpha)
            .unwrap()
            .with_activation(act);
        let xa: Vec<DVector<f64>> = xs
            .iter()
            .map(|x| DVector::from_fn(d + 1, |j, _| if j < d { x[j] } else { 1.0 }))
            .collect();
        let ya: Vec<DVector<f64>> = ys.iter().map(|y| y - &s.b_out).collect();
        let traj = net.forward(&xa).unwrap();
        for t in 0..xs.len() {
            close(&col(&run.a[t + 1]), &col(&traj.h[t + 1]), "a");
            close(&col(&run.z[t]), &col(&(&traj.y[t] + &s.b_out)), "z");
        }
        let packed = |u: &Update<f64>| {
            DMatrix::from_fn(n, n + d + 1, |i, j| {
                if j < n { u.w[(i, j)] } else { u.b[(i, j - n)] }
            })
        };
        let horizon = xs.len() as f64;
        let sum = |v: &[DMatrix<f64>]| v.iter().skip(1).fold(v[0].clone(), |a, b| a + b);
        let rflo = Rule::Rflo {
            feedback: s.w_fb.clone().unwrap(),
            w_hat: 1.0 - s.alpha,
        };
        let f_rflo = online::update(&rflo, &net, &xa, &ya, Loss::Sequence).unwrap();
        close(&sum(&run.rflo_grads), &(packed(&f_rflo) * horizon), "RFLO");
        let f_bptt = online::update(&Rule::Bptt, &net, &xa, &ya, Loss::Sequence).unwrap();
        close(&sum(&run.rtrl_grads), &(packed(&f_bptt) * horizon), "RTRL");
        let og = sum(&run.outer_grads);
        close(
            &og.columns(0, n).into_owned(),
            &(&f_bptt.a * horizon),
            "W_out grads",
        );
        // Per step: RTRL's gradient at t is the exact gradient of L_t (final-step loss on the prefix).
        for t in 1..=xs.len() {
            let u = online::update(&Rule::Bptt, &net, &xa[..t], &ya[..t], Loss::Final).unwrap();
            close(&run.rtrl_grads[t - 1], &packed(&u), "RTRL step");
        }
    }
}

#[test]
fn marschall_rflo_rate_changes_rflo_only() {
    let c = marschall_cfg(4, Activation::Tanh);
    let (s, xs, ys) = marschall_draw(&c).unwrap();
    let r0 = s.run(&xs, &ys).unwrap();
    let s2 = marschall2020::Setup {
        alpha_rflo: 0.25,
        ..s.clone()
    };
    let r2 = s2.run(&xs, &ys).unwrap();
    assert_eq!(r0.rtrl_grads, r2.rtrl_grads);
    assert_eq!(r0.outer_grads, r2.outer_grads);
    differ(&r2.rflo_grads[3], &r0.rflo_grads[3], "alpha_R");
    // With alpha_R != alpha the trace is B_t = (1 - alpha_R) B_{t-1} + alpha_R phi'(h_t) a_hat^T:
    // the foundation's RFLO trace with w_hat = 1 - alpha_R, whose gain is the network's alpha,
    // scaled by alpha_R / alpha.
    let (n, d) = (3, 2);
    let bp = DMatrix::from_fn(
        n,
        d + 1,
        |i, j| if j < d { s.w_in[(i, j)] } else { s.b_rec[i] },
    );
    let net = Rnn::new(s.w_out.clone(), s.w_rec.clone(), bp)
        .unwrap()
        .with_leak(s.alpha)
        .unwrap()
        .with_activation(Activation::Tanh);
    let xa: Vec<DVector<f64>> = xs
        .iter()
        .map(|x| DVector::from_fn(d + 1, |j, _| if j < d { x[j] } else { 1.0 }))
        .collect();
    let ya: Vec<DVector<f64>> = ys.iter().map(|y| y - &s.b_out).collect();
    let rule = Rule::Rflo {
        feedback: s2.w_fb.clone().unwrap(),
        w_hat: 1.0 - s2.alpha_rflo,
    };
    for t in 1..=xs.len() {
        let u = online::update(&rule, &net, &xa[..t], &ya[..t], Loss::Final).unwrap();
        let want = DMatrix::from_fn(n, n + d + 1, |i, j| {
            let v = if j < n { u.w[(i, j)] } else { u.b[(i, j - n)] };
            v * s2.alpha_rflo / s2.alpha
        });
        close(&r2.rflo_grads[t - 1], &want, "RFLO with its own rate");
    }
    // The packing: W = [W_rec | W_in | b_rec].
    let w = s.packed();
    assert_eq!(w.ncols(), 3 + 2 + 1);
    assert_eq!(w.columns(0, 3).into_owned(), s.w_rec);
    assert_eq!(w.columns(3, 2).into_owned(), s.w_in);
    assert_eq!(w.column(5).into_owned(), s.b_rec);
}

#[test]
fn per_step_updates_sum_to_the_totals_in_every_builtin() {
    for name in cases::builtin_names() {
        let f = cases::builtin(name).unwrap().build().unwrap();
        let mut found = 0;
        for (k, t) in &f.tensors {
            let Some(total) = k.strip_suffix("_steps") else {
                continue;
            };
            let tot = &f.tensors[total];
            let rows = t.shape[0];
            let len = tot.data.len();
            let sum = DMatrix::from_fn(len, 1, |i, _| (0..rows).map(|r| t.data[r * len + i]).sum());
            close(&sum, &DMatrix::from_column_slice(len, 1, &tot.data), k);
            found += 1;
        }
        assert!(found >= 3, "{name}: {found} per-step tensors");
    }
}

#[cfg(feature = "rug")]
#[test]
fn per_step_contributions_sum_exactly_to_the_sequence_update() {
    use lro::rnn::InstanceSpec;
    use lro::scalar::Rational;
    let inst = InstanceSpec {
        seed: 9,
        o: 2,
        n: 3,
        n_teacher: 2,
        d: 2,
        horizon: 5,
    }
    .draw()
    .unwrap()
    .cast::<Rational>();
    let net = &inst.st.student;
    for rule in [
        Rule::Bptt,
        Rule::Tbptt { k: 2 },
        Rule::Rflo {
            feedback: inst.feedback.clone(),
            w_hat: inst.w_hat.clone(),
        },
    ] {
        let steps = reference::seq_steps(&rule, net, &inst.xs, &inst.targets).unwrap();
        let mut acc = Update::zeros(2, 3, 2);
        for s in &steps {
            acc.add_scaled(s, <Rational as lro::scalar::Real>::from_i64(1));
        }
        let total = online::update(&rule, net, &inst.xs, &inst.targets, Loss::Sequence).unwrap();
        assert_eq!(acc, total, "{}", rule.name());
    }
}

/// An independent computation of one BPTT-variant gradient by forward-mode dual numbers: the
/// derivative of `Σ_{s=lo..=hi} ½‖z_s − y*_s‖²` with respect to each entry of the packed
/// `[W_rec | W_in | b_rec]`, starting from the run's state `a_{lo−1}` held fixed, with the
/// perturbed weights used at the steps in `perturbed` (all other steps use the plain weights).
fn dual_window_gradient<T: lro::scalar::Real>(
    s: &marschall2020::Setup<T>,
    a_start: &DVector<T>,
    xs: &[DVector<T>],
    ys: &[DVector<T>],
    (lo, hi): (usize, usize),
    perturbed: std::ops::RangeInclusive<usize>,
) -> DMatrix<T> {
    use lro::scalar::Dual;
    let (n, d, o) = (s.w_rec.nrows(), s.w_in.ncols(), s.w_out.nrows());
    let w = s.packed();
    let m = w.ncols();
    let c = |x: &T| Dual::constant(x.clone());
    let alpha = c(&s.alpha);
    DMatrix::from_fn(n, m, |pi, pj| {
        let mut a: DVector<Dual<T>> = a_start.map(|v| Dual::constant(v));
        let mut total = Dual::constant(T::zero());
        for t in lo..=hi {
            let x = &xs[t - 1];
            let h = DVector::from_fn(n, |i, _| {
                let mut acc = Dual::constant(T::zero());
                for j in 0..m {
                    let pre = if j < n {
                        a[j].clone()
                    } else if j < n + d {
                        c(&x[j - n])
                    } else {
                        Dual::constant(T::one())
                    };
                    let wij = if (i, j) == (pi, pj) && perturbed.contains(&t) {
                        Dual::variable(w[(i, j)].clone())
                    } else {
                        c(&w[(i, j)])
                    };
                    acc += wij * pre;
                }
                acc
            });
            a = DVector::from_fn(n, |i, _| {
                let (phi, _) = s.activation.apply(&h[i]).unwrap();
                (Dual::constant(T::one()) - alpha.clone()) * a[i].clone() + alpha.clone() * phi
            });
            for (k, y) in ys[t - 1].iter().enumerate().take(o) {
                let mut z = c(&s.b_out[k]);
                for j in 0..n {
                    z += c(&s.w_out[(k, j)]) * a[j].clone();
                }
                let e = z - c(y);
                total += Dual::constant(T::ratio(1, 2)) * e.clone() * e;
            }
        }
        total.eps
    })
}

/// The expected Efficient and Future BPTT gradients at every step, by dual numbers.
#[allow(clippy::type_complexity)]
fn dual_bptt_variants<T: lro::scalar::Real>(
    s: &marschall2020::Setup<T>,
    a: &[DVector<T>],
    xs: &[DVector<T>],
    ys: &[DVector<T>],
) -> (Vec<DMatrix<T>>, Vec<DMatrix<T>>) {
    let (k, horizon) = (s.bptt_k, xs.len());
    let zero = DMatrix::zeros(s.w_rec.nrows(), s.packed().ncols());
    let (mut e, mut f) = (vec![], vec![]);
    for t in 1..=horizon {
        e.push(if t % k == 0 {
            let lo = t + 1 - k;
            dual_window_gradient(s, &a[lo - 1], xs, ys, (lo, t), lo..=t)
        } else {
            zero.clone()
        });
        f.push(if t >= k {
            let t0 = t + 1 - k;
            dual_window_gradient(s, &a[t0 - 1], xs, ys, (t0, t), t0..=t0)
        } else {
            zero.clone()
        });
    }
    (e, f)
}

#[test]
fn marschall_bptt_variants_equal_dual_number_gradients() {
    use lro::faults::{self, Fault};
    // tanh over f64 dual numbers (rounding only), several horizons and truncations.
    for (seed, horizon, k) in [(0, 7, 3), (1, 6, 2), (2, 5, 1), (3, 4, 4)] {
        let mut c = marschall_cfg(seed, Activation::Tanh);
        c.horizon = horizon;
        c.bptt_k = k;
        c.alpha_rflo = Some(0.3);
        let (s, xs, ys) = marschall_draw(&c).unwrap();
        let run = s.run(&xs, &ys).unwrap();
        let (e, f) = dual_bptt_variants(&s, &run.a, &xs, &ys);
        for t in 0..horizon {
            let what = format!("seed {seed}, k = {k}, step {}", t + 1);
            close(&run.ebptt_grads[t], &e[t], &format!("E-BPTT {what}"));
            close(&run.fbptt_grads[t], &f[t], &format!("F-BPTT {what}"));
        }
        // The windows are not trivially zero where they should carry a gradient.
        assert!(run.ebptt_grads[k - 1].norm() > 0.0 && run.fbptt_grads[k - 1].norm() > 0.0);
        // With the window off by one, Future BPTT disagrees from its first nonzero step (k > 1:
        // a window of k − 1 losses; k = 1: no loss at all) and Efficient BPTT does not change.
        let bad = faults::inject(Fault::FutureBpttWindowOffByOne, || s.run(&xs, &ys)).unwrap();
        differ(
            &bad.fbptt_grads[k - 1],
            &f[k - 1],
            &format!("faulty F-BPTT, seed {seed}"),
        );
        close(
            &bad.ebptt_grads[k - 1],
            &e[k - 1],
            "E-BPTT under the F-BPTT fault",
        );
    }
    // Identity activation over exact rationals: the same generic code, equal exactly.
    use lro::scalar::{Rational, Real as _};
    let mut c = marschall_cfg(4, Activation::Identity);
    c.bptt_k = 3;
    let (s, xs, ys) = marschall_draw(&c).unwrap();
    let q = |m: &DMatrix<f64>| m.map(Rational::from_f64);
    let sq = marschall2020::Setup {
        w_rec: q(&s.w_rec),
        w_in: q(&s.w_in),
        b_rec: s.b_rec.map(Rational::from_f64),
        w_out: q(&s.w_out),
        b_out: s.b_out.map(Rational::from_f64),
        w_fb: s.w_fb.as_ref().map(q),
        alpha: Rational::from_f64(s.alpha),
        alpha_rflo: Rational::from_f64(s.alpha_rflo),
        activation: s.activation,
        h0: s.h0.map(Rational::from_f64),
        bptt_k: s.bptt_k,
    };
    let cast = |v: &[DVector<f64>]| -> Vec<DVector<Rational>> {
        v.iter().map(|x| x.map(Rational::from_f64)).collect()
    };
    let (xq, yq) = (cast(&xs), cast(&ys));
    let run = sq.run(&xq, &yq).unwrap();
    let (e, f) = dual_bptt_variants(&sq, &run.a, &xq, &yq);
    assert_eq!(run.ebptt_grads, e, "E-BPTT over Q");
    assert_eq!(run.fbptt_grads, f, "F-BPTT over Q");
    // Over the whole sequence with k = T, Efficient BPTT's one window is full BPTT: its sum
    // equals the sum of RTRL's exact per-step gradients.
    let mut sfull = sq.clone();
    sfull.bptt_k = xq.len();
    let full = sfull.run(&xq, &yq).unwrap();
    let rtrl_sum = full
        .rtrl_grads
        .iter()
        .skip(1)
        .fold(full.rtrl_grads[0].clone(), |a, b| a + b);
    assert_eq!(
        full.ebptt_grads[xq.len() - 1],
        rtrl_sum,
        "E-BPTT(k = T) vs summed RTRL"
    );
}

// ---- marschall2020: UORO, KF-RTRL, reverse KF-RTRL ----

use lro::faults::{self, Fault};
use lro::oracle::presets::marschall2020::stochastic::{Draws, StochasticRuns};
use lro::rules::{Scaling, uoro};
use lro::scalar::{Mpfr, Rational, Real, with_precision};

fn cast_setup<T: Real>(s: &marschall2020::Setup<f64>) -> marschall2020::Setup<T> {
    let m = |x: &DMatrix<f64>| x.map(T::from_f64);
    let v = |x: &DVector<f64>| x.map(T::from_f64);
    marschall2020::Setup {
        w_rec: m(&s.w_rec),
        w_in: m(&s.w_in),
        b_rec: v(&s.b_rec),
        w_out: m(&s.w_out),
        b_out: v(&s.b_out),
        w_fb: s.w_fb.as_ref().map(m),
        alpha: T::from_f64(s.alpha),
        alpha_rflo: T::from_f64(s.alpha_rflo),
        activation: s.activation,
        h0: v(&s.h0),
        bptt_k: s.bptt_k,
    }
}

fn cast_seq<T: Real>(v: &[DVector<f64>]) -> Vec<DVector<T>> {
    v.iter().map(|x| x.map(T::from_f64)).collect()
}

/// Zero initial factors and the given signs for all three algorithms.
fn zero_draws<T: Real>(
    n: usize,
    m: usize,
    nu: &[DVector<T>],
    pairs: &[DVector<T>],
    unit: bool,
) -> Draws<T> {
    let z = |a: usize, b: (usize, usize)| (DVector::zeros(a), DMatrix::zeros(b.0, b.1));
    Draws {
        uoro_nu: nu.to_vec(),
        uoro_init: z(n, (n, m)),
        kf_nu: pairs.to_vec(),
        kf_init: z(m, (n, n)),
        rkf_nu: nu.to_vec(),
        rkf_init: z(n, (n, m)),
        unit_scaling: unit,
    }
}

/// The per-step gradients of each algorithm averaged over all sign draws (each algorithm's own
/// draws enumerated; n_h signs for UORO and reverse KF-RTRL, 2 for KF-RTRL, per step).
fn stochastic_means<T: Real>(
    s: &marschall2020::Setup<T>,
    xs: &[DVector<T>],
    ys: &[DVector<T>],
    unit: bool,
) -> [Vec<DMatrix<T>>; 3] {
    let (n, m, horizon) = (
        s.w_rec.nrows(),
        s.w_rec.nrows() + s.w_in.ncols() + 1,
        xs.len(),
    );
    let signs = uoro::all_draws::<T>(n, horizon, 12).unwrap();
    let pairs = uoro::all_draws::<T>(2, horizon, 12).unwrap();
    let mean = |runs: Vec<Vec<DMatrix<T>>>| -> Vec<DMatrix<T>> {
        let k = T::from_i64(runs.len() as i64);
        let mut acc = runs[0].clone();
        for r in &runs[1..] {
            for (a, b) in acc.iter_mut().zip(r) {
                *a += b;
            }
        }
        acc.into_iter().map(|a| a / k.clone()).collect()
    };
    let run = |d: &Draws<T>| -> StochasticRuns<T> { s.run_stochastic(xs, ys, d).unwrap() };
    let u = mean(
        signs
            .iter()
            .map(|nu| run(&zero_draws(n, m, nu, &pairs[0], unit)).uoro.grads)
            .collect(),
    );
    let r = mean(
        signs
            .iter()
            .map(|nu| run(&zero_draws(n, m, nu, &pairs[0], unit)).rkf_rtrl.grads)
            .collect(),
    );
    let k = mean(
        pairs
            .iter()
            .map(|p| run(&zero_draws(n, m, &signs[0], p, unit)).kf_rtrl.grads)
            .collect(),
    );
    [u, k, r]
}

fn small_marschall(seed: u64, act: Activation) -> MarschallConfig {
    MarschallConfig {
        n_in: 1,
        n_h: 2,
        n_out: 1,
        horizon: 3,
        h0_scale: 0.5,
        ..marschall_cfg(seed, act)
    }
}

/// With zero initial factors the mean over all sign draws of the preset's UORO, KF-RTRL and
/// reverse KF-RTRL gradients, step by step, is the preset's RTRL gradient: exactly over Q with the
/// unit scaling (identity φ), and to 256-bit rounding with the computed p0, p1 (tanh). One draw
/// alone is not RTRL, and each "p0 not inverted" fault biases the computed-scaling mean.
#[test]
fn marschall_stochastic_means_are_rtrl() {
    let c = small_marschall(11, Activation::Identity);
    let (s, xs, ys) = marschall_draw(&c).unwrap();
    let (sq, xq, yq) = (
        cast_setup::<Rational>(&s),
        cast_seq::<Rational>(&xs),
        cast_seq::<Rational>(&ys),
    );
    let rtrl = sq.run(&xq, &yq).unwrap().rtrl_grads;
    for (name, mean) in ["UORO", "KF-RTRL", "reverse KF-RTRL"]
        .iter()
        .zip(stochastic_means(&sq, &xq, &yq, true))
    {
        assert_eq!(mean, rtrl, "{name}: mean over all draws vs RTRL, over Q");
    }
    let signs = uoro::all_draws::<Rational>(2, 3, 12).unwrap();
    let one = sq
        .run_stochastic(&xq, &yq, &zero_draws(2, 4, &signs[5], &signs[6], true))
        .unwrap();
    assert_ne!(one.uoro.grads, rtrl);
    assert_ne!(one.kf_rtrl.grads, rtrl);
    assert_ne!(one.rkf_rtrl.grads, rtrl);
    // The computed scalars need roots: over Q a typed error, not a panic.
    assert!(
        sq.run_stochastic(&xq, &yq, &zero_draws(2, 4, &signs[5], &signs[6], false))
            .is_err()
    );

    let c = small_marschall(12, Activation::Tanh);
    let (s, xs, ys) = marschall_draw(&c).unwrap();
    with_precision(256, || {
        let (sm, xm, ym) = (
            cast_setup::<Mpfr>(&s),
            cast_seq::<Mpfr>(&xs),
            cast_seq::<Mpfr>(&ys),
        );
        let rtrl: Vec<DMatrix<Mpfr>> = sm.run(&xm, &ym).unwrap().rtrl_grads;
        let worst = |means: &[Vec<DMatrix<Mpfr>>; 3], i: usize| -> f64 {
            means[i]
                .iter()
                .zip(&rtrl)
                .map(|(a, b)| {
                    let d = lro::linalg::max_abs(&(a - b));
                    d / (lro::linalg::max_abs(b) + 1e-30)
                })
                .fold(0.0, f64::max)
        };
        let clean = stochastic_means(&sm, &xm, &ym, false);
        for (i, name) in ["UORO", "KF-RTRL", "reverse KF-RTRL"].iter().enumerate() {
            let e = worst(&clean, i);
            println!("{name}: clean mean vs RTRL {e:e}");
            assert!(e <= lro::tolerances::MPFR256_REL, "{name}: {e:e}");
        }
        for (i, fault) in [
            Fault::MarschallUoroRho0NotInverted,
            Fault::MarschallKfRho0NotInverted,
            Fault::MarschallReverseKfRho0NotInverted,
        ]
        .into_iter()
        .enumerate()
        {
            let bad = faults::inject(fault, || stochastic_means(&sm, &xm, &ym, false));
            let e = worst(&bad, i);
            println!("{fault:?}: relative difference of the mean from RTRL {e:e}");
            // A bias is an O(1) relative change; rounding is ~1e-70.
            assert!(e > lro::tolerances::STOCHASTIC_BIAS_MIN, "{fault:?}: {e:e}");
        }
    })
    .unwrap();
}

/// The preset's UORO and KF-RTRL with zero initial factors are lro's UORO and KF-RTRL rules
/// (`rules::Rule::{Uoro, KfRtrl}`) with the same draws, step by step, in both scalings: two
/// implementations written apart, on lro's network with the bias as a constant input and the
/// output bias moved into the targets.
#[test]
fn marschall_stochastic_equal_the_foundations_rules() {
    for (seed, act) in [(3, Activation::Tanh), (4, Activation::Identity)] {
        let c = marschall_cfg(seed, act);
        let (s, xs, ys) = marschall_draw(&c).unwrap();
        let (n, d) = (3, 2);
        let m = n + d + 1;
        let bp = DMatrix::from_fn(
            n,
            d + 1,
            |i, j| if j < d { s.w_in[(i, j)] } else { s.b_rec[i] },
        );
        let net = Rnn::new(s.w_out.clone(), s.w_rec.clone(), bp)
            .unwrap()
            .with_leak(s.alpha)
            .unwrap()
            .with_activation(act);
        let xa: Vec<DVector<f64>> = xs
            .iter()
            .map(|x| DVector::from_fn(d + 1, |j, _| if j < d { x[j] } else { 1.0 }))
            .collect();
        let ya: Vec<DVector<f64>> = ys.iter().map(|y| y - &s.b_out).collect();
        let mut dr = marschall2020::settings::draw_stochastic(&c).unwrap();
        let z = zero_draws(n, m, &dr.uoro_nu, &dr.kf_nu, false);
        (dr.uoro_init, dr.kf_init) = (z.uoro_init, z.kf_init);
        let packed = |u: &Update<f64>| {
            DMatrix::from_fn(
                n,
                m,
                |i, j| {
                    if j < n { u.w[(i, j)] } else { u.b[(i, j - n)] }
                },
            )
        };
        // h0 = 0 in marschall_cfg, so a_0 = 0 = lro's h_0.
        for unit in [true, false] {
            dr.unit_scaling = unit;
            let scaling = if unit {
                Scaling::Unit
            } else {
                Scaling::VarianceMin
            };
            let runs = s.run_stochastic(&xs, &ys, &dr).unwrap();
            for t in 1..=xs.len() {
                let uoro_rule = Rule::Uoro {
                    scaling,
                    draws: dr.uoro_nu[..t].to_vec(),
                };
                let kf_rule = Rule::KfRtrl {
                    scaling,
                    draws: dr.kf_nu[..t].to_vec(),
                };
                let u = online::update(&uoro_rule, &net, &xa[..t], &ya[..t], Loss::Final).unwrap();
                close(&runs.uoro.grads[t - 1], &packed(&u), "UORO step");
                let k = online::update(&kf_rule, &net, &xa[..t], &ya[..t], Loss::Final).unwrap();
                close(&runs.kf_rtrl.grads[t - 1], &packed(&k), "KF-RTRL step");
            }
        }
    }
}

// ---- marschall2020: KeRNL ----

use lro::oracle::presets::marschall2020::kernl::KernlInputs;

/// KeRNL frozen (learning rate 0) with A = I and rates equal to RFLO's rate α_R is the preset's
/// RFLO with symmetric feedback, exactly over Q; with learning on, it is not.
#[test]
fn marschall_frozen_kernl_is_rflo() {
    let mut c = small_marschall(13, Activation::Identity);
    c.random_feedback = false;
    c.alpha_rflo = Some(0.375);
    let (s, xs, ys) = marschall_draw(&c).unwrap();
    let (sq, xq, yq) = (
        cast_setup::<Rational>(&s),
        cast_seq::<Rational>(&xs),
        cast_seq::<Rational>(&ys),
    );
    let k = marschall2020::settings::draw_kernl(&c).unwrap();
    let inputs = |lr: f64| KernlInputs {
        zeta: cast_seq::<Rational>(&k.zeta),
        a0: DMatrix::identity(2, 2),
        rates0: DVector::from_element(2, Rational::from_f64(0.375)),
        lr: Rational::from_f64(lr),
    };
    // RFLO's trace rate is its own α_R; KeRNL's trace input carries the network's α. They agree
    // when α_R = α: make the network's α equal too.
    let mut sq = sq;
    sq.alpha = Rational::from_f64(0.375);
    let rflo = sq.run(&xq, &yq).unwrap().rflo_grads;
    let frozen = sq.run_kernl(&xq, &yq, &inputs(0.0)).unwrap();
    assert_eq!(frozen.grads, rflo);
    let learning = sq.run_kernl(&xq, &yq, &inputs(0.5)).unwrap();
    assert_ne!(learning.grads, rflo);
}

/// Two steps of KeRNL worked out from its definition, over Q on a linear network (so the noisy
/// copy is an explicit affine map): A, rates, trace and gradient after steps 1 and 2.
#[test]
fn marschall_kernl_two_steps_by_hand() {
    let check = || {
        let c = small_marschall(14, Activation::Identity);
        let (s, xs, ys) = marschall_draw(&c).unwrap();
        let (s, xs, ys) = (
            cast_setup::<Rational>(&s),
            cast_seq::<Rational>(&xs),
            cast_seq::<Rational>(&ys),
        );
        let k0 = marschall2020::settings::draw_kernl(&c).unwrap();
        let q = Rational::from_f64;
        let k = KernlInputs {
            zeta: cast_seq::<Rational>(&k0.zeta),
            a0: DMatrix::from_fn(2, 2, |i, j| q(if i == j { 1.0 } else { 0.25 })),
            rates0: DVector::from_vec(vec![q(0.75), q(0.5)]),
            lr: q(0.5),
        };
        let run = s.run_kernl(&xs, &ys, &k).unwrap();
        let fwd = s.run(&xs, &ys).unwrap();
        let al = s.alpha.clone();
        let one = Rational::from_i64(1);
        let step = |a: &DVector<Rational>, x: &DVector<Rational>| {
            a * (one.clone() - al.clone()) + (&s.w_rec * a + &s.w_in * x + &s.b_rec) * al.clone()
        };
        let noisy1 = step(&(&fwd.a[0] + &k.zeta[0]), &xs[0]);
        let noisy2 = step(&(&noisy1 + &k.zeta[1]), &xs[1]);
        let kappa = |r: &DVector<Rational>| r.map(|g| one.clone() - g); // rates < 1 here
        // Step 1: Γ_1 = 0, Ω_1 = ζ_1.
        let (k1, om1) = (kappa(&k.rates0), k.zeta[1].clone());
        let err1 = &k.a0 * &om1 - (&noisy1 - &fwd.a[1]);
        let a1 = &k.a0 - &err1 * om1.transpose() * k.lr.clone();
        let r1 = k.rates0.clone(); // Γ_1 = 0
        let ahat = |t: usize| {
            DVector::from_fn(4, |j, _| {
                if j < 2 {
                    fwd.a[t][j].clone()
                } else if j == 2 {
                    xs[t][0].clone()
                } else {
                    one.clone()
                }
            })
        };
        let b1 = (DVector::from_element(2, al.clone())) * ahat(0).transpose(); // φ' = 1
        assert_eq!(run.a[0], a1, "A_1");
        assert_eq!(run.rates[0], r1, "rates_1");
        assert_eq!(run.b[0], b1, "B_1");
        let g1 = a1.tr_mul(&(s.w_out.transpose() * &fwd.error[0]));
        let grad1 = DMatrix::from_fn(2, 4, |i, j| g1[i].clone() * b1[(i, j)].clone());
        assert_eq!(run.grads[0], grad1, "gradient 1");
        // Step 2: Γ_2 = −Ω_1, Ω_2 = κ_1 Ω_1 + ζ_2.
        let k2 = kappa(&r1);
        let gam2 = -om1.clone();
        let om2 = om1.component_mul(&k1) + &k.zeta[2];
        let err2 = &a1 * &om2 - (&noisy2 - &fwd.a[2]);
        let a2 = &a1 - &err2 * om2.transpose() * k.lr.clone();
        let r2 = &r1 - a1.tr_mul(&err2).component_mul(&gam2) * k.lr.clone();
        let b2 = DMatrix::from_fn(2, 4, |i, j| k2[i].clone() * b1[(i, j)].clone())
            + DVector::from_element(2, al.clone()) * ahat(1).transpose();
        assert_eq!(run.a[1], a2, "A_2");
        assert_eq!(run.rates[1], r2, "rates_2");
        assert_eq!(run.b[1], b2, "B_2");
    };
    check();
    // The stale-Ω fault changes the rates at step 2 (Ω_1 in place of Γ_2 = −Ω_1).
    let caught = std::panic::catch_unwind(|| {
        faults::inject(Fault::MarschallKernlAlphaGradStaleOmega, check)
    });
    assert!(caught.is_err(), "the fault must fail the hand computation");
}
