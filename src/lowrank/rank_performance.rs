//! Rank of a solution against its performance, across solutions of one rule (EXP-RNN-10, after the
//! paper's Supp. Fig. 10; settings chosen by the project; see `docs/theory/lowrank.md`).
//!
//! RFLO's change of W has rank at most rank(R) (Proposition 3.1), so training RFLO with feedback
//! matrices of rank r = 1 … o on the same student–teacher pair yields solutions whose rank is set
//! by r. The experiment records, per solution, the effective rank of `W_K − W_0` (measured, not
//! assumed) and the loss ratio `L_K / L_0`, and correlates the two across the solutions of one rule,
//! so that no gap between rules can drive the correlation.
use super::cases::gaussian_instance;
use super::{Change, numerical_rank};
use crate::error::Result;
use crate::rnn::StudentTeacher;
use crate::rules::{Loss, Rule, expected};
use crate::tolerances;
use crate::train::{self, Schedule, TrainConfig, Updates};

/// The experiment's settings (chosen by the project).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Output dimension o (feedback ranks run over 1 … o).
    pub o: usize,
    /// Hidden dimension n.
    pub n: usize,
    /// Input dimension d.
    pub d: usize,
    /// Horizon T.
    pub horizon: usize,
    /// Expected-update steps K.
    pub steps: usize,
    /// Constant learning rate η.
    pub eta: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            o: 4,
            n: 8,
            d: 4,
            horizon: 6,
            steps: 300,
            eta: 0.02,
        }
    }
}

/// One solution: RFLO trained with feedback of rank `feedback_rank`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Solution {
    /// Seed of the Gaussian student–teacher pair and feedback.
    pub seed: u64,
    /// Rank of the feedback matrix used.
    pub feedback_rank: usize,
    /// Effective rank of `W_K − W_0` (singular values above `EFFECTIVE_RANK_REL` of σ_1).
    pub effective_rank: usize,
    /// `L_K / L_0` of the expected final-step loss.
    pub loss_ratio: f64,
    /// Whether the run diverged (then it is not a solution and is left out of the correlation).
    pub diverged: bool,
}

/// The solutions of one seed: RFLO with the first r rows of the drawn feedback kept (rank r), for
/// r = 1 … o, each from the same initial student.
pub fn solutions(seed: u64, s: &Settings) -> Result<Vec<Solution>> {
    let (st, r) = gaussian_instance(seed, s.o, s.n, s.d)?;
    let l0 = expected::loss(&st, s.horizon, Loss::Final)?;
    let mut out = Vec::new();
    for rank in 1..=s.o {
        let mut feedback = r.clone();
        for i in rank..s.o {
            feedback.row_mut(i).fill(0.0);
        }
        let cfg = TrainConfig::new(
            Rule::Rflo {
                feedback,
                w_hat: 0.0,
            },
            Updates::Expected,
            Loss::Final,
            s.horizon,
            s.steps,
            Schedule::Constant(s.eta),
        );
        let res = train::train(&st, &cfg)?;
        let change = Change::between(&st.student, &res.net)?;
        let lk = expected::loss(
            &StudentTeacher::new(res.net.clone(), st.teacher.clone())?,
            s.horizon,
            Loss::Final,
        )?;
        out.push(Solution {
            seed,
            feedback_rank: rank,
            effective_rank: numerical_rank(&change.w, tolerances::EFFECTIVE_RANK_REL),
            loss_ratio: lk / l0,
            diverged: res.divergence.is_some(),
        });
    }
    Ok(out)
}

/// Average ranks (1-based; ties share their mean rank).
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = mean;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation (Pearson correlation of average ranks); NaN when either side is
/// constant.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let (rx, ry) = (ranks(x), ranks(y));
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let cov: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = rx.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = ry.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

/// The one-sided critical value of Spearman's ρ for `n` pairs at level `alpha`: under independence,
/// `ρ ≥ critical` has probability about `alpha`, by the standard t approximation
/// `t = ρ √((n − 2)/(1 − ρ²)) ~ t_{n−2}` (exact quantile of t via `statrs`). NaN for n < 3.
pub fn spearman_critical(n: usize, alpha: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    if n < 3 {
        return f64::NAN;
    }
    let nu = (n - 2) as f64;
    match StudentsT::new(0.0, 1.0, nu) {
        Ok(t) => {
            let tc = t.inverse_cdf(1.0 - alpha);
            tc / (nu + tc * tc).sqrt()
        }
        Err(_) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::{spearman, spearman_critical};

    #[test]
    fn spearman_handles_order_reversal_and_ties() {
        let exact = crate::tolerances::F64_IDENTITY_REL;
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]) - 1.0).abs() < exact);
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < exact);
        // Ties share ranks: x ranks (1.5, 1.5, 3), y ranks (1, 2, 3): ρ = 0.75/√(0.5·2) = √3/2.
        let rho = spearman(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]);
        assert!((rho - 3f64.sqrt() / 2.0).abs() < exact, "{rho}");
        assert!(
            spearman(&[1.0, 1.0], &[1.0, 2.0]).is_nan(),
            "constant input has no correlation"
        );
    }

    #[test]
    fn spearman_critical_values_match_tables() {
        // Tabulated one-sided 5 % critical values of the t approximation: n = 10 → 0.5494,
        // n = 30 → 0.3061 (t_{8, 0.95} = 1.8595, t_{28, 0.95} = 1.7011), given to four decimals.
        const TABLE_ROUNDING: f64 = 1e-4;
        assert!((spearman_critical(10, 0.05) - 0.5494).abs() <= TABLE_ROUNDING);
        assert!((spearman_critical(30, 0.05) - 0.3061).abs() <= TABLE_ROUNDING);
        assert!(spearman_critical(2, 0.05).is_nan());
    }
}
