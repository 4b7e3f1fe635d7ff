//! Checking your own implementation against lro's reference fixture.
//!
//! Run: `cargo run --release --example check_candidate [CASE]` (default case `linear`; see
//! `lro list` for the built-in cases with a linear, leak-free network).
//!
//! The "candidate" below is an independent, hand-written RFLO for the linear RNN in plain f64 —
//! the kind of code you would bring. It reads the parameters and inputs from the fixture, computes
//! the forward pass and RFLO's updates (final-step and sequence loss, with per-step parts and the
//! eligibility traces) and hands them to `lro::oracle::api::check`. Then the same code with a
//! classic bug — the trace decays the new term too, so it runs one step late — is checked and
//! rejected at its first diverging time step. Conventions: `docs/theory/linear-rnn.md#online`.
use lro::oracle::api::{self, Candidate, CaseRef, CheckOptions, Fixture};
use nalgebra::{DMatrix, DVector};
use std::collections::BTreeMap;
use std::process::ExitCode;

type Tensors = BTreeMap<String, (Vec<usize>, Vec<f64>)>;

/// A fixture tensor as a matrix (row-major data, shape [rows, cols]).
fn matrix(f: &Fixture, name: &str) -> Result<DMatrix<f64>, String> {
    let t = f
        .tensors
        .get(name)
        .ok_or_else(|| format!("fixture has no tensor {name}"))?;
    match t.shape[..] {
        [r, c] => Ok(DMatrix::from_row_slice(r, c, &t.data)),
        _ => Err(format!(
            "tensor {name} has shape {:?}, not a matrix",
            t.shape
        )),
    }
}

fn scalar(f: &Fixture, name: &str) -> Result<f64, String> {
    match f.tensors.get(name) {
        Some(t) if t.shape.is_empty() => Ok(t.data[0]),
        _ => Err(format!("fixture has no scalar {name}")),
    }
}

/// Row-major data of a matrix.
fn rows(m: &DMatrix<f64>) -> Vec<f64> {
    m.transpose().as_slice().to_vec()
}

/// Stacks T matrices of one shape into a [T, r, c] tensor.
fn stack(ms: &[DMatrix<f64>]) -> (Vec<usize>, Vec<f64>) {
    let (r, c) = ms[0].shape();
    (vec![ms.len(), r, c], ms.iter().flat_map(rows).collect())
}

/// The candidate: forward pass and RFLO for the linear RNN `h_t = W h_{t-1} + B x_{t-1}`,
/// `y_t = A h_t`, traces `e_t = ŵ e_{t-1} + pre_{t-1}` (or, with `late_trace`, the bug
/// `e_t = ŵ (e_{t-1} + pre_{t-1})`), learning signal `Rᵀ ε_t`.
fn my_rflo(f: &Fixture, late_trace: bool) -> Result<Tensors, String> {
    let (a, w, b, r) = (
        matrix(f, "A")?,
        matrix(f, "W")?,
        matrix(f, "B")?,
        matrix(f, "R")?,
    );
    let w_hat = scalar(f, "w_hat")?;
    if scalar(f, "alpha")? != 1.0 {
        return Err("this candidate implements the leak-free linear RNN only (alpha = 1)".into());
    }
    let xs = matrix(f, "x")?; // T×d, row t is x_t
    let ys = matrix(f, "y_star")?; // T×o, row t−1 is y*_t
    let (horizon, n, d) = (xs.nrows(), w.nrows(), xs.ncols());
    let inv_t = 1.0 / horizon as f64;

    let mut h = vec![DVector::zeros(n)];
    let (mut us, mut y, mut err) = (vec![], vec![], vec![]);
    let (mut eh, mut ex) = (DVector::<f64>::zeros(n), DVector::<f64>::zeros(d));
    let (mut trace_h, mut trace_x) = (vec![], vec![]);
    let (mut steps_a, mut steps_w, mut steps_b) = (vec![], vec![], vec![]);
    for t in 1..=horizon {
        let x_prev = xs.row(t - 1).transpose();
        let u = &w * &h[t - 1] + &b * &x_prev;
        let pre_h = h[t - 1].clone();
        if late_trace {
            eh = (eh + pre_h) * w_hat;
            ex = (ex + &x_prev) * w_hat;
        } else {
            eh = eh * w_hat + pre_h;
            ex = ex * w_hat + &x_prev;
        }
        h.push(u.clone());
        let yt = &a * &u;
        let e = &yt - ys.row(t - 1).transpose();
        let signal = r.transpose() * &e;
        // Every row of the linear RFLO trace is the same vector.
        trace_h.push(DMatrix::from_fn(n, n, |_, j| eh[j]));
        trace_x.push(DMatrix::from_fn(n, d, |_, j| ex[j]));
        steps_a.push(&e * u.transpose() * inv_t);
        steps_w.push(&signal * eh.transpose() * inv_t);
        steps_b.push(&signal * ex.transpose() * inv_t);
        us.push(u.transpose());
        y.push(yt.transpose());
        err.push(e.transpose());
    }
    let sum = |ms: &[DMatrix<f64>]| ms.iter().skip(1).fold(ms[0].clone(), |s, m| s + m);
    let last = |ms: &[DMatrix<f64>]| &ms[horizon - 1] * horizon as f64;
    let e_final = &err[horizon - 1];
    let loss_final = 0.5 * e_final.norm_squared();
    let loss_seq = 0.5 * inv_t * err.iter().map(|e| e.norm_squared()).sum::<f64>();
    let as_rows = |vs: &[nalgebra::RowDVector<f64>]| {
        let m = DMatrix::from_fn(vs.len(), vs[0].len(), |i, j| vs[i][j]);
        (vec![m.nrows(), m.ncols()], rows(&m))
    };
    let hs: Vec<_> = h.iter().map(|v| v.transpose()).collect();
    let mat = |m: DMatrix<f64>| (vec![m.nrows(), m.ncols()], rows(&m));

    let mut out = Tensors::new();
    out.insert("h".into(), as_rows(&hs));
    out.insert("u".into(), as_rows(&us));
    out.insert("y".into(), as_rows(&y));
    out.insert("err".into(), as_rows(&err));
    out.insert("loss_final".into(), (vec![], vec![loss_final]));
    out.insert("loss_seq".into(), (vec![], vec![loss_seq]));
    // The final-step loss's update is the last step's part without the 1/T weight.
    out.insert("rflo.final.dA".into(), mat(last(&steps_a)));
    out.insert("rflo.final.dW".into(), mat(last(&steps_w)));
    out.insert("rflo.final.dB".into(), mat(last(&steps_b)));
    out.insert("rflo.seq.dA".into(), mat(sum(&steps_a)));
    out.insert("rflo.seq.dW".into(), mat(sum(&steps_w)));
    out.insert("rflo.seq.dB".into(), mat(sum(&steps_b)));
    out.insert("rflo.seq.dA_steps".into(), stack(&steps_a));
    out.insert("rflo.seq.dW_steps".into(), stack(&steps_w));
    out.insert("rflo.seq.dB_steps".into(), stack(&steps_b));
    out.insert("rflo.trace_h".into(), stack(&trace_h));
    out.insert("rflo.trace_x".into(), stack(&trace_x));
    Ok(out)
}

fn run(case: &str) -> Result<bool, String> {
    let fixture = api::fixture(CaseRef::from(case), None).map_err(|e| e.to_string())?;
    println!("case {}: {}\n", fixture.case, fixture.description);
    let opts = CheckOptions::default();

    let mine = Candidate::in_memory("hand-written RFLO", my_rflo(&fixture, false)?);
    let good = api::check(&fixture, &mine, &opts).map_err(|e| e.to_string())?;
    println!("{good}");
    println!(
        "→ hand-written RFLO: {} ({} tensors compared; rules compared: {})\n",
        if good.ok { "PASS" } else { "FAIL" },
        good.tensors_compared.len(),
        good.compared.join(", ")
    );

    let buggy = Candidate::in_memory("RFLO, trace one step late", my_rflo(&fixture, true)?);
    let bad = api::check(&fixture, &buggy, &opts).map_err(|e| e.to_string())?;
    match &bad.first_divergence {
        Some(d) => println!(
            "→ RFLO with the trace one step late: {}; first divergence in {} at step {} index {:?}: \
             reference {:.6e}, got {:.6e}",
            if bad.ok {
                "PASS (unexpected)"
            } else {
                "rejected"
            },
            d.tensor,
            d.step.map_or("-".to_string(), |s| s.to_string()),
            d.index,
            d.reference,
            d.got
        ),
        None => println!("→ RFLO with the trace one step late: not rejected (unexpected)"),
    }
    Ok(good.ok && !bad.ok)
}

fn main() -> ExitCode {
    let case = std::env::args().nth(1).unwrap_or_else(|| "linear".into());
    match run(&case) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("check_candidate: {e}");
            ExitCode::from(2)
        }
    }
}
