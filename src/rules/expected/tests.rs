//! Tests of the closed forms: the blocked and adjoint forms against plain one-lag sums, over Q and
//! in f64.
use super::*;
use crate::rnn::Rnn;
use crate::scalar::Rational;
use crate::tolerances::{BLOCKED_LAGS_REL, F64_IDENTITY_ABS_FLOOR};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn normal(rng: &mut ChaCha8Rng, r: usize, c: usize, scale: f64) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |_, _| {
        scale * rng.sample::<f64, _>(rand_distr::StandardNormal)
    })
}

fn instance(n: usize, o: usize, d: usize, seed: u64) -> StudentTeacher<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let s = 1.0 / (n as f64).sqrt();
    let mut net = || {
        let a = normal(&mut rng, o, n, s);
        let w = normal(&mut rng, n, n, 0.5 * s);
        let b = normal(&mut rng, n, d, s);
        Rnn::new(a, w, b).expect("finite weights")
    };
    let (student, teacher) = (net(), net());
    StudentTeacher::new(student, teacher).expect("matching shapes")
}

/// The update as the plain recursions give it, one lag at a time: `W^k B` by `W (W^{k-1} B)`,
/// `S_m = G_{m+1} Bᵀ + S_{m+1} Wᵀ` row-wise, `F_m = A W^m`, truncation at `depth`.
fn one_lag_at_a_time<T: Real>(st: &StudentTeacher<T>, h: usize, depth: usize) -> Update<T> {
    let w = st.student.w().clone();
    with_back(st, h, depth, st.student.a(), |f| f * &w)
}

/// The same with any backward operator: `F_0 = f0`, `F_{m+1} = next(F_m)`.
fn with_back<T: Real>(
    st: &StudentTeacher<T>,
    h: usize,
    depth: usize,
    f0: &DMatrix<T>,
    next: impl Fn(&DMatrix<T>) -> DMatrix<T>,
) -> Update<T> {
    let (s, t) = (&st.student, &st.teacher);
    let (mut wb, mut wbt) = (s.b().clone(), t.b().clone());
    let mut lags = Vec::new();
    for _ in 0..h {
        let g = s.a() * &wb - t.a() * &wbt;
        lags.push((g, wb.clone()));
        wb = s.w() * &wb;
        wbt = t.w() * &wbt;
    }
    let mut a = DMatrix::zeros(s.o(), s.n());
    for (g, wb) in &lags {
        a += g * wb.transpose();
    }
    let mut sm = vec![DMatrix::zeros(s.o(), s.n()); h];
    for m in (0..h - 1).rev() {
        sm[m] = &lags[m + 1].0 * s.b().transpose() + &sm[m + 1] * s.w().transpose();
    }
    let (mut w, mut b) = (DMatrix::zeros(s.n(), s.n()), DMatrix::zeros(s.n(), s.d()));
    let mut f = f0.clone();
    for m in 0..depth {
        w += f.transpose() * &sm[m];
        b += f.transpose() * &lags[m].0;
        f = next(&f);
    }
    Update { a, w, b }
}

#[test]
fn block_doubling_matches_the_one_lag_recursion_in_f64() {
    // d = o = 4 on n = 32 states: stride 8, so the lags are filled by three doublings and then
    // strides of 8 blocks, with a partial last block (T = 37).
    let (n, k, h) = (32, 4, 37);
    assert_eq!(stride_for(n, k, h), 8);
    let st = instance(n, k, k, 7);
    for (rule, depth) in [(Rule::Bptt, h), (Rule::Tbptt { k: 11 }, 11)] {
        let got = update(&rule, &st, h, Loss::Final).expect("linear network");
        let want = one_lag_at_a_time(&st, h, depth);
        for (g, w, name) in [
            (&got.a, &want.a, "A"),
            (&got.w, &want.w, "W"),
            (&got.b, &want.b, "B"),
        ] {
            let diff = linalg::rel_diff(g, w, F64_IDENTITY_ABS_FLOOR);
            assert!(diff <= BLOCKED_LAGS_REL, "{rule:?} Δ{name}: {diff:e}");
        }
    }
}

#[test]
fn blocked_lags_and_the_covariance_loops_are_exact_over_rationals() {
    // n = 16 states: the lags advance in blocks (stride 8 for d = 2), and the covariance
    // recursion runs the column loops; over Q both must give the one-lag recursion exactly.
    let (n, k, h) = (16, 2, 13);
    assert_eq!(stride_for(n, k, h), 8);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut q = |r: usize, c: usize| {
        DMatrix::from_fn(r, c, |_, _| Rational::ratio(rng.random_range(-3..=3), 8))
    };
    let mut net = || Rnn::new(q(k, n), q(n, n), q(n, k)).expect("finite weights");
    let st = StudentTeacher::new(net(), net()).expect("matching shapes");
    for (rule, depth) in [(Rule::Bptt, h), (Rule::Tbptt { k: 5 }, 5)] {
        let got = update(&rule, &st, h, Loss::Final).expect("linear network");
        assert_eq!(got, one_lag_at_a_time(&st, h, depth), "{rule:?}");
    }
    // The adjoint recursion with a scalar and a diagonal backward operator (RFLO, e-prop).
    scalar_and_diagonal_backs_are_exact(&st, h, &q(k, n), Rational::ratio(3, 4));
}

/// RFLO (backward operator ŵ) and e-prop (diag W) with feedback `r`: the closed form equals the
/// one-lag sums exactly over Q at horizon h.
fn scalar_and_diagonal_backs_are_exact(
    st: &StudentTeacher<Rational>,
    h: usize,
    r: &DMatrix<Rational>,
    w_hat: Rational,
) {
    let rflo = Rule::Rflo {
        feedback: r.clone(),
        w_hat: w_hat.clone(),
    };
    let want = with_back(st, h, h, r, |f| f * w_hat.clone());
    assert_eq!(update(&rflo, st, h, Loss::Final).unwrap(), want, "RFLO");
    let diag = DMatrix::from_diagonal(&st.student.w().diagonal());
    let eprop = Rule::Eprop {
        feedback: Feedback::Random(r.clone()),
    };
    let want = with_back(st, h, h, r, |f| f * &diag);
    assert_eq!(update(&eprop, st, h, Loss::Final).unwrap(), want, "e-prop");
}

/// The sequence-loss update of an untruncated rule in one weighted pass equals the average of
/// the final-step updates over the horizons, exactly over Q (BPTT, RFLO, e-prop; tBPTT(k ≥ T)).
#[test]
fn weighted_pass_is_the_average_over_horizons_over_rationals() {
    let (n, k, h) = (5, 2, 7);
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let mut q = |r: usize, c: usize| {
        DMatrix::from_fn(r, c, |_, _| Rational::ratio(rng.random_range(-3..=3), 4))
    };
    let st = StudentTeacher::new(
        Rnn::new(q(k, n), q(n, n), q(n, k)).unwrap(),
        Rnn::new(q(k, n), q(n, n), q(n, k)).unwrap(),
    )
    .unwrap();
    let r = q(k, n);
    let lags = lags(&st, h);
    for rule in [
        Rule::Bptt,
        Rule::Tbptt { k: h },
        Rule::Rflo {
            feedback: r.clone(),
            w_hat: Rational::ratio(2, 3),
        },
        Rule::Eprop {
            feedback: Feedback::Random(r.clone()),
        },
    ] {
        let mut mean = Update::zeros(k, n, k);
        for t in 1..=h {
            mean.add_scaled(
                &final_step(&rule, &st, &lags, t),
                Rational::ratio(1, h as i64),
            );
        }
        assert_eq!(
            update(&rule, &st, h, Loss::Sequence).unwrap(),
            mean,
            "{rule:?}"
        );
    }
}

/// The f64 adjoint recursion through the blocked kernel (d ≥ 5) equals the one-lag sums.
#[test]
fn adjoint_recursion_through_the_blocked_kernel_matches_the_one_lag_sums() {
    let (n, k, h) = (24, 6, 19);
    let st = instance(n, k, k, 9);
    let got = update(&Rule::Bptt, &st, h, Loss::Final).expect("linear network");
    let want = one_lag_at_a_time(&st, h, h);
    for (g, w, name) in [(&got.w, &want.w, "W"), (&got.b, &want.b, "B")] {
        let diff = linalg::rel_diff(g, w, F64_IDENTITY_ABS_FLOOR);
        assert!(diff <= BLOCKED_LAGS_REL, "Δ{name}: {diff:e}");
    }
}

#[test]
fn every_stride_gives_the_same_lags_over_rationals() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut q = |r: usize, c: usize| {
        DMatrix::from_fn(r, c, |_, _| Rational::ratio(rng.random_range(-4..=4), 5))
    };
    let (m, x) = (q(3, 3), q(3, 2));
    let plain = powers_times(&m, &x, 13, 1);
    let mut power = DMatrix::<Rational>::identity(3, 3);
    for k in 0..13 {
        assert_eq!(plain.columns(2 * k, 2), &power * &x, "lag {k}");
        power = &power * &m;
    }
    for stride in [2, 4, 8, 16] {
        assert_eq!(powers_times(&m, &x, 13, stride), plain, "stride {stride}");
    }
}

/// The backward recursion hands its finished blocks to the ΔW accumulation in chunks
/// (`CHUNK_MIN_COLS` columns): with d = 1 and T = 70 that is three chunks, the last one partial,
/// and over Q the result must still be the one-lag sums exactly (BPTT, RFLO, e-prop).
#[test]
fn chunked_adjoint_recursion_is_exact_over_rationals() {
    let (n, k, h) = (3, 1, 70);
    assert!(h - 1 > 2 * CHUNK_MIN_COLS && (h - 1) % CHUNK_MIN_COLS != 0);
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let mut q = |r: usize, c: usize| {
        DMatrix::from_fn(r, c, |_, _| Rational::ratio(rng.random_range(-3..=3), 4))
    };
    let mut net = || Rnn::new(q(k, n), q(n, n), q(n, k)).expect("finite weights");
    let st = StudentTeacher::new(net(), net()).expect("matching shapes");
    let got = update(&Rule::Bptt, &st, h, Loss::Final).expect("linear network");
    assert_eq!(got, one_lag_at_a_time(&st, h, h), "BPTT");
    scalar_and_diagonal_backs_are_exact(&st, h, &q(k, n), Rational::ratio(2, 3));
}

/// At sizes where the f64 update runs on two threads (the powers side by side, the ΔW
/// accumulation beside the backward recursion), it equals the one-thread run bit for bit, and the
/// one-lag sums to rounding.
#[test]
fn two_thread_update_equals_the_one_thread_update_bit_for_bit() {
    let (n, k, h) = (128, 16, 80);
    if std::thread::available_parallelism().is_ok_and(|c| c.get() > 1) {
        assert!(linalg::parallel_pays::<f64>(n * n * (h - 1) * k));
    }
    let st = instance(n, k, k, 21);
    for loss in [Loss::Final, Loss::Sequence] {
        let two = update(&Rule::Bptt, &st, h, loss).expect("linear network");
        let one = linalg::serial(|| update(&Rule::Bptt, &st, h, loss)).expect("linear network");
        assert_eq!(two, one, "{loss:?}");
    }
    let got = update(&Rule::Bptt, &st, h, Loss::Final).expect("linear network");
    let want = one_lag_at_a_time(&st, h, h);
    for (g, w, name) in [(&got.w, &want.w, "W"), (&got.b, &want.b, "B")] {
        let diff = linalg::rel_diff(g, w, F64_IDENTITY_ABS_FLOOR);
        assert!(diff <= BLOCKED_LAGS_REL, "Δ{name}: {diff:e}");
    }
}
