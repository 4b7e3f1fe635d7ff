//! The convergence study: binomial intervals, shards, the resumable cache, merge, run
//! classification and the detour timing.
use lro::study::analysis::{
    analyse, analyse_tallies, binomial_cdf, clopper_pearson, consistent_with_paper,
};
use lro::study::detour;
use lro::study::sweep::{self, Grid, Shard, read_caches};
use lro::study::tally::{criteria, from_csv, tally, to_csv};
use lro::study::{
    Class, Criterion, ModeState, Point, RULES, RunRecord, classify, run_one, selected,
};
use lro::tolerances::{
    DETOUR_MIN_SLOWDOWN, DETOUR_REACH_FRACTION, F64_IDENTITY_REL, STUDY_BINOMIAL_REFERENCE_ABS,
    STUDY_SETTLE_FRACTION,
};
use std::path::PathBuf;

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lro-study-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A grid small enough for a test: two points, two seeds, 20 steps of T = 3.
fn tiny() -> Grid {
    let mut p = Point::base(20);
    p.horizon = 3;
    p.n = 4;
    p.modes = 2;
    p.d = 2;
    let mut q = p.clone();
    q.o = 2;
    q.w_hat = 0.0;
    Grid {
        name: "tiny".into(),
        points: vec![p, q],
        seeds: 2,
    }
}

#[test]
fn clopper_pearson_matches_reference_values() {
    // Reference: R's binom.test(k, 20)$conf.int (exact Clopper–Pearson), 7 digits.
    let cases = [
        (13, (0.4078115, 0.8460908)),
        (12, (0.3605426, 0.8088099)),
        (20, (0.8315665, 1.0)),
        (0, (0.0, 0.1684335)),
    ];
    for (k, (lo, hi)) in cases {
        let (l, h) = clopper_pearson(k, 20);
        assert!(
            (l - lo).abs() <= STUDY_BINOMIAL_REFERENCE_ABS
                && (h - hi).abs() <= STUDY_BINOMIAL_REFERENCE_ABS,
            "k = {k}: got ({l}, {h}), reference ({lo}, {hi})"
        );
    }
    // The cdf at the interval ends equals α/2 = 0.025 by construction.
    let (lo, hi) = clopper_pearson(13, 20);
    assert!((binomial_cdf(13, 20, hi) - 0.025).abs() <= STUDY_BINOMIAL_REFERENCE_ABS);
    assert!((1.0 - binomial_cdf(12, 20, lo) - 0.025).abs() <= STUDY_BINOMIAL_REFERENCE_ABS);
}

#[test]
fn paper_consistency_is_two_sided() {
    // rflo (index 2, paper 13/20): 17/20 = 0.85 lies above 13/20's upper end 0.846.
    assert!(consistent_with_paper(2, 13, 20));
    assert!(consistent_with_paper(2, 9, 20));
    assert!(!consistent_with_paper(2, 17, 20));
    assert!(!consistent_with_paper(2, 7, 20));
    // bptt (paper 20/20): 17/20 = 0.85 lies inside 20/20's interval [0.83, 1], but the paper's
    // fraction 1 lies outside 17/20's interval (upper end 0.968): not consistent.
    assert!(consistent_with_paper(0, 20, 20));
    assert!(!consistent_with_paper(0, 17, 20));
}

#[test]
fn shards_partition_the_jobs() {
    let g = Grid::quick();
    let jobs = g.jobs().len();
    assert_eq!(jobs, g.points.len() * RULES.len() * g.seeds as usize);
    let shards: Vec<Shard> = (1..=3)
        .map(|i| Shard::parse(&format!("{i}/3")).unwrap())
        .collect();
    for k in 0..jobs {
        assert_eq!(shards.iter().filter(|s| s.owns(k)).count(), 1, "job {k}");
    }
    for bad in ["0/3", "4/3", "1/0", "x", "1-2"] {
        assert!(Shard::parse(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn grids_are_valid_and_keys_distinct() {
    for g in [Grid::quick(), Grid::focus(), Grid::full()] {
        let mut keys: Vec<String> = g.points.iter().map(Point::key).collect();
        for p in &g.points {
            p.validate().unwrap();
        }
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "grid {} repeats a point", g.name);
    }
    assert!(Grid::named("nope").is_err());
    let mut p = Point::base(30);
    assert!(p.validate().is_err(), "K must be a multiple of 20");
    p.steps = 40;
    p.modes = 9;
    assert!(p.validate().is_err(), "more modes than n, d allow");
}

#[test]
fn runs_are_reproducible() {
    let p = &tiny().points[0];
    for rule in RULES {
        assert_eq!(run_one(p, rule, 1).unwrap(), run_one(p, rule, 1).unwrap());
    }
    assert!(run_one(p, "sgd", 0).is_err());
}

#[test]
fn cache_resumes_and_shards_merge_to_the_same_runs() {
    let g = tiny();
    let total = g.jobs().len();
    let dir = tmp_dir("resume");
    let s = sweep::run(&g, &dir, Shard::ALL, false, 2, &|_, _| {}).unwrap();
    assert_eq!((s.jobs, s.ran, s.cached), (total, total, 0));
    let mut all = read_caches(&dir).unwrap();
    assert_eq!(all.len(), total);
    // Resume: nothing to do.
    let s = sweep::run(&g, &dir, Shard::ALL, true, 2, &|_, _| {}).unwrap();
    assert_eq!((s.ran, s.cached), (0, total));
    // An interruption that lost the last line, and cut another one in half.
    let file = dir.join(Shard::ALL.file_name());
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    let half = &lines.pop().unwrap()[..20];
    let cut = format!("{}\n{half}", lines.join("\n"));
    std::fs::write(&file, cut).unwrap();
    let s = sweep::run(&g, &dir, Shard::ALL, true, 1, &|_, _| {}).unwrap();
    assert_eq!(s.ran, 2, "the lost and the cut run are redone");
    let mut again = read_caches(&dir).unwrap();
    let key = |r: &RunRecord| (r.point.clone(), r.rule.clone(), r.seed);
    all.sort_by_key(key);
    again.sort_by_key(key);
    assert_eq!(all, again);
    // Two shards in one folder give the same runs.
    let dir2 = tmp_dir("shards");
    for i in 1..=2 {
        let sh = Shard::parse(&format!("{i}/2")).unwrap();
        sweep::run(&g, &dir2, sh, false, 1, &|_, _| {}).unwrap();
    }
    let mut merged = read_caches(&dir2).unwrap();
    merged.sort_by_key(key);
    assert_eq!(all, merged);
    let a = analyse(&merged);
    assert_eq!(a.runs, total);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

fn record(ratios: [Option<f64>; 4]) -> RunRecord {
    let m = ModeState {
        a: 1.0,
        b: 1.0,
        c: 1.0,
        w: 0.5,
        a_hat: 1.0,
    };
    RunRecord {
        point: Point::base(2000).key(),
        rule: "rflo".into(),
        seed: 0,
        loss0: 1.0,
        ratios: ratios.to_vec(),
        diverged_at: None,
        radius_end: 0.5,
        start: vec![m; 4],
        end: vec![m; 4],
        spectrum: vec![1.0],
    }
}

#[test]
fn classes_follow_the_per_mode_reading() {
    let crit = Criterion::DEFAULT;
    let conv = record([Some(0.5), Some(0.1), Some(0.02), Some(0.005)]);
    assert_eq!(classify(&conv, &crit), Class::Converged);
    // The same run judged at K/2 has not converged and is still descending.
    let half = Criterion { fit: 0.01, at: 1 };
    assert_eq!(classify(&conv, &half), Class::Slow);
    let mut div = record([Some(0.5), None, None, None]);
    div.diverged_at = Some(700);
    assert_eq!(classify(&div, &crit), Class::Diverged);
    let plateau = record([
        Some(0.5),
        Some(0.1),
        Some(0.05),
        Some(0.05 - STUDY_SETTLE_FRACTION / 2.0),
    ]);
    assert_eq!(classify(&plateau, &crit), Class::Plateau);
    let mut out = plateau.clone();
    out.radius_end = 1.2;
    assert_eq!(classify(&out, &crit), Class::LeftUnitDisk);
    let mut saddle = plateau.clone();
    saddle.end[2].c = 0.01;
    assert_eq!(classify(&saddle, &crit), Class::StuckNearSaddle);
    let mut detour = record([Some(0.5), Some(0.3), Some(0.2), Some(0.1)]);
    detour.end[1].a = -0.5;
    assert_eq!(classify(&detour, &crit), Class::SlowOnDetour);
    detour.rule = "bptt".into();
    assert_eq!(classify(&detour, &crit), Class::Slow, "no branch structure");
}

#[test]
fn detour_costs_time_and_a_sign_bug_would_show() {
    let t = detour::TEACHER;
    let teacher = lro::rnn::Mode::new(t.0, t.1, t.2);
    let d = detour::measure(
        &teacher,
        detour::START,
        detour::A_HAT,
        detour::W_HAT,
        DETOUR_REACH_FRACTION,
        200.0,
    )
    .unwrap();
    let slow = d.slowdown().unwrap();
    assert!(slow >= DETOUR_MIN_SLOWDOWN, "slowdown {slow}");
    assert!(
        d.rflo.end[0] * detour::A_HAT > 0.0,
        "RFLO ends on sgn(a) = sgn(â)"
    );
    assert!(d.bptt.end[0] > 0.0, "BPTT stays on the near branch");
    // With the feedback's sign flipped (â > 0) the start is already nearest the stable branch:
    // no detour, and the slowdown falls below the entry's bound, so the entry would fail.
    let flipped = detour::measure(
        &teacher,
        detour::START,
        -detour::A_HAT,
        detour::W_HAT,
        DETOUR_REACH_FRACTION,
        200.0,
    )
    .unwrap();
    let ratio = flipped.slowdown().unwrap();
    assert!(ratio < DETOUR_MIN_SLOWDOWN, "flipped slowdown {ratio}");
}

#[test]
fn selected_point_is_in_the_focus_grid() {
    let key = selected().key();
    assert!(Grid::focus().points.iter().any(|p| p.key() == key));
}

#[test]
fn grid_sizes_are_as_documented() {
    assert_eq!(Grid::quick().points.len(), 24);
    assert_eq!(Grid::focus().points.len(), 36);
    assert_eq!(Grid::full().points.len(), 144);
    assert_eq!(Grid::mini().points.len(), 6);
}

#[test]
fn tallies_count_each_criterion_and_round_trip() {
    // Ratios 0.5, 0.1, 0.02, 0.005 at K/4, K/2, 9K/10, K: converged under fit 0.1 at K/2 and every
    // fit at K, nothing at K/4 (criteria order: fit 0.01, 0.05, 0.1 at K/4, then K/2, then K).
    let conv = record([Some(0.5), Some(0.1), Some(0.02), Some(0.005)]);
    let mut div = record([Some(0.5), None, None, None]);
    div.seed = 1;
    div.diverged_at = Some(700);
    let t = tally(&[conv, div]);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].runs, 2);
    let converged: Vec<u64> = t[0].judged.iter().map(|j| j.converged).collect();
    assert_eq!(converged, [0, 0, 0, 0, 0, 1, 1, 1, 1]);
    for j in &t[0].judged {
        assert_eq!(
            j.true_fail + j.false_fail + j.missed_fail + j.true_converge,
            2
        );
        assert_eq!(j.classes.iter().sum::<u64>(), 2);
        assert_eq!(j.classes[1], 1, "the diverged run is classed diverged");
    }
    let csv = to_csv(&t);
    assert_eq!(from_csv(&csv, "mem").unwrap(), t);
    // A row with a field missing, or without the header, is refused.
    let cut = csv.trim_end().rsplit_once(',').unwrap().0.to_string();
    assert!(from_csv(&cut, "mem").is_err());
    assert!(from_csv("\"p\",rflo,1", "mem").is_err());
    assert_eq!(criteria().len(), 9);
}

#[test]
fn heat_map_cells_are_the_converged_fractions_of_their_points() {
    // Point P (o = 1): 2 of 2 RFLO runs converge; point Q (o = 2, K = 4000): 0 of 2.
    let conv = record([Some(0.5), Some(0.1), Some(0.02), Some(0.005)]);
    let mut p_runs = vec![conv.clone(), conv.clone()];
    p_runs[1].seed = 1;
    let mut q = Point::base(4000);
    q.o = 2;
    let mut q_runs = vec![conv.clone(), conv];
    for (k, r) in q_runs.iter_mut().enumerate() {
        r.point = q.key();
        r.seed = k as u64;
        r.ratios[3] = Some(0.5);
    }
    let recs: Vec<RunRecord> = p_runs.into_iter().chain(q_runs).collect();
    let a = analyse_tallies(&tally(&recs), &Criterion::DEFAULT);
    assert_eq!(a.runs, 4);
    let h = a.heatmaps.iter().find(|h| h.rule == "rflo").unwrap();
    let cell = |p: &Point| {
        let ix = h.x.1.iter().position(|v| *v == p.axis(&h.x.0)).unwrap();
        let iy = h.y.1.iter().position(|v| *v == p.axis(&h.y.0)).unwrap();
        h.cells[iy][ix]
    };
    assert_eq!(cell(&Point::base(2000)), 1.0);
    assert_eq!(cell(&q), 0.0);
    let rflo = a.prediction.iter().find(|p| p.rule == "rflo").unwrap();
    assert_eq!(rflo.runs, 4);
}

#[test]
fn committed_full_grid_is_complete() {
    let (tallies, info) = lro::report::study::committed_full().unwrap();
    let g = Grid::full();
    assert_eq!(tallies.len(), g.points.len() * RULES.len());
    for p in &g.points {
        for rule in RULES {
            let t = tallies
                .iter()
                .find(|t| t.point == p.key() && t.rule == rule)
                .unwrap_or_else(|| panic!("{rule} at {} missing", p.key()));
            assert_eq!(t.runs, g.seeds, "{rule} at {}", p.key());
        }
    }
    assert_eq!(info.runs, (g.points.len() * RULES.len()) as u64 * g.seeds);
    assert_eq!(info.grid, "full");
}

/// The forecast is the per-mode theory iterated; where that theory is exact (an aligned student,
/// o ≥ m, expected updates) it must reproduce the network's own loss ratios. An off-by-one in the
/// horizon, a wrong sign or a missing mode in the forecast breaks the match.
#[test]
fn forecast_reproduces_an_aligned_network_run() {
    use lro::rnn::{Rnn, StudentTeacher};
    use lro::rules::{Loss, Rule};
    use lro::study::{draw, forecast, mode_states};
    use lro::train::{self, Recording, Schedule, TrainConfig, Updates};
    use nalgebra::DMatrix;
    let mut p = Point::base(200);
    p.o = 4;
    p.horizon = 6;
    p.eta = 0.03;
    let dr = draw(&p, 3).unwrap();
    let teacher = dr.st.teacher.clone();
    // The teacher's hidden directions p_i = B* v_i (b*_i = 1); an aligned student puts its own
    // (a_i, b_i, w_i) on them.
    let (a, b, w) = (
        [0.3, -0.2, 0.25, 0.4],
        [0.35, 0.3, 0.2, 0.3],
        [0.1, -0.2, 0.0, 0.3],
    );
    let (mut sa, mut sw, mut sb) = (
        DMatrix::zeros(p.o, p.n),
        DMatrix::zeros(p.n, p.n),
        DMatrix::zeros(p.n, p.d),
    );
    for i in 0..p.modes {
        let vi = dr.v.column(i).into_owned();
        let pi = teacher.b() * &vi;
        let ui = dr.u.column(i % p.o).into_owned();
        sa += a[i] * &ui * pi.transpose();
        sw += w[i] * &pi * pi.transpose();
        sb += b[i] * &pi * vi.transpose();
    }
    let student = Rnn::new(sa, sw, sb).unwrap();
    let st = StudentTeacher::new(student.clone(), teacher).unwrap();
    // Constant and decaying rates: the forecast reads the schedule from the point's key.
    let runs = [
        ("bptt", Rule::Bptt, None),
        ("tbptt:1", Rule::Tbptt { k: 1 }, None),
        ("bptt", Rule::Bptt, Some(40)),
    ];
    for (name, rule, decay_k0) in runs {
        p.decay_k0 = decay_k0;
        let schedule = match decay_k0 {
            None => Schedule::Constant(p.eta),
            Some(k0) => Schedule::Decaying { eta0: p.eta, k0 },
        };
        let mut cfg = TrainConfig::new(
            rule,
            Updates::Expected,
            Loss::Final,
            p.horizon,
            p.steps,
            schedule,
        );
        cfg.record = Recording {
            every: p.steps / 20,
            loss: true,
            alignment: None,
            params: false,
        };
        let res = train::train(&st, &cfg).unwrap();
        let loss0 = res.checkpoints[0].loss.unwrap();
        let start = mode_states(&p, &dr, &student);
        for (m, ((ai, bi), wi)) in start.iter().zip(a.iter().zip(&b).zip(&w)) {
            let close = |x: f64, y: f64| (x - y).abs() <= F64_IDENTITY_REL;
            assert!(
                close(m.a, *ai) && close(m.b, *bi) && close(m.w, *wi),
                "{m:?}"
            );
        }
        let rec = RunRecord {
            point: p.key(),
            rule: name.into(),
            seed: 3,
            loss0,
            ratios: vec![],
            diverged_at: None,
            radius_end: 0.0,
            start,
            end: vec![],
            spectrum: vec![],
        };
        let fc = forecast(&rec);
        for (&(num, den), got) in lro::study::CHECKPOINTS.iter().zip(&fc.ratios) {
            let step = p.steps * num / den;
            let want = res
                .checkpoints
                .iter()
                .find(|c| c.step == step)
                .and_then(|c| c.loss)
                .unwrap()
                / loss0;
            let got = got.expect("the forecast stays finite");
            let rel = (got - want).abs() / want;
            println!("{name} step {step}: network {want:e}, forecast {got:e}, rel {rel:e}");
            assert!(
                rel < F64_IDENTITY_REL,
                "{name} step {step}: {got} vs {want}"
            );
        }
    }
}
