//! How the P-RNN-1 … P-RNN-12 entries turn a property into evidence: an exact half over `Rational`,
//! an f64 half, Monte-Carlo bounds, and the reproducer of the worst instance.
use crate::certify::compare::Comparison;
use crate::error::Result;
use crate::evidence::{self, Budget, Evidence, Measure, Reproducer};
use crate::rnn::{Instance, InstanceSize as Size, InstanceSpec};
use crate::scalar::Rational;
use crate::tolerances::{F64_IDENTITY_REL, mc_critical_z};

/// The reproducer of instance `k`, drawn from `spec`.
pub(super) fn repro(k: usize, spec: &InstanceSpec, kind: &str) -> Reproducer {
    Reproducer::new(k, kind)
        .seed(spec.seed)
        .size("o", spec.o)
        .size("n", spec.n)
        .size("n*", spec.n_teacher)
        .size("d", spec.d)
        .size("T", spec.horizon)
}

/// The exact half of a property: over `Rational` on `budget.cases(base)`, instance k drawn from
/// seed `seed0 + k`; counts the instances on which the two sides differ.
pub(super) fn exact_part(
    budget: Budget,
    base: usize,
    seed0: u64,
    size: Size,
    label: &str,
    what: &str,
    q: impl Fn(&Instance<Rational>) -> Result<Comparison>,
) -> Result<Evidence> {
    let (mut n, mut unequal, mut first) = (0usize, 0usize, None);
    for k in budget.cases(base) {
        let spec = InstanceSpec::sized(seed0 + k as u64, size);
        let inst = spec.draw()?.cast::<Rational>();
        n += 1;
        if !q(&inst)?.equal {
            unequal += 1;
            first.get_or_insert_with(|| repro(k, &spec, "rational"));
            if evidence::verdict_only() {
                break; // the part fails whatever the remaining instances give
            }
        }
    }
    let ev = Evidence::exact(
        n,
        label,
        unequal,
        format!("exact over Q: {what}; {n} instances ({size}), counting instances that differ"),
    );
    Ok(match first {
        Some(r) => ev.with_reproducer(r),
        None => ev,
    })
}

/// The f64 half of a property: the worst relative difference on `budget.cases(base)`, instance k
/// drawn from seed `seed0 + k`.
#[allow(clippy::too_many_arguments)]
pub(super) fn float_part(
    budget: Budget,
    base: usize,
    seed0: u64,
    size: Size,
    label: &str,
    tolerance: f64,
    what: &str,
    f: impl Fn(&Instance<f64>) -> Result<f64>,
) -> Result<Evidence> {
    let (mut n, mut worst, mut at) = (0usize, 0.0f64, None);
    for k in budget.cases(base) {
        let spec = InstanceSpec::sized(seed0 + k as u64, size);
        let e = f(&spec.draw()?)?;
        n += 1;
        if at.is_none() || e.is_nan() || (!worst.is_nan() && e > worst) {
            worst = e;
            at = Some(repro(k, &spec, "f64"));
        }
    }
    let ev = Evidence::error_at_most(
        n,
        label,
        Measure::RelError,
        worst,
        tolerance,
        format!("f64: {what}; {n} instances ({size})"),
    );
    Ok(match at {
        Some(r) => ev.with_reproducer(r),
        None => ev,
    })
}

/// Runs a property exactly over rationals on small instances and over f64 on large ones.
pub(super) fn exact_and_f64(
    budget: Budget,
    seed0: u64,
    (exact_size, float_size): (Size, Size),
    label: &str,
    q: impl Fn(&Instance<Rational>) -> Result<Comparison>,
    f: impl Fn(&Instance<f64>) -> Result<Comparison>,
) -> Result<Evidence> {
    let exact = exact_part(budget, 6, seed0, exact_size, label, label, q)?;
    let float = float_part(
        budget,
        12,
        seed0 + 1_000,
        float_size,
        label,
        F64_IDENTITY_REL,
        "largest |difference| relative to the larger side's largest entry",
        |i| f(i).map(|c| c.rel),
    )?;
    // f64 first: on a tie (an f64 error of exactly 0) the headline is the last finding, so an
    // identity that also holds exactly in f64 is headed by its exact count over Q
    Ok(float.and(exact))
}

/// A Monte-Carlo comparison: the largest |z| over `comparisons` simultaneous comparisons of means
/// of `samples` draws, held to the critical value with total false-alarm probability
/// `MC_FALSE_ALARM` (Student t with `samples − 1` degrees of freedom, Bonferroni).
pub(super) fn statistical(
    instances: usize,
    worst_z: f64,
    comparisons: usize,
    samples: usize,
    what: &str,
    worst: Option<Reproducer>,
) -> Evidence {
    let z = mc_critical_z(comparisons, samples);
    let ev = Evidence::error_at_most(
        instances,
        "largest |z| of a Monte-Carlo mean",
        Measure::ZScore,
        worst_z,
        z,
        format!(
            "{what}: max |z| over {comparisons} comparisons of means of {samples} draws; bound {z:.2} standard errors, from the Student-t quantile at total false-alarm probability {:e}",
            crate::tolerances::MC_FALSE_ALARM
        ),
    );
    match worst {
        Some(r) => ev.with_reproducer(r),
        None => ev,
    }
}
