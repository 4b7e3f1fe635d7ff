//! Every tolerance lro uses, named, with the reason for its value (after statrs' `prec.rs`).
//!
//! Tests, catalogue checks and the CLI refer to these names; no bare tolerance appears elsewhere.
//! Exact checks over `Rational` use equality and need none of these.

/// Relative tolerance for identities that are exact in real arithmetic, evaluated in f64 on
/// problems of the size the tests use (n, d, o ≤ 8, T ≤ 30). Both sides are sums of O(T·n³)
/// products of O(1) terms computed in different orders; rounding grows roughly like
/// `T·n·ε_machine·cond`, a few hundred ulps at most. The largest errors measured in the linear-RNN
/// catalogue are ~3e-15 (P-RNN-6, per-mode limits ~2e-15), so 1e-12 leaves a factor ~300 while
/// catching any algebraic error (a wrong term changes results at O(1)).
pub const F64_IDENTITY_REL: f64 = 1e-12;

/// Absolute floor added to relative comparisons, so that entries that are exactly zero in real
/// arithmetic but carry rounding noise of order ε·scale are not reported as relative failures.
pub const F64_IDENTITY_ABS_FLOOR: f64 = 1e-12;

/// Step of central finite differences on f64 for the smooth (polynomial) expected loss. The optimal
/// step for a central difference is ε^(1/3) ≈ 6e-6 times the scale; 1e-6 sits at that optimum.
pub const CENTRAL_DIFF_STEP: f64 = 1e-6;

/// Relative tolerance for central-difference gradients (about 1e-8 at the optimal step). Truncation
/// error is O(h² f‴) ≈ 1e-12 and rounding error ε·f/h ≈ 2e-10·|f|; the gradient is compared
/// relative to max(|f|, |∇f|). The largest error measured on P-RNN-2's instances (o, n, d ≤ 8,
/// T ≤ 30) is ~7e-10, so 1e-8 leaves a factor ~15; a wrong gradient term is an O(1) error.
pub const CENTRAL_DIFF_REL: f64 = 1e-8;

/// Imaginary step for complex-step derivatives. Any step below ~1e-100 gives derivatives exact to
/// rounding, because there is no subtraction; 1e-200 keeps h² far below the f64 range.
pub const COMPLEX_STEP: f64 = 1e-200;

/// Relative tolerance for complex-step derivatives against exact ones: rounding only, a few ulps
/// per operation over O(T·n³) operations.
pub const COMPLEX_STEP_REL: f64 = 1e-11;

/// The number of standard errors for `m` simultaneous two-sided comparisons of approximately normal
/// Monte-Carlo averages (i.i.d. draws, or renewal-reward cycles): the exact normal quantile `z` with
/// `m · P(|Z| > z) = MC_FALSE_ALARM` (Bonferroni; `statrs`). For example z(1) = 4.89, z(4) = 5.17.
pub fn mc_sigmas_for(m: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    let tail = MC_FALSE_ALARM / (2.0 * m.max(1) as f64);
    Normal::standard().inverse_cdf(1.0 - tail)
}

/// Relative singular-value gap below which a singular value counts as zero in f64 rank
/// decisions on the products the low-rank checks form (P-RNN-35: "about 1e-10 σ₁"). Rounding in
/// a sum of K outer products leaves σ_{o+1}/σ₁ near K·ε ≈ 1e-13 for K ≤ 1000, so 1e-10 has margin,
/// while a genuine extra direction from a wrong rule has σ_{o+1}/σ₁ ≫ 1e-6.
pub const RANK_REL_GAP: f64 = 1e-10;

/// Relative tolerance for the same computation run at 256-bit MPFR precision against exact
/// rationals: rounding is 2^-256 ≈ 1e-77 per operation, amplified by O(T·n³) operations and
/// condition numbers of at most ~1e6 on the test instances; 1e-60 leaves ten orders of margin.
pub const MPFR256_REL: f64 = 1e-60;

/// Precision, in bits, of MPFR reference runs.
pub const MPFR_REFERENCE_BITS: u32 = 256;

// ---- Low rank (Proposition 3.1, `docs/theory/lowrank.md`; `src/lowrank/`, `tests/lowrank_*.rs`) ----

/// f64 projector residual `‖(I − Q Qᵀ)(θ_K − θ_0)‖_max`, relative to the parameter scale: the
/// largest absolute parameter over every state of the run (P-RNN-35: "about 1e-12"). Each of K
/// updates `θ ← θ − η Δθ` rounds every entry once, at most ε times the parameters' size at that step,
/// so the part of `θ_K − θ_0` outside `col(Rᵀ)` is at most about K·ε·scale ≈ 1e-13·scale for
/// K ≤ 1000 (ε = 2.2e-16), plus the projector's own rounding ε·cond(R). (Judging against the end
/// points only is wrong: a run whose parameters grow and shrink again keeps the rounding of its peak;
/// proptest found such a tBPTT run with a residual of 7e-11 of the end-point scale.) 1e-11 leaves two orders of margin; a rule leaking outside `col(Rᵀ)` at a relative level
/// of 1e-6 or more (any algebraic error) fails by five orders.
pub const LOWRANK_RESIDUAL_REL: f64 = 1e-11;

/// Reporting threshold (not a test tolerance) for the *effective* rank of a weight change in the
/// student–teacher experiment: singular values above 1% of σ_1 count as "significant" (`docs/theory/linear-rnn.md#experiments`,
/// Fig. 6 reading "several significant singular values"). Chosen by the project; the exact rank at
/// [`RANK_REL_GAP`] is reported beside it.
pub const EFFECTIVE_RANK_REL: f64 = 1e-2;

/// The singular-value ratio `σ_{o+1}/σ_1` above which a weight change counts as *numerically* of
/// rank > o in the contrasts of P-RNN-36 and P-RNN-37 (BPTT, e-prop). Six orders of magnitude
/// above [`RANK_REL_GAP`], so rounding (≈ 1e-14 relative) can never produce it; a genuine extra
/// direction on a random instance has a ratio of order 1e-3 to 1.
pub const HIGHER_RANK_MIN_GAP: f64 = 1e-6;

// ---- Per-mode theory (src/modes, src/ode.rs; `docs/theory/modes.md`, P-RNN-13 … P-RNN-34) ----

/// Eigenvalues of the per-mode ODE Jacobian with `|λ| ≤ MODES_ZERO_EIGEN_REL · max(1, ‖J‖_max)`
/// count as zero (the neutral tangent direction of a fixed-point manifold), and real or imaginary
/// parts below the same bound count as zero when classifying. Jacobians come from `Dual<f64>` with
/// O(10) rounded operations per entry, so a true zero shows up as ~1e-15·‖J‖; the nalgebra Schur
/// step adds a few ulps·‖J‖. 1e-9 is far above that noise and far below the smallest nonzero
/// eigenvalue the tests and snapshots meet (≥ 1e-4 on their grids).
pub const MODES_ZERO_EIGEN_REL: f64 = 1e-9;

/// Default relative tolerance of the adaptive Dormand–Prince integrator (per component, per step).
pub const ODE_RTOL: f64 = 1e-10;

/// Default absolute tolerance of the adaptive Dormand–Prince integrator (per component, per step);
/// states are O(1), so this matters only for components that pass through zero.
pub const ODE_ATOL: f64 = 1e-12;

/// Matrix expected-update flow (its diagonal in the mode bases) vs the per-mode flow, both integrated
/// by RK4 with the same 2000 steps: in exact arithmetic the two computations agree term by term
/// (P-RNN-13), so only rounding separates them: O(T·n³) operations per field evaluation, 8000
/// evaluations, f64 bases orthogonal to ~1e-16. Measured worst ~1e-14; 1e-11 keeps a wide margin and
/// still fails at O(1) for any algebraic mismatch. (With too few steps RK4 is unstable on the stiffest
/// draws and amplifies rounding; 2000 steps over τ = 0.5 keep h·|λ| far inside its stability region.)
pub const MODES_RK4_FLOW_MATCH_REL: f64 = 1e-11;

/// The same comparison with adaptive Dormand–Prince at rtol 1e-10: the two systems choose different
/// steps (their error norms run over different components), so they agree only to the integrators'
/// global error, about rtol × (steps ≈ 100) ≈ 1e-8; 1e-7 leaves a factor 10.
pub const MODES_DP_FLOW_MATCH_REL: f64 = 1e-7;

/// The per-mode flow integrated by RK4 (2000 steps over τ = 0.5, h = 2.5e-4: global error ~h⁴ ≈
/// 4e-15 times the flow's derivatives) against adaptive Dormand–Prince (global error about rtol ×
/// steps ≈ 1e-8, see [`MODES_DP_FLOW_MATCH_REL`]): 1e-7 leaves a factor 10 over the larger. A
/// consistent but first-order tableau (wrong RK4 weights) errs by O(h) ≈ 1e-4: three orders above.
pub const MODES_RK4_VS_DP_REL: f64 = 1e-7;

/// Horizon (and truncation length) standing in for ∞ in f64 limit checks: with |w|, |w*|, |ŵ| ≤ 7/8
/// the geometric tails are below T·(7/8)^T ≈ 1e-21 at T = 400, far below rounding.
pub const MODES_LONG_HORIZON: usize = 400;

/// A root-search run has converged when ‖Δ(θ)‖₂ ≤ this (f64 updates of O(1) have rounding ~1e-16).
pub const MODES_ROOT_RESIDUAL: f64 = 1e-12;

/// Distance within which a converged root (or an ODE end point) counts as on a fixed set
/// (|ab − c*|, |w − w*|, or |a|, |b|). A residual of 1e-12 puts a root within residual/λ_min of the
/// manifold; λ_min ≥ ~1e-4 on the tests' draws, so roots lie within 1e-8; 1e-6 leaves margin while
/// any other fixed point would sit O(0.1) away.
pub const MODES_ROOT_LOCATION: f64 = 1e-6;

/// P-RNN-25: f64 eigenvalue classes are compared with the exact signs only where |E2| and
/// |tr² − 4E2| exceed this times ‖J‖² (resp. ‖J‖³): closer to a class boundary, rounding in the
/// Schur step (~1e-15‖J‖) could legitimately flip the f64 class.
pub const MODES_CLASS_MARGIN: f64 = 1e-8;

/// P-RNN-27: per decade of s toward 0 or ∞, X grows 100× and the gap λ_min/(Q³c*²) − 1 = O(1/X) must
/// shrink by at least this factor (ideal 1/100; 1/50 allows the next-order term).
pub const MODES_LIMIT_RATIO: f64 = 0.02;

/// P-RNN-28: |λ_min s/(âc*²P̂²Q) − 1| at |s| = 1e-5. The gap is O(|s|) with a coefficient of order
/// |â|Q²P̂²/|c*|... ≤ ~10² on the sampled grids (|c*| ≥ 1/16, |w*|, |ŵ| ≤ 7/8), so ≤ 1e-3.
pub const MODES_RATE_RATIO_AT_SMALL_S: f64 = 1e-2;

/// Learning time for per-mode ODE runs expected to converge. Rates on the sampled grids are ≥ ~0.02,
/// so e^{−0.02·2000} ≈ 4e-18: converged to rounding.
pub const MODES_CONVERGENCE_TIME: f64 = 2000.0;

/// A per-mode ODE run counts as converged when |Δa| + |Δb| + |Δw| at its end is below this.
pub const MODES_CONVERGED_UPDATE: f64 = 1e-9;

/// Drift of a conserved quantity along a Dormand–Prince run (rtol 1e-10, relative to 1 + |value|):
/// per-step local errors of ~1e-10 accumulate over ≤ ~1e4 steps in the worst case (random walk or
/// one-signed), ≤ 1e-6; measured drifts are ~1e-9.
pub const MODES_INVARIANT_DRIFT: f64 = 1e-6;

/// End point of a converged run vs the predicted point (s² from the conserved quantity, w = w*,
/// the stall loss): the invariant drift above propagates to s² at the same order.
pub const MODES_ENDPOINT_REL: f64 = 1e-5;

/// P-RNN-27: two grid values of X = s² + c*²/s² closer than this (relative) are treated as equal
/// (the s-grid contains pairs s, |c*|/s with equal X up to rounding), so no ordering of their rates is
/// asserted.
pub const MODES_X_SEPARATION: f64 = 1e-9;

// ---------------------------------------------------------------------------------------------
// Oracle (`lro check`)
// ---------------------------------------------------------------------------------------------

/// Default relative tolerance of `lro check` (entrywise `|cand − ref| ≤ atol + rtol·|ref|`, as
/// `numpy.isclose`). The references are exact (rational) or 256-bit values rounded once to f64;
/// an independent f64 implementation of the same formulas differs from them by rounding only,
/// O(T·n) operations of at most an ulp each relative to the terms' scale: below 1e-13 for the
/// built-in cases (T ≤ 12, n ≤ 4, terms O(1)). 1e-9 leaves four orders of margin for larger
/// cases and other summation orders, while every convention difference the check exists to catch
/// is far larger: a sign or a step of lag changes results at O(1); even the clipped derivative of
/// Murray's code differs from tanh' by ~7e-7 relative at |u| = 0.1.
pub const ORACLE_CHECK_RTOL: f64 = 1e-9;

/// Default absolute tolerance of `lro check`, for entries whose reference is zero or cancels:
/// rounding noise there is ε times the scale of the summed terms, about 1e-15 for O(10) terms,
/// so 1e-12 has three orders of margin; fixture entries that matter are ≥ 1e-6 in magnitude.
pub const ORACLE_CHECK_ATOL: f64 = 1e-12;

/// Relative slack when comparing the clipped derivative of Murray's code with the percentages
/// `docs/theory/peer-conventions.md` states (0.05 %, 0.5 %, 5 %, 19 % at x = 0.5, 1, 2, 3). Those
/// figures are rounded to one significant digit; the exact values are 0.038 %, 0.51 %, 5.2 % and
/// 18.9 %, so the stated 0.05 % is 23 % above the truth and 30 % is the smallest round slack that
/// accepts the statement while still rejecting the unclipped derivative (0 %) or a factor-two error.
pub const PEER_DF_STATED_REL: f64 = 0.3;

// ---- The main student–teacher experiment (EXP-RNN-5; `docs/theory/linear-rnn.md#experiments`) ----

/// Largest deviation allowed between the student's effective (c_i, w_i) of its two dominant modes
/// and the per-mode ODE started from them at τ0, the first time the student's impulse-response
/// alignment reaches 0.95. Why this size: the per-mode ODE ignores the non-aligned remainder (≤ 5 %
/// of the impulse-response energy at τ0), which shifts the timing of each mode's sigmoidal rise;
/// during the rise c changes by O(1) per unit τ, and an effective w_i = u_iᵀAWBv_i/c_i of a mode whose
/// c_i is still small is a ratio of small numbers. Measured worst over seeds 1–8: 0.061 in c
/// (c* = 2 and 1.2) and 0.092 in w, within 4 time units of τ0. 0.15 and 0.2 leave a ~2× margin and
/// are still far below the mismatch of a wrong prediction: starting the ODE from the diagonal of the
/// τ = 0 init instead gives 0.44–1.7 in c, and a wrong teacher-mode pairing or a sign error in Δw
/// gives O(1).
pub const MODES_PREDICT_EARLY_C: f64 = 0.15;
/// See [`MODES_PREDICT_EARLY_C`]: the same reasoning for the effective w_i.
pub const MODES_PREDICT_EARLY_W: f64 = 0.2;
/// From τ0 + 4 on, the dominant modes have converged and the deviation is set by the slow decay of
/// the off-diagonal remainder (measured ≤ 0.0018 in c and 0.0061 in w over seeds 1–8).
pub const MODES_PREDICT_LATE: f64 = 0.015;

/// The student counts as aligned at the end of the experiment when its impulse-response alignment
/// (diagonal energy share of Uᵀ A Wᵏ B V over the lags) exceeds 1 − this; measured ≥ 0.99999 on seeds 1–8.
pub const MODES_FINAL_MISALIGNMENT: f64 = 1e-4;

// ---------------------------------------------------------------------------------------------
// Contrastive learning (`docs/theory/contrastive.md#properties`).
// ---------------------------------------------------------------------------------------------

/// Number of standard errors for `m` simultaneous comparisons of batch-means averages over
/// `batches` batches: the exact Student-t quantile (ν = batches − 1) with union-bound failure
/// probability `MC_FALSE_ALARM` (`statrs`). The batch means are treated as i.i.d. normal, which
/// holds when each batch is much longer than the integrated autocorrelation time; callers state
/// their batch length. For example t(1, 100) = 5.22, t(40, 30) = 7.56 (few batches: heavy tails).
pub fn batch_sigmas_for(m: usize, batches: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let nu = (batches.max(3) - 1) as f64;
    let tail = MC_FALSE_ALARM / (2.0 * m.max(1) as f64);
    StudentsT::new(0.0, 1.0, nu).map_or(f64::NAN, |t| t.inverse_cdf(1.0 - tail))
}

/// Slack on least-squares log–log slopes of error laws whose exact order is an integer k (EP
/// one-sided k = 1, symmetric k = 2, CHL k = 1): the fits use step sizes where the next Taylor
/// term is below 5 % of the leading one, so the fitted slope lies within 0.1 of k; a wrong order
/// (0 or k ± 1) is at distance ≥ 0.9.
pub const CL_SLOPE_ABS: f64 = 0.1;

/// Central finite-difference step for the exact Boltzmann log-likelihood (P-CL-17: h = 1e-5).
pub const BM_FD_STEP: f64 = 1e-5;

/// Absolute tolerance of P-CL-17 (spec: "about 1e-6"). Truncation error h²|ℓ'''|/6 ≤ 1e-10 for the
/// |θ| ≤ 1 machines used, rounding ε|ℓ|/h ≈ 1e-10; 1e-8 keeps two orders of margin and is tighter
/// than the theory's 1e-6.
pub const BM_FD_ABS: f64 = 1e-8;

/// Relative tolerance for f64 results that come from Newton-polished equilibria and dual-number
/// derivatives of the nonlinear Hopfield network (EP gradient theorem, P-CL-8's nonlinear part):
/// Newton stops at steps below 1e-15 relative, and the implicit-function derivative is then
/// accurate to a few hundred ulps for the small, well-conditioned networks used.
pub const EP_NEWTON_REL: f64 = 1e-9;

/// Residual `‖F‖∞` below which a Newton zero of an exact (enumerated) mean field is accepted.
pub const CL_NEWTON_RESIDUAL: f64 = 1e-11;

/// Finite-difference step for the Jacobians used by Newton on mean fields (ε^(1/3) scale).
pub const CL_NEWTON_FD_STEP: f64 = 1e-6;

/// P-CL-10: smallest accepted observed order of the Richardson-extrapolated gap between the Euler
/// simulation of alternating relaxation and κ. The simulated κ is an analytic function of dt with
/// an O(dt) leading term, so `2κ(dt/2) − κ(dt)` is κ + O(dt²): the observed order per halving
/// tends to 2 (measured ≥ 1.9 at dt = 1/64 … 1/512). A κ formula off by δ leaves the extrapolated
/// gap at δ and the order near 0 once the dt² term falls below δ; 1.5 separates the two.
pub const KAPPA_RICHARDSON_MIN_ORDER: f64 = 1.5;

/// CL-T2: the exact transient bias of the 4-unit Boltzmann machine times the mean phase length,
/// compared at mean lengths 10 and 40, may differ by this relative amount. The bias is
/// c·τ_mix/μ + O(1/μ²); the second-order term is a few percent at μ = 10, so 10 % accepts the 1/μ
/// law while a bias that did not shrink with μ (spread 3) or shrank like 1/μ² (spread 0.75) fails.
pub const CLT2_BIAS_SCALING_REL: f64 = 0.1;

/// P-CL-16: the step size at which the exact stationary variance over η is compared with V/2.
pub const STATIONARY_VAR_ETA: f64 = 1e-3;

/// P-CL-16: relative gap allowed between `Var_η/η` and `V/2` at [`STATIONARY_VAR_ETA`]. The exact
/// ratio is `V/(2 − η/(1−p))`, so the gap is `η/(2(1−p) − η) ≈ 1.25·10⁻³` at p = 0.6; 10⁻² accepts
/// it with margin, while a variance not proportional to η (or a missing factor ½) is off by O(1).
pub const STATIONARY_VAR_LINEAR_REL: f64 = 1e-2;

/// P-CL-14: the theory's AR(1) approximation `ηV/(2 − η)` of the stationary IS variance must be within
/// 10 % of the exact value (spec: "about 10 %").
pub const IS_VARIANCE_APPROX_REL: f64 = 0.1;

/// P-CL-15: relative agreement between the measured exponential rate of the exact mean recursion
/// and the mean-field rate `η(1 − ρc_T)/2`. The mean-field approximation neglects the motion of θ
/// within a cycle (relative size η·T ≤ 1e-4·100 = 1 %) and the discreteness of the cycle, so 3 % is
/// the margin; a missing transient factor changes the rate by (ρc_T) ≥ 10 % in the cases used.
pub const AR1_RATE_REL: f64 = 0.03;

/// EXP-RNN-10: level of the one-sided test that the Spearman correlation between a solution's rank
/// and its log loss ratio is negative (across the solutions of one rule). The runs are
/// deterministic, so this is not a false-alarm rate of the suite but the strength of evidence the
/// claim "rank correlates with performance" is held to: under independence of rank and performance,
/// a correlation below the bound arises with probability ≤ 1e-3.
pub const RANK_PERFORMANCE_ALPHA: f64 = 1e-3;

/// P-RNN-27: BPTT's rate at s = 1e±4·s₀ against its limit Q³c*² as s → 0 or ∞. The gap is O(1/X)
/// with X ≥ 1e8·min(s², c*²/s²) on the test's draws, far below 1e-3 relative; a wrong power of Q
/// changes the limit by the factor 1/(1 − w*²), which exceeds 1 + 1e-3 whenever |w*| > 0.032.
pub const MODES_RATE_LIMIT_REL: f64 = 1e-3;

// ---- Report figures ----

/// Band around the predicted end value of a plotted Eq.3-R running mean (report figure
/// `cl_trajectories`): a sanity check that the picture shows what its caption says. The statistics
/// are carried by P-CL-13 and the headline test; this band only has to separate the two predictions
/// (1 and 0.5), and the running means over ≥ 10⁴ negative-phase steps at η = 0.01 have standard
/// deviations of a few hundredths.
pub const FIGURE_TRAJECTORY_BAND: f64 = 0.15;

// ---------------------------------------------------------------------------------------------
// Oracle: float32 candidates (`lro check --precision f32`)
// ---------------------------------------------------------------------------------------------

/// Safety factor of the float32 tolerance of `lro check`: a float32 tensor passes when
/// `|c − r| ≤ rtol·(|r| + max|r|)` with `rtol = SAFETY · g · ε₃₂`, where g is the tensor's error
/// growth (the f64 computation's normwise error in units of ε₆₄, measured at export). Why 64: g
/// measures one summation order in one arithmetic, while a float32 implementation also rounds its
/// inputs (a further ε₃₂/2 relative on every parameter, amplified like the arithmetic's own
/// errors) and may sum in another order; its error exceeds g·ε₃₂ by a factor that grows like the
/// square root of the number of summed terms — at most 8 for the 64-term inner products of the
/// largest built-in case — and by 2 for the input rounding, so 8·2·4 leaves four of margin. A
/// convention bug (sign, one step of lag, a transpose) changes tensors at O(1) relative, far above
/// 64·g·ε₃₂ ≈ 8e-6·g.
pub const ORACLE_F32_SAFETY: f64 = 64.0;

// ---- Robust command line and fixed points (helper "robust": src/cli, src/modes/jacobian.rs) ----

/// `lro modes` calls a point a fixed point of the learning ODE (and only then prints its stability
/// class) when `max |Δ| ≤ MODES_FIXED_POINT_REL · max(1, max|M|·max|θ|)`. Δ is computed from
/// O(10) rounded f64 operations on inputs parsed from decimals (each off by ≤ 1 ulp), so at a true
/// fixed point |Δ| is a few ulps of that scale (≈ 1e-15); a point one part in 10⁶ off a fixed point
/// has |Δ| ≈ 1e-6 of the scale. 1e-9 separates the two by six orders of magnitude either way.
pub const MODES_FIXED_POINT_REL: f64 = 1e-9;

/// Observed convergence order of RK4 on `y' = −y` from 20 to 40 steps must be within this of 4.
/// The leading error term dominates there (the next term is smaller by a factor h ≈ 0.05), so the
/// measured order is 4 ± 0.1; a first- or second-order method (wrong stage weights) misses by ≥ 2.
pub const ROBUST_ORDER_ABS: f64 = 0.3;

// ---- Linear-RNN catalogue: per-mode checks, low rank, experiments (helper catrnn) ----

/// Total false-alarm probability of one statistical check (a catalogue entry or a test): its
/// critical values are chosen so that a correct implementation fails it with at most this
/// probability, whatever the number of comparisons it makes (split by a union bound).
pub const MC_FALSE_ALARM: f64 = 1e-6;

/// The critical |z| of `comparisons` simultaneous two-sided comparisons of sample means of `samples`
/// draws each, with total false-alarm probability [`MC_FALSE_ALARM`] (Bonferroni): the exact
/// Student-t quantile with `samples − 1` degrees of freedom (the z-scores use the sample standard
/// deviation), computed with `statrs`. For one comparison of 4000 draws this is about 4.9; the
/// means are of products of Gaussian variables, so the t distribution holds through the central
/// limit theorem, accurate at these sample sizes to well within the factor the tail probability can
/// absorb (one more decade of false-alarm probability moves the critical value by ~0.4).
pub fn mc_critical_z(comparisons: usize, samples: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let nu = samples.saturating_sub(1).max(1) as f64;
    let tail = MC_FALSE_ALARM / (2.0 * comparisons.max(1) as f64);
    match StudentsT::new(0.0, 1.0, nu) {
        Ok(t) => t.inverse_cdf(1.0 - tail),
        Err(_) => f64::INFINITY,
    }
}

/// P-RNN-26: eigenvalues of the per-mode Jacobian computed in f64 (nalgebra's Schur form of a 3×3
/// matrix with entries of O(1)–O(10²)) against their closed forms, relative to λ. The Schur step's
/// backward error is ~1e-16·‖J‖, and ‖J‖/λ reaches ~10² on the sampled grids, so 1e-12 is a
/// factor 10⁴ above rounding but far below any wrong formula (a wrong power of (1 − ww*) changes
/// λ by ≥ 1/64 relative).
pub const MODES_EIGEN_REL: f64 = 1e-12;

/// P-RNN-19: the root search is evidence only through the searches that converge; at least this
/// fraction of them must, or the check is too weak to support its statement. The search does not
/// converge from starts that flow towards |w| → 1 (where the T → ∞ forms end) or into local minima
/// of ‖Δ‖ that are not roots (RFLO near a = b = 0, where Δb ≠ 0); measured: about 4 in 5 converge.
pub const MODES_ROOT_MIN_CONVERGED_FRACTION: f64 = 0.5;

/// P-RNN-19, reporting only: a search that did not reach `MODES_ROOT_RESIDUAL` but stalled with
/// ‖Δ‖ below this is counted as "near a root" in the detail (the Levenberg–Marquardt steps shrink
/// where the Jacobian is singular, as on the line a = b = 0), so the reader sees how many of the
/// non-converged searches were nearly roots.
pub const MODES_ROOT_NEAR: f64 = 1e-6;

/// P-RNN-29, 30, 32: fraction of random per-mode ODE runs that must converge for the end-point and
/// stability checks on converged runs to count (runs from the dyadic grids that leave |w| < 1 do
/// not converge; measured: most do).
pub const MODES_MIN_CONVERGED_RUNS: f64 = 0.5;

// ---- Convergence study (src/study) ----

/// Divergence bound of the study's runs: a run whose largest absolute parameter exceeds it is
/// counted as diverged. The teachers' parameters are O(1) and a converged student's are within a
/// factor of ten of them, so 1e4 separates divergence from any solution by three orders.
pub const STUDY_DIVERGENCE_BOUND: f64 = 1e4;

/// A teacher mode whose effective gain |c| = |uᵀ A B v_i| ends below this (every study teacher has
/// c* = 1) is classed "stuck near the saddle" a = b = 0: it has recovered under a tenth of the
/// mode's target gain. The saddle line itself has c = 0; 0.1 leaves room for the slow escape
/// along its unstable direction.
pub const STUDY_SADDLE_GAIN: f64 = 0.1;

/// A run whose loss moved by at most this fraction of L_0 between 0.9 K and K has "settled"
/// (a plateau when above the criterion). With K ≥ 2000 that is a mean slope below 5e-7 L_0 per
/// step, far below the 1e-2 L_0 a converging run still has to lose.
pub const STUDY_SETTLE_FRACTION: f64 = 1e-3;

/// Agreement of the study's exact binomial (Clopper–Pearson) interval ends with reference values
/// quoted to 7 digits (R's `binom.test`): half a unit in the last quoted digit, rounded up. The
/// bisection itself is exact to ~1e-16 and the f64 binomial sums to ~1e-14.
pub const STUDY_BINOMIAL_REFERENCE_ABS: f64 = 1e-6;

/// A per-mode run has "reached the manifold" when its loss falls to this fraction of its initial
/// loss (the detour timing of EXP-RNN-4). The per-mode flows converge exponentially near the
/// stable branch, so the time depends on this fraction only logarithmically; 1e-4 is past every
/// transient of the Fig. 4-like runs and far above the f64 rounding floor of the loss (1e-16).
pub const DETOUR_REACH_FRACTION: f64 = 1e-4;

/// The least slowdown τ_detour / τ_nearest that counts as the detour "greatly increasing learning
/// time" (the summary's words): 1.5. Without a detour both starts reach the manifold in the same
/// time by the symmetry (a, b) → (−a, −b) (ratio 1 up to the RK4 step); with the feedback's sign
/// flipped the ratio falls below 1. The 12 detouring cases of EXP-RNN-4 that stay in |w| < 1 give
/// 1.55 … 3.0 (an independent Python RK4 of the same flows agrees), so 1.5 separates the two.
pub const DETOUR_MIN_SLOWDOWN: f64 = 1.5;

// ---- Oracle batches and working sizes (helper "batch": src/oracle/batch.rs) ----

/// Normwise relative distance allowed between a batch fixture's numbers (256-bit MPFR, rounded
/// once to f64) and the same quantity recomputed in f64 by another route (the rules' batched
/// mini-batch update, RTRL's forward mode) in tests. Both routes sum at most T·(n + d) ≈ 10²
/// products per entry over T ≤ 9 contracting steps (‖W‖∞ ≤ 3/4, |tanh'| ≤ 1), so their f64
/// rounding is below 10²·ε₆₄ ≈ 2e-14; 1e-10 leaves four orders of margin, while a convention bug
/// (a transpose, a sample mixed up, a missing 1/B) changes the numbers at O(1).
pub const ORACLE_BATCH_F64_REL: f64 = 1e-10;

// ---- Edges of the theorems (helper edges: src/lowrank/edges.rs, src/catalogue/edges/) ----

/// EDGE-RNN-1, EDGE-RNN-2: the smallest accepted `‖(I − P)X‖_F / ‖X‖_F` of a change that must leave
/// col(Rᵀ), P the projector onto col(Rᵀ). EDGE-RNN-2 computes it exactly over Q (any positive value
/// is an escape; its exact excess-rank count is the primary finding). EDGE-RNN-1 computes it in
/// 256-bit MPFR. Rounding alone leaves ~1e-75 (2⁻²⁵⁶ times the
/// O(1) parameters, a few hundred operations); the smallest escape measured over the entry's 8
/// test-budget setups is about 0.1. 1e-20 sits more than
/// fifty decades above rounding and far below any real escape, so a trace that silently uses the
/// linear derivative (change inside col(Rᵀ) to rounding) fails it.
pub const EDGE_OUTSIDE_MIN: f64 = 1e-20;

/// Unit tests of the entropy effective rank: the singular values of small exact-rank matrices come
/// out of the f64 SVD with errors ~1e-16 of σ_1, which move `exp(H)` by ~1e-14 (a zero singular
/// value computed as 1e-16 adds `−p ln p ≈ 4e-15`); 1e-9 is far above that and far below the
/// distance 1 between the ranks compared.
pub const EDGE_EFFECTIVE_RANK_ABS: f64 = 1e-9;

/// EDGE-CL-1: |θ| counted as divergence on the Gaussian toy (m = 2, v = 1). Below the step-size
/// threshold the stationary standard deviation of θ is ≤ ~10 (at the entry's η = 31/16: variance
/// η²(ω₊²v + ω₋²)/(1 − c²) ≈ 62 with c = −15/16), so a stable run passes 10⁶ with probability far
/// below 1e-6 (a 10⁵-σ excursion); just above (factor −17/16 per negative step) the mean passes it
/// after ~230 negative steps.
pub const EDGE_CL_DIVERGENCE_BOUND: f64 = 1e6;

/// EDGE-CL-1: the measured growth of |θ| per negative step beyond the threshold must lie within
/// this of the mean recursion's `|1 − ηω₋|` (= 17/16). From step 1000 on (500 negative steps at factor 17/16), |θ| is
/// ~10¹³ times the O(1) noise each step adds, so the noise moves the measured factor by ~1e-13;
/// 5e-3 is far above that and far below the miss of a 3 % weight error (factor 1.0006, off by
/// 0.06) or of a step of the wrong size.
pub const EDGE_CL_GROWTH_ABS: f64 = 5e-3;

/// EDGE-RNN-3: the fitted log–log slope of the per-mode forecast's drift against the misalignment
/// ε must lie within this of the derived 2 (an off-diagonal misalignment changes only off-diagonal
/// entries of every lag block A W^k B at first order, so the loss ratios move at order ε²). Over the
/// fitted range ε ∈ [1e-3, 0.031] the ε⁴ correction moves the slope by about 1e-3 (measured 2.005);
/// 0.1 is far above that and far below the slope 1 of a first-order coupling.
pub const EDGE_DRIFT_SLOPE_ABS: f64 = 0.1;

// ---- Fast f64 paths (rules::expected block doubling)

/// Relative agreement between the expected update computed by block doubling (lag blocks
/// `W^J [B, …, W^{J-1}B]` with `W^J` by repeated squaring) and by the plain one-lag-at-a-time
/// recursion, in f64, on the test problem (n = 32, d = o = 4, T = 37, spectral radius ≈ ½). The two
/// orders differ by at most a few roundings per lag, each relative `ε_machine ≈ 1.1e-16`, compounded
/// over T lags and n-term inner products: `T·n·ε ≈ 1.3e-13` in the worst case, so 1e-11 leaves a
/// factor ~75 while any wrong block (a lag shifted by one, a wrong power) changes entries at O(1).
pub const BLOCKED_LAGS_REL: f64 = 1e-11;

// ---- Coloured input (EDGE-RNN-4, study::coloured)

/// EDGE-RNN-4: the fitted log–log slope of the white per-mode map's drift against the input's
/// lag-one correlation ρ must lie within this of the derived 1 (the lag-1 cross term
/// `ρ Σ_j tr(D_j D_{j+1}ᵀ)` enters the loss and its gradient linearly and does not cancel in the
/// loss ratios). Over the fitted range ρ ∈ [1e-3, 0.01] the ρ² correction moves the slope by
/// about 7e-3 (measured 1.007); 0.1 is far above that and far below the slope 2 of a
/// second-order effect (what a cancelling first-order term would leave).
pub const EDGE_COLOURED_SLOPE_ABS: f64 = 0.1;

/// EDGE-RNN-4: the largest ρ in the slope fit. The drift's relative second-order correction is
/// about 2.2 ρ (measured: drift/(first-order prediction) = 1.0022 at ρ = 1e-3, 1.017 at
/// ρ = 7.9e-3), so up to 0.01 the curve is first order to within 2 %.
pub const EDGE_COLOURED_SLOPE_MAX_RHO: f64 = 0.01;

/// EDGE-RNN-4: the drift at ρ = 1e-3 over its first-order prediction `ρ max_k |∂r_net(k)/∂ρ|`
/// (the coefficient by forward mode at ρ = 0) must lie within this of 1. The second-order term
/// moves the ratio by about 2.2 ρ = 2.2e-3 (measured 1.0022); 0.02 leaves a factor 9 while a
/// wrong lag weighting (a cross term counted once instead of twice, or none) moves it by 0.5 or 1.
pub const EDGE_COLOURED_FIRST_ORDER_REL: f64 = 0.02;

/// Tests of the coloured curve's large-ρ end: a loss ratio below this counts as converged. The
/// converging runs of the curve (ρ ≤ 0.1 at η = 0.05, and ρ ≈ 0.18 at η = 0.02) reach 1e-20 by
/// K = 300 and 1e-29 by K = 3000; a run on an orbit stays above 1e-3. 1e-15 separates the two by
/// five decades on either side.
pub const EDGE_COLOURED_CONVERGED: f64 = 1e-15;

/// Tests of the coloured curve's large-ρ end: two loss ratios of a settled period-2 orbit two
/// steps apart agree within this (relative). At ρ ≈ 0.18, η = 0.05 they drift by 5e-7 relative
/// per two steps near K = 3000 (0.0044122 at K = 300, 0.0044081 at K = 3000); neighbouring
/// values differ by 74 %, i.e. by more than 100 times this.
pub const EDGE_COLOURED_ORBIT_REL: f64 = 1e-3;

// ---- Oracle: the online-learning family (UORO, KF-RTRL, reverse KF-RTRL, SnAp) ----

/// Smallest relative difference from RTRL that counts as a bias of a stochastic estimator's exact
/// mean over all draws (a missing 1/ρ₀ in lro's UORO or reverse KF-RTRL, or a "p0 not inverted"
/// fault in the marschall2020 preset). A bias is an O(1)
/// relative change (the faults give 0.31 to 1.2 on the test case); 256-bit rounding is ~1e-70, so
/// 1e-3 separates the two by more than 60 orders of magnitude.
pub const STOCHASTIC_BIAS_MIN: f64 = 1e-3;

// ---- The rest of the online-learning family (helper rules2: tests/family_kinds.rs) ----

/// Relative tolerance for a `Dual<f64>` derivative part of a family rule's update (UORO, KF-RTRL,
/// reverse KF-RTRL, SnAp, KeRNL, windowed BPTT; o, n, d ≤ 3, T = 4) against a 256-bit MPFR central
/// difference with step 2⁻⁴⁰. The central difference is exact to ~1e-24 (truncation h²·U‴) and
/// ~1e-65 (rounding), so the error is the Dual's own f64 rounding: a few hundred operations, each
/// the derivative rule of one f64 operation, amplified by the square roots' 1/(2√x) where a norm is
/// small; 1e-10 leaves orders of margin over ~1e-14 while a dropped derivative term is O(1).
pub const FAMILY_DUAL_DERIVATIVE_REL: f64 = 1e-10;

// ---- Zero guards of relative comparisons ----

/// Floor of a relative difference in f64 where the reference is never zero in the compared
/// setting: it only keeps a 0/0 from becoming NaN, and at 1e-300 it is far below every compared
/// value, so it never loosens a comparison.
pub const ZERO_GUARD_F64: f64 = 1e-300;

/// The same guard for comparisons computed in 256-bit MPFR (`rules::uoro::rel_error_in`): far
/// below the size of any update compared, and far above 2⁻²⁵⁶ relative rounding.
pub const ZERO_GUARD_MPFR: f64 = 1e-30;

/// Exact power laws fitted by `contrastive::stats::power_law_fit`: logs of exact values carry
/// rounding of order 1e-15, so a fitted exponent within 1e-9 of the truth (and an interval of that
/// width) is exact to rounding, while a wrong exponent is off by 0.1 or more.
pub const POWER_FIT_EXACT_ABS: f64 = 1e-9;

/// With ±10 % alternating noise on four points the fitted exponent's 95 % interval is about 0.6
/// wide (residuals of ±0.1 in log, t = 4.3 with two degrees of freedom); an interval narrower than
/// this would mean the standard error ignored the residuals.
pub const POWER_FIT_NOISY_MIN_WIDTH: f64 = 0.05;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn sigmas_grow_with_the_number_of_comparisons() {
        let one = mc_sigmas_for(1);
        let many = mc_sigmas_for(1000);
        // Two-sided normal critical values from standard tables: P(|Z| > 4.8916) = 1e-6 and
        // P(|Z| > 5.9978) = 2e-9 (= 1e-6 / 500).
        assert!((one - 4.8916).abs() < 1e-3, "z(1) = {one}");
        assert!((mc_sigmas_for(500) - 5.9978).abs() < 1e-3);
        assert!(many > one + 1.0, "z(1000) = {many}");
    }

    #[test]
    fn contrastive_critical_values_are_exact_quantiles() {
        // The documented examples, and the tails they stand for.
        let close = |x: f64, want: f64| (x - want).abs() < 0.01;
        assert!(close(mc_sigmas_for(1), 4.89), "{}", mc_sigmas_for(1));
        assert!(close(mc_sigmas_for(4), 5.16), "{}", mc_sigmas_for(4));
        assert!(
            close(batch_sigmas_for(1, 100), 5.22),
            "{}",
            batch_sigmas_for(1, 100)
        );
        assert!(
            close(batch_sigmas_for(40, 30), 7.56),
            "{}",
            batch_sigmas_for(40, 30)
        );
        use statrs::distribution::{ContinuousCDF, StudentsT};
        let t29 = StudentsT::new(0.0, 1.0, 29.0).expect("29 degrees of freedom");
        let tail = 2.0 * t29.sf(batch_sigmas_for(3, 30));
        assert!((tail * 3.0 / MC_FALSE_ALARM - 1.0).abs() < 1e-6, "{tail}");
        assert!(
            batch_sigmas_for(1, 30) > mc_sigmas_for(1),
            "t has heavier tails"
        );
    }
}
