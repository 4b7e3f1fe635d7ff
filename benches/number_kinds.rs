//! The price of exactness: one generic expected-update computation on six number kinds (f64,
//! complex, dual, MPFR at 128 and 256 bits, exact rationals), one online BPTT update on four, and the
//! online rules side by side on f64. Ratios are read from one `cargo bench --bench number_kinds` run.
use criterion::{Criterion, criterion_group, criterion_main};
use lro::rnn::InstanceSpec;
use lro::rules::{Loss, Rule, expected, online};
use lro::scalar::{Dual, Mpfr, Rational, with_precision};
use num_complex::Complex;
use std::hint::black_box;

fn kinds(c: &mut Criterion) {
    let inst = InstanceSpec {
        seed: 9,
        o: 4,
        n: 8,
        n_teacher: 8,
        d: 4,
        horizon: 20,
    }
    .draw()
    .unwrap();
    let mut g = c.benchmark_group("expected_bptt_n8_T20");
    let f = inst.clone();
    g.bench_function("f64", |b| {
        b.iter(|| expected::update(&Rule::Bptt, black_box(&f.st), 20, Loss::Final).unwrap())
    });
    let z = inst.cast::<Complex<f64>>();
    g.bench_function("complex", |b| {
        b.iter(|| expected::update(&Rule::Bptt, black_box(&z.st), 20, Loss::Final).unwrap())
    });
    let d = inst.cast::<Dual<f64>>();
    g.bench_function("dual_f64", |b| {
        b.iter(|| expected::update(&Rule::Bptt, black_box(&d.st), 20, Loss::Final).unwrap())
    });
    for bits in [128u32, 256] {
        with_precision(bits, || {
            let m = inst.cast::<Mpfr>();
            g.bench_function(format!("mpfr{bits}"), |b| {
                b.iter(|| expected::update(&Rule::Bptt, black_box(&m.st), 20, Loss::Final).unwrap())
            });
        })
        .unwrap();
    }
    let q = inst.cast::<Rational>();
    g.bench_function("rational", |b| {
        b.iter(|| expected::update(&Rule::Bptt, black_box(&q.st), 20, Loss::Final).unwrap())
    });
    g.finish();
}

fn online_rules(c: &mut Criterion) {
    let inst = InstanceSpec {
        seed: 10,
        o: 4,
        n: 16,
        n_teacher: 16,
        d: 4,
        horizon: 50,
    }
    .draw()
    .unwrap();
    let mut g = c.benchmark_group("online_sequence_loss_n16_T50");
    let rules = [
        Rule::Bptt,
        Rule::Tbptt { k: 1 },
        Rule::Rtrl,
        Rule::Rflo {
            feedback: inst.feedback.clone(),
            w_hat: inst.w_hat,
        },
    ];
    for rule in &rules {
        g.bench_function(rule.name(), |b| {
            b.iter(|| {
                online::update(
                    rule,
                    black_box(&inst.st.student),
                    &inst.xs,
                    &inst.targets,
                    Loss::Sequence,
                )
                .unwrap()
            })
        });
    }
    g.finish();
}

fn run<T: lro::scalar::Real>(i: &lro::rnn::Instance<T>) -> lro::rules::Update<T> {
    online::update(&Rule::Bptt, &i.st.student, &i.xs, &i.targets, Loss::Final).unwrap()
}

/// The cost of certainty for an online update: one BPTT sample (n = 8, T = 20) on each kind.
fn online_kinds(c: &mut Criterion) {
    let inst = InstanceSpec {
        seed: 11,
        o: 2,
        n: 8,
        n_teacher: 8,
        d: 2,
        horizon: 20,
    }
    .draw()
    .unwrap();
    let mut g = c.benchmark_group("online_bptt_n8_T20");
    let f = inst.clone();
    g.bench_function("f64", |b| b.iter(|| run(black_box(&f))));
    for bits in [128u32, 256] {
        with_precision(bits, || {
            let m = inst.cast::<Mpfr>();
            g.bench_function(format!("mpfr{bits}"), |b| b.iter(|| run(black_box(&m))));
        })
        .unwrap();
    }
    let q = inst.cast::<Rational>();
    g.bench_function("rational", |b| b.iter(|| run(black_box(&q))));
    g.finish();
}

criterion_group!(benches, kinds, online_rules, online_kinds);
criterion_main!(benches);
