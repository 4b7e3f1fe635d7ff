//! Catalogue entries P-RNN-35 … P-RNN-37 (`docs/theory/lowrank.md`). The
//! student–teacher experiment (`EXP-RNN-6`) is in [`super::study`].
use super::{Budget, Entry, Evidence, Measure, Reproducer};
use crate::error::Result;
use crate::lowrank::cases::{Case, Contrast, Measurement, gaussian_instance, sweep_case};
use crate::lowrank::{Change, sv_gap};
use crate::rnn::InstanceSpec;
use crate::rules::{Feedback, Loss, Rule};
use crate::scalar::Rational;
use crate::tolerances::{HIGHER_RANK_MIN_GAP, LOWRANK_RESIDUAL_REL, RANK_REL_GAP};
use crate::train::{self, Schedule, TrainConfig, Updates};

/// The entries of this area.
pub fn entries() -> Vec<Entry> {
    vec![
        entry!(
            "P-RNN-35.a",
            RnnLowRank,
            [Notes, Derived],
            "RFLO: col(W_K − W_0) ⊆ col(Rᵀ), so rank(W_K − W_0) ≤ o, for any init, data, \
                        T, ŵ, rate schedule, batch, loss and K (Proposition 3.1)",
            |b| rflo_block(b, 0, "W_K − W_0"),
        ),
        entry!(
            "P-RNN-35.b",
            RnnLowRank,
            [Notes, Derived],
            "RFLO: col(B_K − B_0) ⊆ col(Rᵀ), so rank(B_K − B_0) ≤ o (Proposition 3.1)",
            |b| rflo_block(b, 1, "B_K − B_0"),
        ),
        entry!(
            "P-RNN-35.c",
            RnnLowRank,
            [Notes, Derived],
            "RFLO: col([W_K − W_0 | B_K − B_0]) ⊆ col(Rᵀ), so the stacked change has rank \
                        ≤ rank(R) ≤ o",
            |b| rflo_block(b, 2, "[W_K − W_0 | B_K − B_0]"),
        ),
        entry!(
            "P-RNN-35.d",
            RnnLowRank,
            [Notes, Derived],
            "RFLO does not constrain the readout: on generic instances A_K − A_0 leaves \
                        row(R)",
            readout_free,
        ),
        entry!(
            "P-RNN-36",
            RnnLowRank,
            [Derived],
            "One-step tBPTT with A frozen keeps col(W_K − W_0) ⊆ col(A_0ᵀ) (rank ≤ o); \
                        BPTT's change is generically of rank > o",
            tbptt_and_bptt,
        ),
        entry!(
            "P-RNN-37",
            RnnLowRank,
            [DerivedUnchecked],
            "e-prop's changes lie in the sum of the order-T Krylov spaces \
                        span{D_k^m Rᵀ : m < T}, D_k = diag(W_k), and generically exceed rank o",
            eprop_krylov,
        ),
    ]
}

/// The reproducer of sweep case `k`.
fn case_repro(k: usize, c: &Case, kind: &str) -> Reproducer {
    Reproducer::new(k, kind)
        .seed(c.spec.seed)
        .size("o", c.spec.o)
        .size("n", c.spec.n)
        .size("d", c.spec.d)
        .size("T", c.spec.horizon)
        .size("K", c.steps)
        .param("updates", format!("{:?}", c.updates))
        .param("loss", format!("{:?}", c.loss))
        .param("aligned", c.aligned)
}

/// Measured cases of a sweep, with their index.
type Runs = Vec<(usize, Case, Measurement)>;

/// Runs a sweep exactly (short, rationals) and in f64 (long, some diverging); case k of each is
/// `sweep_case(k, ..)`, so one case reruns alone.
fn run_sweep(budget: Budget, contrast: Contrast) -> Result<(Runs, Runs)> {
    let mut exact = Vec::new();
    let mut long = Vec::new();
    for k in budget.cases(12) {
        let c = sweep_case(k, 1000, true, 3);
        let m = c.measure::<Rational>(contrast)?;
        exact.push((k, c, m));
        let c = sweep_case(k, 2000, false, 300);
        let m = c.measure::<f64>(contrast)?;
        long.push((k, c, m));
    }
    Ok((exact, long))
}

/// The worst f64 value of `f` over the runs, with its reproducer.
fn worst_of(long: &Runs, f: impl Fn(&Measurement) -> f64) -> (f64, Option<Reproducer>) {
    let mut worst = (0.0f64, None);
    for (k, c, m) in long {
        let v = f(m);
        if worst.1.is_none() || v.is_nan() || (!worst.0.is_nan() && v > worst.0) {
            worst = (v, Some(case_repro(*k, c, "f64")));
        }
    }
    worst
}

fn attach(ev: Evidence, r: Option<Reproducer>) -> Evidence {
    match r {
        Some(r) => ev.with_reproducer(r),
        None => ev,
    }
}

/// Exact evidence (runs whose change leaves the space, over Q) plus f64 evidence (singular-value
/// gap and projector residual) for block `i`.
fn containment_evidence(exact: &Runs, long: &Runs, i: usize, what: &str, space: &str) -> Evidence {
    let leaving: Vec<&(usize, Case, Measurement)> =
        exact.iter().filter(|(_, _, m)| m.excess[i] > 0).collect();
    let worst_excess = exact.iter().map(|(_, _, m)| m.excess[i]).max().unwrap_or(0);
    let e = attach(
        Evidence::exact(
            exact.len(),
            format!("runs whose {what} leaves {space}"),
            leaving.len(),
            format!(
                "rationals, {} runs of ≤ 3 steps (online/mini-batch/expected, final/sequence, aligned/generic, \
                 white/fixed data, ŵ ∈ {{draw, 0, −1.5, 2}}, constant/decaying η): exact rank of {what} outside {space} \
                 (largest excess {worst_excess})",
                exact.len()
            ),
        ),
        leaving
            .first()
            .map(|(k, c, _)| case_repro(*k, c, "rational")),
    );
    let diverged = long.iter().filter(|(_, _, m)| m.diverged).count();
    let (gap, gap_at) = worst_of(long, |m| m.gap[i]);
    let (res, res_at) = worst_of(long, |m| m.residual[i]);
    let g = attach(
        Evidence::error_at_most(
            long.len(),
            format!("σ_(r+1)/max(σ_1, scale) of {what}"),
            Measure::Ratio,
            gap,
            RANK_REL_GAP,
            format!(
                "f64, {} runs of 300 steps ({diverged} diverged): σ_(r+1)/max(σ_1, scale) of {what}, r = rank of {space}",
                long.len()
            ),
        ),
        gap_at,
    );
    let r = attach(
        Evidence::error_at_most(
            long.len(),
            format!("residual of {what} outside {space}"),
            Measure::RelError,
            res,
            LOWRANK_RESIDUAL_REL,
            format!(
                "f64: projector residual outside {space}, relative to the run's parameter scale"
            ),
        ),
        res_at,
    );
    e.and(g).and(r)
}

fn rflo_block(budget: Budget, i: usize, what: &str) -> Result<Evidence> {
    let (exact, long) = run_sweep(budget, Contrast::Rflo)?;
    Ok(containment_evidence(&exact, &long, i, what, "col(Rᵀ)"))
}

/// P-RNN-35.d: exact, on generic instances with white data and ONLINE (per-sample) and mini-batch
/// updates, A's change leaves row(R) while the W and B changes stay in col(Rᵀ). Online updates are
/// used so that the check runs the per-sample RFLO code (a wrong feedback matrix there moves the W
/// change out of col(Rᵀ)).
fn readout_free(budget: Budget) -> Result<Evidence> {
    let (mut n, mut stuck, mut escaped, mut first_stuck, mut first_escaped) =
        (0usize, 0usize, 0usize, None, None);
    let mut first_run = None;
    for k in budget.cases(8) {
        let mut c = sweep_case(k, 3000, true, 2);
        c.aligned = false;
        c.data = crate::lowrank::cases::DataKind::White;
        c.updates = if k % 2 == 0 {
            Updates::Online
        } else {
            Updates::MiniBatch { batch: 2 }
        };
        c.spec.horizon = 2 + k % 2;
        let m = c.measure::<Rational>(Contrast::Rflo)?;
        n += 1;
        first_run.get_or_insert_with(|| case_repro(k, &c, "rational"));
        if m.a_excess == 0 {
            stuck += 1;
            first_stuck.get_or_insert_with(|| case_repro(k, &c, "rational"));
        }
        if m.excess != [0, 0, 0] {
            escaped += 1;
            first_escaped.get_or_insert_with(|| case_repro(k, &c, "rational"));
        }
    }
    let free = attach(
        Evidence::violations(
            n,
            "runs whose A change stayed in row(R)",
            stuck,
            "rationals, generic instances, 2 online or mini-batch (2 samples) steps on white data: A_K − A_0 leaves row(R)",
        ),
        first_stuck.or(first_run.clone()),
    );
    let contained = attach(
        Evidence::exact(
            n,
            "runs whose W or B change left col(Rᵀ)",
            escaped,
            "the same runs: W_K − W_0 and B_K − B_0 stay in col(Rᵀ) (exact rank over Q)",
        ),
        first_escaped.or(first_run),
    );
    Ok(free.and(contained))
}

/// Over `budget.cases(base)` Gaussian draws (seed `seed0 + k`): the number of non-diverged runs
/// whose W change after 200 expected steps has σ_(o+1)/σ_1 ≤ HIGHER_RANK_MIN_GAP, the number of
/// diverged runs, the smallest ratio over the non-diverged runs, the runs, and the reproducer of the
/// first low-rank run (else of the run with the smallest ratio, else of the first draw), for a rule
/// built from the draw's feedback. A diverged run ends in a state
/// dominated by its few exploding directions, so its rank says nothing about generic updates; it is
/// counted separately.
fn low_rank_count(
    budget: Budget,
    base: usize,
    seed0: u64,
    rule: impl Fn(&nalgebra::DMatrix<f64>) -> Rule<f64>,
) -> Result<(usize, usize, f64, usize, Option<Reproducer>)> {
    let (mut low, mut diverged, mut n, mut first) = (0usize, 0usize, 0usize, None);
    let (mut smallest, mut smallest_at, mut first_draw) = (f64::INFINITY, None, None);
    for k in budget.cases(base) {
        let o = 1 + k % 2;
        let seed = seed0 + k as u64;
        let repro = || {
            Reproducer::new(k, "f64")
                .seed(seed)
                .size("o", o)
                .size("n", 6)
                .size("d", 3)
                .size("T", 8)
                .size("K", 200)
                .param("updates", "expected")
                .param("η", 0.02)
        };
        first_draw.get_or_insert_with(repro);
        let (st, r) = gaussian_instance(seed, o, 6, 3)?;
        let cfg = TrainConfig::new(
            rule(&r),
            Updates::Expected,
            Loss::Final,
            8,
            200,
            Schedule::Constant(0.02),
        );
        let res = train::train(&st, &cfg)?;
        n += 1;
        if res.divergence.is_some() {
            diverged += 1;
            continue;
        }
        let ch = Change::between(&st.student, &res.net)?;
        let g = sv_gap(&ch.w, o, 0.0);
        if smallest_at.is_none() || g < smallest {
            smallest_at = Some(repro().param("σ_(o+1)/σ_1", crate::evidence::human(g)));
        }
        smallest = smallest.min(g);
        if g <= HIGHER_RANK_MIN_GAP {
            low += 1;
            first.get_or_insert_with(repro);
        }
    }
    let first = first.or(smallest_at).or(first_draw);
    if diverged == n {
        // Nothing left to judge: count every draw as a failure.
        low = n;
    }
    Ok((low, diverged, smallest, n, first))
}

fn tbptt_and_bptt(budget: Budget) -> Result<Evidence> {
    let (exact, long) = run_sweep(budget, Contrast::TbpttFrozenA)?;
    let frozen = containment_evidence(&exact, &long, 2, "[W_K − W_0 | B_K − B_0]", "col(A_0ᵀ)");
    let (low, diverged, smallest, n, first) = low_rank_count(budget, 10, 500, |_| Rule::Bptt)?;
    let bptt = attach(
        Evidence::violations(
            n,
            "BPTT runs with a change of rank ≤ o",
            low,
            format!(
                "BPTT, {n} Gaussian draws (o ∈ {{1, 2}}, n = 6, T = 8, 200 expected steps, η = 0.02): \
                 {diverged} diverged; non-diverged runs with σ_(o+1)/σ_1 ≤ {HIGHER_RANK_MIN_GAP:e} \
                 (smallest ratio seen {smallest:.1e}); rank ≤ o has probability 0 under continuous init"
            ),
        ),
        first,
    );
    Ok(frozen.and(bptt))
}

fn eprop_krylov(budget: Budget) -> Result<Evidence> {
    let (mut n, mut leaving, mut proper, mut first) = (0usize, 0usize, 0usize, None);
    let mut first_run = None;
    for k in budget.cases(12) {
        let mut c = sweep_case(k, 4000, true, 2);
        c.spec = InstanceSpec {
            o: 1,
            n: 6,
            horizon: 1 + c.spec.horizon % 2,
            ..c.spec
        };
        let m = c.measure::<Rational>(Contrast::Eprop)?;
        n += 1;
        first_run.get_or_insert_with(|| case_repro(k, &c, "rational"));
        if m.excess.iter().any(|&e| e > 0) {
            leaving += 1;
            first.get_or_insert_with(|| case_repro(k, &c, "rational"));
        }
        if m.space_rank < 6 {
            proper += 1;
        }
    }
    let contained = attach(
        Evidence::exact(
            n,
            "runs whose change leaves the Krylov sum",
            leaving,
            format!(
                "rationals, {n} e-prop runs (random feedback, o = 1, n = 6, T ≤ 2, K ≤ 2; {proper} with \
                 a proper Krylov subspace): exact rank of the W, B and stacked changes outside the Krylov sum"
            ),
        ),
        first.or(first_run),
    );
    let (low, diverged, smallest, n_draws, first) =
        low_rank_count(budget, 10, 700, |r| Rule::Eprop {
            feedback: Feedback::Random(r.clone()),
        })?;
    let exceeds = attach(
        Evidence::violations(
            n_draws,
            "e-prop runs with a change of rank ≤ o",
            low,
            format!(
                "e-prop, {n_draws} Gaussian draws (200 expected steps, η = 0.02): {diverged} diverged; \
                 non-diverged runs with σ_(o+1)/σ_1 ≤ {HIGHER_RANK_MIN_GAP:e} (smallest ratio seen \
                 {smallest:.1e})"
            ),
        ),
        first,
    );
    Ok(contained.and(exceeds))
}
