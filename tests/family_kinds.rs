//! Every rule of the online-learning family (UORO, KF-RTRL, reverse KF-RTRL, SnAp, KeRNL frozen and
//! learned, efficient and future BPTT) runs over f64, `Dual<f64>`, 256-bit MPFR and (without
//! square roots or tanh) `Rational` from its one generic implementation, and the kinds agree:
//! - Rational (exact) against f64 and MPFR on a linear leaky network, to rounding;
//! - the Dual's value part against the f64 run, bit for bit (the same operations on the values);
//! - the Dual's derivative part against a central difference of the MPFR runs along the same
//!   direction (step 2⁻⁴⁰, so truncation ≈ 1e-24 and rounding ≈ 1e-65): an independent derivative,
//!   so a code path that leaves the generic arithmetic (through `to_f64`/`from_f64`, which drops
//!   the derivative part) or a rule whose update is not the smooth function it claims fails.
//!
//! The direction moves every network parameter and KeRNL's β and γ.
use lro::faults::{self, Fault};
use lro::rnn::{Activation, Rnn};
use lro::rules::kernl::{self, Kernel, Rates};
use lro::rules::uoro::Scaling;
use lro::rules::{Loss, Update, kf_rtrl, reverse_kf_rtrl, snap, uoro, windowed_bptt};
use lro::scalar::{Dual, Mpfr, Rational, Real, RealFn, with_precision};
use lro::tolerances::ZERO_GUARD_F64;
use lro::tolerances::{F64_IDENTITY_REL, FAMILY_DUAL_DERIVATIVE_REL};
use nalgebra::{DMatrix, DVector};

const O: usize = 2;
const N: usize = 3;
const D: usize = 2;
const T: usize = 4;

/// The rules, each with its fixed draws, parameters and loss.
#[derive(Clone, Copy, Debug)]
enum Case {
    Uoro(Scaling),
    Kf(Scaling),
    ReverseKf(Scaling),
    Snap(usize),
    KernlFrozen,
    KernlLearned,
    Efficient(usize),
    Future(usize),
}

const CASES: [Case; 14] = [
    Case::Uoro(Scaling::Unit),
    Case::Uoro(Scaling::VarianceMin),
    Case::Kf(Scaling::Unit),
    Case::Kf(Scaling::VarianceMin),
    Case::ReverseKf(Scaling::Unit),
    Case::ReverseKf(Scaling::VarianceMin),
    Case::Snap(1),
    Case::Snap(2),
    Case::KernlFrozen,
    Case::KernlLearned,
    Case::Efficient(2),
    Case::Efficient(T),
    Case::Future(2),
    Case::Future(T),
];

/// A dyadic value in [−1, 1) from an index (exact in every kind).
fn dy(i: usize, salt: usize) -> f64 {
    ((i * 7 + salt * 13 + 3) % 16) as f64 / 8.0 - 1.0
}

/// The flat parameters θ = (A, W, B row-major, then β row-major, then γ) and a direction v.
fn theta() -> (Vec<f64>, Vec<f64>) {
    let p = O * N + N * N + N * D;
    // No exact zeros: SnAp reads its sparsity pattern from W's zero entries, and a zero-valued
    // weight with a nonzero tangent counts as a connection for `Dual` but not for f64, so the
    // kinds would see different patterns (a dense W keeps them equal).
    let mut th: Vec<f64> = (0..p)
        .map(|i| {
            if dy(i, 1) == 0.0 {
                1.0 / 16.0
            } else {
                dy(i, 1) / 2.0
            }
        })
        .collect();
    th.extend((0..N * N).map(|i| {
        if i % (N + 1) == 0 {
            1.0
        } else {
            dy(i, 2) / 4.0
        }
    }));
    th.extend((0..N).map(|i| 0.25 + i as f64 / 8.0));
    let v = (0..th.len()).map(|i| dy(i, 5)).collect();
    (th, v)
}

/// The fixed inputs, targets, draws and perturbations over any kind.
struct Data<S: Real> {
    xs: Vec<DVector<S>>,
    ys: Vec<DVector<S>>,
    signs_n: Vec<DVector<S>>,
    signs_2: Vec<DVector<S>>,
    noise: Vec<DVector<S>>,
}

fn data<S: Real>() -> Data<S> {
    let vecs = |len: usize, salt: usize| -> Vec<DVector<S>> {
        (0..T)
            .map(|t| DVector::from_fn(len, |i, _| S::from_f64(dy(t * len + i, salt))))
            .collect()
    };
    let signs = |len: usize, salt: usize| -> Vec<DVector<S>> {
        (0..T)
            .map(|t| {
                DVector::from_fn(len, |i, _| {
                    if (t * len + i + salt).is_multiple_of(3) {
                        -S::one()
                    } else {
                        S::one()
                    }
                })
            })
            .collect()
    };
    Data {
        xs: vecs(D, 3),
        ys: vecs(O, 4),
        signs_n: signs(N, 0),
        signs_2: signs(2, 1),
        noise: vecs(N, 6)
            .into_iter()
            .map(|z| z / S::from_i64(16))
            .collect(),
    }
}

/// The network and KeRNL's β, γ from θ.
fn unpack<S: Real>(tmpl: &Rnn<f64>, th: &[S]) -> (Rnn<S>, Kernel<S>) {
    let p = O * N + N * N + N * D;
    let net = tmpl.with_params_flat(&th[..p]).unwrap();
    let beta = DMatrix::from_fn(N, N, |r, c| th[p + r * N + c].clone());
    let gamma = DVector::from_fn(N, |i, _| th[p + N * N + i].clone());
    (net, Kernel { beta, gamma })
}

impl Case {
    /// The cases without square roots, over any kind (`None` for the variance-minimising ones).
    fn exact<S: Real>(self, tmpl: &Rnn<f64>, th: &[S], dt: &Data<S>) -> Option<Update<S>> {
        let (net, kern) = unpack(tmpl, th);
        let (xs, ys, l) = (&dt.xs, &dt.ys, Loss::Sequence);
        let rates = Rates {
            beta: S::ratio(1, 4),
            gamma: S::ratio(1, 4),
        };
        let up = match self {
            Case::Uoro(Scaling::Unit) => uoro::update_unit(&net, xs, ys, l, &dt.signs_n),
            Case::Kf(Scaling::Unit) => kf_rtrl::update_unit(&net, xs, ys, l, &dt.signs_2),
            Case::ReverseKf(Scaling::Unit) => {
                reverse_kf_rtrl::update_unit(&net, xs, ys, l, &dt.signs_n)
            }
            Case::Snap(k) => snap::update(&net, xs, ys, l, k),
            Case::KernlFrozen => kernl::update(&net, xs, ys, l, &kern),
            Case::KernlLearned => {
                kernl::update_learned(&net, xs, ys, l, &kern, &dt.noise, &rates).map(|r| r.0)
            }
            Case::Efficient(k) => windowed_bptt::efficient_update(&net, xs, ys, l, k),
            Case::Future(k) => windowed_bptt::future_update(&net, xs, ys, l, k),
            _ => return None,
        };
        Some(up.unwrap_or_else(|e| panic!("{self:?}: {e}")))
    }

    /// Every case, over kinds with square roots.
    fn any<S: RealFn>(self, tmpl: &Rnn<f64>, th: &[S], dt: &Data<S>) -> Update<S> {
        if let Some(u) = self.exact(tmpl, th, dt) {
            return u;
        }
        let (net, _) = unpack(tmpl, th);
        let (xs, ys, l) = (&dt.xs, &dt.ys, Loss::Sequence);
        let vm = Scaling::VarianceMin;
        match self {
            Case::Uoro(_) => uoro::update(&net, xs, ys, l, &dt.signs_n, vm),
            Case::Kf(_) => kf_rtrl::update(&net, xs, ys, l, &dt.signs_2, vm),
            Case::ReverseKf(_) => reverse_kf_rtrl::update(&net, xs, ys, l, &dt.signs_n, vm),
            _ => unreachable!("the exact cases returned above"),
        }
        .unwrap_or_else(|e| panic!("{self:?}: {e}"))
    }
}

fn template(activation: Activation) -> Rnn<f64> {
    Rnn::new(
        DMatrix::zeros(O, N),
        DMatrix::zeros(N, N),
        DMatrix::zeros(N, D),
    )
    .unwrap()
    .with_leak(0.5)
    .unwrap()
    .with_activation(activation)
}

fn mpfr_update(case: Case, tmpl: &Rnn<f64>, th: &[f64], v: &[f64], step: f64) -> Update<f64> {
    with_precision(256, || {
        let th: Vec<Mpfr> = th
            .iter()
            .zip(v)
            .map(|(x, d)| Mpfr::from_f64(*x) + Mpfr::from_f64(*d) * Mpfr::from_f64(step))
            .collect();
        case.any(tmpl, &th, &data::<Mpfr>()).to_f64()
    })
    .unwrap()
}

/// Linear leaky network: Rational, f64, MPFR and the Dual's value part agree to rounding (the
/// variance-minimising forms have no Rational run).
#[test]
fn family_rules_agree_across_number_kinds_on_a_linear_network() {
    let tmpl = template(Activation::Identity);
    let (th, v) = theta();
    for case in CASES {
        let f = case.any(&tmpl, &th, &data::<f64>());
        let m = mpfr_update(case, &tmpl, &th, &v, 0.0);
        // Floor 1e-300: only guards a zero update; the updates are O(1e-3 … 1).
        assert!(
            m.rel_diff(&f, ZERO_GUARD_F64) <= F64_IDENTITY_REL,
            "{case:?}: MPFR vs f64"
        );
        let q: Vec<Rational> = th.iter().map(|x| Rational::from_f64(*x)).collect();
        if let Some(exact) = case.exact(&tmpl, &q, &data::<Rational>()) {
            let err = exact.to_f64().rel_diff(&f, ZERO_GUARD_F64);
            assert!(err <= F64_IDENTITY_REL, "{case:?}: Rational vs f64 {err:e}");
        }
        // A rule that ignores its parameters would pass the above trivially: the update is not 0.
        assert!(lro::linalg::max_abs(&f.w) > 0.0, "{case:?}: ΔW = 0");
    }
}

/// Leaky tanh (and the linear network): the Dual's value part is the f64 run bit for bit, and its
/// derivative part is the MPFR central difference along the same direction.
#[test]
fn dual_derivatives_of_family_updates_are_directional_derivatives() {
    let (th, v) = theta();
    let h = 2f64.powi(-40);
    for activation in [Activation::Tanh, Activation::Identity] {
        let tmpl = template(activation);
        for case in CASES {
            let f = case.any(&tmpl, &th, &data::<f64>());
            let dual: Vec<Dual<f64>> = th.iter().zip(&v).map(|(x, d)| Dual::new(*x, *d)).collect();
            let du = case.any(&tmpl, &dual, &data::<Dual<f64>>());
            let re = |m: &DMatrix<Dual<f64>>| m.map(|x| x.re);
            let eps = |m: &DMatrix<Dual<f64>>| m.map(|x| x.eps);
            let value = Update {
                a: re(&du.a),
                w: re(&du.w),
                b: re(&du.b),
            };
            assert_eq!(value, f, "{case:?} {activation:?}: Dual value part vs f64");
            let deriv = Update {
                a: eps(&du.a),
                w: eps(&du.w),
                b: eps(&du.b),
            };
            let fd = central(case, &tmpl, &th, &v, h);
            let err = deriv.rel_diff(&fd, ZERO_GUARD_F64);
            assert!(
                err <= FAMILY_DUAL_DERIVATIVE_REL,
                "{case:?} {activation:?}: Dual derivative vs MPFR central difference {err:e}"
            );
        }
    }
}

/// `(U(θ + h v) − U(θ − h v)) / 2h`, all in 256-bit MPFR, rounded to f64 at the end.
fn central(case: Case, tmpl: &Rnn<f64>, th: &[f64], v: &[f64], h: f64) -> Update<f64> {
    with_precision(256, || {
        let at = |s: f64| -> Update<Mpfr> {
            let th: Vec<Mpfr> = th
                .iter()
                .zip(v)
                .map(|(x, d)| Mpfr::from_f64(*x) + Mpfr::from_f64(*d) * Mpfr::from_f64(s))
                .collect();
            case.any(tmpl, &th, &data::<Mpfr>())
        };
        let mut d = at(h);
        d.add_scaled(&at(-h), -Mpfr::from_i64(1));
        let inv = Mpfr::from_i64(1) / Mpfr::from_f64(2.0 * h);
        d.a *= inv.clone();
        d.w *= inv.clone();
        d.b *= inv;
        d.to_f64()
    })
    .unwrap()
}

/// The per-sample windowed rules against the `marschall2020` preset, which computes efficient and
/// future BPTT in the framework's streaming convention: over Q, with no biases and `h_0 = 0` the
/// two networks are the same (the preset's `x_t` is lro's `xs[t − 1]`), the preset's summed
/// per-step gradients are the `1/T`-free sequence-loss gradient, and
/// - efficient BPTT: for k dividing T the preset's windows are lro's;
/// - future BPTT: the preset delivers step t0's term at step t0 + k − 1, so the sequence is
///   extended by k − 1 steps whose targets equal the outputs (zero error): every pending term is
///   then delivered with exactly the losses lro's per-sample form uses.
#[test]
fn windowed_bptt_matches_the_marschall2020_preset_over_q() {
    use lro::oracle::presets::marschall2020::Setup;
    let q = |i: usize, s: usize| Rational::from_f64(dy(i, s) / 2.0);
    let (th, _) = theta();
    let tmpl = template(Activation::Identity);
    let (net, _) = unpack(
        &tmpl,
        &th.iter()
            .map(|x| Rational::from_f64(*x))
            .collect::<Vec<_>>(),
    );
    let dt = data::<Rational>();
    let preset = |k: usize| Setup {
        w_rec: net.w().clone(),
        w_in: net.b().clone(),
        b_rec: DVector::zeros(N),
        w_out: net.a().clone(),
        b_out: DVector::zeros(O),
        w_fb: None,
        alpha: net.alpha().clone(),
        alpha_rflo: net.alpha().clone(),
        activation: Activation::Identity,
        h0: DVector::zeros(N),
        bptt_k: k,
    };
    // ΔW, ΔB from a sum of the preset's n × (n + d + 1) gradients, scaled by 1/T.
    let split = |gs: &[DMatrix<Rational>]| {
        let mut sum = DMatrix::<Rational>::zeros(N, N + D + 1);
        for g in gs {
            sum += g;
        }
        let s = Rational::ratio(1, T as i64);
        (
            sum.columns(0, N).into_owned() * s.clone(),
            sum.columns(N, D).into_owned() * s,
        )
    };
    for k in [1, 2, 4] {
        let run = preset(k).run(&dt.xs, &dt.ys).unwrap();
        let (w, b) = split(&run.ebptt_grads);
        let ours =
            windowed_bptt::efficient_update(&net, &dt.xs, &dt.ys, Loss::Sequence, k).unwrap();
        assert_eq!((ours.w, ours.b), (w, b), "efficient BPTT, k = {k}");
    }
    for k in [1, 2, 3, 4] {
        let extra = k - 1;
        let mut xs = dt.xs.clone();
        xs.extend((0..extra).map(|t| DVector::from_fn(D, |i, _| q(t * D + i, 9))));
        let mut ys = dt.ys.clone();
        ys.extend((0..extra).map(|_| DVector::zeros(O)));
        let first = preset(k).run(&xs, &ys).unwrap();
        ys[T..T + extra].clone_from_slice(&first.z[T..T + extra]);
        let run = preset(k).run(&xs, &ys).unwrap();
        let (w, b) = split(&run.fbptt_grads);
        let ours = windowed_bptt::future_update(&net, &dt.xs, &dt.ys, Loss::Sequence, k).unwrap();
        assert_eq!((&ours.w, &ours.b), (&w, &b), "future BPTT, k = {k}");
        // The comparison has power: lro's future BPTT with its window one step late differs.
        let late = faults::inject(Fault::FutureBpttDelayOffByOne, || {
            windowed_bptt::future_update(&net, &dt.xs, &dt.ys, Loss::Sequence, k).unwrap()
        });
        assert_ne!(
            (late.w, late.b),
            (w, b),
            "future BPTT with the fault, k = {k}"
        );
    }
    let leak = faults::inject(Fault::EfficientBpttWindowLeak, || {
        windowed_bptt::efficient_update(&net, &dt.xs, &dt.ys, Loss::Sequence, 2).unwrap()
    });
    let (w, b) = split(&preset(2).run(&dt.xs, &dt.ys).unwrap().ebptt_grads);
    assert_ne!(
        (leak.w, leak.b),
        (w, b),
        "efficient BPTT with the window leak"
    );
}
