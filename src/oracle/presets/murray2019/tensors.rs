//! The tensors of a `murray2019` fixture (one table: name, role, group, first step, shape,
//! meaning) and the builder that fills them from a [`super::Run`].
use super::conventions::conventions;
use super::settings::{MurrayConfig, draw};
use super::{Deltas, Setup};
use crate::error::Result;
use crate::linalg;
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

/// Every tensor of a `murray2019` fixture. Sizes: `n_in`, `n_rec`, `n_out`, `t_max` (rows of the
/// notebook's arrays: code time 0 … t_max − 1).
#[rustfmt::skip]
pub const TENSORS: &[TensorSpec] = &[
    spec("w_in", Parameter, G, None, "n_rec, n_in", "input weights (n_rec x n_in)"),
    spec("w_rec", Parameter, G, None, "n_rec, n_rec", "recurrent weights (n_rec x n_rec)"),
    spec("w_out", Parameter, G, None, "n_out, n_rec", "readout (n_out x n_rec)"),
    spec("b", Parameter, G, None, "n_rec, n_out", "random feedback b (n_rec x n_out)"),
    spec("h0", Parameter, G, None, "n_rec", "initial state h[0]"),
    spec("tau_m", Parameter, G, None, "", "time constant in steps"),
    spec("eta", Parameter, G, None, "3", "learning rates [eta_in, eta_rec, eta_out]"),
    spec("x", Input, G, Some(0), "t_max, n_in", "inputs x[t], t = 0..t_max-1"),
    spec("y_", Target, G, Some(0), "t_max, n_out", "targets y_[t] (teacher outputs)"),
    spec("u", State, F, Some(0), "t_max, n_rec", "u[t] (u[0] = 0)"),
    spec("h", State, F, Some(0), "t_max, n_rec", "h[t] (h[0] = h0)"),
    spec("y", State, F, Some(0), "t_max, n_out", "y[t] (y[0] = 0)"),
    spec("err", State, F, Some(0), "t_max, n_out", "err[t] = y_[t] - y[t] (err[0] = 0)"),
    spec("loss", State, F, None, "", "0.5 mean((y_ - y)^2) over all rows, row 0 included"),
    spec("rflo.p", Trace, "rflo", Some(0), "t_max, n_rec, n_rec", "recurrent trace p after step t"),
    spec("rflo.q", Trace, "rflo", Some(0), "t_max, n_rec, n_in", "input trace q after step t (q[0]: initial)"),
    spec("bptt.z", Trace, "bptt", Some(0), "t_max, n_rec", "BPTT adjoint z[t]"),
    spec("rflo.dw_in_steps", Update, "rflo", Some(0), "t_max, n_rec, n_in", "rflo: increment of dw_in added at step t (row 0: none)"),
    spec("rflo.dw_rec_steps", Update, "rflo", Some(0), "t_max, n_rec, n_rec", "rflo: increment of dw_rec added at step t (row 0: none)"),
    spec("rflo.dw_out_steps", Update, "rflo", Some(0), "t_max, n_out, n_rec", "rflo: increment of dw_out added at step t (row 0: none)"),
    spec("rflo.dw_in", Update, "rflo", None, "n_rec, n_in", "rflo: trial total dw_in (added to the weights)"),
    spec("rflo.dw_rec", Update, "rflo", None, "n_rec, n_rec", "rflo: trial total dw_rec (added to the weights)"),
    spec("rflo.dw_out", Update, "rflo", None, "n_out, n_rec", "rflo: trial total dw_out (added to the weights)"),
    spec("bptt.dw_in_steps", Update, "bptt", Some(0), "t_max, n_rec, n_in", "bptt: increment of dw_in added at step t (row 0: none)"),
    spec("bptt.dw_rec_steps", Update, "bptt", Some(0), "t_max, n_rec, n_rec", "bptt: increment of dw_rec added at step t (row 0: none)"),
    spec("bptt.dw_out_steps", Update, "bptt", Some(0), "t_max, n_out, n_rec", "bptt: increment of dw_out added at step t (row 0: none)"),
    spec("bptt.dw_in", Update, "bptt", None, "n_rec, n_in", "bptt: trial total dw_in (added to the weights)"),
    spec("bptt.dw_rec", Update, "bptt", None, "n_rec, n_rec", "bptt: trial total dw_rec (added to the weights)"),
    spec("bptt.dw_out", Update, "bptt", None, "n_out, n_rec", "bptt: trial total dw_out (added to the weights)"),
];

/// The fixture of a case, computed over the number kind `T` from the drawn f64 values.
pub fn fixture_in<T: Real>(
    c: &MurrayConfig,
    s: &Setup<f64>,
    x: &[DVector<f64>],
    y_: &[DVector<f64>],
) -> Result<Fixture> {
    let f = T::from_f64;
    let st = Setup {
        w_in: s.w_in.map(f),
        w_rec: s.w_rec.map(f),
        w_out: s.w_out.map(f),
        b: s.b.map(f),
        h0: s.h0.map(f),
        tau_m: f(s.tau_m),
        eta: [f(s.eta[0]), f(s.eta[1]), f(s.eta[2])],
        derivative: s.derivative,
        input_trace_lag: s.input_trace_lag,
        bptt_error_shift: s.bptt_error_shift,
    };
    let r = st.run(&inputs::cast::<T>(x), &inputs::cast::<T>(y_))?;
    let dims = [
        ("n_in", c.n_in),
        ("n_rec", c.n_rec),
        ("n_out", c.n_out),
        ("t_max", c.t_max),
    ];
    let mut w = TableWriter::new(TENSORS, &dims);
    w.matrix("w_in", &s.w_in)?;
    w.matrix("w_rec", &s.w_rec)?;
    w.matrix("w_out", &s.w_out)?;
    w.matrix("b", &s.b)?;
    w.vector("h0", &s.h0)?;
    w.scalar("tau_m", s.tau_m)?;
    w.vector("eta", &DVector::from_row_slice(&s.eta))?;
    w.vectors("x", x)?;
    w.vectors("y_", y_)?;
    w.vectors("u", &vecs(&r.u))?;
    w.vectors("h", &vecs(&r.h))?;
    w.vectors("y", &vecs(&r.y))?;
    w.vectors("err", &vecs(&r.err))?;
    w.scalar("loss", r.loss.to_f64())?;
    w.matrices("rflo.p", &mats(&r.p))?;
    w.matrices("rflo.q", &mats(&r.q))?;
    w.vectors("bptt.z", &vecs(&r.z))?;
    type Get<T> = fn(&Deltas<T>) -> &DMatrix<T>;
    let blocks: [(&str, Get<T>); 3] = [
        ("dw_in", |u| &u.w_in),
        ("dw_rec", |u| &u.w_rec),
        ("dw_out", |u| &u.w_out),
    ];
    for (rule, steps, total) in [
        ("rflo", &r.rflo_steps, &r.rflo),
        ("bptt", &r.bptt_steps, &r.bptt),
    ] {
        for (blk, get) in blocks {
            let series: Vec<DMatrix<f64>> = steps.iter().map(|s| linalg::to_f64(get(s))).collect();
            w.matrices(&format!("{rule}.{blk}_steps"), &series)?;
            w.matrix(&format!("{rule}.{blk}"), &linalg::to_f64(get(total)))?;
        }
    }
    let mut settings = BTreeMap::new();
    for (k, v) in [
        ("seed", json!(c.seed)),
        ("n_in", json!(c.n_in)),
        ("n_rec", json!(c.n_rec)),
        ("n_out", json!(c.n_out)),
        ("t_max", json!(c.t_max)),
        ("tau_m", json!(c.tau_m)),
        ("eta_in", json!(c.eta[0])),
        ("eta_rec", json!(c.eta[1])),
        ("eta_out", json!(c.eta[2])),
        ("h0_scale", json!(c.h0_scale)),
        ("derivative", json!(s.derivative)),
        ("input_trace_lag", json!(c.input_trace_lag)),
        ("bptt_error_shift", json!(c.bptt_error_shift)),
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
pub fn build(c: &MurrayConfig, arith: Arithmetic) -> Result<Fixture> {
    let (s, x, y_) = draw(c)?;
    in_kind!(arith, fixture_in, c, &s, &x, &y_)
}
