//! Catalogue entries P-RNN-35 … P-RNN-37 (spec `theory/linear-rnn.md` §5, §9.7). The
//! student–teacher experiment (`EXP-RNN-6`) is in [`super::study`].
use super::{Area, Budget, Entry, Evidence, Provenance, Tag};
use crate::error::Result;
use crate::lowrank::cases::{Case, Contrast, Measurement, gaussian_instance, sweep};
use crate::lowrank::{Change, sv_gap};
use crate::rnn::InstanceSpec;
use crate::rules::{Feedback, Loss, Rule};
use crate::scalar::Rational;
use crate::tolerances::{HIGHER_RANK_MIN_GAP, LOWRANK_RESIDUAL_REL, RANK_REL_GAP};
use crate::train::{self, Schedule, TrainConfig, Updates};

const LOW_RANK: Provenance = Provenance(&[Tag::Notes, Tag::Derived]);

/// The entries of this area.
pub fn entries() -> Vec<Entry> {
    vec![
        Entry {
            id: "P-RNN-35.a",
            area: Area::RnnLowRank,
            statement: "RFLO: col(W_K − W_0) ⊆ col(Rᵀ), so rank(W_K − W_0) ≤ o, for any init, data, \
                        T, ŵ, rate schedule, batch, loss and K (Proposition 3.1)",
            provenance: LOW_RANK,
            check: |b| rflo_block(b, 0, "W_K − W_0"),
        },
        Entry {
            id: "P-RNN-35.b",
            area: Area::RnnLowRank,
            statement: "RFLO: col(B_K − B_0) ⊆ col(Rᵀ), so rank(B_K − B_0) ≤ o (Proposition 3.1)",
            provenance: LOW_RANK,
            check: |b| rflo_block(b, 1, "B_K − B_0"),
        },
        Entry {
            id: "P-RNN-35.c",
            area: Area::RnnLowRank,
            statement: "RFLO: col([W_K − W_0 | B_K − B_0]) ⊆ col(Rᵀ), so the stacked change has rank \
                        ≤ rank(R) ≤ o",
            provenance: LOW_RANK,
            check: |b| rflo_block(b, 2, "[W_K − W_0 | B_K − B_0]"),
        },
        Entry {
            id: "P-RNN-35.d",
            area: Area::RnnLowRank,
            statement: "RFLO does not constrain the readout: on generic instances A_K − A_0 leaves \
                        row(R)",
            provenance: LOW_RANK,
            check: readout_free,
        },
        Entry {
            id: "P-RNN-36",
            area: Area::RnnLowRank,
            statement: "One-step tBPTT with A frozen keeps col(W_K − W_0) ⊆ col(A_0ᵀ) (rank ≤ o); \
                        BPTT's change is generically of rank > o",
            provenance: Provenance(&[Tag::Derived]),
            check: tbptt_and_bptt,
        },
        Entry {
            id: "P-RNN-37",
            area: Area::RnnLowRank,
            statement: "e-prop's changes lie in the sum of the order-T Krylov spaces \
                        span{D_k^m Rᵀ : m < T}, D_k = diag(W_k), and generically exceed rank o",
            provenance: Provenance(&[Tag::DerivedUnchecked]),
            check: eprop_krylov,
        },
    ]
}

/// Measured cases of a sweep.
type Runs = Vec<(Case, Measurement)>;

/// Runs a sweep exactly (short, rationals) and in f64 (long, some diverging).
fn run_sweep(budget: Budget, contrast: Contrast) -> Result<(Runs, Runs)> {
    let count = budget.instances(12);
    let mut exact = Vec::new();
    for c in sweep(count, 1000, true, 3) {
        let m = c.measure::<Rational>(contrast)?;
        exact.push((c, m));
    }
    let mut long = Vec::new();
    for c in sweep(count, 2000, false, 300) {
        let m = c.measure::<f64>(contrast)?;
        long.push((c, m));
    }
    Ok((exact, long))
}

/// Exact evidence (excess rank must be 0) plus f64 evidence (gap and residual) for block `i`.
fn containment_evidence(
    exact: &[(Case, Measurement)],
    long: &[(Case, Measurement)],
    i: usize,
    what: &str,
    space: &str,
) -> Evidence {
    let worst_excess = exact.iter().map(|(_, m)| m.excess[i]).max().unwrap_or(0);
    let e = Evidence::from_worst(
        exact.len(),
        worst_excess as f64,
        None,
        format!(
            "rationals, {} runs of ≤ 3 steps (online/mini-batch/expected, final/sequence, aligned/generic, \
             white/fixed data, ŵ ∈ {{draw, 0, −1.5, 2}}, constant/decaying η): exact excess rank of {what} over {space}",
            exact.len()
        ),
    );
    let diverged = long.iter().filter(|(_, m)| m.diverged).count();
    let gap = long
        .iter()
        .map(|(_, m)| m.gap[i])
        .fold(0.0, crate::linalg::worse);
    let res = long
        .iter()
        .map(|(_, m)| m.residual[i])
        .fold(0.0, crate::linalg::worse);
    let g = Evidence::from_worst(
        long.len(),
        gap,
        Some(RANK_REL_GAP),
        format!(
            "f64, {} runs of 300 steps ({diverged} diverged): σ_(r+1)/max(σ_1, scale) of {what}",
            long.len()
        ),
    );
    let r = Evidence::from_worst(
        0,
        res,
        Some(LOWRANK_RESIDUAL_REL),
        format!("projector residual outside {space} / scale"),
    );
    e.and(g).and(r)
}

fn rflo_block(budget: Budget, i: usize, what: &str) -> Result<Evidence> {
    let (exact, long) = run_sweep(budget, Contrast::Rflo)?;
    Ok(containment_evidence(&exact, &long, i, what, "col(Rᵀ)"))
}

/// P-RNN-35.d: exact, on generic instances with white data and expected updates, A's change leaves
/// row(R). The worst error counts instances where it did not (must be 0).
fn readout_free(budget: Budget) -> Result<Evidence> {
    let count = budget.instances(8);
    let mut stuck = 0;
    for (k, mut c) in sweep(count, 3000, true, 2).into_iter().enumerate() {
        c.aligned = false;
        c.data = crate::lowrank::cases::DataKind::White;
        c.updates = Updates::Expected;
        c.spec.horizon = 2 + k % 2;
        let m = c.measure::<Rational>(Contrast::Rflo)?;
        if m.a_excess == 0 || m.excess != [0, 0, 0] {
            stuck += 1;
        }
    }
    Ok(Evidence::from_worst(
        count,
        stuck as f64,
        None,
        "rationals, generic instances, 2 expected steps: number of runs whose A change stayed in \
         row(R) or whose W/B change left col(Rᵀ)",
    ))
}

/// Among the `count` Gaussian draws, (number of non-diverged runs whose W change after 200 expected
/// steps has σ_(o+1)/σ_1 ≤ HIGHER_RANK_MIN_GAP, number of diverged runs, smallest ratio over the
/// non-diverged runs), for a rule built from the draw's feedback. A diverged run ends in a state
/// dominated by its few exploding directions, so its rank says nothing about generic updates; it is
/// counted separately.
fn low_rank_count(
    count: usize,
    seed0: u64,
    rule: impl Fn(&nalgebra::DMatrix<f64>) -> Rule<f64>,
) -> Result<(usize, usize, f64)> {
    let mut low = 0;
    let mut diverged = 0;
    let mut smallest = f64::INFINITY;
    for s in 0..count as u64 {
        let o = 1 + (s as usize) % 2;
        let (st, r) = gaussian_instance(seed0 + s, o, 6, 3)?;
        let cfg = TrainConfig::new(
            rule(&r),
            Updates::Expected,
            Loss::Final,
            8,
            200,
            Schedule::Constant(0.02),
        );
        let res = train::train(&st, &cfg)?;
        if res.divergence.is_some() {
            diverged += 1;
            continue;
        }
        let ch = Change::between(&st.student, &res.net)?;
        let g = sv_gap(&ch.w, o, 0.0);
        smallest = smallest.min(g);
        if g <= HIGHER_RANK_MIN_GAP {
            low += 1;
        }
    }
    if diverged == count {
        // Nothing left to judge: count every draw as a failure.
        low = count;
    }
    Ok((low, diverged, smallest))
}

fn tbptt_and_bptt(budget: Budget) -> Result<Evidence> {
    let (exact, long) = run_sweep(budget, Contrast::TbpttFrozenA)?;
    let frozen = containment_evidence(&exact, &long, 2, "[W_K − W_0 | B_K − B_0]", "col(A_0ᵀ)");
    let count = budget.instances(10);
    let (low, diverged, smallest) = low_rank_count(count, 500, |_| Rule::Bptt)?;
    let bptt = Evidence::from_worst(
        count,
        low as f64,
        None,
        format!(
            "BPTT, {count} Gaussian draws (o ∈ {{1, 2}}, n = 6, T = 8, 200 expected steps, η = 0.02): \
             {diverged} diverged; non-diverged runs with σ_(o+1)/σ_1 ≤ {HIGHER_RANK_MIN_GAP:e} \
             (smallest ratio seen {smallest:.1e}); rank ≤ o has probability 0 under continuous init"
        ),
    );
    Ok(frozen.and(bptt))
}

fn eprop_krylov(budget: Budget) -> Result<Evidence> {
    let count = budget.instances(12);
    let mut worst = 0;
    let mut proper = 0;
    for mut c in sweep(count, 4000, true, 2) {
        c.spec = InstanceSpec {
            o: 1,
            n: 6,
            horizon: 1 + c.spec.horizon % 2,
            ..c.spec
        };
        let m = c.measure::<Rational>(Contrast::Eprop)?;
        worst = worst.max(*m.excess.iter().max().unwrap_or(&0));
        if m.space_rank < 6 {
            proper += 1;
        }
    }
    let contained = Evidence::from_worst(
        count,
        worst as f64,
        None,
        format!(
            "rationals, {count} e-prop runs (random feedback, o = 1, n = 6, T ≤ 2, K ≤ 2; {proper} with \
             a proper Krylov subspace): exact excess rank of W, B and stacked changes over the Krylov sum"
        ),
    );
    let n_draws = budget.instances(10);
    let (low, diverged, smallest) = low_rank_count(n_draws, 700, |r| Rule::Eprop {
        feedback: Feedback::Random(r.clone()),
    })?;
    let exceeds = Evidence::from_worst(
        n_draws,
        low as f64,
        None,
        format!(
            "e-prop, {n_draws} Gaussian draws (200 expected steps, η = 0.02): {diverged} diverged; \
             non-diverged runs with σ_(o+1)/σ_1 ≤ {HIGHER_RANK_MIN_GAP:e} (smallest ratio seen \
             {smallest:.1e})"
        ),
    );
    Ok(contained.and(exceeds))
}
