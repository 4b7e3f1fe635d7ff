//! Small statistics used by the statistical checks: means, batch-means standard errors and
//! least-squares slopes.

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
