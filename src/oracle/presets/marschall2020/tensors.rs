//! The tensors of a `marschall2020` fixture (one table: name, role, group, first step, shape,
//! meaning) and the builder that fills them from a [`super::Run`].
use super::Setup;
use super::conventions::conventions;
use super::kernl::KernlInputs;
use super::settings::{MarschallConfig, draw, draw_kernl, draw_stochastic};
use super::stochastic::Draws;
use crate::error::Result;
use crate::oracle::draw::{in_kind, mats, vecs};
use crate::oracle::fixture::{Fixture, GROUP_FORWARD as F, GROUP_GIVEN as G, Role, SCHEMA_VERSION};
use crate::oracle::limits::Arithmetic;
use crate::oracle::presets::table::{TableWriter, TensorSpec, spec};
use crate::rnn::inputs;
use crate::scalar::Real;
use nalgebra::{DMatrix, DVector};
use serde_json::json;
use std::collections::BTreeMap;

use Role::{Input, Parameter, State, Target, Trace, Update};

/// Every tensor of a `marschall2020` fixture. Sizes: `n_in`, `n_h`, `n_out`, `T` (steps), and
/// `m = n_h + n_in + 1` (columns of the packed `W`).
#[rustfmt::skip]
pub const TENSORS: &[TensorSpec] = &[
    spec("W_rec", Parameter, G, None, "n_h, n_h", "W_rec (n_h x n_h)"),
    spec("W_in", Parameter, G, None, "n_h, n_in", "W_in (n_h x n_in)"),
    spec("b_rec", Parameter, G, None, "n_h", "b_rec (n_h)"),
    spec("W", Parameter, G, None, "n_h, m", "packed [W_rec | W_in | b_rec] (n_h x (n_h + n_in + 1))"),
    spec("W_out", Parameter, G, None, "n_out, n_h", "W_out (n_out x n_h)"),
    spec("b_out", Parameter, G, None, "n_out", "b_out (n_out)"),
    spec("W_FB", Parameter, G, None, "n_out, n_h", "RFLO feedback W_FB (n_out x n_h): q = W_FB^T e").optional(),
    spec("alpha", Parameter, G, None, "", "network leak alpha"),
    spec("alpha_rflo", Parameter, G, None, "", "RFLO trace rate alpha_R"),
    spec("h0", Parameter, G, None, "n_h", "initial pre-activation h_0 (a_0 = phi(h_0))"),
    spec("x", Input, G, Some(1), "T, n_in", "inputs x_t, t = 1..T"),
    spec("y_star", Target, G, Some(1), "T, n_out", "targets y*_t (teacher outputs z*_t)"),
    spec("h", State, F, Some(1), "T, n_h", "pre-activations h_t"),
    spec("a", State, F, Some(0), "T+1, n_h", "states a_0..a_T"),
    spec("z", State, F, Some(1), "T, n_out", "outputs z_t"),
    spec("error", State, F, Some(1), "T, n_out", "errors e_t = z_t - y*_t"),
    spec("loss", State, F, Some(1), "T", "logged losses 0.5 mean((z_t - y*_t)^2)"),
    spec("outer.grads_steps", Update, "outer", Some(1), "T, n_out, n_h+1", "gradient of L_t w.r.t. [W_out | b_out]: e_t [a_t, 1]^T"),
    spec("outer.grads", Update, "outer", None, "n_out, n_h+1", "sum over t of outer.grads_steps"),
    spec("rflo.q", Trace, "rflo", Some(1), "T, n_h", "feedback q_t = W_FB^T e_t"),
    spec("rflo.B", Trace, "rflo", Some(1), "T, n_h, m", "RFLO trace B_t (n_h x m)"),
    spec("rflo.rec_grads_steps", Update, "rflo", Some(1), "T, n_h, m", "RFLO gradient g_t = q_t[i] B_t[i,j] (packed)"),
    spec("rflo.rec_grads", Update, "rflo", None, "n_h, m", "sum over t of rflo.rec_grads_steps"),
    spec("rtrl.q", Trace, "rtrl", Some(1), "T, n_h", "q_t = W_out^T e_t"),
    spec("rtrl.dadw", Trace, "rtrl", Some(1), "T, n_h, n_h*m", "influence matrix M_t (n_h x n_h*m, column k = i + n_h*j)"),
    spec("rtrl.rec_grads_steps", Update, "rtrl", Some(1), "T, n_h, m", "RTRL gradient dL_t/dW (packed)"),
    spec("rtrl.rec_grads", Update, "rtrl", None, "n_h, m", "sum over t of rtrl.rec_grads_steps"),
    spec("ebptt.rec_grads_steps", Update, "ebptt", Some(1), "T, n_h, m", "Efficient BPTT: at the last step t of each window of k steps, the gradient of the window's summed loss (packed); zeros in between and in a trailing partial window"),
    spec("ebptt.rec_grads", Update, "ebptt", None, "n_h, m", "sum over t of ebptt.rec_grads_steps"),
    spec("fbptt.rec_grads_steps", Update, "fbptt", Some(1), "T, n_h, m", "Future BPTT: at step t >= k, the gradient through step t0 = t-k+1 of the losses L_t0..L_t (packed); zeros for t < k"),
    spec("fbptt.rec_grads", Update, "fbptt", None, "n_h, m", "sum over t of fbptt.rec_grads_steps"),
    spec("uoro.nu", Input, "uoro", Some(1), "T, n_h", "UORO draws nu_t in {-1, +1}^n_h (the code's sample_nu, nu_dist 'discrete')"),
    spec("uoro.A0", Input, "uoro", None, "n_h", "UORO initial A (the code draws N(0, 1))"),
    spec("uoro.B0", Input, "uoro", None, "n_h, m", "UORO initial B (the code draws N(0, 1))"),
    spec("uoro.A", Trace, "uoro", Some(1), "T, n_h", "UORO A_t = p0 J_t A_{t-1} + p1 nu_t"),
    spec("uoro.B", Trace, "uoro", Some(1), "T, n_h, m", "UORO B_t = B_{t-1}/p0 + (nu_t * alpha phi'(h_t)) a_hat_t^T / p1"),
    spec("uoro.p", Trace, "uoro", Some(1), "T, 2", "UORO (p0, p1) of step t"),
    spec("uoro.rec_grads_steps", Update, "uoro", Some(1), "T, n_h, m", "UORO gradient (q_t . A_t) B_t (packed)"),
    spec("uoro.rec_grads", Update, "uoro", None, "n_h, m", "sum over t of uoro.rec_grads_steps"),
    spec("kf_rtrl.nu", Input, "kf_rtrl", Some(1), "T, 2", "KF-RTRL draws (nu0, nu1)_t in {-1, +1}^2"),
    spec("kf_rtrl.A0", Input, "kf_rtrl", None, "m", "KF-RTRL initial A (the code draws N(0, 1))"),
    spec("kf_rtrl.B0", Input, "kf_rtrl", None, "n_h, n_h", "KF-RTRL initial B (the code draws N(0, 1))"),
    spec("kf_rtrl.A", Trace, "kf_rtrl", Some(1), "T, m", "KF-RTRL A_t = nu0 p0 A_{t-1} + nu1 p1 a_hat_t"),
    spec("kf_rtrl.B", Trace, "kf_rtrl", Some(1), "T, n_h, n_h", "KF-RTRL B_t = nu0 J_t B_{t-1}/p0 + nu1 diag(alpha phi'(h_t))/p1"),
    spec("kf_rtrl.p", Trace, "kf_rtrl", Some(1), "T, 2", "KF-RTRL (p0, p1) of step t"),
    spec("kf_rtrl.rec_grads_steps", Update, "kf_rtrl", Some(1), "T, n_h, m", "KF-RTRL gradient [i, j] = (q_t^T B_t)_i A_t[j] (packed)"),
    spec("kf_rtrl.rec_grads", Update, "kf_rtrl", None, "n_h, m", "sum over t of kf_rtrl.rec_grads_steps"),
    spec("rkf_rtrl.nu", Input, "rkf_rtrl", Some(1), "T, n_h", "reverse KF-RTRL draws nu_t in {-1, +1}^n_h"),
    spec("rkf_rtrl.A0", Input, "rkf_rtrl", None, "n_h", "reverse KF-RTRL initial A (the code draws N(0, 1))"),
    spec("rkf_rtrl.B0", Input, "rkf_rtrl", None, "n_h, m", "reverse KF-RTRL initial B (the code draws N(0, 1))"),
    spec("rkf_rtrl.A", Trace, "rkf_rtrl", Some(1), "T, n_h", "reverse KF-RTRL A_t = p0 A_{t-1} + p1 nu_t"),
    spec("rkf_rtrl.B", Trace, "rkf_rtrl", Some(1), "T, n_h, m", "reverse KF-RTRL B_t = J_t B_{t-1}/p0 + (nu_t * alpha phi'(h_t)) a_hat_t^T / p1"),
    spec("rkf_rtrl.p", Trace, "rkf_rtrl", Some(1), "T, 2", "reverse KF-RTRL (p0, p1) of step t"),
    spec("rkf_rtrl.rec_grads_steps", Update, "rkf_rtrl", Some(1), "T, n_h, m", "reverse KF-RTRL gradient [i, j] = A_t[i] (q_t^T B_t)_j (packed)"),
    spec("rkf_rtrl.rec_grads", Update, "rkf_rtrl", None, "n_h, m", "sum over t of rkf_rtrl.rec_grads_steps"),
    spec("kernl.zeta", Input, "kernl", Some(0), "T+1, n_h", "KeRNL perturbations zeta_0..zeta_T ~ N(0, kernl_sigma^2) (zeta_0 drawn at creation)"),
    spec("kernl.A0", Input, "kernl", None, "n_h, n_h", "KeRNL initial kernel A (the code's default: identity)"),
    spec("kernl.alpha0", Input, "kernl", None, "n_h", "KeRNL initial rates (the code's alpha; default 0.8)"),
    spec("kernl.lr", Input, "kernl", None, "", "KeRNL SGD learning rate of A and the rates"),
    spec("kernl.A", Trace, "kernl", Some(1), "T, n_h, n_h", "KeRNL kernel A after step t's SGD update"),
    spec("kernl.alpha", Trace, "kernl", Some(1), "T, n_h", "KeRNL rates after step t's SGD update"),
    spec("kernl.B", Trace, "kernl", Some(1), "T, n_h, m", "KeRNL eligibility trace B_t = diag(max(0, 1 - rates)) B_{t-1} + alpha phi'(h_t) a_hat_t^T"),
    spec("kernl.rec_grads_steps", Update, "kernl", Some(1), "T, n_h, m", "KeRNL gradient [i, j] = (A^T q_t)_i B_t[i, j] (packed)"),
    spec("kernl.rec_grads", Update, "kernl", None, "n_h, m", "sum over t of kernl.rec_grads_steps"),
];

fn total(v: &[DMatrix<f64>]) -> DMatrix<f64> {
    v.iter().skip(1).fold(v[0].clone(), |acc, x| acc + x)
}

/// The fixture of a case, computed over the number kind `T` from the drawn f64 values.
pub fn fixture_in<T: Real>(
    c: &MarschallConfig,
    s: &Setup<f64>,
    xs: &[DVector<f64>],
    ys: &[DVector<f64>],
    dr: &Draws<f64>,
    kin: &KernlInputs<f64>,
) -> Result<Fixture> {
    let f = T::from_f64;
    let st = Setup {
        w_rec: s.w_rec.map(f),
        w_in: s.w_in.map(f),
        b_rec: s.b_rec.map(f),
        w_out: s.w_out.map(f),
        b_out: s.b_out.map(f),
        w_fb: s.w_fb.as_ref().map(|m| m.map(f)),
        alpha: f(s.alpha),
        alpha_rflo: f(s.alpha_rflo),
        activation: s.activation,
        h0: s.h0.map(f),
        bptt_k: s.bptt_k,
    };
    let (xs_t, ys_t) = (inputs::cast::<T>(xs), inputs::cast::<T>(ys));
    let r = st.run(&xs_t, &ys_t)?;
    let init = |p: &(DVector<f64>, DMatrix<f64>)| (p.0.map(f), p.1.map(f));
    let dr_t = Draws {
        uoro_nu: inputs::cast::<T>(&dr.uoro_nu),
        uoro_init: init(&dr.uoro_init),
        kf_nu: inputs::cast::<T>(&dr.kf_nu),
        kf_init: init(&dr.kf_init),
        rkf_nu: inputs::cast::<T>(&dr.rkf_nu),
        rkf_init: init(&dr.rkf_init),
        unit_scaling: dr.unit_scaling,
    };
    let sr = st.run_stochastic(&xs_t, &ys_t, &dr_t)?;
    let kr = st.run_kernl(
        &xs_t,
        &ys_t,
        &KernlInputs {
            zeta: inputs::cast::<T>(&kin.zeta),
            a0: kin.a0.map(f),
            rates0: kin.rates0.map(f),
            lr: f(kin.lr),
        },
    )?;
    let (d, n, o) = (c.n_in, c.n_h, c.n_out);
    let dims = [
        ("n_in", d),
        ("n_h", n),
        ("n_out", o),
        ("T", c.horizon),
        ("m", n + d + 1),
    ];
    let mut w = TableWriter::new(TENSORS, &dims);
    w.matrix("W_rec", &s.w_rec)?;
    w.matrix("W_in", &s.w_in)?;
    w.vector("b_rec", &s.b_rec)?;
    w.matrix("W", &s.packed())?;
    w.matrix("W_out", &s.w_out)?;
    w.vector("b_out", &s.b_out)?;
    if let Some(fb) = &s.w_fb {
        w.matrix("W_FB", fb)?;
    }
    w.scalar("alpha", s.alpha)?;
    w.scalar("alpha_rflo", s.alpha_rflo)?;
    w.vector("h0", &s.h0)?;
    w.vectors("x", xs)?;
    w.vectors("y_star", ys)?;
    w.vectors("h", &vecs(&r.h))?;
    w.vectors("a", &vecs(&r.a))?;
    w.vectors("z", &vecs(&r.z))?;
    w.vectors("error", &vecs(&r.error))?;
    w.put("loss", r.loss.iter().map(|l| l.to_f64()).collect())?;
    let og = mats(&r.outer_grads);
    w.matrices("outer.grads_steps", &og)?;
    w.matrix("outer.grads", &total(&og))?;
    w.vectors("rflo.q", &vecs(&r.rflo_q))?;
    w.matrices("rflo.B", &mats(&r.rflo_b))?;
    let rg = mats(&r.rflo_grads);
    w.matrices("rflo.rec_grads_steps", &rg)?;
    w.matrix("rflo.rec_grads", &total(&rg))?;
    w.vectors("rtrl.q", &vecs(&r.rtrl_q))?;
    w.matrices("rtrl.dadw", &mats(&r.rtrl_m))?;
    let tg = mats(&r.rtrl_grads);
    w.matrices("rtrl.rec_grads_steps", &tg)?;
    w.matrix("rtrl.rec_grads", &total(&tg))?;
    for (rule, grads) in [("ebptt", &r.ebptt_grads), ("fbptt", &r.fbptt_grads)] {
        let g = mats(grads);
        w.matrices(&format!("{rule}.rec_grads_steps"), &g)?;
        w.matrix(&format!("{rule}.rec_grads"), &total(&g))?;
    }
    for (rule, run, nu, init) in [
        ("uoro", &sr.uoro, &dr.uoro_nu, &dr.uoro_init),
        ("kf_rtrl", &sr.kf_rtrl, &dr.kf_nu, &dr.kf_init),
        ("rkf_rtrl", &sr.rkf_rtrl, &dr.rkf_nu, &dr.rkf_init),
    ] {
        w.vectors(&format!("{rule}.nu"), nu)?;
        w.vector(&format!("{rule}.A0"), &init.0)?;
        w.matrix(&format!("{rule}.B0"), &init.1)?;
        w.vectors(&format!("{rule}.A"), &vecs(&run.a))?;
        w.matrices(&format!("{rule}.B"), &mats(&run.b))?;
        w.vectors(&format!("{rule}.p"), &vecs(&run.p))?;
        let g = mats(&run.grads);
        w.matrices(&format!("{rule}.rec_grads_steps"), &g)?;
        w.matrix(&format!("{rule}.rec_grads"), &total(&g))?;
    }
    w.vectors("kernl.zeta", &kin.zeta)?;
    w.matrix("kernl.A0", &kin.a0)?;
    w.vector("kernl.alpha0", &kin.rates0)?;
    w.scalar("kernl.lr", kin.lr)?;
    w.matrices("kernl.A", &mats(&kr.a))?;
    w.vectors("kernl.alpha", &vecs(&kr.rates))?;
    w.matrices("kernl.B", &mats(&kr.b))?;
    let kg = mats(&kr.grads);
    w.matrices("kernl.rec_grads_steps", &kg)?;
    w.matrix("kernl.rec_grads", &total(&kg))?;
    let mut settings = BTreeMap::new();
    for (k, v) in [
        ("seed", json!(c.seed)),
        ("n_in", json!(d)),
        ("n_h", json!(n)),
        ("n_out", json!(o)),
        ("T", json!(c.horizon)),
        ("alpha", json!(s.alpha)),
        ("alpha_rflo", json!(s.alpha_rflo)),
        ("activation", json!(s.activation)),
        ("random_feedback", json!(c.random_feedback)),
        ("h0_scale", json!(c.h0_scale)),
        ("bptt_k", json!(c.bptt_k)),
        ("stochastic_init_scale", json!(c.stochastic_init_scale)),
        ("stochastic_unit_scaling", json!(c.stochastic_unit_scaling)),
        ("kernl_sigma", json!(c.kernl_sigma)),
        ("kernl_lr", json!(c.kernl_lr)),
    ] {
        settings.insert(k.to_string(), v);
    }
    Ok(Fixture {
        schema_version: SCHEMA_VERSION,
        case: c.name.clone(),
        description: c.description.clone(),
        conventions: conventions(c, settings),
        provenance: crate::oracle::fixture::Provenance::current(),
        tensors: w.finish()?,
    })
}

/// Draws the case and computes its fixture in the given arithmetic.
pub fn build(c: &MarschallConfig, arith: Arithmetic) -> Result<Fixture> {
    let (s, xs, ys) = draw(c)?;
    let dr = draw_stochastic(c)?;
    let kin = draw_kernl(c)?;
    in_kind!(arith, fixture_in, c, &s, &xs, &ys, &dr, &kin)
}
