//! What a check measured, in its unit: the vocabulary every catalogue entry reports in.
//!
//! This is a leaf module (it imports nothing from the crate), so domain modules, the catalogue, the
//! report and the CLI can all use it without import cycles.
//!
//! - [`Budget`]: how much work a check may do, and which of its instances to run ([`Budget::cases`],
//!   narrowed by [`with_instance`] when a single instance is being reproduced);
//! - [`Measure`]: the kind of quantity measured (relative error, z-score, count, slope, ...), each
//!   with its unit;
//! - [`Bound`]: what the measured value is held to;
//! - [`Finding`]: one measured value with its measure and bound;
//! - [`Reproducer`]: the inputs of the worst instance, so that a failure can be rerun alone;
//! - [`Evidence`]: every finding of one check, its instance count, and the verdict.
//!
//! `exact` is reserved for [`Measure::ExactMismatches`]: a count of entries that differ under
//! equality over the rationals. A check computed in floating point is never called exact.

use serde::Serialize;
use std::cell::Cell;
use std::fmt;

/// How much work a check may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Budget {
    /// `cargo test`: seconds per entry.
    Test,
    /// `lro report --budget quick`: the whole catalogue in well under a minute.
    Quick,
    /// `lro report --budget full`: the heavy suites.
    Full,
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Budget::Test => "test",
            Budget::Quick => "quick",
            Budget::Full => "full",
        })
    }
}

thread_local! {
    static SELECTED: Cell<Option<usize>> = const { Cell::new(None) };
    static VERDICT_ONLY: Cell<bool> = const { Cell::new(false) };
}

/// Runs `body` for its verdict alone: a check on this thread may stop counting an exact part at
/// its first failing instance ([`verdict_only`]), since the verdict is then decided. The fault
/// tests and the check-power matrix run their checks this way; the counts in such evidence are
/// lower bounds. The previous setting is restored afterwards, also when `body` panics.
pub fn for_verdict<R>(body: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            VERDICT_ONLY.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(VERDICT_ONLY.with(|s| s.replace(true)));
    body()
}

/// Whether this thread runs checks for their verdict alone ([`for_verdict`]).
pub fn verdict_only() -> bool {
    VERDICT_ONLY.with(|s| s.get())
}

/// Runs `body` with only instance `k` selected: every [`Budget::cases`] call on this thread yields
/// `k` alone (or nothing, when `k` is out of its range). The previous selection is restored
/// afterwards, also when `body` panics. This is how `lro reproduce` reruns one instance.
pub fn with_instance<R>(k: usize, body: impl FnOnce() -> R) -> R {
    struct Restore(Option<usize>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SELECTED.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SELECTED.with(|s| s.replace(Some(k))));
    body()
}

/// The instance selected by [`with_instance`] on this thread, if any.
pub fn selected_instance() -> Option<usize> {
    SELECTED.with(|s| s.get())
}

impl Budget {
    /// Scales a base instance count: ×1 (test), ×2 (quick), ×10 (full).
    pub fn instances(self, base: usize) -> usize {
        base * match self {
            Budget::Test => 1,
            Budget::Quick => 2,
            Budget::Full => 10,
        }
    }

    /// The instance indices a check runs: `0..self.instances(base)`, or only the instance selected
    /// by [`with_instance`]. Checks that derive each instance's inputs from its index (a seed, a
    /// grid point) loop over this, so that any instance can be rerun alone.
    pub fn cases(self, base: usize) -> Vec<usize> {
        let n = self.instances(base);
        match selected_instance() {
            Some(k) if k < n => vec![k],
            Some(_) => Vec::new(),
            None => (0..n).collect(),
        }
    }
}

/// The kind of quantity a finding measured. Each has a unit, shown beside its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// Number of entries that differ under exact equality over Q (0 when the identity holds).
    ExactMismatches,
    /// Relative error `|x − y| / scale` (dimensionless; the scale is stated in the detail).
    RelError,
    /// Absolute error `|x − y|`, in the units of the compared quantity.
    AbsError,
    /// Distance in standard errors of a Monte-Carlo estimate from its predicted value.
    ZScore,
    /// Number of instances violating a stated inequality or property.
    ViolationCount,
    /// A fitted log–log or linear slope.
    Slope,
    /// A correlation coefficient in [−1, 1].
    Correlation,
    /// A fraction in [0, 1] (e.g. of runs that converged).
    Fraction,
    /// A ratio of two measured quantities (dimensionless).
    Ratio,
}

impl Measure {
    /// The short unit or label shown next to a value (`rel`, `σ`, `count`, ...).
    pub fn unit(self) -> &'static str {
        match self {
            Measure::ExactMismatches => "exact mismatches",
            Measure::RelError => "rel. error",
            Measure::AbsError => "abs. error",
            Measure::ZScore => "σ",
            Measure::ViolationCount => "violations",
            Measure::Slope => "slope",
            Measure::Correlation => "correlation",
            Measure::Fraction => "fraction",
            Measure::Ratio => "ratio",
        }
    }

    /// Whether values of this measure are counts (shown without decimals).
    pub fn is_count(self) -> bool {
        matches!(self, Measure::ExactMismatches | Measure::ViolationCount)
    }
}

/// What a measured value is held to.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Bound {
    /// Must be exactly zero (for [`Measure::ExactMismatches`] and violation counts).
    Zero,
    /// Must be at most this value.
    AtMost {
        /// The largest accepted value.
        value: f64,
    },
    /// Must be at least this value.
    AtLeast {
        /// The smallest accepted value.
        value: f64,
    },
    /// Must lie in `[lo, hi]`.
    Between {
        /// Lower end (inclusive).
        lo: f64,
        /// Upper end (inclusive).
        hi: f64,
    },
}

impl Bound {
    /// Whether `x` satisfies the bound. NaN never does.
    pub fn holds(self, x: f64) -> bool {
        if x.is_nan() {
            return false;
        }
        match self {
            Bound::Zero => x == 0.0,
            Bound::AtMost { value } => x <= value,
            Bound::AtLeast { value } => x >= value,
            Bound::Between { lo, hi } => lo <= x && x <= hi,
        }
    }

    /// How close `x` is to violating the bound, as a ratio: ≤ 1 holds, > 1 fails, NaN is infinite.
    /// Used to pick the finding shown first.
    pub fn severity(self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::INFINITY;
        }
        match self {
            Bound::Zero => {
                if x == 0.0 {
                    0.0
                } else {
                    f64::INFINITY
                }
            }
            Bound::AtMost { value } if value > 0.0 => x / value,
            Bound::AtMost { value } => {
                if x <= value {
                    0.0
                } else {
                    f64::INFINITY
                }
            }
            Bound::AtLeast { value } if x > 0.0 && value > 0.0 => value / x,
            Bound::AtLeast { value } => {
                if x >= value {
                    0.0
                } else {
                    f64::INFINITY
                }
            }
            Bound::Between { lo, hi } => {
                let mid = 0.5 * (lo + hi);
                let half = 0.5 * (hi - lo);
                if half > 0.0 {
                    (x - mid).abs() / half
                } else if x == mid {
                    0.0
                } else {
                    f64::INFINITY
                }
            }
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Bound::Zero => f.write_str("= 0"),
            Bound::AtMost { value } => write!(f, "≤ {}", human(value)),
            Bound::AtLeast { value } => write!(f, "≥ {}", human(value)),
            Bound::Between { lo, hi } => write!(f, "in [{}, {}]", human(lo), human(hi)),
        }
    }
}

/// A number for people: integers as integers, small and large magnitudes in scientific notation
/// with three significant digits, the rest with up to four decimals.
pub fn human(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    if x == 0.0 {
        return "0".into();
    }
    if x.fract() == 0.0 && x.abs() < 1e6 {
        return format!("{}", x as i64);
    }
    let a = x.abs();
    if !(1e-3..1e5).contains(&a) {
        format!("{x:.2e}")
    } else {
        let s = format!("{x:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}

/// One measured value with its measure and bound.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// What the value measures (short label, e.g. "BPTT vs RTRL update").
    pub label: String,
    /// The measure kind, which fixes the unit.
    pub measure: Measure,
    /// The measured value (worst over the instances, where that applies).
    pub value: f64,
    /// What the value is held to.
    pub bound: Bound,
}

impl Finding {
    /// Whether the value satisfies its bound.
    pub fn holds(&self) -> bool {
        self.bound.holds(self.value)
    }

    /// The value formatted with its unit, e.g. `3.1e-15 rel. error` or `2 violations`.
    pub fn value_text(&self) -> String {
        format!("{} {}", human(self.value), self.measure.unit())
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.label, self.value_text(), self.bound)
    }
}

/// The inputs of one instance, enough to rerun it alone with `lro reproduce ID --instance K`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Reproducer {
    /// The instance index passed to [`with_instance`].
    pub instance: usize,
    /// The seed the instance drew its inputs from, if it drew any.
    pub seed: Option<u64>,
    /// The number kind it ran on (`f64`, `rational`, `mpfr-256`, `dual<rational>`, ...).
    pub number_kind: String,
    /// Named sizes (`n`, `T`, `d`, ...).
    pub sizes: Vec<(String, usize)>,
    /// Other parameters, as `name = value` text.
    pub params: Vec<(String, String)>,
}

impl Reproducer {
    /// A reproducer for instance `instance` on `number_kind`.
    pub fn new(instance: usize, number_kind: impl Into<String>) -> Self {
        Reproducer {
            instance,
            number_kind: number_kind.into(),
            ..Default::default()
        }
    }

    /// Adds the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Adds a named size.
    pub fn size(mut self, name: &str, value: usize) -> Self {
        self.sizes.push((name.into(), value));
        self
    }

    /// Adds a named parameter.
    pub fn param(mut self, name: &str, value: impl fmt::Display) -> Self {
        self.params.push((name.into(), value.to_string()));
        self
    }
}

impl fmt::Display for Reproducer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "instance {} on {}", self.instance, self.number_kind)?;
        if let Some(s) = self.seed {
            write!(f, ", seed {s}")?;
        }
        for (k, v) in &self.sizes {
            write!(f, ", {k} = {v}")?;
        }
        for (k, v) in &self.params {
            write!(f, ", {k} = {v}")?;
        }
        Ok(())
    }
}

/// What a check found: its findings, how many instances it covered, and the verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    /// Number of instances (random draws, grid points, seeds) checked.
    pub instances: usize,
    /// Every measured value, with its measure and bound. Non-empty.
    pub findings: Vec<Finding>,
    /// Whether every finding holds. (A check that ran no instance at all is a failure too: the
    /// report and the tests require `instances > 0` besides `passed`.)
    pub passed: bool,
    /// One line on how it was checked (number kinds, sizes, what the error is relative to).
    pub detail: String,
    /// The worst instance's inputs, when the check has instances that can be rerun alone.
    pub reproducer: Option<Reproducer>,
}

impl Evidence {
    /// Evidence of one finding.
    pub fn measured(
        instances: usize,
        label: impl Into<String>,
        measure: Measure,
        value: f64,
        bound: Bound,
        detail: impl Into<String>,
    ) -> Self {
        let finding = Finding {
            label: label.into(),
            measure,
            value,
            bound,
        };
        Evidence {
            instances,
            passed: finding.holds(),
            findings: vec![finding],
            detail: detail.into(),
            reproducer: None,
        }
    }

    /// An exact check over Q: `mismatches` entries differed (0 for a pass).
    pub fn exact(
        instances: usize,
        label: impl Into<String>,
        mismatches: usize,
        detail: impl Into<String>,
    ) -> Self {
        Self::measured(
            instances,
            label,
            Measure::ExactMismatches,
            mismatches as f64,
            Bound::Zero,
            detail,
        )
    }

    /// A floating-point error held to `tolerance`.
    pub fn error_at_most(
        instances: usize,
        label: impl Into<String>,
        measure: Measure,
        worst: f64,
        tolerance: f64,
        detail: impl Into<String>,
    ) -> Self {
        Self::measured(
            instances,
            label,
            measure,
            worst,
            Bound::AtMost { value: tolerance },
            detail,
        )
    }

    /// A count of violations of a stated property (must be 0).
    pub fn violations(
        instances: usize,
        label: impl Into<String>,
        count: usize,
        detail: impl Into<String>,
    ) -> Self {
        Self::measured(
            instances,
            label,
            Measure::ViolationCount,
            count as f64,
            Bound::Zero,
            detail,
        )
    }

    /// Attaches the worst instance's reproducer.
    pub fn with_reproducer(mut self, r: Reproducer) -> Self {
        self.reproducer = Some(r);
        self
    }

    /// [`Evidence::with_reproducer`] when a worst instance was recorded, else unchanged.
    pub fn maybe_reproducer(self, r: Option<Reproducer>) -> Self {
        match r {
            Some(r) => self.with_reproducer(r),
            None => self,
        }
    }

    /// Combines the evidence of two sub-checks of one entry: instances add, findings are kept
    /// side by side, and the entry passes only if both pass. The first reproducer present is kept
    /// (the failing side's, when only one side fails).
    pub fn and(self, other: Evidence) -> Evidence {
        let reproducer = match (self.passed, other.passed) {
            (true, false) => other.reproducer.or(self.reproducer),
            _ => self.reproducer.or(other.reproducer),
        };
        let mut findings = self.findings;
        findings.extend(other.findings);
        Evidence {
            instances: self.instances + other.instances,
            findings,
            passed: self.passed && other.passed,
            detail: format!("{}; {}", self.detail, other.detail),
            reproducer,
        }
    }

    /// Evidence for a check that could not run: an error or a panic, with no findings that hold.
    pub fn stopped(reason: impl Into<String>) -> Self {
        Evidence {
            instances: 0,
            findings: vec![Finding {
                label: "check stopped".into(),
                measure: Measure::ViolationCount,
                value: f64::NAN,
                bound: Bound::Zero,
            }],
            passed: false,
            detail: reason.into(),
            reproducer: None,
        }
    }

    /// The finding closest to (or furthest past) its bound: the one a one-line summary shows.
    pub fn headline(&self) -> Option<&Finding> {
        self.findings.iter().max_by(|a, b| {
            a.bound
                .severity(a.value)
                .total_cmp(&b.bound.severity(b.value))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn for_verdict_is_scoped_to_its_closure_and_thread() {
        assert!(!verdict_only());
        let (inner, other_thread) = for_verdict(|| {
            (
                verdict_only(),
                std::thread::spawn(verdict_only).join().unwrap(),
            )
        });
        assert!(inner && !other_thread);
        assert!(!verdict_only());
        let _ = std::panic::catch_unwind(|| for_verdict(|| panic!("a check panicked")));
        assert!(!verdict_only(), "restored after a panic");
    }

    #[test]
    fn nan_never_holds() {
        for b in [
            Bound::Zero,
            Bound::AtMost { value: 1.0 },
            Bound::AtLeast { value: -1.0 },
            Bound::Between { lo: -1.0, hi: 1.0 },
        ] {
            assert!(!b.holds(f64::NAN), "{b}");
            assert_eq!(b.severity(f64::NAN), f64::INFINITY);
        }
    }

    #[test]
    fn bounds_decide_at_their_edges() {
        assert!(Bound::AtMost { value: 1.0 }.holds(1.0));
        assert!(!Bound::AtMost { value: 1.0 }.holds(1.0 + 1e-15));
        assert!(Bound::AtLeast { value: 0.5 }.holds(0.5));
        assert!(!Bound::AtLeast { value: 0.5 }.holds(0.49));
        assert!(!Bound::Zero.holds(1e-300));
        assert!(Bound::Between { lo: 0.9, hi: 1.1 }.holds(1.1));
        assert!(!Bound::Between { lo: 0.9, hi: 1.1 }.holds(0.89));
    }

    #[test]
    fn and_fails_if_either_fails_and_keeps_both_findings() {
        let ok = Evidence::error_at_most(3, "a", Measure::RelError, 1e-15, 1e-12, "ok");
        let bad = Evidence::violations(2, "b", 1, "bad")
            .with_reproducer(Reproducer::new(1, "f64").seed(7));
        let both = ok.clone().and(bad);
        assert!(!both.passed);
        assert_eq!(both.instances, 5);
        assert_eq!(both.findings.len(), 2);
        assert_eq!(both.reproducer.as_ref().map(|r| r.instance), Some(1));
        assert_eq!(both.headline().map(|f| f.label.as_str()), Some("b"));
        assert!(ok.clone().and(ok).passed);
    }

    #[test]
    fn a_failing_finding_fails_the_evidence() {
        assert!(Evidence::exact(1, "identity", 0, "").passed);
        assert!(!Evidence::exact(1, "identity", 1, "").passed);
        assert!(!Evidence::error_at_most(1, "e", Measure::AbsError, f64::NAN, 1.0, "").passed);
    }

    #[test]
    fn cases_follow_the_selected_instance() {
        assert_eq!(Budget::Test.cases(3), vec![0, 1, 2]);
        with_instance(1, || {
            assert_eq!(Budget::Test.cases(3), vec![1]);
            assert!(Budget::Test.cases(1).is_empty());
        });
        let caught = std::panic::catch_unwind(|| with_instance(2, || panic!("boom")));
        assert!(caught.is_err());
        assert_eq!(selected_instance(), None, "selection restored on unwind");
    }

    #[test]
    fn human_numbers() {
        assert_eq!(human(3.0), "3");
        assert_eq!(human(0.25), "0.25");
        assert_eq!(human(1.5e-13), "1.50e-13");
        assert_eq!(human(f64::NAN), "NaN");
    }
}
