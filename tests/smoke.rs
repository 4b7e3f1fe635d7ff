use lro::rnn::InstanceSpec;
use lro::rules::{Loss, Rule, expected, online};
use lro::scalar::Rational;

#[test]
fn smoke() {
    let inst = InstanceSpec {
        seed: 1,
        o: 2,
        n: 3,
        n_teacher: 2,
        d: 2,
        horizon: 5,
    }
    .draw()
    .unwrap();
    let q = inst.cast::<Rational>();
    let b = online::update(&Rule::Bptt, &q.st.student, &q.xs, &q.targets, Loss::Final).unwrap();
    let r = online::update(&Rule::Rtrl, &q.st.student, &q.xs, &q.targets, Loss::Final).unwrap();
    assert_eq!(b, r);
    let e = expected::update(&Rule::Bptt, &q.st, 5, Loss::Final).unwrap();
    println!("{:?}", e.w);
}
