//! Contrastive-learning figures (spec `theory/contrastive.md`; estimators after Williams et al.
//! 2023, reconstructed for this project; settings chosen by the project).
use super::{Figure, Series, Style};
use crate::catalogue::Budget;
use crate::catalogue::contrastive::rand_hopfield;
use crate::contrastive::driver::{Rate, run_eq3r};
use crate::contrastive::models::gaussian::GaussianToy;
use crate::contrastive::phases::{LengthDist, PhaseProcess, PhaseSampler};
use crate::contrastive::{Phase, Weights};
use crate::error::Result;
use crate::gradcheck::dual_gradient;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// EP estimator error against the nudging strength β on a 4-unit tanh Hopfield network: the
/// one-sided estimate's error falls like β, the symmetric one's like β² (spec §5.1, `[standard]`).
pub fn ep_bias_vs_beta(_budget: Budget) -> Result<Figure> {
    let mut rng = ChaCha8Rng::seed_from_u64(818);
    let (net, theta) = rand_hopfield(&mut rng);
    let (dt, steps) = (0.1, 400);
    let grad = dual_gradient(&theta, |t| net.loss(t, dt, steps))?;
    let err = |est: Vec<f64>| {
        est.iter()
            .zip(&grad)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let (mut one, mut sym) = (Vec::new(), Vec::new());
    for i in 0..13 {
        let beta = 0.3 * 0.5f64.powi(i);
        one.push((beta, err(net.ep_one_sided(&theta, beta, dt, steps)?)));
        sym.push((beta, err(net.ep_symmetric(&theta, beta, dt, steps)?)));
    }
    Ok(Figure {
        name: "ep_bias_vs_beta".into(),
        title: "EP gradient-estimate error against β (4-unit tanh Hopfield network)".into(),
        x_label: "nudging strength β".into(),
        y_label: "‖estimate − ∇L‖".into(),
        log_x: true,
        log_y: true,
        series: vec![
            Series {
                label: "one-sided (slope 1)".into(),
                points: one,
                style: Style::Line,
            },
            Series {
                label: "symmetric ±β (slope 2)".into(),
                points: sym,
                style: Style::Line,
            },
        ],
    })
}

/// Running means of θ_t of temporally local learning (Eq.3-R, constant η) on the Gaussian toy (data mean m = 1) under
/// each phase process, with importance weights ω_z = 1/(2π^z) (which converge to m), and P4 with unit
/// weights (which converges to (π⁺/π⁻)·m = 0.5, the wrong objective).
pub fn cl_trajectories(budget: Budget) -> Result<Figure> {
    let toy = GaussianToy::new(1.0, 1.0, 0.0)?;
    let steps: u64 = if budget == Budget::Full {
        200_000
    } else {
        40_000
    };
    let eta = 0.01;
    let geo = |mean| LengthDist::Geometric { mean };
    let p4 = PhaseProcess::P4 {
        alpha_plus: 0.2,
        alpha_minus: 0.1,
    };
    let runs = [
        (
            "P1 periodic 5/5",
            PhaseProcess::P1 {
                t_plus: 5,
                t_minus: 5,
            },
            true,
        ),
        (
            "P2 alternating, geometric lengths",
            PhaseProcess::P2 {
                plus: geo(4.0),
                minus: geo(8.0),
            },
            true,
        ),
        (
            "P3 random type p = 0.3",
            PhaseProcess::P3 {
                p: 0.3,
                plus: geo(5.0),
                minus: LengthDist::Uniform { lo: 2, hi: 8 },
            },
            true,
        ),
        ("P4 Markov, π⁺ = 1/3, IS weights", p4, true),
        ("P4 Markov, π⁺ = 1/3, unit weights", p4, false),
    ];
    let mut series = Vec::new();
    for (i, (label, process, weighted)) in runs.into_iter().enumerate() {
        let w = if weighted {
            Weights::inverse_fraction(process.pi_plus(), 0.5)
        } else {
            Weights::unit()
        };
        let mut sampler = PhaseSampler::new(process, 700 + i as u64)?;
        let mut pts = Vec::new();
        // The running mean of θ over negative-phase steps after a burn-in: E[θ | z = −] is the
        // quantity with an exact prediction at any constant η (spec P-CL-13).
        let burn = steps / 10;
        let (mut acc, mut cnt) = (0.0, 0usize);
        run_eq3r(
            &toy,
            &mut sampler,
            &w,
            Rate::Constant(eta),
            &[0.0],
            &toy.m,
            steps,
            900 + i as u64,
            |v| {
                if v.t >= burn && v.z == Phase::Minus {
                    acc += v.theta[0];
                    cnt += 1;
                }
                if v.t >= burn && v.t % 100 == 99 && cnt > 0 {
                    pts.push(((v.t + 1) as f64, acc / cnt as f64));
                }
            },
        )?;
        series.push(Series {
            label: label.to_string(),
            points: pts,
            style: Style::Line,
        });
    }
    let ends = |v: f64, label: &str| Series {
        label: label.into(),
        points: vec![((steps / 10) as f64, v), (steps as f64, v)],
        style: Style::Line,
    };
    series.push(ends(1.0, "prediction m = 1 (balanced / IS-weighted)"));
    series.push(ends(
        0.5,
        "prediction (π⁺/π⁻)·m = 0.5 (unit weights, π⁺ = 1/3)",
    ));
    Ok(Figure {
        name: "cl_trajectories".into(),
        title: format!(
            "Eq.3-R on the Gaussian toy (m = 1), constant η = {eta}: θ per phase process"
        ),
        x_label: "step t".into(),
        y_label: "running mean of θ over negative-phase steps".into(),
        log_x: false,
        log_y: false,
        series,
    })
}
