//! lro's side of the side-by-side comparison (`benches/compare/run`): draws seeded linear RNN
//! instances, computes lro's expected BPTT update and its online BPTT, RFLO and RTRL updates on them
//! (f64), writes the inputs and lro's results as JSON for `peers.py` to repeat with NumPy and JAX,
//! then serves timing requests on stdin so that the driver can interleave lro's rounds with the
//! peers' rounds (the machine is shared; timing one side after the other biases the ratios).
//! Not a criterion bench: `cargo bench --bench compare -- OUT.json [--only KIND:N|kernel]`, then
//! one request per line: `time I SECONDS` times case I for a loop of about SECONDS and answers
//! with the mean seconds per call; `kernel SECONDS` answers lro's own 256³ product rate in
//! GFLOP/s; end of input ends it.
use lro::rnn::{Rnn, StudentTeacher, inputs};
use lro::rules::{Loss, Rule, Update, expected, online};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde_json::{Value, json};
use std::hint::black_box;
use std::io::{BufRead, Write};
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

/// Mean seconds per call over one timed loop of about `budget` seconds (`once` is the time of one
/// call, measured when the case was first run).
fn round_time<R>(budget: f64, once: f64, mut f: impl FnMut() -> R) -> f64 {
    let inner = ((budget / once.max(1e-7)) as usize).max(1);
    let t0 = Instant::now();
    for _ in 0..inner {
        black_box(f());
    }
    t0.elapsed().as_secs_f64() / inner as f64
}

/// Runs `f` once and returns its value and the time it took.
fn timed<R>(f: impl FnOnce() -> R) -> (R, f64) {
    let t0 = Instant::now();
    let r = f();
    (r, t0.elapsed().as_secs_f64())
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

fn record(kind: &str, label: &str, c: &Case, out: &Update<f64>, flops: f64) -> Value {
    let (s, t) = (&c.st.student, &c.st.teacher);
    json!({
        "kind": kind, "label": label, "n": s.n(), "T": c.horizon,
        "A": mat(s.a()), "W": mat(s.w()), "B": mat(s.b()),
        "At": mat(t.a()), "Wt": mat(t.w()), "Bt": mat(t.b()),
        "R": mat(&c.r), "w_hat": c.w_hat, "xs": seq(&c.xs), "ys": seq(&c.ys),
        "out": {"a": mat(&out.a), "w": mat(&out.w), "b": mat(&out.b)},
        "flops": flops,
    })
}

type Timer<'a> = Box<dyn Fn(f64) -> f64 + 'a>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .find(|a| a.ends_with(".json"))
        .cloned()
        .unwrap_or_else(|| "compare.json".into());
    // `--only KIND:N` (e.g. `expected_bptt:256`) runs one case, for profiling; `--only kernel`
    // only measures the kernel rate.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let wanted = |kind: &str, n: usize| only.as_ref().is_none_or(|o| *o == format!("{kind}:{n}"));
    // The rate of lro's own matrix-product kernel (`linalg::gemm`: the `gemm` crate), for reference next
    // to the peers' OpenBLAS rate: one 256³ product.
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut g = |r: usize, c: usize| DMatrix::from_fn(r, c, |_, _| rng.random::<f64>());
    let (ka, kb) = (g(256, 256), g(256, 256));
    let mut ky = DMatrix::zeros(256, 256);
    let mut expected_cases = Vec::new();
    for n in [16usize, 64, 256] {
        if wanted("expected_bptt", n) {
            let k = n / 8;
            expected_cases.push(draw(n, k, k, 200, 100 + n as u64));
        }
    }
    let online_cases: Vec<Case> = [16usize, 64, 256]
        .iter()
        .map(|&n| draw(n, 2, 4, 10, 200 + n as u64))
        .collect();
    let mut cases = Vec::new();
    let mut timers: Vec<Timer> = Vec::new();
    for c in &expected_cases {
        let n = c.st.student.n();
        let f = move || expected::update(&Rule::Bptt, &c.st, c.horizon, Loss::Final).unwrap();
        let (out, once) = timed(f);
        // Multiply-adds per lag of the algorithm lro runs (`rules::expected`, adjoint form):
        // W^k B and W*^k B* 2n²d, G_k 2ond, the adjoint recursion Λ_j ← F_0ᵀG_{j+1} + Wᵀ Λ_{j+1}
        // n²d + nod, ΔW = [Λ_j][W^j B]ᵀ n²d, ΔA ond; 2 flops each. The squarings of the block
        // doubling are extra work and not counted, so the rate is a lower bound.
        let (nf, kf, tf) = (n as f64, (n / 8) as f64, c.horizon as f64);
        let flops = 2.0 * tf * (4.0 * nf * nf * kf + 4.0 * nf * kf * kf);
        let label = "expected BPTT update, T = 200, d = o = n/8";
        cases.push(record("expected_bptt", label, c, &out, flops));
        timers.push(Box::new(move |b| round_time(b, once, &f)));
    }
    let rules = |c: &Case| {
        [
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
        ]
    };
    for c in &online_cases {
        let n = c.st.student.n();
        for (kind, label, rule) in rules(c) {
            if !wanted(kind, n) {
                continue;
            }
            if kind == "online_rtrl" && n > 64 {
                continue; // O(n⁴) per step: 86 GFLOP per sample at n = 256
            }
            let s = &c.st.student;
            let f = move || online::update(&rule, s, &c.xs, &c.ys, Loss::Final).unwrap();
            let (out, once) = timed(&f);
            cases.push(record(kind, label, c, &out, 0.0));
            timers.push(Box::new(move |b| round_time(b, once, &f)));
        }
    }
    let text = serde_json::to_string(&json!({ "cases": cases })).unwrap();
    std::fs::write(&path, text).unwrap();
    eprintln!("lro: wrote {} cases to {path}", cases.len());
    println!("ready {}", cases.len());
    let (_, kernel_once) = timed(|| lro::linalg::gemm(&mut ky, 1.0, &ka, &kb, 0.0));
    let mut stdout = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        let answer = match words.as_slice() {
            ["time", i, b] => match (i.parse::<usize>(), b.parse::<f64>()) {
                (Ok(i), Ok(b)) if i < timers.len() => format!("{:e}", timers[i](b)),
                _ => format!("error: bad request {line:?}"),
            },
            ["kernel", b] => match b.parse::<f64>() {
                Ok(b) => {
                    let secs = round_time(b, kernel_once, || {
                        lro::linalg::gemm(&mut ky, 1.0, &ka, &kb, 0.0)
                    });
                    format!("{:e}", 2.0 * 256f64.powi(3) / secs / 1e9)
                }
                _ => format!("error: bad request {line:?}"),
            },
            _ => format!("error: bad request {line:?}"),
        };
        writeln!(stdout, "{answer}").unwrap();
        stdout.flush().unwrap();
    }
}
