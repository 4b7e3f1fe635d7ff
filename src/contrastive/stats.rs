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

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, 9 terms; relative error below 1e-14).
pub fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Two-sided tail `P(|T| > z)` of Student's t with `nu` degrees of freedom, by Simpson's rule on
/// `∫_z^∞ pdf` in the variable `x = ln t` (4000 panels up to t = 10⁶; the remainder beyond is below
/// `10^{−6ν}` and ignored).
pub fn student_t_two_sided_tail(z: f64, nu: f64) -> f64 {
    let log_c =
        ln_gamma((nu + 1.0) / 2.0) - ln_gamma(nu / 2.0) - 0.5 * (nu * std::f64::consts::PI).ln();
    let f = |x: f64| {
        let t = x.exp();
        (log_c - (nu + 1.0) / 2.0 * (1.0 + t * t / nu).ln()).exp() * t
    };
    let (a, b) = (z.max(1e-12).ln(), 1e6f64.ln());
    let n = 4000;
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    2.0 * s * h / 3.0
}

/// `max` that propagates NaN (shared with the rest of the crate).
pub use crate::linalg::worse;
