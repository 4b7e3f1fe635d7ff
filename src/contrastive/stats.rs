//! Small statistics used by the statistical checks: means, batch-means standard errors,
//! least-squares slopes, and two-sided critical values from exact quantiles (`statrs`).
use crate::error::{LroError, Result};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Arithmetic mean (0 for an empty slice).
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().sum::<f64>() / x.len() as f64
}

/// Unbiased sample variance (0 for fewer than two values).
pub fn variance(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64
}

/// Batch-means estimate of the mean of an autocorrelated series and its standard error: the series
/// is cut into `batches` contiguous batches of equal length (a remainder at the end is dropped), and
/// the standard error is `sd(batch means)/√batches`. Valid when each batch is much longer than the
/// integrated autocorrelation time (then the batch means are nearly independent and normal).
pub fn batch_means(x: &[f64], batches: usize) -> (f64, f64) {
    let b = batches.max(2);
    let len = x.len() / b;
    if len == 0 {
        return (mean(x), f64::INFINITY);
    }
    let means: Vec<f64> = (0..b).map(|i| mean(&x[i * len..(i + 1) * len])).collect();
    (mean(&means), (variance(&means) / b as f64).sqrt())
}

/// Least-squares slope of `y` against `x`.
pub fn slope(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

/// Least-squares slope of `ln y` against `ln x` (the order of a power law `y ∝ x^slope`).
pub fn log_log_slope(x: &[f64], y: &[f64]) -> f64 {
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    slope(&lx, &ly)
}

fn check_alpha(alpha: f64) -> Result<()> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(LroError::OutOfDomain {
            name: "false-alarm rate".into(),
            value: alpha,
            reason: "a two-sided tail probability must lie in (0, 1)".into(),
        })
    }
}

/// The two-sided critical value of the standard normal: the `z` with `P(|Z| > z) = alpha`
/// (exact quantile, `statrs`).
pub fn normal_critical(alpha: f64) -> Result<f64> {
    check_alpha(alpha)?;
    let n = Normal::standard();
    Ok(n.inverse_cdf(1.0 - alpha / 2.0)
        .max(-n.inverse_cdf(alpha / 2.0)))
}

/// The two-sided critical value of Student's t with `nu > 0` degrees of freedom: the `t` with
/// `P(|T| > t) = alpha` (exact quantile, `statrs`).
pub fn student_critical(alpha: f64, nu: f64) -> Result<f64> {
    check_alpha(alpha)?;
    let t = StudentsT::new(0.0, 1.0, nu).map_err(|e| LroError::OutOfDomain {
        name: "degrees of freedom".into(),
        value: nu,
        reason: format!("Student's t needs ν > 0 ({e})"),
    })?;
    Ok(-t.inverse_cdf(alpha / 2.0))
}

/// Two-sided tail `P(|T| > z)` of Student's t with `nu` degrees of freedom (`statrs`).
pub fn student_two_sided_tail(z: f64, nu: f64) -> Result<f64> {
    let t = StudentsT::new(0.0, 1.0, nu).map_err(|e| LroError::OutOfDomain {
        name: "degrees of freedom".into(),
        value: nu,
        reason: format!("Student's t needs ν > 0 ({e})"),
    })?;
    Ok(2.0 * t.cdf(-z.abs()))
}

/// `max` that propagates NaN (shared with the rest of the crate).
pub use crate::linalg::worse;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_values_invert_the_tails() {
        // Classical table values.
        let z = normal_critical(0.05).unwrap();
        assert!((z - 1.959_963_984_540_054).abs() < 1e-9, "{z}");
        let t = student_critical(0.05, 10.0).unwrap();
        assert!((t - 2.228_138_851_986_274).abs() < 1e-9, "{t}");
        // Deep tails: the quantile maps back to its probability.
        for nu in [5.0, 29.0, 99.0] {
            let t = student_critical(1e-8, nu).unwrap();
            let back = student_two_sided_tail(t, nu).unwrap();
            assert!((back / 1e-8 - 1.0).abs() < 1e-6, "ν = {nu}: {back}");
        }
        assert!(normal_critical(0.0).is_err());
        assert!(student_critical(0.1, 0.0).is_err());
    }
}
