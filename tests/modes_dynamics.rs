//! Trajectory claims (P-RNN-31, P-RNN-32 and the `docs/theory/linear-rnn.md#experiments` main experiment).
use lro::modes::compare::flow_vs_modes;
use lro::modes::experiment::{Settings, run};
use lro::modes::runs::{balanced_setting, run_mode};
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
    // P-RNN-13: RK4 with equal steps agrees to rounding, Dormand–Prince to its
    // tolerance.
    for seed in 0..3 {
        let (rk, dp) = flow_vs_modes(900 + seed, 4, 6, 2.0).expect("runs");
        assert!(rk <= tol::MODES_RK4_FLOW_MATCH_REL, "seed {seed}: RK4 {rk}");
        assert!(dp <= tol::MODES_DP_FLOW_MATCH_REL, "seed {seed}: DP {dp}");
    }
}

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
            last.impulse_alignment > 1.0 - tol::MODES_FINAL_MISALIGNMENT,
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
                    (tol::MODES_PREDICT_LATE, tol::MODES_PREDICT_LATE)
                } else {
                    (tol::MODES_PREDICT_EARLY_C, tol::MODES_PREDICT_EARLY_W)
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
