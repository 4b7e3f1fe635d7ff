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

/// Running mean and unbiased variance of an i.i.d. stream (Welford's update), in O(1) memory.
#[derive(Clone, Debug, Default)]
pub struct RunningMoments {
    n: u64,
    mean: f64,
    m2: f64,
}

impl RunningMoments {
    /// Adds one value.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }
    /// Number of values.
    pub fn count(&self) -> u64 {
        self.n
    }
    /// The mean (0 for no values, as [`mean`]).
    pub fn mean(&self) -> f64 {
        self.mean
    }
    /// The unbiased variance (0 for fewer than two values, as [`variance`]).
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }
}

/// Streaming batch means: the estimate of [`batch_means`] without holding the series, in
/// O(`batches`) memory (the Monte-Carlo checks run tens of millions of steps).
///
/// Two layouts: [`BatchMeans::with_len`] for a series whose length is known in advance gives
/// exactly [`batch_means`]'s result on the collected series (same batches, same summation
/// order); [`BatchMeans::doubling`] for a series of unknown length keeps at most `256·batches`
/// block sums, merging neighbours and doubling the block length when full, and at the end cuts
/// the whole blocks into `batches` equal batches (dropping fewer than `batches` blocks, under 1/128
/// of the series, plus the unfinished block).
#[derive(Clone, Debug)]
pub struct BatchMeans {
    batches: usize,
    block: u64,
    doubling: bool,
    sums: Vec<f64>,
    cur: f64,
    cur_n: u64,
    all_sum: f64,
    all_n: u64,
}

impl BatchMeans {
    const BLOCKS_PER_BATCH: usize = 256;

    /// For a series of `total` values cut into `batches` (at least 2) batches of `total / batches`.
    pub fn with_len(total: u64, batches: usize) -> Self {
        let b = batches.max(2);
        let len = total / b as u64;
        Self::new(b, if len == 0 { u64::MAX } else { len }, false)
    }

    /// For a series of unknown length (block lengths double as it grows).
    pub fn doubling(batches: usize) -> Self {
        Self::new(batches.max(2), 1, true)
    }

    fn new(batches: usize, block: u64, doubling: bool) -> Self {
        BatchMeans {
            batches,
            block,
            doubling,
            sums: Vec::new(),
            cur: 0.0,
            cur_n: 0,
            all_sum: 0.0,
            all_n: 0,
        }
    }

    /// Adds the next value of the series.
    pub fn push(&mut self, x: f64) {
        self.all_sum += x;
        self.all_n += 1;
        if !self.doubling && self.sums.len() == self.batches {
            return; // the remainder after the last full batch is dropped, as in `batch_means`
        }
        self.cur += x;
        self.cur_n += 1;
        if self.cur_n == self.block {
            self.sums.push(self.cur);
            self.cur = 0.0;
            self.cur_n = 0;
            if self.doubling && self.sums.len() == Self::BLOCKS_PER_BATCH * self.batches {
                self.sums = self.sums.chunks(2).map(|p| p.iter().sum()).collect();
                self.block *= 2;
            }
        }
    }

    /// Number of values pushed so far.
    pub fn count(&self) -> u64 {
        self.all_n
    }

    /// The batch-means estimate and its standard error; with fewer values than batches (or, for a
    /// known length, fewer than announced) the plain mean with an infinite standard error.
    pub fn finish(&self) -> (f64, f64) {
        match self.batch_values() {
            Some(means) => batch_estimate(&means),
            None => (self.plain_mean(), f64::INFINITY),
        }
    }

    /// The `batches` batch means, or `None` with fewer values than batches (or, for a known
    /// length, fewer than announced). A linear map of several series' batch means is the batch
    /// means of the mapped series, so a map can be applied per batch instead of per value.
    pub fn batch_values(&self) -> Option<Vec<f64>> {
        let per = self.sums.len() / self.batches;
        if per == 0 {
            return None;
        }
        let len = (per as u64 * self.block) as f64;
        Some(
            self.sums
                .chunks(per)
                .take(self.batches)
                .map(|c| c.iter().sum::<f64>() / len)
                .collect(),
        )
    }

    /// The mean of every value pushed (0 for none).
    pub fn plain_mean(&self) -> f64 {
        if self.all_n == 0 {
            0.0
        } else {
            self.all_sum / self.all_n as f64
        }
    }
}

/// The estimate from batch means: their mean and its standard error `√(s² / batches)`.
pub fn batch_estimate(means: &[f64]) -> (f64, f64) {
    (mean(means), (variance(means) / means.len() as f64).sqrt())
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

/// A power law `y ≈ c·x^exponent` fitted by least squares on `(ln x, ln y)`, with the standard
/// error of the exponent from the residuals and its two-sided 95 % confidence interval (Student's t
/// with N − 2 degrees of freedom).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerFit {
    /// The fitted exponent.
    pub exponent: f64,
    /// Its standard error.
    pub se: f64,
    /// Lower end of the 95 % confidence interval.
    pub lo: f64,
    /// Upper end of the 95 % confidence interval.
    pub hi: f64,
    /// Number of points fitted.
    pub points: usize,
}

/// Fits `y ≈ c·x^exponent` to positive points (see [`PowerFit`]); at least three points with two
/// distinct `x`, every value finite and positive.
pub fn power_law_fit(x: &[f64], y: &[f64]) -> Result<PowerFit> {
    let bad = |reason: String| LroError::OutOfDomain {
        name: "power-law fit".into(),
        value: x.len() as f64,
        reason,
    };
    if x.len() != y.len() || x.len() < 3 {
        return Err(bad(format!(
            "needs at least three (x, y) pairs of equal length, got {} x and {} y",
            x.len(),
            y.len()
        )));
    }
    if let Some(v) = x.iter().chain(y).find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(bad(format!(
            "every x and y must be finite and positive, got {v}"
        )));
    }
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let (mx, my) = (mean(&lx), mean(&ly));
    let sxx: f64 = lx.iter().map(|a| (a - mx) * (a - mx)).sum();
    if sxx == 0.0 {
        return Err(bad("all x are equal: the exponent is not identified".into()));
    }
    let b = lx
        .iter()
        .zip(&ly)
        .map(|(a, c)| (a - mx) * (c - my))
        .sum::<f64>()
        / sxx;
    let ssr: f64 = lx
        .iter()
        .zip(&ly)
        .map(|(a, c)| (c - my - b * (a - mx)).powi(2))
        .sum();
    let dof = (x.len() - 2) as f64;
    let se = (ssr / dof / sxx).sqrt();
    let t = student_critical(0.05, dof)?;
    Ok(PowerFit {
        exponent: b,
        se,
        lo: b - t * se,
        hi: b + t * se,
        points: x.len(),
    })
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
    use crate::tolerances::F64_IDENTITY_REL;

    /// Exact power laws give their exponent with a zero-width interval; noise widens it around
    /// the truth; bad input is an error.
    #[test]
    fn power_law_fit_recovers_exponents() {
        use crate::tolerances::{POWER_FIT_EXACT_ABS, POWER_FIT_NOISY_MIN_WIDTH};
        let x = [4.0, 8.0, 16.0, 32.0];
        let y: Vec<f64> = x.iter().map(|v: &f64| 3.0 * v.powf(2.5)).collect();
        let f = power_law_fit(&x, &y).unwrap();
        assert!((f.exponent - 2.5).abs() < POWER_FIT_EXACT_ABS, "{f:?}");
        assert!(f.hi - f.lo < POWER_FIT_EXACT_ABS, "{f:?}");
        // ±10 % alternating noise: exponent off, interval covers 2.5 and has width > 0.
        let noisy: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(k, v)| v * if k % 2 == 0 { 1.1 } else { 0.9 })
            .collect();
        let g = power_law_fit(&x, &noisy).unwrap();
        assert!(
            g.lo < 2.5 && 2.5 < g.hi && g.hi - g.lo > POWER_FIT_NOISY_MIN_WIDTH,
            "{g:?}"
        );
        assert!(power_law_fit(&x[..2], &y[..2]).is_err());
        assert!(power_law_fit(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_err());
        assert!(power_law_fit(&[1.0, 2.0, 3.0], &[1.0, 0.0, 3.0]).is_err());
    }

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

    fn series(n: usize) -> Vec<f64> {
        // A deterministic autocorrelated series (AR(1) driven by a Weyl sequence).
        let mut a = 0.0;
        (0..n)
            .map(|i| {
                let u = ((i as f64) * 0.618_033_988_749_894_9).fract() - 0.5;
                a = 0.9 * a + u;
                a + 0.25
            })
            .collect()
    }

    #[test]
    fn streaming_batch_means_with_known_length_equals_the_collected_estimate() {
        for (n, b) in [(10_007, 100), (1_000, 7), (5, 10), (0, 3), (1, 1)] {
            let x = series(n);
            let mut acc = BatchMeans::with_len(n as u64, b);
            x.iter().for_each(|&v| acc.push(v));
            let (m, se) = acc.finish();
            let (m0, se0) = batch_means(&x, b);
            assert_eq!(m.to_bits(), m0.to_bits(), "n = {n}, b = {b}: mean");
            assert_eq!(
                se.to_bits(),
                se0.to_bits(),
                "n = {n}, b = {b}: standard error"
            );
        }
    }

    /// A linear map applied to the batch means (per batch) gives the estimate of the mapped series
    /// pushed value by value; a map applied to the wrong series or batch would not.
    #[test]
    fn mapped_batch_values_equal_the_mapped_series() {
        let xs: Vec<[f64; 2]> = (0..1000)
            .map(|t| {
                let t = t as f64;
                [(0.37 * t).sin() + 0.001 * t, (0.11 * t * t).cos()]
            })
            .collect();
        let map = [[2.0, -0.5], [0.25, 3.0]];
        let mut raw = vec![BatchMeans::with_len(1000, 20); 2];
        let mut mapped = vec![BatchMeans::with_len(1000, 20); 2];
        for x in &xs {
            for k in 0..2 {
                raw[k].push(x[k]);
                mapped[k].push(map[k][0] * x[0] + map[k][1] * x[1]);
            }
        }
        let (v0, v1) = (
            raw[0].batch_values().unwrap(),
            raw[1].batch_values().unwrap(),
        );
        for k in 0..2 {
            let means: Vec<f64> = (0..20)
                .map(|b| map[k][0] * v0[b] + map[k][1] * v1[b])
                .collect();
            let (m, se) = batch_estimate(&means);
            let (em, ese) = mapped[k].finish();
            // Only the order of the sums differs: rounding, far below the identity tolerance.
            assert!(
                (m - em).abs() <= F64_IDENTITY_REL * em.abs().max(1.0)
                    && (se - ese).abs() <= F64_IDENTITY_REL * ese,
                "{k}: {m} {se} {em} {ese}"
            );
            // A zero standard error would make the second comparison vacuous.
            assert!(ese > 0.0, "{k}");
        }
        assert_eq!(BatchMeans::with_len(1000, 20).batch_values(), None);
    }

    #[test]
    fn doubling_batch_means_cut_whole_blocks_into_equal_batches() {
        // Past the first merge (256·b blocks) the blocks double; the estimate must equal the
        // collected estimate over the prefix the blocks cover, cut into the same equal batches.
        let (n, b) = (300_001, 10);
        let x = series(n);
        let mut acc = BatchMeans::doubling(b);
        x.iter().for_each(|&v| acc.push(v));
        assert_eq!(acc.count(), n as u64);
        let covered = acc.sums.len() / b * b * acc.block as usize;
        // After a merge at most 2·B·b blocks are held and at least B·b (B = BLOCKS_PER_BATCH /
        // 2); fewer than b whole blocks and one unfinished block are dropped: under 2/B.
        let max_dropped = 2.0 / (BatchMeans::BLOCKS_PER_BATCH / 2) as f64;
        assert!(
            covered <= n && covered as f64 >= n as f64 * (1.0 - max_dropped),
            "{covered}"
        );
        let (m, se) = acc.finish();
        let (m0, se0) = batch_means(&x[..covered], b);
        // Only the summation order differs (block sums first): rounding, far below 1e-12.
        assert!(
            (m - m0).abs() <= F64_IDENTITY_REL * m0.abs().max(1.0),
            "{m} vs {m0}"
        );
        assert!((se - se0).abs() <= F64_IDENTITY_REL * se0, "{se} vs {se0}");
        // Too short a series: plain mean, infinite standard error.
        let mut short = BatchMeans::doubling(b);
        [1.0, 2.0, 3.0].iter().for_each(|&v| short.push(v));
        assert_eq!(short.finish(), (2.0, f64::INFINITY));
    }

    #[test]
    fn running_moments_match_the_two_pass_formulas() {
        let x = series(100_003);
        let mut r = RunningMoments::default();
        x.iter().for_each(|&v| r.push(v));
        assert_eq!(r.count(), x.len() as u64);
        assert!(
            (r.mean() - mean(&x)).abs() <= F64_IDENTITY_REL * mean(&x).abs(),
            "{} vs {}",
            r.mean(),
            mean(&x)
        );
        assert!((r.variance() / variance(&x) - 1.0).abs() <= F64_IDENTITY_REL);
        assert_eq!(RunningMoments::default().variance(), 0.0);
    }
}
