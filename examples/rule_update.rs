//! Every learning rule's update on one small linear RNN, computed exactly over the rationals and in
//! f64, with the identities between the rules that hold exactly.
//!
//! Run: `cargo run --release --example rule_update`
//!
//! The network (o = 2 outputs, n = 3 hidden units, d = 2 inputs), the input sequence (T = 4) and
//! the targets are fixed small-integer fractions below; replace them with your own matrices. The
//! conventions (`h_0 = 0`, `h_t = W h_{t-1} + B x_{t-1}`, `y_t = A h_t`, final-step loss
//! `½‖y_T − y*_T‖²`, updates with the sign of the gradient) are those of `docs/theory/linear-rnn.md`.
use lro::linalg;
use lro::rnn::Rnn;
use lro::rules::{Feedback, Loss, Rule, Update, online};
use lro::scalar::{Rational, Real};
use nalgebra::{DMatrix, DVector, dmatrix, dvector};
use std::process::ExitCode;

fn q(n: i64, d: i64) -> Rational {
    Rational::ratio(n, d)
}

/// A matrix as rows of exact fractions.
fn show(m: &DMatrix<Rational>) -> String {
    (0..m.nrows())
        .map(|i| {
            let row: Vec<String> = (0..m.ncols()).map(|j| m[(i, j)].to_string()).collect();
            format!("[{}]", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rules compared: BPTT, tBPTT(1), tBPTT(2), RTRL, RFLO (feedback R, surrogate ŵ) and e-prop
/// with random feedback R.
fn rules<T: Real>(r: &DMatrix<T>, w_hat: T) -> Vec<Rule<T>> {
    vec![
        Rule::Bptt,
        Rule::Tbptt { k: 1 },
        Rule::Tbptt { k: 2 },
        Rule::Rtrl,
        Rule::Rflo {
            feedback: r.clone(),
            w_hat,
        },
        Rule::Eprop {
            feedback: Feedback::Random(r.clone()),
        },
    ]
}

fn run() -> lro::Result<bool> {
    // Readout A (o×n), recurrence W (n×n), input weights B (n×d).
    let a = dmatrix![q(1, 1), q(0, 1), q(-1, 2); q(1, 2), q(1, 1), q(0, 1)];
    let w = dmatrix![
        q(1, 2), q(-1, 4), q(0, 1);
        q(1, 4), q(1, 3), q(-1, 2);
        q(0, 1), q(1, 2), q(-1, 3)
    ];
    let b = dmatrix![q(1, 1), q(0, 1); q(-1, 2), q(1, 1); q(1, 3), q(-1, 1)];
    let net = Rnn::new(a.clone(), w, b)?;
    // Inputs x_0 … x_3 and targets y*_1 … y*_4 (the final-step loss reads only y*_4).
    let xs: Vec<DVector<Rational>> = vec![
        dvector![q(1, 1), q(0, 1)],
        dvector![q(-1, 1), q(1, 2)],
        dvector![q(0, 1), q(1, 1)],
        dvector![q(2, 1), q(-1, 1)],
    ];
    let targets: Vec<DVector<Rational>> = vec![
        dvector![q(0, 1), q(0, 1)],
        dvector![q(0, 1), q(0, 1)],
        dvector![q(0, 1), q(0, 1)],
        dvector![q(1, 1), q(-1, 1)],
    ];
    // RFLO's and e-prop's fixed random feedback R (o×n) and RFLO's surrogate Jacobian ŵ.
    let r = dmatrix![q(1, 1), q(-1, 1), q(1, 2); q(0, 1), q(1, 2), q(1, 1)];
    let w_hat = q(1, 2);
    let rules64 = rules(&linalg::to_f64(&r), w_hat.to_f64());
    let rules = rules(&r, w_hat);

    let loss = online::loss(&net, &xs, &targets, Loss::Final)?;
    println!(
        "linear RNN o = {}, n = {}, d = {}, T = {}; final-step loss L_T = {} (≈ {:.6})\n",
        net.o(),
        net.n(),
        net.d(),
        xs.len(),
        loss,
        loss.to_f64()
    );
    let net64 = net.map(|x| x.to_f64());
    let xs64: Vec<DVector<f64>> = xs.iter().map(|x| x.map(|v| v.to_f64())).collect();
    let ys64: Vec<DVector<f64>> = targets.iter().map(|x| x.map(|v| v.to_f64())).collect();
    let mut updates: Vec<(String, Update<Rational>)> = Vec::new();
    for (rule, rule64) in rules.iter().zip(&rules64) {
        let exact = online::update(rule, &net, &xs, &targets, Loss::Final)?;
        let float = online::update(rule64, &net64, &xs64, &ys64, Loss::Final)?;
        let err = exact.to_f64().rel_diff(&float, 0.0);
        println!("{:<13} ΔW = {}", rule.name(), show(&exact.w));
        println!("{:<13} ΔB = {}", "", show(&exact.b));
        println!(
            "{:<13} f64 run: max relative difference from the exact update {err:.1e}",
            ""
        );
        updates.push((rule.name(), exact));
    }
    println!(
        "\nΔA (every rule trains the readout by its exact gradient) = {}",
        show(&updates[0].1.a)
    );

    // Identities that hold exactly (compared with == over Q).
    let get = |name: &str| &updates.iter().find(|(n, _)| n == name).expect("rule").1;
    let mut all_hold = true;
    let mut report = |what: &str, holds: bool| {
        println!("{} {what}", if holds { "holds: " } else { "FAILS: " });
        all_hold &= holds;
    };
    println!();
    report(
        "RTRL = BPTT exactly (both are the exact gradient)",
        get("rtrl") == get("bptt"),
    );
    let rflo_as_tbptt1 = online::update(
        &Rule::Rflo {
            feedback: a.clone(),
            w_hat: q(0, 1),
        },
        &net,
        &xs,
        &targets,
        Loss::Final,
    )?;
    report(
        "RFLO with R = A and ŵ = 0 equals one-step tBPTT",
        &rflo_as_tbptt1 == get("tbptt:1"),
    );
    let tbptt_t = online::update(
        &Rule::Tbptt { k: xs.len() },
        &net,
        &xs,
        &targets,
        Loss::Final,
    )?;
    report("tBPTT with k = T equals BPTT", &tbptt_t == get("bptt"));
    // RFLO's ΔW is a sum of outer products (Rᵀ ε_t) e_tᵀ: it lies in col(Rᵀ), so its rank is ≤ o.
    let rank = linalg::exact_rank(&get("rflo").w);
    report(
        &format!(
            "RFLO's ΔW has rank {rank} ≤ o = {} (it lies in col(Rᵀ))",
            net.o()
        ),
        rank <= net.o(),
    );
    let bptt_rank = linalg::exact_rank(&get("bptt").w);
    println!("(BPTT's ΔW has rank {bptt_rank}; nothing bounds it by o)");
    Ok(all_hold)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("rule_update: {e}");
            ExitCode::from(2)
        }
    }
}
