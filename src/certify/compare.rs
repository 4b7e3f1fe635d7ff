//! Comparing two computed quantities: exact equality (for exact number kinds) and a scale-aware
//! relative difference (for floats), kept together so one property function serves both.
use crate::linalg;
use crate::rules::Update;
use crate::scalar::Real;
use nalgebra::DMatrix;

/// The outcome of comparing two quantities.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Comparison {
    /// Whether the two are exactly equal.
    pub equal: bool,
    /// `max |a − b| / (max(|a|, |b|) + floor)` in f64.
    pub rel: f64,
}

impl Comparison {
    /// Compares two matrices.
    pub fn matrices<T: Real>(a: &DMatrix<T>, b: &DMatrix<T>) -> Self {
        Comparison {
            equal: a == b,
            rel: linalg::rel_diff(a, b, crate::tolerances::F64_IDENTITY_ABS_FLOOR),
        }
    }

    /// Compares two updates block by block.
    pub fn updates<T: Real>(a: &Update<T>, b: &Update<T>) -> Self {
        Self::matrices(&a.a, &b.a)
            .and(Self::matrices(&a.w, &b.w))
            .and(Self::matrices(&a.b, &b.b))
    }

    /// Compares two scalars.
    pub fn scalars<T: Real>(a: &T, b: &T) -> Self {
        Comparison {
            equal: a == b,
            rel: linalg::rel_diff_scalar(
                a.to_f64(),
                b.to_f64(),
                crate::tolerances::F64_IDENTITY_ABS_FLOOR,
            ),
        }
    }

    /// Both comparisons: equal only if both are, the worse relative difference.
    pub fn and(self, o: Comparison) -> Comparison {
        Comparison {
            equal: self.equal && o.equal,
            rel: crate::linalg::worse(self.rel, o.rel),
        }
    }

    /// A comparison that holds trivially (the identity element of [`Self::and`]).
    pub fn identical() -> Comparison {
        Comparison {
            equal: true,
            rel: 0.0,
        }
    }

    /// The error to report for number kind `T`: 0 or 1 for exact kinds (equal or not), the relative
    /// difference for floats.
    pub fn error_for<T: Real>(&self) -> f64 {
        if T::is_exact() {
            if self.equal { 0.0 } else { 1.0 }
        } else {
            self.rel
        }
    }
}
