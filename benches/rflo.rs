//! RFLO cost baseline: one online step (update of one sample of horizon T) and one
//! expected update, for n = 64 and n = 256 (o = 2, d = 4, T = 10), f64.
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lro::rnn::{Rnn, StudentTeacher, inputs};
use lro::rules::{Loss, Rule, expected, online};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::hint::black_box;

const O: usize = 2;
const D: usize = 4;
const T: usize = 10;

fn setup(n: usize) -> (StudentTeacher<f64>, Rule<f64>, Vec<nalgebra::DVector<f64>>) {
    let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
    let mut g = |r: usize, c: usize, s: f64| {
        DMatrix::from_fn(r, c, |_, _| s * rng.sample::<f64, _>(StandardNormal))
    };
    let s = 1.0 / (n as f64).sqrt();
    let student = Rnn::new(g(O, n, s), g(n, n, 0.5 * s), g(n, D, 1.0)).unwrap();
    let teacher = Rnn::new(g(O, n, s), g(n, n, 0.5 * s), g(n, D, 1.0)).unwrap();
    let rule = Rule::Rflo {
        feedback: g(O, n, s),
        w_hat: 0.5,
    };
    let st = StudentTeacher::new(student, teacher).unwrap();
    let xs = inputs::white_noise(D, T, &mut ChaCha8Rng::seed_from_u64(7));
    (st, rule, xs)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("rflo");
    for n in [64usize, 256] {
        let (st, rule, xs) = setup(n);
        let ys = st.targets(&xs).unwrap();
        group.bench_with_input(BenchmarkId::new("online_step", n), &n, |b, _| {
            b.iter(|| {
                let u = online::update(&rule, &st.student, &xs, &ys, Loss::Final).unwrap();
                black_box(u.apply(&st.student, 1e-3).unwrap())
            })
        });
        group.bench_with_input(BenchmarkId::new("expected_update", n), &n, |b, _| {
            b.iter(|| black_box(expected::update(&rule, &st, T, Loss::Final).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
