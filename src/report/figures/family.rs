//! The online-learning family beyond the five rules (`docs/theory/linear-rnn.md#estimator-variance`):
//! each rule's error against BPTT's gradient and its alignment with it, against the network size,
//! over several seeded networks per size. The study runs once per budget and is shared with the
//! report's section "Online-learning family" ([`crate::report::family`]).
use super::{Figure, Series, Style};
use crate::contrastive::stats::{PowerFit, power_law_fit};
use crate::error::Result;
use crate::evidence::Budget;
use crate::rules::estimator_variance::{Member, NetworkPoint, family_study};
use std::sync::{Arc, Mutex};

/// Hidden sizes of the study.
pub const SIZES: [usize; 5] = [4, 8, 16, 32, 64];
/// Seed of the study's networks and draws.
const SEED: u64 = 4200;

/// Networks per size and draws per network at a budget.
pub fn study_size(budget: Budget) -> (usize, usize) {
    match budget {
        Budget::Test => (2, 40),
        Budget::Quick => (4, 100),
        Budget::Full => (8, 400),
    }
}

/// The measured study: every member's points.
pub type Study = Arc<Vec<(Member, Vec<NetworkPoint>)>>;

static CACHE: Mutex<Option<(Budget, Study)>> = Mutex::new(None);

/// The study at a budget (computed on first use, then shared).
pub fn study(budget: Budget) -> Result<Study> {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((b, s)) = cache.as_ref()
        && *b == budget
    {
        return Ok(s.clone());
    }
    let (networks, draws) = study_size(budget);
    let s: Study = Arc::new(family_study(&SIZES, networks, draws, SEED)?);
    *cache = Some((budget, s.clone()));
    Ok(s)
}

/// The fitted exponent of a stochastic member's relative variance in n, over every (n, network)
/// point (the interval covers network-to-network variation as well as the draws').
pub fn variance_fit(points: &[NetworkPoint]) -> Result<PowerFit> {
    let x: Vec<f64> = points.iter().map(|p| p.n as f64).collect();
    let y: Vec<f64> = points.iter().map(|p| p.rel_sq_error).collect();
    power_law_fit(&x, &y)
}

/// Mean over the networks of `f` at each size.
fn per_size(points: &[NetworkPoint], f: impl Fn(&NetworkPoint) -> f64) -> Vec<(f64, f64)> {
    SIZES
        .iter()
        .filter_map(|&n| {
            let v: Vec<f64> = points.iter().filter(|p| p.n == n).map(&f).collect();
            (!v.is_empty()).then(|| (n as f64, v.iter().sum::<f64>() / v.len() as f64))
        })
        .collect()
}

/// UORO's and KF-RTRL's relative variance of ΔW against n, with fitted exponents.
pub fn estimator_variance_vs_n(budget: Budget) -> Result<Figure> {
    let s = study(budget)?;
    let (networks, draws) = study_size(budget);
    let mut series = Vec::new();
    let mut text = Vec::new();
    for (k, (member, pts)) in s.iter().filter(|(m, _)| m.stochastic()).enumerate() {
        let fit = variance_fit(pts)?;
        text.push(format!(
            "{} exponent {:.2} (95 % CI [{:.2}, {:.2}])",
            member.label(),
            fit.exponent,
            fit.lo,
            fit.hi
        ));
        series.push(Series {
            label: member.label().into(),
            points: per_size(pts, |p| p.rel_sq_error),
            style: [Style::LineMarkers, Style::Line, Style::Dashed][k % 3],
        });
    }
    Ok(Figure {
        name: "family_estimator_variance".into(),
        title: "Variance of the unbiased RTRL estimators against network size".into(),
        caption: format!(
            "Relative variance E‖ΔŴ − ΔW‖²/‖ΔW‖² of the recurrent update against the exact \
             gradient, mean over {networks} seeded networks per n of the mean over {draws} seeded \
             sign draws each, variance-minimising scalars; linear network with leak ½, \
             W ~ N(0, 0.8²/n), d = o = 2, T = 10, final-step loss. Exponents fitted by least \
             squares on all (n, network) points: {}. Look for: KF-RTRL below UORO at every n and \
             flatter (P-RNN-41 checks the ordering). Measured, not derived.",
            text.join("; ")
        ),
        x_label: "hidden units n".into(),
        y_label: "relative variance (dimensionless)".into(),
        log_x: true,
        log_y: true,
        series,
    })
}

/// Every member's cosine with BPTT's ΔW against n.
pub fn gradient_alignment_vs_n(budget: Budget) -> Result<Figure> {
    let s = study(budget)?;
    let (networks, draws) = study_size(budget);
    let mut series = Vec::new();
    let mut text = Vec::new();
    for (k, (member, pts)) in s.iter().enumerate() {
        let curve = per_size(pts, |p| p.cosine);
        if let (Some(first), Some(last)) = (curve.first(), curve.last()) {
            text.push(format!(
                "{} {:.2} at n = {} and {:.2} at n = {}",
                member.label(),
                first.1,
                first.0,
                last.1,
                last.0
            ));
        }
        series.push(Series {
            label: member.label().into(),
            points: curve,
            style: if k % 2 == 0 {
                Style::LineMarkers
            } else {
                Style::Line
            },
        });
    }
    Ok(Figure {
        name: "family_gradient_alignment".into(),
        title: "Alignment of each rule's update with the exact gradient against network size"
            .into(),
        caption: format!(
            "Cosine between a rule's recurrent update ΔŴ and BPTT's ΔW (the exact gradient of the \
             sample's final-step loss), mean over {networks} seeded networks per n (and, for UORO \
             and KF-RTRL, over {draws} sign draws per network: the mean of the per-draw cosine, \
             which an unbiased but noisy estimator keeps below 1); same networks as the variance \
             figure; RFLO and e-prop with a random feedback R ~ N(0, 1/n), RFLO's ŵ = 1 − α. \
             Measured: {}. Look for: the unbiased estimators' single-sample alignment falling \
             with n as their variance grows, and the biased rules' alignment set by what they \
             drop. Measured, not derived.",
            text.join("; ")
        ),
        x_label: "hidden units n".into(),
        y_label: "cosine with BPTT's ΔW (dimensionless)".into(),
        log_x: true,
        log_y: false,
        series,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the captions say: KF-RTRL below UORO at every n drawn, every cosine in [−1, 1], and
    /// the deterministic members' points carry no draw error.
    #[test]
    fn study_shapes_and_ordering() -> Result<()> {
        let f = estimator_variance_vs_n(Budget::Test)?;
        let (u, k) = (&f.series[0].points, &f.series[1].points);
        assert_eq!((f.series[0].label.as_str(), u.len()), ("UORO", SIZES.len()));
        for (a, b) in u.iter().zip(k) {
            assert!(b.1 < a.1, "n = {}: KF {} vs UORO {}", a.0, b.1, a.1);
        }
        let g = gradient_alignment_vs_n(Budget::Test)?;
        assert_eq!(g.series.len(), Member::ALL.len());
        for s in &g.series {
            assert!(
                s.points.iter().all(|p| (-1.0..=1.0).contains(&p.1)),
                "{}",
                s.label
            );
        }
        for (m, pts) in study(Budget::Test)?.iter() {
            assert_eq!(pts.len(), SIZES.len() * study_size(Budget::Test).0);
            assert!(m.stochastic() || pts.iter().all(|p| p.rel_sq_error_se == 0.0));
        }
        Ok(())
    }
}
