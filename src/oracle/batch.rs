//! Fixtures of lro cases with a batch axis, and the one-pass reference for working sizes.
//!
//! **Batch.** A case with `batch` = B > 1 holds B input sequences: sample 0 is the case's own
//! sequence (the one a B = 1 fixture holds), sample b ≥ 1 is a Rademacher sequence drawn from
//! ChaCha8 seeded with the case's seed on stream b (the instance itself is drawn on stream 0).
//! Student, teacher, feedback and ŵ are shared. Every tensor that depends on the sequence (inputs,
//! targets, forward pass, losses, traces, updates) gains a leading batch axis (`batch_axis` in
//! the fixture), and each rule's total updates are joined by their batch means
//! (`<rule>.<loss>.d<X>_mean`, the update of the mean loss over the batch), as are the losses
//! (`loss_final_mean`, `loss_seq_mean`). Per-sample numbers are those of a B = 1 fixture on that
//! sequence ([`super::reference`]); a batch is B independent references, stacked.
//!
//! **Working sizes.** Past [`PER_STEP_MAX_N`] hidden units or [`PER_STEP_MAX_HORIZON`] steps a
//! fixture carries [`Detail::Totals`]: one forward pass and one pass per rule for the sequence
//! loss (BPTT's adjoint pass O(T n²) per sample, RFLO / e-prop traces O(T n²), tBPTT O(T k n²))
//! through the same generic rules ([`crate::rules::online::updates`]), without RTRL (its
//! influence costs O(n⁴) per step; its total gradient equals BPTT's, which is exported), without
//! per-step contributions (each needs a pass per prefix) and without the final-step loss's
//! updates (the sequence loss is what training code at these sizes uses). The manifest says so.
//! The B samples are computed on all cores.
use super::config::{LroConfig, lro_settings};
use super::fixture::{Fixture, GROUP_FORWARD, Role, Tensor};
use super::limits::Arithmetic;
use super::reference::{self, Detail, Problem};
use crate::error::{LroError, Result};
use crate::rnn::{Sequence, inputs};
use crate::scalar::Real;
use crate::workers;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Largest hidden size (student or teacher) whose fixture carries RTRL and every rule's per-step
/// contributions ([`Detail::Full`]); larger cases carry [`Detail::Totals`].
pub const PER_STEP_MAX_N: usize = 12;
/// Largest horizon whose fixture carries [`Detail::Full`] (see [`PER_STEP_MAX_N`]).
pub const PER_STEP_MAX_HORIZON: usize = 32;

/// Whether the case is past the sizes of [`Detail::Full`] and uses the one-pass reference.
pub fn single_pass(c: &LroConfig) -> bool {
    c.n.max(c.n_teacher.unwrap_or(c.n)) > PER_STEP_MAX_N || c.horizon > PER_STEP_MAX_HORIZON
}

/// The detail of a case's fixture.
pub fn detail(c: &LroConfig) -> Detail {
    if single_pass(c) {
        Detail::Totals
    } else {
        Detail::Full
    }
}

/// The B input sequences of a case: `first` (the instance's own) and B − 1 Rademacher sequences,
/// sample b on ChaCha8 stream b of the case's seed.
pub fn draw_inputs(c: &LroConfig, first: &Sequence<f64>) -> Vec<Sequence<f64>> {
    let mut out = vec![first.clone()];
    for b in 1..c.batch {
        let mut rng = ChaCha8Rng::seed_from_u64(c.seed);
        rng.set_stream(b as u64);
        out.push(inputs::rademacher(c.d, c.horizon, &mut rng));
    }
    out
}

/// The fixture of one sample in number kind `T`.
fn sample_in<T: Real>(
    c: &LroConfig,
    p: &Problem<f64>,
    xs: &Sequence<f64>,
    detail: Detail,
) -> Result<Fixture> {
    let q = p.cast::<T>(xs)?;
    reference::fixture_detail(&c.name, &c.description, &q, lro_settings(c), detail)
}

/// One sample's fixture in the given arithmetic (256-bit MPFR or exact rationals need `rug`).
fn sample(
    c: &LroConfig,
    p: &Problem<f64>,
    xs: &Sequence<f64>,
    detail: Detail,
    arith: Arithmetic,
) -> Result<Fixture> {
    match arith {
        #[cfg(feature = "rug")]
        Arithmetic::ExactRational => sample_in::<crate::scalar::Rational>(c, p, xs, detail),
        #[cfg(feature = "rug")]
        Arithmetic::Mpfr256 => crate::scalar::with_precision(256, || {
            sample_in::<crate::scalar::Mpfr>(c, p, xs, detail)
        })?,
        _ => sample_in::<f64>(c, p, xs, detail),
    }
}

/// Computes the B samples on every core ([`workers::map_in_order`]: each thread carries the
/// caller's active fault, so fault-injection tests see it in every sample).
fn samples(
    c: &LroConfig,
    p: &Problem<f64>,
    xs: &[Sequence<f64>],
    detail: Detail,
    arith: Arithmetic,
) -> Result<Vec<Fixture>> {
    workers::map_in_order(xs, |x| sample(c, p, x, detail, arith))
        .into_iter()
        .collect()
}

/// Builds the fixture of an lro case with a batch (or past the sizes of [`Detail::Full`]).
pub fn build(c: &LroConfig, p: &Problem<f64>, arith: Arithmetic) -> Result<Fixture> {
    let detail = detail(c);
    let xs = draw_inputs(c, &p.xs);
    let per_sample = samples(c, p, &xs, detail, arith)?;
    let mut f = if c.batch == 1 {
        per_sample.into_iter().next().ok_or(LroError::ZeroHorizon)?
    } else {
        stack(per_sample)?
    };
    annotate(&mut f, c, detail);
    Ok(f)
}

/// Stacks per-sample fixtures along a new leading batch axis and adds the batch means of the
/// losses and of every rule's total updates.
pub fn stack(per_sample: Vec<Fixture>) -> Result<Fixture> {
    let bsz = per_sample.len();
    let mut it = per_sample.into_iter();
    let Some(mut f) = it.next() else {
        return Err(LroError::InvalidParameter {
            name: "batch".into(),
            reason: "must be at least 1".into(),
        });
    };
    let rest: Vec<Fixture> = it.collect();
    let mut means = BTreeMap::new();
    for (name, t) in f.tensors.iter_mut() {
        if t.role == Role::Parameter {
            continue;
        }
        let per = t.data.len();
        for g in &rest {
            let u = g.tensors.get(name).ok_or_else(|| LroError::ShapeMismatch {
                context: format!("batch tensor {name}"),
                detail: "a sample lacks it".into(),
            })?;
            if u.shape != t.shape {
                return Err(LroError::ShapeMismatch {
                    context: format!("batch tensor {name}"),
                    detail: format!("shapes {:?} and {:?}", t.shape, u.shape),
                });
            }
            t.data.extend_from_slice(&u.data);
        }
        let wants_mean = (t.role == Role::Update && !name.ends_with("_steps"))
            || name == "loss_final"
            || name == "loss_seq";
        if wants_mean {
            let mut m = vec![0.0; per];
            for chunk in t.data.chunks_exact(per) {
                for (a, v) in m.iter_mut().zip(chunk) {
                    *a += v;
                }
            }
            for a in m.iter_mut() {
                *a /= bsz as f64;
            }
            means.insert(
                format!("{name}_mean"),
                Tensor {
                    role: t.role,
                    group: t.group.clone(),
                    first_step: None,
                    doc: format!("mean over the batch of {name}: {}", t.doc),
                    shape: t.shape.clone(),
                    data: m,
                    f64_error: None,
                    batch_axis: false,
                },
            );
        }
        t.shape.insert(0, bsz);
        t.batch_axis = true;
        t.doc = format!("per sample b (axis 0): {}", t.doc);
    }
    debug_assert!(
        means
            .values()
            .all(|t| t.group != GROUP_FORWARD || t.role == Role::State)
    );
    f.tensors.extend(means);
    Ok(f)
}

fn annotate(f: &mut Fixture, c: &LroConfig, detail: Detail) {
    let conv = &mut f.conventions;
    conv.settings.insert("batch".into(), c.batch.into());
    if c.batch > 1 {
        conv.loss = format!(
            "{} Batch of B = {} sequences: each per-sample tensor has a leading batch axis; \
             <name>_mean is the mean over the batch (the update of the mean loss).",
            conv.loss.trim_end_matches(" One sample, no batch factor."),
            c.batch
        );
        conv.known.push(format!(
            "Batch: sample 0 is the case's own input sequence; sample b >= 1 is a Rademacher \
             sequence drawn with ChaCha8 from seed {} on stream b. Parameters are shared.",
            c.seed
        ));
    }
    if detail == Detail::Totals {
        conv.per_step_updates = format!(
            "Not exported at this size (n > {PER_STEP_MAX_N} or T > {PER_STEP_MAX_HORIZON}): \
             each rule's per-step contributions need a pass per prefix. The forward pass, the \
             RFLO traces (first_step 1) and every rule's total updates for the sequence loss are \
             exported; the first diverging step of a candidate comes from those tensors."
        );
        conv.known.push(format!(
            "Working size (n > {PER_STEP_MAX_N} or T > {PER_STEP_MAX_HORIZON}): RTRL is omitted \
             (its influence costs O(n^4) per step and O(n^3) memory); its total gradient equals \
             BPTT's, exported as bptt.*. Per-step contributions and the final-step loss's \
             updates are omitted (<rule>.seq.* only), and so are e-prop's traces (n x n per \
             step and sample; its totals are exported)."
        ));
    }
}
