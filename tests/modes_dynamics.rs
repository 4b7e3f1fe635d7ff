//! Trajectory claims (issue item 6; spec P-RNN-31, P-RNN-32 and the §8 main experiment).
use lro::catalogue::modes::{balanced_setting, flow_vs_modes, run_mode};
use lro::modes::experiment::{Settings, run};
use lro::modes::systems::unpack_modes;
use lro::modes::{Horizon, ModeRule, loss};
use lro::tolerances as tol;

#[test]
fn bptt_stalls_on_the_saddle_line_while_tbptt_and_rflo_escape() {
    let (t, y0) = balanced_setting();
    let cs = t.a * t.b;
    assert!(cs < 0.0 && y0.a == y0.b);
    let (out, drift) =
        run_mode(&ModeRule::Bptt, &t, &y0, 400.0, Some(|m| m.a - m.b)).expect("runs");
    let m = unpack_modes(&out.into_final().expect("inside"))[0].clone();
    assert!(
        drift <= tol::MODES_INVARIANT_DRIFT,
        "a − b drifted by {drift}"
    );
    assert!(
        m.a.abs() < tol::MODES_ROOT_LOCATION,
        "BPTT should approach a = b = 0: {m:?}"
    );
    let stall = cs * cs / (2.0 * (1.0 - t.w * t.w));
    let l = loss(&m, &t, Horizon::Infinite).expect("in domain");
    assert!(
        (l / stall - 1.0).abs() < tol::MODES_ENDPOINT_REL,
        "loss {l} vs {stall}"
    );
    for rule in [
        ModeRule::Tbptt { k: 1 },
        ModeRule::Rflo {
            a_hat: 1.0,
            w_hat: 0.3,
        },
        ModeRule::Rflo {
            a_hat: -1.0,
            w_hat: 0.3,
        },
    ] {
        let (out, _) = run_mode(&rule, &t, &y0, 400.0, None).expect("runs");
        let m = unpack_modes(&out.into_final().expect("inside"))[0].clone();
        assert!(
            (m.a * m.b - cs).abs() < tol::MODES_ROOT_LOCATION,
            "{}: {m:?}",
            rule.name()
        );
        assert!(
            (m.w - t.w).abs() < tol::MODES_ROOT_LOCATION,
            "{}: {m:?}",
            rule.name()
        );
        if let ModeRule::Rflo { a_hat, .. } = rule {
            // P-RNN-32: RFLO ends on the branch sgn(a) = sgn(â)
            assert_eq!(m.a.signum(), a_hat.signum(), "{m:?}");
        }
    }
}

#[test]
fn aligned_matrix_flow_equals_the_per_mode_flow() {
    // P-RNN-13, issue item 4: RK4 with equal steps agrees to rounding, Dormand–Prince to its
    // tolerance.
    for seed in 0..3 {
        let (rk, dp) = flow_vs_modes(900 + seed, 4, 6, 2.0).expect("runs");
        assert!(rk <= tol::MODES_RK4_FLOW_MATCH_REL, "seed {seed}: RK4 {rk}");
        assert!(dp <= tol::MODES_DP_FLOW_MATCH_REL, "seed {seed}: DP {dp}");
    }
}

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
const EARLY_C_TOL: f64 = 0.15;
const EARLY_W_TOL: f64 = 0.2;
/// From τ0 + 4 on, the dominant modes have converged and the deviation is set by the slow decay of
/// the off-diagonal remainder (measured ≤ 0.0018 in c and 0.0061 in w over seeds 1–8).
const LATE_TOL: f64 = 0.015;

#[test]
fn non_aligned_student_becomes_aligned_and_the_ode_predicts_its_dominant_modes() {
    for seed in 1..=8 {
        let rep = run(&Settings::default_experiment(seed)).expect("runs");
        let last = rep.checkpoints.last().expect("checkpoints");
        // becomes aligned (gauge-free impulse-response alignment, see modes::experiment)
        // a random 4×4 map has diagonal energy fraction 1/4 on average (measured 0.03–0.50 here)
        assert!(
            rep.initial_impulse_alignment < 0.6,
            "seed {seed}: {}",
            rep.initial_impulse_alignment
        );
        assert!(
            last.impulse_alignment > 0.9999,
            "seed {seed}: {}",
            last.impulse_alignment
        );
        assert!(rep.at_ode_start.impulse_alignment >= 0.95);
        for cp in &rep.checkpoints {
            for i in 0..2 {
                let (ce, we) = cp.effective[i];
                let (cp_, wp) = cp.predicted[i];
                let late = cp.tau - rep.at_ode_start.tau >= 4.0;
                let (tc, tw) = if late {
                    (LATE_TOL, LATE_TOL)
                } else {
                    (EARLY_C_TOL, EARLY_W_TOL)
                };
                assert!(
                    (ce - cp_).abs() <= tc,
                    "seed {seed} τ {} mode {i}: c {ce} vs ODE {cp_}",
                    cp.tau
                );
                assert!(
                    (we - wp).abs() <= tw,
                    "seed {seed} τ {} mode {i}: w {we} vs ODE {wp}",
                    cp.tau
                );
            }
        }
    }
}
