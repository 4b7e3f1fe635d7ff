"""The JAX example checked with lro: the correct rules pass, and each deliberate bug fails at the
first step it implies (the reasons are beside each bug in rnn_jax.py)."""

from __future__ import annotations

import pytest

pytest.importorskip(
    "jax",
    reason="JAX is not installed or does not import here (pip install jax); the JAX example is skipped",
    exc_type=ImportError,
)

import numpy as np  # noqa: E402

import lro  # noqa: E402
import rnn_jax  # noqa: E402

CASES = tuple(rnn_jax.ACTIVATION)


@pytest.fixture(scope="module")
def fixtures():
    return {c: lro.fixture(c) for c in CASES}


def run(fixtures, case, **kw):
    return rnn_jax.implementation(fixtures[case], rnn_jax.ACTIVATION[case], **kw)


@pytest.mark.parametrize("case", CASES)
def test_correct_jax_rules_pass(fixtures, case):
    cand = run(fixtures, case)
    assert all(type(v).__module__.startswith("jax") for v in cand.values())  # JAX arrays go in as-is
    v = lro.check(fixtures[case], cand, require=["bptt", "rtrl", "rflo"])
    assert v.ok, str(v)
    assert v.compared == ("bptt", "rflo", "rtrl")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("rule", rnn_jax.RULES)
def test_each_rule_alone_is_checked(fixtures, case, rule):
    v = lro.check(fixtures[case], run(fixtures, case, rules=[rule]), require=[rule])
    assert v.ok and v.compared == (rule,)


# (bug, case) -> (first step, group of the first diverging tensor), or None where the bug cannot
# show in that case (alpha = 1 removes the leak term; phi' = 1 for the identity).
PREDICTED = {
    ("input_offset", "linear"): (1, "forward"),
    ("input_offset", "leaky-tanh"): (1, "forward"),
    ("transpose_w", "linear"): (2, "forward"),
    ("transpose_w", "leaky-tanh"): (2, "forward"),
    ("bptt_stop_gradient", "linear"): (2, "bptt"),
    ("bptt_stop_gradient", "leaky-tanh"): (2, "bptt"),
    ("rflo_stale_trace", "linear"): (1, "rflo"),
    ("rflo_stale_trace", "leaky-tanh"): (1, "rflo"),
    ("rtrl_no_leak", "linear"): None,
    ("rtrl_no_leak", "leaky-tanh"): (2, "rtrl"),
    ("tanh_prime_of_state", "linear"): None,
    ("tanh_prime_of_state", "leaky-tanh"): (1, "rflo"),
    ("mean_over_outputs", "linear"): (1, "bptt"),
    ("mean_over_outputs", "leaky-tanh"): (1, "bptt"),
}


def test_every_bug_has_a_prediction_for_every_case():
    assert set(PREDICTED) == {(b, c) for b in rnn_jax.BUGS for c in CASES}
    assert len(rnn_jax.BUGS) >= 5


@pytest.mark.parametrize("bug, case", sorted(PREDICTED))
def test_bug_fails_at_the_step_it_implies(fixtures, bug, case):
    v = lro.check(fixtures[case], run(fixtures, case, bugs=[bug]))
    expected = PREDICTED[(bug, case)]
    if expected is None:
        assert v.ok, f"{bug} should be invisible in {case}:\n{v}"
        return
    assert not v.ok
    fd = v.first_divergence
    assert (fd.step, fd.group) == expected, f"{bug} in {case}: {fd}\n{v}"
    with pytest.raises(lro.Mismatch, match=f"First divergence at step t = {expected[0]}"):
        v.raise_for_mismatch()


def test_a_bug_in_one_rule_leaves_the_others_passing(fixtures):
    v = lro.check(fixtures["leaky-tanh"], run(fixtures, "leaky-tanh", bugs=["rtrl_no_leak"]))
    bad_groups = {r.group for r in v.mismatched}
    assert bad_groups == {"rtrl"}


def test_float32_jax_passes_with_float32_tolerances_and_a_bug_still_fails(fixtures):
    import jax.numpy as jnp

    fx = fixtures["leaky-tanh"]
    good = run(fixtures, "leaky-tanh", dtype=jnp.float32)
    assert all(np.asarray(a).dtype == np.float32 for a in good.values())
    v = lro.check(fx, good)  # float32 arrays are judged with float32 tolerances
    assert v.ok and all(r.float32 for r in v.results), str(v)
    assert not lro.check(fx, good, precision="f64").ok
    bad = run(fixtures, "leaky-tanh", dtype=jnp.float32, bugs=["bptt_stop_gradient"])
    v = lro.check(fx, bad)
    assert (v.first_divergence.step, v.first_divergence.group) == (2, "bptt")


def test_the_script_exits_by_its_verdict(capsys):
    assert rnn_jax.main(["--case", "linear"]) == 0
    assert "verdict: MATCH" in capsys.readouterr().out
    assert rnn_jax.main(["--case", "leaky-tanh", "--bug", "transpose_w"]) == 1
    assert "first divergence: step t = 2" in capsys.readouterr().out
