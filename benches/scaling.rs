//! Time per step against n for every online rule (linear RNN, f64, one sample, final-step loss,
//! T = 10, o = 2, d = 4). `benches/compare/slopes.py` fits the log–log slopes from criterion's
//! estimates and prints them next to theory (BPTT, tBPTT, RFLO, e-prop O(n²) per step). RTRL keeps
//! its influence factored while t ≤ n + d (`docs/theory/linear-rnn.md#rtrl-factored`), so at
//! T = 10 it costs O(T n³) per step; `rtrl-long` runs T = 2 (n + d) steps, half of them on the
//! dense M, where a step is RTRL's O(n⁴) (the factored half costs half as much on average).
//!
//! `cargo bench --bench scaling`, then `python3 benches/compare/slopes.py`.
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lro::rnn::{Rnn, inputs};
use lro::rules::{Feedback, Loss, Rule, online};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::hint::black_box;
use std::time::Duration;

const O: usize = 2;
const D: usize = 4;
/// Steps per sample; the slopes script divides criterion's time per sample by this.
const T: usize = 10;

/// Steps per sample of `rtrl-long` (the slopes script uses the same formula).
fn long_horizon(n: usize) -> usize {
    2 * (n + D)
}

struct Setup {
    net: Rnn<f64>,
    r: DMatrix<f64>,
    xs: Vec<DVector<f64>>,
    ys: Vec<DVector<f64>>,
}

fn setup(n: usize) -> Setup {
    setup_with(n, T)
}

fn setup_with(n: usize, steps: usize) -> Setup {
    let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
    let mut g = |r: usize, c: usize, s: f64| {
        DMatrix::from_fn(r, c, |_, _| s * rng.sample::<f64, _>(StandardNormal))
    };
    let s = 1.0 / (n as f64).sqrt();
    let net = Rnn::new(g(O, n, s), g(n, n, 0.5 * s), g(n, D, 1.0)).unwrap();
    let r = g(O, n, s);
    let mut data = ChaCha8Rng::seed_from_u64(7);
    let xs = inputs::white_noise(D, steps, &mut data);
    let ys = inputs::white_noise(O, steps, &mut data);
    Setup { net, r, xs, ys }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    // Up to n = 2048: at n ≤ 256 W (≤ 512 KiB) stays in a core's 2 MiB L2 cache and per-step
    // fixed costs still show; from n = 1024 W and the n × n update and traces (8 MiB each and up)
    // live in L3, so the O(n²) rules' slopes are read where the memory level no longer changes.
    for n in [16usize, 32, 64, 128, 256, 512, 1024, 2048] {
        let s = setup(n);
        let mut rules = vec![
            Rule::Bptt,
            Rule::Tbptt { k: 1 },
            Rule::Rflo {
                feedback: s.r.clone(),
                w_hat: 0.5,
            },
            Rule::Eprop {
                feedback: Feedback::Random(s.r.clone()),
            },
        ];
        if n <= 256 {
            rules.push(Rule::Rtrl); // factored at T = 10: about 0.7 G multiply-adds at n = 256
        }
        for rule in &rules {
            group.bench_with_input(BenchmarkId::new(rule.name(), n), &n, |b, _| {
                b.iter(|| {
                    black_box(online::update(rule, &s.net, &s.xs, &s.ys, Loss::Final).unwrap())
                })
            });
        }
    }
    // RTRL below n = 16 too, so its fit spans a factor of 8; and in its dense regime.
    let s = setup(8);
    group.bench_with_input(BenchmarkId::new("rtrl", 8), &8, |b, _| {
        b.iter(|| {
            black_box(online::update(&Rule::Rtrl, &s.net, &s.xs, &s.ys, Loss::Final).unwrap())
        })
    });
    for n in [16usize, 32, 64, 128] {
        let s = setup_with(n, long_horizon(n));
        group.bench_with_input(BenchmarkId::new("rtrl-long", n), &n, |b, _| {
            b.iter(|| {
                black_box(online::update(&Rule::Rtrl, &s.net, &s.xs, &s.ys, Loss::Final).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
