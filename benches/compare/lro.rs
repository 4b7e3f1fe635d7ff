//! lro's side of the side-by-side comparison (`benches/compare/run`): draws seeded linear RNN
//! instances, times lro's expected BPTT update and its online BPTT, RFLO and RTRL updates on them
//! (minimum over rounds of the mean of a timed loop, f64), and writes the inputs, lro's results and
//! times as JSON for `peers.py` to repeat with NumPy and JAX. Not a criterion bench: it is run by the
//! script, `cargo bench --bench compare -- OUT.json [--quick]`.
use lro::rnn::{Rnn, StudentTeacher, inputs};
use lro::rules::{Loss, Rule, Update, expected, online};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde_json::{Value, json};
use std::hint::black_box;
use std::time::Instant;

struct Case {
    st: StudentTeacher<f64>,
    r: DMatrix<f64>,
    w_hat: f64,
    xs: Vec<DVector<f64>>,
    ys: Vec<DVector<f64>>,
    horizon: usize,
}

fn draw(n: usize, o: usize, d: usize, horizon: usize, seed: u64) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut g = |r: usize, c: usize, s: f64| {
        DMatrix::from_fn(r, c, |_, _| s * rng.sample::<f64, _>(StandardNormal))
    };
    let s = 1.0 / (n as f64).sqrt();
    let student = Rnn::new(g(o, n, s), g(n, n, 0.5 * s), g(n, d, s)).unwrap();
    let teacher = Rnn::new(g(o, n, s), g(n, n, 0.5 * s), g(n, d, s)).unwrap();
    let r = g(o, n, s);
    let st = StudentTeacher::new(student, teacher).unwrap();
    let xs = inputs::white_noise(d, horizon, &mut ChaCha8Rng::seed_from_u64(seed + 1));
    let ys = st.targets(&xs).unwrap();
    Case {
        st,
        r,
        w_hat: 0.5,
        xs,
        ys,
        horizon,
    }
}

/// Minimum over `rounds` of the mean time of a loop sized to about `budget / rounds` seconds.
fn best_time<R>(rounds: usize, budget: f64, mut f: impl FnMut() -> R) -> f64 {
    let t0 = Instant::now();
    black_box(f());
    let once = t0.elapsed().as_secs_f64().max(1e-7);
    let inner = ((budget / rounds as f64 / once) as usize).max(1);
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let t0 = Instant::now();
        for _ in 0..inner {
            black_box(f());
        }
        best = best.min(t0.elapsed().as_secs_f64() / inner as f64);
    }
    best
}

fn mat(m: &DMatrix<f64>) -> Value {
    json!(
        (0..m.nrows())
            .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    )
}

fn seq(v: &[DVector<f64>]) -> Value {
    json!(v.iter().flat_map(|x| x.iter().copied()).collect::<Vec<_>>())
}

fn record(kind: &str, label: &str, c: &Case, out: &Update<f64>, seconds: f64, flops: f64) -> Value {
    let (s, t) = (&c.st.student, &c.st.teacher);
    json!({
        "kind": kind, "label": label, "n": s.n(), "T": c.horizon,
        "A": mat(s.a()), "W": mat(s.w()), "B": mat(s.b()),
        "At": mat(t.a()), "Wt": mat(t.w()), "Bt": mat(t.b()),
        "R": mat(&c.r), "w_hat": c.w_hat, "xs": seq(&c.xs), "ys": seq(&c.ys),
        "out": {"a": mat(&out.a), "w": mat(&out.w), "b": mat(&out.b)},
        "seconds": seconds, "flops": flops,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .find(|a| a.ends_with(".json"))
        .cloned()
        .unwrap_or_else(|| "compare.json".into());
    let quick = args.iter().any(|a| a == "--quick");
    let (rounds, budget) = if quick { (3, 0.3) } else { (7, 1.5) };
    // `--only KIND:N` (e.g. `expected_bptt:256`) runs one case, for profiling; `--only kernel`
    // only measures the kernel rate.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let wanted = |kind: &str, n: usize| only.as_ref().is_none_or(|o| *o == format!("{kind}:{n}"));
    let mut cases = Vec::new();
    if only.as_deref().is_none_or(|o| o == "kernel") {
        // The rate of lro's own matrix-product kernel (nalgebra → matrixmultiply), for reference
        // next to the peers' OpenBLAS rate: one 256³ product and one thin 256×256×32 product.
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut g = |r: usize, c: usize| DMatrix::from_fn(r, c, |_, _| rng.random::<f64>());
        let (a, wide, thin) = (g(256, 256), g(256, 256), g(256, 32));
        for (name, b) in [("256x256x256", &wide), ("256x256x32", &thin)] {
            let mut y = DMatrix::zeros(256, b.ncols());
            let secs = best_time(rounds, budget, || y.gemm(1.0, &a, b, 0.0));
            let rate = 2.0 * 256.0 * 256.0 * b.ncols() as f64 / secs / 1e9;
            eprintln!("lro: kernel rate (nalgebra/matrixmultiply {name}): {rate:.1} GFLOP/s");
        }
    }
    for n in [16usize, 64, 256] {
        if !wanted("expected_bptt", n) {
            continue;
        }
        let k = n / 8;
        let c = draw(n, k, k, 200, 100 + n as u64);
        let f = || expected::update(&Rule::Bptt, &c.st, c.horizon, Loss::Final).unwrap();
        let out = f();
        let secs = best_time(rounds, budget, f);
        // Multiply-adds of the closed form per lag: W^k B and G_k 2n²d + 2ond, covariances
        // odn + on², sums odn + nod + n·o·n + on² (F ← F W); 2 flops each.
        let (nf, of, df, tf) = (n as f64, k as f64, k as f64, c.horizon as f64);
        let flops = 2.0 * tf * (2.0 * nf * nf * df + 3.0 * of * nf * nf + 5.0 * of * nf * df);
        let label = "expected BPTT update, T = 200, d = o = n/8";
        cases.push(record("expected_bptt", label, &c, &out, secs, flops));
    }
    for n in [16usize, 64, 256] {
        let c = draw(n, 2, 4, 10, 200 + n as u64);
        let rules = [
            (
                "online_bptt",
                "online BPTT, T = 10, o = 2, d = 4",
                Rule::Bptt,
            ),
            (
                "online_rflo",
                "online RFLO, T = 10, o = 2, d = 4",
                Rule::Rflo {
                    feedback: c.r.clone(),
                    w_hat: c.w_hat,
                },
            ),
            (
                "online_rtrl",
                "online RTRL, T = 10, o = 2, d = 4",
                Rule::Rtrl,
            ),
        ];
        for (kind, label, rule) in rules {
            if !wanted(kind, n) {
                continue;
            }
            if kind == "online_rtrl" && n > 64 {
                continue; // O(n⁴) per step: 86 GFLOP per sample at n = 256
            }
            let s = &c.st.student;
            let f = || online::update(&rule, s, &c.xs, &c.ys, Loss::Final).unwrap();
            let out = f();
            let secs = best_time(rounds, budget, f);
            cases.push(record(kind, label, &c, &out, secs, 0.0));
        }
    }
    let text = serde_json::to_string(&json!({ "cases": cases })).unwrap();
    std::fs::write(&path, text).unwrap();
    eprintln!("lro: wrote {} cases to {path}", cases.len());
}
