//! EDGE-RNN-3 and EDGE-RNN-4: where the per-mode reduction stops, off alignment
//! (`docs/theory/modes.md#forecast`) and off white input (`docs/theory/modes.md#coloured-input`).
use crate::catalogue::{Bound, Budget, Evidence, Measure, Reproducer};
use crate::error::Result;
use crate::scalar::{Rational, Real};
use num_traits::Zero;

/// EDGE-RNN-3 (`docs/theory/modes.md#forecast`): the per-mode map against the network, aligned and
/// misaligned (`crate::study::drift`).
pub(super) fn misaligned_drifts(budget: Budget) -> Result<Evidence> {
    use crate::contrastive::stats::slope;
    use crate::study::drift::{self, CURVE};
    use crate::tolerances::{EDGE_DRIFT_SLOPE_ABS, F64_IDENTITY_REL};
    // Exact over Q: T = 3, K = 2 steps at η = 1/8, aligned (ε = 0) and misaligned (ε = 1/8, 1/4).
    let (eta, horizon, steps) = (Rational::ratio(1, 8), 3, 2);
    let pm = drift::per_mode_ratios(&eta, horizon, steps)?;
    let q_repro = |k: usize, v: &str| exact_repro(k, horizon, steps, "eps", v);
    let net0 = drift::network_ratios(&Rational::zero(), &eta, horizon, steps)?;
    let mismatches = drift::differences(&net0, &pm)
        .iter()
        .filter(|d| !d.is_zero())
        .count();
    let mut aligned = Evidence::exact(
        steps + 1,
        "steps where the aligned network's L(k)/L(0) differs from the per-mode map's",
        mismatches,
        "over rationals: teacher A* = B* = I, W* = diag(4/5, 1/2, −1/2); aligned student with \
         diagonal (a, b, w) = (1/2, 3/5, 1/5), (2/5, 1/2, −1/10), (3/10, 2/5, 0); expected BPTT \
         updates on the final-step loss, T = 3, η = 1/8, steps 0–2",
    );
    if mismatches > 0 {
        aligned = aligned.with_reproducer(q_repro(0, "0"));
    }
    let (mut exact_misaligned, mut first_exact) = (0usize, None);
    let mut n_mis = 0usize;
    for k in budget.cases(2) {
        let (p, q) = [(1, 8), (1, 4), (1, 2), (3, 8)][k % 4];
        n_mis += 1;
        let net = drift::network_ratios(&Rational::ratio(p, q), &eta, horizon, steps)?;
        if drift::differences(&net, &pm).iter().all(|d| d.is_zero()) {
            exact_misaligned += 1;
            first_exact.get_or_insert_with(|| q_repro(k, &format!("{p}/{q}")));
        }
    }
    let mut counter = Evidence::violations(
        n_mis,
        "misaligned students (ε ∈ {1/8, 1/4, …}, off-diagonal in A, W, B) whose run the per-mode \
         map still reproduces exactly",
        exact_misaligned,
        "the same setup with A, W, B each plus ε E, E the fixed off-diagonal pattern with entries in \
         {−1/2, 0, 1/2}; the per-mode map starts from the same diagonal, so any exact agreement \
         would mean the boundary is not where the theory puts it",
    );
    if let Some(r) = first_exact {
        counter = counter.with_reproducer(r);
    }
    // f64: the drift at ε = 0 is rounding, and grows as ε² (slope fitted over ε ≤ 0.031).
    let curve = drift::drift_curve()?;
    let (eta_f, horizon_f, steps_f) = CURVE;
    let f_repro = |v: f64| curve_repro("eps", v);
    let at_zero = curve.first().map_or(f64::NAN, |p| p.1);
    let zero = Evidence::error_at_most(
        1,
        "f64 drift max_k |r_net(k) − r_modes(k)| of the aligned run",
        Measure::AbsError,
        at_zero,
        F64_IDENTITY_REL,
        format!(
            "f64, the same teacher and aligned student, T = {horizon_f}, η = {eta_f}, K = {steps_f} \
             steps; r(k) = L(k)/L(0)"
        ),
    )
    .with_reproducer(f_repro(0.0));
    let fit: Vec<(f64, f64)> = curve
        .iter()
        .filter(|(e, d)| *e > 0.0 && *e < 0.05 && *d > 0.0)
        .map(|(e, d)| (e.ln(), d.ln()))
        .collect();
    let (xs, ys): (Vec<f64>, Vec<f64>) = fit.iter().copied().unzip();
    let s = if xs.len() >= 2 {
        slope(&xs, &ys)
    } else {
        f64::NAN
    };
    let largest = curve.last().copied().unwrap_or((f64::NAN, f64::NAN));
    let order = Evidence::measured(
        xs.len(),
        "log–log slope of the f64 drift against ε (derived: 2)",
        Measure::Slope,
        s,
        Bound::Between {
            lo: 2.0 - EDGE_DRIFT_SLOPE_ABS,
            hi: 2.0 + EDGE_DRIFT_SLOPE_ABS,
        },
        format!(
            "least squares over ε ∈ [1e-3, 0.031] ({} points); the drift at the largest ε = {:.2} is \
             {:.2e} (of L(0), as a loss ratio)",
            xs.len(),
            largest.0,
            largest.1
        ),
    )
    .with_reproducer(f_repro(largest.0));
    Ok(aligned.and(counter).and(zero).and(order))
}

/// EDGE-RNN-4 (`docs/theory/modes.md#coloured-input`): the white per-mode map against the aligned
/// network under AR(1) input with lag-one correlation ρ (`crate::study::coloured`).
pub(super) fn coloured_input_drifts(budget: Budget) -> Result<Evidence> {
    use crate::contrastive::stats::slope;
    use crate::study::coloured;
    use crate::study::drift::{self, CURVE};
    use crate::tolerances::{
        EDGE_COLOURED_FIRST_ORDER_REL, EDGE_COLOURED_SLOPE_ABS, EDGE_COLOURED_SLOPE_MAX_RHO,
        F64_IDENTITY_REL,
    };
    // Exact over Q: T = 3, K = 2 steps at η = 1/8, white (ρ = 0) and coloured (ρ = 1/4, 1/2, …).
    let (eta, horizon, steps) = (Rational::ratio(1, 8), 3, 2);
    let white = drift::per_mode_ratios(&eta, horizon, steps)?;
    let q_repro = |k: usize, v: &str| exact_repro(k, horizon, steps, "rho", v);
    let net0 = coloured::network_ratios(&Rational::zero(), &eta, horizon, steps)?;
    let mismatches = drift::differences(&net0, &white)
        .iter()
        .filter(|d| !d.is_zero())
        .count();
    let mut at_white = Evidence::exact(
        steps + 1,
        "steps where the network's L(k)/L(0) under white input (ρ = 0) differs from the white \
         per-mode map's",
        mismatches,
        "over rationals: the aligned student and teacher of EDGE-RNN-3 at ε = 0; input AR(1) with \
         E[x_t x_sᵀ] = ρ^|t−s| I; expected BPTT updates of the coloured final-step loss, T = 3, \
         η = 1/8, steps 0–2",
    );
    if mismatches > 0 {
        at_white = at_white.with_reproducer(q_repro(0, "0"));
    }
    let (mut exact_coloured, mut first_exact) = (0usize, None);
    let mut n_col = 0usize;
    for k in budget.cases(2) {
        let (p, q) = [(1, 4), (1, 2), (1, 8), (3, 4)][k % 4];
        n_col += 1;
        let net = coloured::network_ratios(&Rational::ratio(p, q), &eta, horizon, steps)?;
        if drift::differences(&net, &white).iter().all(|d| d.is_zero()) {
            exact_coloured += 1;
            first_exact.get_or_insert_with(|| q_repro(k, &format!("{p}/{q}")));
        }
    }
    let mut counter = Evidence::violations(
        n_col,
        "coloured inputs (ρ ∈ {1/4, 1/2, …}) under which the white per-mode map still reproduces \
         the network's run exactly",
        exact_coloured,
        "the same aligned setup under AR(1) input; the network stays diagonal and follows the \
         per-mode map with weights ρ^|j−k|, so any exact agreement with the white map would mean \
         the boundary is not where the theory puts it",
    );
    if let Some(r) = first_exact {
        counter = counter.with_reproducer(r);
    }
    // The reduction itself survives: the network is the coloured per-mode map exactly.
    let (mut coloured_mismatches, mut first_mismatch) = (0usize, None);
    for (p, q) in [(1, 4), (1, 2)] {
        let rho = Rational::ratio(p, q);
        let net = coloured::network_ratios(&rho, &eta, horizon, steps)?;
        let map = coloured::coloured_mode_ratios(&rho, &eta, horizon, steps)?;
        let bad = drift::differences(&net, &map)
            .iter()
            .filter(|d| !d.is_zero())
            .count();
        if bad > 0 {
            coloured_mismatches += bad;
            first_mismatch.get_or_insert_with(|| q_repro(0, &format!("{p}/{q}")));
        }
    }
    let reduction = Evidence::exact(
        2 * (steps + 1),
        "steps where the network's L(k)/L(0) under AR(1) input (ρ = 1/4, 1/2) differs from the \
         per-mode map with weights ρ^|j−k|",
        coloured_mismatches,
        "over rationals, the same setup: every G_j = Σ_k ρ^|j−k| D_k is diagonal, so the network \
         stays diagonal and each mode follows L_i = ½ Σ_{j,k} ρ^|j−k| g_j g_k (that map's gradient \
         written out from the double sum, independently of the network's recursions)",
    )
    .maybe_reproducer(first_mismatch);
    // f64: rounding at ρ = 0, order ρ¹ at small ρ, with the first-order coefficient from Dual<f64>.
    let curve = coloured::drift_curve()?;
    let (eta_f, horizon_f, steps_f) = CURVE;
    let f_repro = |v: f64| curve_repro("rho", v);
    let at_zero = curve.first().map_or(f64::NAN, |p| p.1);
    let zero = Evidence::error_at_most(
        1,
        "f64 drift max_k |r_net(k) − r_white(k)| under white input",
        Measure::AbsError,
        at_zero,
        F64_IDENTITY_REL,
        format!(
            "f64, the aligned student, T = {horizon_f}, η = {eta_f}, K = {steps_f} steps, ρ = 0; \
             r(k) = L(k)/L(0)"
        ),
    )
    .with_reproducer(f_repro(0.0));
    let fit: Vec<(f64, f64)> = curve
        .iter()
        .filter(|(r, d)| *r > 0.0 && *r <= EDGE_COLOURED_SLOPE_MAX_RHO && *d > 0.0)
        .map(|(r, d)| (r.ln(), d.ln()))
        .collect();
    let (xs, ys): (Vec<f64>, Vec<f64>) = fit.iter().copied().unzip();
    let s = if xs.len() >= 2 {
        slope(&xs, &ys)
    } else {
        f64::NAN
    };
    let largest = curve.last().copied().unwrap_or((f64::NAN, f64::NAN));
    let order = Evidence::measured(
        xs.len(),
        "log–log slope of the f64 drift against ρ (derived: 1)",
        Measure::Slope,
        s,
        Bound::Between {
            lo: 1.0 - EDGE_COLOURED_SLOPE_ABS,
            hi: 1.0 + EDGE_COLOURED_SLOPE_ABS,
        },
        format!(
            "least squares over ρ ∈ [1e-3, {EDGE_COLOURED_SLOPE_MAX_RHO}] ({} points); the drift at \
             the largest ρ = {:.2} is {:.2} (of L(0), as a loss ratio)",
            xs.len(),
            largest.0,
            largest.1
        ),
    )
    .with_reproducer(f_repro(largest.0));
    let coef = coloured::first_order_coefficient()?;
    let smallest = curve
        .iter()
        .copied()
        .find(|(r, _)| *r > 0.0)
        .unwrap_or((f64::NAN, f64::NAN));
    let first_order = Evidence::measured(
        1,
        "f64 drift at the smallest ρ over its first-order prediction ρ·max_k |∂r_net(k)/∂ρ|",
        Measure::Ratio,
        smallest.1 / (smallest.0 * coef),
        Bound::Between {
            lo: 1.0 - EDGE_COLOURED_FIRST_ORDER_REL,
            hi: 1.0 + EDGE_COLOURED_FIRST_ORDER_REL,
        },
        format!(
            "ρ = {:.0e}; the coefficient max_k |∂r_net(k)/∂ρ| at ρ = 0 is {coef:.3} (forward mode, \
             Dual<f64>), so the white map stays within 1 % of L(0) only up to ρ ≈ {:.4}",
            smallest.0,
            0.01 / coef
        ),
    )
    .with_reproducer(f_repro(smallest.0));
    Ok(at_white
        .and(counter)
        .and(reduction)
        .and(zero)
        .and(first_order)
        .and(order))
}

/// The reproducer of a point of an f64 drift curve at [`CURVE`](crate::study::drift::CURVE), with
/// the swept parameter `name` at `value`.
fn curve_repro(name: &str, value: f64) -> Reproducer {
    use crate::study::drift::{self, CURVE};
    let (eta, horizon, steps) = CURVE;
    Reproducer::new(0, "f64")
        .size("m", drift::TEACHER_W.len())
        .size("T", horizon)
        .size("K", steps)
        .param("eta", eta)
        .param(name, value)
}

/// The reproducer of an exact (rational) run at η = 1/8 with the swept parameter `name` at `value`.
fn exact_repro(k: usize, horizon: usize, steps: usize, name: &str, value: &str) -> Reproducer {
    Reproducer::new(k, "rational")
        .size("m", crate::study::drift::TEACHER_W.len())
        .size("T", horizon)
        .size("K", steps)
        .param("eta", "1/8")
        .param(name, value)
}
