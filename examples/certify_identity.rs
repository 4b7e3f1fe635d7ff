//! Certifying identities exactly over the rationals.
//!
//! Run: `cargo run --release --example certify_identity`
//!
//! 1. lro's online BPTT update of the scalar linear RNN `(a, w, b)` over two steps equals the
//!    gradient worked out by hand, as a polynomial identity in all six inputs
//!    `(a, w, b, x_0, x_1, y*)`. The polynomial grid argument (see `lro::certify`) turns a finite
//!    grid of exact evaluations into a proof for every input.
//! 2. A hand formula with the inputs' time order swapped is refuted with an exact counterexample.
//! 3. The project's own certificate behind catalogue entry P-RNN-17.a (every rule's update vanishes
//!    on the optimal manifold; `docs/theory/modes.md#fixed-points`) is rerun.
use lro::certify::{self, Identity, Var, VarDomain};
use lro::evidence::Budget;
use lro::rnn::Rnn;
use lro::rules::{Loss, Rule, online};
use lro::scalar::{Rational, Real};
use nalgebra::{dmatrix, dvector};
use std::process::ExitCode;

/// The residuals `lro − hand formula` for ΔA, ΔW, ΔB of BPTT at T = 2, final-step loss.
/// With `h_1 = b x_0`, `h_2 = w h_1 + b x_1`, `ε = a h_2 − y*`:
/// `ΔA = ε h_2`, `ΔW = ε a h_1`, `ΔB = ε a (w x_0 + x_1)` (or, with `swapped`, the wrong
/// `ε a (x_0 + w x_1)`, which pairs the recurrence with the wrong input).
fn bptt_residual(x: &[Rational], swapped: bool) -> lro::Result<Vec<Rational>> {
    let [a, w, b, x0, x1, y] = x else {
        unreachable!("six variables")
    };
    let net = Rnn::new(
        dmatrix![a.clone()],
        dmatrix![w.clone()],
        dmatrix![b.clone()],
    )?;
    let xs = vec![dvector![x0.clone()], dvector![x1.clone()]];
    let targets = vec![dvector![Rational::from_i64(0)], dvector![y.clone()]];
    let u = online::update(&Rule::Bptt, &net, &xs, &targets, Loss::Final)?;

    let h1 = b.clone() * x0.clone();
    let h2 = w.clone() * h1.clone() + b.clone() * x1.clone();
    let eps = a.clone() * h2.clone() - y.clone();
    let input_sum = if swapped {
        x0.clone() + w.clone() * x1.clone()
    } else {
        w.clone() * x0.clone() + x1.clone()
    };
    Ok(vec![
        u.a[0].clone() - eps.clone() * h2,
        u.w[0].clone() - eps.clone() * a.clone() * h1,
        u.b[0].clone() - eps * a.clone() * input_sum,
    ])
}

/// The identity with its degree bounds: each hand formula has degree ≤ 2 in a, w, b, x_0, x_1 and
/// ≤ 1 in y* (e.g. `ΔW = (a(w b x_0 + b x_1) − y*) a b x_0`). lro's side obeys the same bounds: at
/// T = 2 its BPTT forms the same products (two forward steps, one adjoint step). No denominator:
/// D = 1.
fn bptt_identity(swapped: bool) -> Identity<'static> {
    let var = |name, degree| Var::new(name, VarDomain::Any, degree);
    Identity {
        name: if swapped {
            "BPTT, T = 2, with x_0 and x_1 swapped in ΔB (wrong)".into()
        } else {
            "BPTT, T = 2: ΔA = ε h_2, ΔW = ε a h_1, ΔB = ε a (w x_0 + x_1)".into()
        },
        vars: vec![
            var("a", 2),
            var("w", 2),
            var("b", 2),
            var("x_0", 2),
            var("x_1", 2),
            var("y*", 1),
        ],
        denominator: Box::new(|_| Rational::from_i64(1)),
        residual: Box::new(move |x| bptt_residual(x, swapped)),
    }
}

fn run() -> lro::Result<bool> {
    let mut all_as_expected = true;

    let cert = certify::certify(&bptt_identity(false), 10_000)?;
    println!("{}", cert.evidence().detail);
    println!(
        "  → {} for every rational input (a polynomial of these degrees that vanishes on the grid is zero)\n",
        if cert.holds() { "holds" } else { "FAILS" }
    );
    all_as_expected &= cert.holds();

    let wrong = certify::certify(&bptt_identity(true), 10_000)?;
    match &wrong.counterexample {
        Some(c) => println!(
            "{}\n  → refuted after {} grid points: {c}\n",
            wrong.name, wrong.points
        ),
        None => {
            println!("{}: not refuted (unexpected)\n", wrong.name);
            all_as_expected = false;
        }
    }

    println!("P-RNN-17.a: every rule's T → ∞ per-mode update vanishes on the optimal manifold");
    for id in certify::modes::p17a(Budget::Quick) {
        let c = certify::certify(&id, certify::modes::MAX_POINTS)?;
        println!(
            "  {:<45} {:>6} grid points  {}",
            c.name,
            c.points,
            if c.holds() { "certified" } else { "FALSE" }
        );
        all_as_expected &= c.holds();
    }
    Ok(all_as_expected)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("certify_identity: {e}");
            ExitCode::from(2)
        }
    }
}
