//! Batched online updates (B samples advanced together as matrix–matrix products) equal the mean of
//! the per-sample updates: exactly over rationals, to rounding for a leaky tanh network in f64.
use lro::rnn::{Activation, InstanceSpec, Rnn, inputs};
use lro::rules::{Feedback, Loss, Rule, Update, online};
use lro::scalar::{Rational, Real};
use lro::tolerances::F64_IDENTITY_REL;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn rules<T: Real>(r: &nalgebra::DMatrix<T>, w_hat: &T) -> Vec<Rule<T>> {
    vec![
        Rule::Bptt,
        Rule::Tbptt { k: 2 },
        Rule::Rtrl,
        Rule::Rflo {
            feedback: r.clone(),
            w_hat: w_hat.clone(),
        },
        Rule::Eprop {
            feedback: Feedback::Random(r.clone()),
        },
        Rule::Eprop {
            feedback: Feedback::Symmetric,
        },
    ]
}

/// Four samples: three of horizon 5 and one of horizon 3 (a batch of mixed horizons).
fn samples<T: Real>(net: &Rnn<f64>, seed: u64) -> Vec<online::SamplePair<T>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    [5usize, 5, 3, 5]
        .iter()
        .map(|&t| {
            let xs = inputs::rademacher(net.d(), t, &mut rng);
            let ys = inputs::rademacher(net.o(), t, &mut rng);
            (inputs::cast::<T>(&xs), inputs::cast::<T>(&ys))
        })
        .collect()
}

fn mean_of_singles<T: Real>(
    rule: &Rule<T>,
    net: &Rnn<T>,
    batch: &[online::SamplePair<T>],
    loss: Loss,
) -> Update<T> {
    let mut acc = Update::zeros(net.o(), net.n(), net.d());
    let w = T::one() / T::from_i64(batch.len() as i64);
    for (xs, ys) in batch {
        acc.add_scaled(&online::update(rule, net, xs, ys, loss).unwrap(), w.clone());
    }
    acc
}

#[test]
fn batched_updates_are_exact_means_over_rationals() {
    let inst = InstanceSpec {
        seed: 21,
        o: 2,
        n: 4,
        n_teacher: 3,
        d: 2,
        horizon: 5,
    }
    .draw()
    .unwrap();
    let q = inst.cast::<Rational>();
    let batch = samples::<Rational>(&inst.st.student, 5);
    for loss in [Loss::Final, Loss::Sequence] {
        for rule in rules(&q.feedback, &q.w_hat) {
            let got = online::batch_update(&rule, &q.st.student, &batch, loss).unwrap();
            let want = mean_of_singles(&rule, &q.st.student, &batch, loss);
            assert!(
                got == want,
                "{} {loss:?}: batched ≠ mean of singles",
                rule.name()
            );
        }
    }
}

#[test]
fn batched_updates_match_singles_for_leaky_tanh_networks() {
    let inst = InstanceSpec {
        seed: 22,
        o: 3,
        n: 7,
        n_teacher: 3,
        d: 2,
        horizon: 5,
    }
    .draw()
    .unwrap();
    let net = inst
        .st
        .student
        .clone()
        .with_leak(0.5)
        .unwrap()
        .with_activation(Activation::Tanh);
    let batch = samples::<f64>(&net, 6);
    for loss in [Loss::Final, Loss::Sequence] {
        for rule in rules(&inst.feedback, &inst.w_hat) {
            let got = online::batch_update(&rule, &net, &batch, loss).unwrap();
            let want = mean_of_singles(&rule, &net, &batch, loss);
            let gap = got.rel_diff(&want, 0.0);
            assert!(
                gap <= F64_IDENTITY_REL,
                "{} {loss:?}: batched vs singles differ by {gap:e}",
                rule.name()
            );
        }
    }
}

#[test]
fn a_batch_needs_samples_of_consistent_shape() {
    let inst = InstanceSpec {
        seed: 23,
        o: 2,
        n: 3,
        n_teacher: 3,
        d: 2,
        horizon: 4,
    }
    .draw()
    .unwrap();
    let net = &inst.st.student;
    let mut batch = samples::<f64>(net, 7);
    assert!(online::batch_update(&Rule::Bptt, net, &[], Loss::Final).is_err());
    batch[1].0[2] = nalgebra::DVector::zeros(net.d() + 1);
    assert!(online::batch_update(&Rule::Bptt, net, &batch, Loss::Final).is_err());
}
