//! Generating the `working-size` fixture: o = 4, n = 64, d = 4, T = 100, batch B = 16, leaky tanh,
//! reference in 256-bit MPFR (plus the plain-f64 run whose distance from it the manifest states),
//! on every core. The target is ≤ 10 s on 2 cores. Run: `cargo bench --bench fixture --
//! --sample-size 10` (criterion's minimum; each sample is one full generation).
use criterion::{Criterion, criterion_group, criterion_main};
use lro::oracle::cases;
use std::hint::black_box;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let case = cases::builtin("working-size").expect("the built-in case");
    let mut group = c.benchmark_group("fixture");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(1));
    group.measurement_time(Duration::from_secs(60));
    group.bench_function("working-size", |b| {
        b.iter(|| black_box(case.build().expect("the fixture builds")))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
