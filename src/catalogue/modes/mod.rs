//! Catalogue entries P-RNN-13 … P-RNN-34 of the per-mode theory and its certified identities
//! `P-RNN-n.x` (see `docs/theory/modes.md`). Every formula is derived for this project (see the
//! tags); none is the paper's equation. The computation lives in [`crate::modes`] and
//! [`crate::certify::modes`]; the entries are split by topic:
//!
//! - [`identities`]: aligned networks = their modes, the update's closed forms and derivatives;
//! - [`stability`]: fixed points, Jacobians and stability classes;
//! - [`rates`]: convergence rates on the optimal manifold;
//! - [`flows`]: learning-ODE trajectories and conserved quantities.
use super::{Budget, Entry, Evidence, Measure, Reproducer};
use crate::certify::modes as cm;
use crate::error::Result;
use crate::modes::{ModeRule, sample};
use crate::scalar::{Rational, Real};
use crate::tolerances as tol;
use num_traits::Zero;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub mod flows;
pub mod identities;
pub mod rates;
pub mod stability;

type Q = Rational;

/// The entries of this area.
pub fn entries() -> Vec<Entry> {
    vec![
        entry!(
            "P-RNN-13",
            RnnModes,
            [Derived],
            "Aligned networks: matrix expected updates are diagonal with the finite-T per-mode sums; matrix loss = sum of mode losses; per-mode ODE = matrix flow",
            identities::p13,
        ),
        entry!(
            "P-RNN-14",
            RnnModes,
            [Derived],
            "Finite-T per-mode sums and losses converge geometrically to the T → ∞ forms",
            identities::p14,
        ),
        entry!(
            "P-RNN-14.a",
            RnnModes,
            [Derived],
            "Certificate: finite-T closed forms with geometric factors equal the finite-T sums (BPTT, tBPTT, RFLO)",
            |b| certificates(b, cm::p14a(b)),
        ),
        entry!(
            "P-RNN-15",
            RnnModes,
            [Derived],
            "Per-mode BPTT update equals the gradient of the per-mode loss",
            identities::p15,
        ),
        entry!(
            "P-RNN-15.a",
            RnnModes,
            [Derived],
            "Certificate: per-mode BPTT Δ = ∇L (T → ∞ and finite T)",
            |b| certificates(b, cm::p15a(b)),
        ),
        entry!(
            "P-RNN-16",
            RnnModes,
            [Derived],
            "k-step tBPTT reduces to one-step forms at k = 1 and tends to BPTT as k → ∞",
            identities::p16,
        ),
        entry!(
            "P-RNN-16.a",
            RnnModes,
            [Derived],
            "Certificate: tBPTT(k=1) = one-step forms; tBPTT(k ≥ T) = BPTT at finite T",
            |b| certificates(b, cm::p16a(b)),
        ),
        entry!(
            "P-RNN-17",
            RnnModes,
            [Notes, Derived],
            "Every rule's Δ vanishes on (s, c*/s, w*); BPTT and tBPTT also on (0, 0, w)",
            identities::p17,
        ),
        entry!(
            "P-RNN-17.a",
            RnnModes,
            [Notes, Derived],
            "Certificate: Δ = 0 on the optimal manifold (BPTT, tBPTT k = 1..3, RFLO)",
            |b| certificates(b, cm::p17a(b)),
        ),
        entry!(
            "P-RNN-17.b",
            RnnModes,
            [Notes, Derived],
            "Certificate: Δ = 0 on (0, 0, w) for BPTT and tBPTT (k = 1, 2)",
            |b| certificates(b, cm::p17b(b)),
        ),
        entry!(
            "P-RNN-18",
            RnnModes,
            [Derived],
            "At (0, 0, w) RFLO's Δb = −âc*/(1−ŵw*) ≠ 0: not a fixed point",
            identities::p18,
        ),
        entry!(
            "P-RNN-18.a",
            RnnModes,
            [Derived],
            "Certificate: RFLO's Δ at (0, 0, w) is (0, −âc*/(1−ŵw*), 0)",
            |b| certificates(b, cm::p18a(b)),
        ),
        entry!(
            "P-RNN-19",
            RnnModes,
            [Derived],
            "No fixed points besides the optimal manifold (and (0, 0, w) for BPTT/tBPTT): root search",
            stability::p19,
        ),
        entry!(
            "P-RNN-20",
            RnnModes,
            [Derived],
            "Analytic M_BPTT, M_tBPTT, M_RFLO equal the exact Jacobian on the manifold; null vector (a, −b, 0)",
            identities::p20,
        ),
        entry!(
            "P-RNN-20.a",
            RnnModes,
            [Derived],
            "Certificate: analytic M = dual-number Jacobian on the manifold",
            |b| certificates(b, cm::p20a(b)),
        ),
        entry!(
            "P-RNN-20.b",
            RnnModes,
            [Derived],
            "Certificate: M (a, −b, 0) = 0 on the manifold for every rule",
            |b| certificates(b, cm::p20b(b)),
        ),
        entry!(
            "P-RNN-21",
            RnnModes,
            [Derived],
            "tr and E2 of each M equal their closed forms; QN − m² = Q⁴",
            identities::p21,
        ),
        entry!(
            "P-RNN-21.a",
            RnnModes,
            [Derived],
            "Certificate: closed-form tr, E2 = exact Jacobian invariants; QN − m² = Q⁴",
            |b| certificates(b, cm::p21a(b)),
        ),
        entry!(
            "P-RNN-22",
            RnnModes,
            [Derived],
            "M_BPTT is the symmetric PSD Hessian of L_∞; nonzero eigenvalues real and positive on the manifold",
            stability::p22,
        ),
        entry!(
            "P-RNN-22.a",
            RnnModes,
            [Derived],
            "Certificate: ∂Δ_BPTT/∂θ = Hess L_∞ everywhere",
            |b| certificates(b, cm::p22a(b)),
        ),
        entry!(
            "P-RNN-23",
            RnnModes,
            [Derived],
            "tBPTT (k = 1) eigenvalues on the manifold real and positive; M_tBPTT = M_BPTT at w* = 0",
            stability::p23,
        ),
        entry!(
            "P-RNN-23.a",
            RnnModes,
            [Derived],
            "Certificate: M_tBPTT(k=1) = M_BPTT on the manifold when w* = 0",
            |b| certificates(b, cm::p23a(b)),
        ),
        entry!(
            "P-RNN-24",
            RnnModes,
            [Derived, Notes],
            "RFLO with â s > 0: both nonzero eigenvalues of M have Re > 0",
            stability::p24,
        ),
        entry!(
            "P-RNN-25",
            RnnModes,
            [Derived],
            "RFLO with â s < 0: saddle iff |â||s|³ < c*²; tr > 0 needs w*(w* − ŵ) > 0; class agrees with signs",
            stability::p25,
        ),
        entry!(
            "P-RNN-26",
            RnnModes,
            [Derived],
            "On (0, 0, w): eigenvalues ±c*/(1−ww*) (BPTT), ±|c*|/√(1−ww*) (tBPTT): saddles",
            stability::p26,
        ),
        entry!(
            "P-RNN-26.a",
            RnnModes,
            [Derived],
            "Certificate: characteristic polynomials of M on (0, 0, w) for BPTT and tBPTT",
            |b| certificates(b, cm::p26a(b)),
        ),
        entry!(
            "P-RNN-27",
            RnnModes,
            [Derived, Notes],
            "BPTT's rate along the manifold increases in X, is slowest at s = ±√|c*|, tends to Q³c*²",
            rates::p27,
        ),
        entry!(
            "P-RNN-28",
            RnnModes,
            [Derived, Notes],
            "RFLO on its stable branch: λ_min s/(âc*²P̂²Q) → 1 as s → 0; faster than BPTT there",
            rates::p28,
        ),
        entry!(
            "P-RNN-29",
            RnnModes,
            [Derived],
            "BPTT ODE conserves a² − b²; converged runs end at s² = (D0 + √(D0² + 4c*²))/2",
            flows::p29,
        ),
        entry!(
            "P-RNN-29.a",
            RnnModes,
            [Derived],
            "Certificate: BPTT aΔa = bΔb (T → ∞ and finite T)",
            |b| certificates(b, cm::p29a(b)),
        ),
        entry!(
            "P-RNN-30",
            RnnModes,
            [Derived],
            "One-step tBPTT ODE conserves a² − b² − w²; converged runs end at s² = (D1 + √(D1² + 4c*²))/2",
            flows::p30,
        ),
        entry!(
            "P-RNN-30.a",
            RnnModes,
            [Derived],
            "Certificate: one-step tBPTT aΔa − bΔb − wΔw = 0 (T → ∞)",
            |b| certificates(b, cm::p30a(b)),
        ),
        entry!(
            "P-RNN-31",
            RnnModes,
            [Derived],
            "From a0 = b0 with c* < 0 BPTT stalls on (0, 0, w); tBPTT and RFLO reach the optimal manifold",
            flows::p31,
        ),
        entry!(
            "P-RNN-32",
            RnnModes,
            [Derived, Notes],
            "RFLO ends on a stable point; with w*(w* − ŵ) ≤ 0 on the branch sgn(a) = sgn(â)",
            flows::p32,
        ),
        entry!(
            "P-RNN-33",
            RnnModes,
            [Derived],
            "tBPTT and RFLO do not conserve a² − b², RFLO not a² − b² − w², matrix BPTT not AᵀA − BBᵀ",
            flows::p33,
        ),
        entry!(
            "P-RNN-34",
            RnnModes,
            [Assumed],
            "ODE drivers stop with 'left the domain of the T → ∞ formulas' when |w| reaches 1",
            flows::p34,
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// helpers

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

fn mat_diff(x: &[[Q; 3]; 3], y: &[[Q; 3]; 3]) -> Vec<Q> {
    x.iter()
        .flatten()
        .zip(y.iter().flatten())
        .map(|(u, v)| u.clone() - v.clone())
        .collect()
}

fn pos(x: &Q) -> bool {
    !x.is_zero() && x.to_f64() > 0.0
}

/// The relative difference of two f64 values with the identity floor.
fn rel(x: f64, y: f64) -> f64 {
    crate::linalg::rel_diff_scalar(x, y, tol::F64_IDENTITY_ABS_FLOOR)
}

fn all_rules_q(r: &mut ChaCha8Rng) -> Vec<ModeRule<Q>> {
    vec![
        ModeRule::Bptt,
        ModeRule::Tbptt { k: 1 },
        ModeRule::Tbptt { k: 2 },
        ModeRule::Tbptt { k: 3 },
        sample::rflo(r),
    ]
}

fn three_rules_q(r: &mut ChaCha8Rng) -> Vec<ModeRule<Q>> {
    vec![ModeRule::Bptt, ModeRule::Tbptt { k: 1 }, sample::rflo(r)]
}

/// What one instance of a sampled check found: exact residuals over Q (each must be 0), counted
/// violations of stated inequalities, a floating-point error, and the drawn inputs that define the
/// instance (shown in its reproducer).
#[derive(Default)]
struct Case {
    residuals: Vec<Q>,
    violations: usize,
    error: f64,
    inputs: Vec<(String, String)>,
}

impl Case {
    /// Records one drawn input.
    fn input(&mut self, name: &str, value: impl std::fmt::Display) {
        self.inputs.push((name.into(), value.to_string()));
    }

    /// Records a student mode `(a, b, w)`.
    fn mode<T: std::fmt::Display>(&mut self, m: &crate::rnn::Mode<T>) {
        self.input("a", &m.a);
        self.input("b", &m.b);
        self.input("w", &m.w);
    }

    /// Records a teacher mode `(a*, b*, w*)`.
    fn teacher<T: std::fmt::Display>(&mut self, t: &crate::rnn::Mode<T>) {
        self.input("a*", &t.a);
        self.input("b*", &t.b);
        self.input("w*", &t.w);
    }

    /// Records RFLO's feedback gains `(â, ŵ)` if `rule` is RFLO.
    fn rule<T: std::fmt::Display>(&mut self, rule: &ModeRule<T>) {
        if let ModeRule::Rflo { a_hat, w_hat } = rule {
            self.input("â", a_hat);
            self.input("ŵ", w_hat);
        }
    }

    /// Records the RFLO gains among `rules`.
    fn rules<T: std::fmt::Display>(&mut self, rules: &[ModeRule<T>]) {
        rules.iter().for_each(|r| self.rule(r));
    }
}

/// The worst instance of one kind of finding: its index and value (ties keep the first; NaN is
/// the worst and stays once seen).
#[derive(Clone, Copy, Default)]
struct Worst {
    at: Option<usize>,
    value: f64,
}

impl Worst {
    fn see(&mut self, k: usize, v: f64) {
        if self.at.is_some() && self.value.is_nan() {
            return;
        }
        if self.at.is_none() || v.is_nan() || v > self.value {
            self.at = Some(k);
            self.value = v;
        }
    }
}

/// The findings of a sampled check over `Budget::cases`, with the worst instance of each kind.
/// Instance k draws its inputs from the seed `seed0 + k`, so any instance reruns alone.
struct Sweep {
    seed0: u64,
    instances: usize,
    compared: usize,
    mismatches: usize,
    worst_mismatch: Worst,
    violations: usize,
    worst_violation: Worst,
    error: f64,
    worst_error: Worst,
    /// Each instance's index and drawn inputs.
    inputs: Vec<(usize, Vec<(String, String)>)>,
}

/// Runs `case` on each instance of `b.cases(base)`, instance k with a generator seeded `seed0 + k`.
fn sweep(
    b: Budget,
    base: usize,
    seed0: u64,
    mut case: impl FnMut(&mut ChaCha8Rng) -> Result<Case>,
) -> Result<Sweep> {
    let mut s = Sweep {
        seed0,
        instances: 0,
        compared: 0,
        mismatches: 0,
        worst_mismatch: Worst::default(),
        violations: 0,
        worst_violation: Worst::default(),
        error: 0.0,
        worst_error: Worst::default(),
        inputs: Vec::new(),
    };
    for k in b.cases(base) {
        let c = case(&mut rng(seed0 + k as u64))?;
        s.instances += 1;
        s.compared += c.residuals.len();
        let m = c.residuals.iter().filter(|x| !x.is_zero()).count();
        s.worst_mismatch.see(k, m as f64);
        s.mismatches += m;
        s.worst_violation.see(k, c.violations as f64);
        s.violations += c.violations;
        s.worst_error.see(k, c.error);
        s.error = s.worst_error.value;
        s.inputs.push((k, c.inputs));
    }
    Ok(s)
}

impl Sweep {
    /// The reproducer of instance `k`: its seed and drawn inputs.
    fn reproducer(&self, k: usize, kind: &str) -> Reproducer {
        let r = Reproducer::new(k, kind)
            .seed(self.seed0 + k as u64)
            .size("modes", 1);
        self.inputs
            .iter()
            .filter(|(i, _)| *i == k)
            .flat_map(|(_, v)| v)
            .fold(r, |r, (name, value)| r.param(name, value))
    }

    fn attach(&self, ev: Evidence, worst: Worst, kind: &str) -> Evidence {
        match worst.at {
            Some(k) => ev.with_reproducer(self.reproducer(k, kind)),
            None => ev,
        }
    }

    /// The worst instance of a count that must be 0. When the count is 0 and the sweep also
    /// measured a floating-point error, none: the error's worst instance (the finding closest to
    /// its bound) is the one to keep when the evidence is combined with [`Evidence::and`].
    fn count_worst(&self, total: usize, worst: Worst) -> Worst {
        let measured_error = self.worst_error.value != 0.0;
        if total == 0 && measured_error {
            Worst::default()
        } else {
            worst
        }
    }

    /// The exact residuals as a count of mismatches over Q.
    fn exact(&self, label: &str, detail: impl Into<String>) -> Evidence {
        let detail = format!("{} ({} residuals)", detail.into(), self.compared);
        let ev = Evidence::exact(self.instances, label, self.mismatches, detail);
        let worst = self.count_worst(self.mismatches, self.worst_mismatch);
        self.attach(ev, worst, "rational")
    }

    /// The counted violations.
    fn violations(&self, label: &str, detail: impl Into<String>) -> Evidence {
        let ev = Evidence::violations(self.instances, label, self.violations, detail);
        let worst = self.count_worst(self.violations, self.worst_violation);
        self.attach(ev, worst, "rational")
    }

    /// The worst floating-point error, held to `tolerance`.
    fn error(
        &self,
        label: &str,
        measure: Measure,
        tolerance: f64,
        detail: impl Into<String>,
    ) -> Evidence {
        let ev = Evidence::error_at_most(
            self.instances,
            label,
            measure,
            self.error,
            tolerance,
            detail,
        );
        self.attach(ev, self.worst_error, "f64")
    }
}

/// Certifies the identities of one sub-id, identity k being instance k (`Budget::cases` over the
/// list, so `lro reproduce ID --instance K` certifies identity K alone). Each certificate carries
/// its reproducer: the identity, its grid, and the failing grid point if there is one; combined
/// with [`Evidence::and`], the first failing identity's reproducer is kept (the first identity's
/// when all hold).
fn certificates(b: Budget, ids: Vec<crate::certify::Identity<'_>>) -> Result<Evidence> {
    let n = ids.len();
    let mut ev: Option<Evidence> = None;
    for k in super::fixed_cases(b, n) {
        let id = &ids[k];
        let cert = crate::certify::certify(id, cm::MAX_POINTS)?;
        let grid: Vec<String> = id
            .vars
            .iter()
            .map(|v| format!("{} ∈ {} values", v.name, v.degree + 1))
            .collect();
        let mut r = Reproducer::new(k, "rational")
            .size("grid points", cert.points)
            .param("identity", &id.name)
            .param("grid", grid.join(", "));
        if let Some(c) = &cert.counterexample {
            r = c
                .point
                .iter()
                .fold(r, |r, (name, value)| r.param(name, value))
                .param("failing component", c.component);
        }
        let e = cert.evidence().with_reproducer(r);
        ev = Some(match ev {
            None => e,
            Some(prev) => prev.and(e),
        });
    }
    Ok(ev.unwrap_or_else(|| {
        Evidence::stopped(format!(
            "no identity selected: this sub-id has {n} identities at budget {b}"
        ))
    }))
}
