"""Tests of the lro Python package: cases, fixtures, checks and their verdicts, per-mode reports,
and clear exceptions for bad input."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import lro
import numpy_rnn as nr

ACTIVATION = {"linear": "identity", "leaky-tanh": "tanh", "aligned-linear": "identity"}
OWN_CASES = tuple(ACTIVATION)


@pytest.fixture(scope="module")
def fixtures():
    return {c: lro.fixture(c) for c in OWN_CASES}


def correct(fixtures, case, **kw):
    return nr.run(fixtures[case], ACTIVATION[case], **kw)


# ---------------------------------------------------------------------------------------------
# cases and fixtures


def test_cases_lists_the_builtin_cases_with_descriptions():
    cs = lro.cases()
    assert {"linear", "leaky-tanh", "aligned-linear", "murray2019", "marschall2020"} <= set(cs)
    assert all(isinstance(d, str) and d for d in cs.values())


# The working-size case takes seconds to build; tests/oracle_batch.rs and the fixture bench cover it.
@pytest.mark.parametrize("case", [c for c in lro.cases() if c != "working-size"])
def test_every_builtin_case_builds_with_forward_pass_and_rules(case):
    fx = lro.fixture(case)
    assert fx.case == case
    assert fx.schema_version == lro.SCHEMA_VERSION
    assert fx.rules, "a case without rules could only be checked vacuously"
    assert fx.forward, "every case has a forward pass"
    conv = fx.conventions
    for key in ("convention", "indexing", "loss", "sign", "trace_timing", "parameter_packing"):
        assert isinstance(conv[key], str) and conv[key]
    for name, arr in fx.items():
        info = fx.info(name)
        assert arr.dtype == np.float64
        assert arr.shape == info.shape
        assert np.all(np.isfinite(arr))


def test_fixture_groups_and_roles(fixtures):
    fx = fixtures["linear"]
    assert set(fx.params) == {"A", "B", "W", "R", "A_star", "B_star", "W_star", "alpha", "w_hat"}
    assert set(fx.inputs) == {"x"}
    assert set(fx.targets) == {"y_star"}
    assert set(fx.forward) == {"u", "h", "y", "err", "loss_final", "loss_seq"}
    assert "rflo.trace_h" in fx.rule("rflo")
    assert fx.info("h").first_step == 0 and fx.info("u").first_step == 1
    T = int(fx.conventions["settings"]["T"])
    assert fx["x"].shape[0] == T and fx["h"].shape[0] == T + 1


def test_conventions_are_enumerable_fields(fixtures):
    lin = lro.fixture("linear").conventions
    e = lin["enumerated"]
    assert e["indexing"] == "step_reads_previous_input"
    assert e["initial_state"] == "zero"
    assert e["update_sign"] == "gradient"
    assert e["error_sign"] == "output_minus_target"
    assert e["feedback"]["rflo"] == "random_fixed"
    assert e["feedback"]["eprop_symmetric"] == "readout_transpose"
    assert lin["settings"]["aligned"] is False
    m = lro.fixture("marschall2020").conventions
    assert m["enumerated"]["parameter_packing"] == "packed_rec_in_bias"
    assert m["enumerated"]["flattened_parameter_order"] == "column_major"
    assert set(m["enumerated"]["feedback"]) == set(lro.fixture("marschall2020").rules)
    assert m["settings"]["random_feedback"] is True and m["settings"]["activation"] == "tanh"
    mu = lro.fixture("murray2019").conventions
    assert mu["enumerated"]["update_sign"] == "descent_step_with_learning_rates"
    assert mu["enumerated"]["trace_timing"] == "input_trace_lags_one_step"
    assert mu["enumerated"]["derivative"] == "clipped"
    assert mu["settings"]["input_trace_lag"] is True
    # An ablation shows in the fields.
    off = lro.fixture({"convention": "murray2019", "name": "m", "seed": 1, "n_in": 2, "n_rec": 3,
                       "n_out": 2, "t_max": 5, "input_trace_lag": False, "derivative": "exact"})
    assert off.conventions["enumerated"]["trace_timing"] == "same_step"
    assert off.conventions["enumerated"]["derivative"] == "exact"


def test_a_bptt_only_candidate_is_checked_against_marschall2020():
    fx = lro.fixture("marschall2020")
    cand = {k: fx[k] for k in fx if fx.info(k).group in ("forward", "ebptt", "fbptt")}
    v = lro.check(fx, cand)
    assert v.ok, str(v)
    assert set(v.compared) == {"ebptt", "fbptt"}
    bad = dict(cand)
    steps = np.array(bad["fbptt.rec_grads_steps"])
    steps[4, 0, 1] += 1e-3
    bad["fbptt.rec_grads_steps"] = steps
    v = lro.check(fx, bad)
    assert not v.ok
    assert v.first_divergence.tensor == "fbptt.rec_grads_steps" and v.first_divergence.step == 5


def test_stochastic_rules_carry_their_draws_and_a_flipped_draw_is_caught():
    # lro's own conventions (the built-in family case) and the marschall2020 preset.
    for case, rule, draws in [
        ("family", "uoro_variance_min", "uoro_variance_min.draws"),
        ("family", "kf_rtrl_unit", "kf_rtrl_unit.draws"),
        ("marschall2020", "uoro", "uoro.nu"),
        ("marschall2020", "rkf_rtrl", "rkf_rtrl.nu"),
    ]:
        fx = lro.fixture(case)
        assert rule in fx.rules, fx.rules
        nu = fx[draws]
        assert fx.info(draws).group == rule and fx.info(draws).role == "input"
        assert set(np.unique(nu)) == {-1.0, 1.0}
        cand = {k: fx[k] for k in fx if fx.info(k).group in ("forward", rule)}
        v = lro.check(fx, cand)
        assert v.ok and set(v.compared) == {rule}, str(v)
        flipped = np.array(nu)
        flipped[1, 0] = -flipped[1, 0]
        v = lro.check(fx, dict(cand, **{draws: flipped}))
        assert not v.ok
        assert v.first_divergence.tensor == draws and v.first_divergence.step == 2
    assert {"snap1", "snap2", "kf_rtrl_variance_min", "uoro_unit"} <= set(lro.fixture("family").rules)


def test_fixture_arrays_are_read_only(fixtures):
    with pytest.raises(ValueError):
        fixtures["linear"]["W"][0, 0] = 1.0


@pytest.mark.parametrize("ext", ["json", "npz"])
def test_fixture_round_trip_through_files_is_bit_exact(fixtures, tmp_path, ext):
    fx = fixtures["leaky-tanh"]
    path = tmp_path / f"fx.{ext}"
    fx.write(path)
    back = lro.fixture(path)
    assert list(back) == list(fx)
    for k in fx:
        assert back[k].shape == fx[k].shape
        assert np.array_equal(back[k], fx[k]), k
    assert back.conventions == fx.conventions
    if ext == "npz":
        with np.load(path) as z:
            assert np.array_equal(z["rflo.trace_h"], fx["rflo.trace_h"])


def test_fixture_from_config_dict_matches_the_same_config_file(tmp_path):
    cfg = {"convention": "lro", "name": "mine", "seed": 3, "o": 2, "n": 3, "d": 2, "horizon": 5}
    a = lro.fixture(cfg)
    (tmp_path / "c.json").write_text(json.dumps(cfg))
    b = lro.fixture(tmp_path / "c.json")
    assert a.case == "mine" and a["x"].shape == (5, 2)
    for k in a:
        assert np.array_equal(a[k], b[k])
    # A config's own independent implementation passes too.
    lro.check(a, nr.run(a, "identity")).raise_for_mismatch()


def test_fixture_errors_are_clear():
    with pytest.raises(lro.CaseError, match="not a built-in case.*linear"):
        lro.fixture("no-such-case")
    with pytest.raises(lro.CaseError, match='"colour".*unknown key'):
        lro.fixture({"convention": "lro", "name": "c", "seed": 1, "o": 2, "n": 3, "d": 2, "horizon": 6, "colour": 1})
    with pytest.raises(lro.CaseError, match='"horizon".*missing'):
        lro.fixture({"convention": "lro", "name": "c", "seed": 1, "o": 2, "n": 3, "d": 2})
    with pytest.raises(lro.CaseError):
        lro.fixture({"convention": "lro", "name": "c", "seed": 1, "o": 2, "n": 3, "d": 2, "horizon": 0})
    with pytest.raises(lro.CaseError, match='"aligned".*boolean.*not 1 or 0.*the number 1'):
        lro.fixture({"convention": "lro", "name": "c", "seed": 1, "o": 2, "n": 3, "d": 2, "horizon": 6, "aligned": 1})
    with pytest.raises(lro.CaseError, match='"derivative".*clipped \\| exact.*"smooth"'):
        lro.fixture({"convention": "murray2019", "name": "m", "seed": 1, "n_in": 2, "n_rec": 3, "n_out": 2, "t_max": 5, "derivative": "smooth"})
    with pytest.raises(lro.CaseError, match="JSON"):
        lro.fixture({"convention": "lro", "seed": object()})
    with pytest.raises(lro.CaseError, match="numbers must be finite"):
        lro.fixture({"convention": "lro", "name": "c", "seed": 1, "o": 2, "n": 3, "d": 2, "horizon": 6, "alpha": math.nan})
    with pytest.raises(TypeError, match="case_or_config"):
        lro.fixture(3.5)
    with pytest.raises(lro.OptionError, match="batch = 4: .* hold one sequence"):
        lro.fixture("murray2019", batch=4)
    with pytest.raises(lro.OptionError, match="batch must be >= 1"):
        lro.fixture("linear", batch=0)
    assert list(lro.fixture("linear", batch=1)) == list(lro.fixture("linear"))
    with pytest.raises(TypeError, match="batch"):
        lro.fixture("linear", batch="4")
    with pytest.raises(KeyError, match="no tensor 'V'"):
        lro.fixture("linear")["V"]
    # lro errors are also the built-in kinds.
    assert issubclass(lro.CaseError, ValueError) and issubclass(lro.CaseError, lro.LroError)


def test_sizes_over_the_limits_are_refused_before_any_work():
    with pytest.raises(lro.LimitError, match="exceeds the limit") as e:
        lro.fixture({"convention": "lro", "name": "big", "seed": 1, "o": 2, "n": 100000, "d": 2, "horizon": 6})
    assert isinstance(e.value, ValueError)


def test_a_corrupt_fixture_file_is_a_clear_error(tmp_path):
    p = tmp_path / "bad.npz"
    p.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(lro.CaseError):
        lro.fixture(p)
    q = tmp_path / "bad.json"
    q.write_text('{"tensors": {"x": 1}}')
    with pytest.raises(lro.CaseError):
        lro.fixture(q)


# ---------------------------------------------------------------------------------------------
# a correct implementation passes; bugs fail where they should


@pytest.mark.parametrize("case", OWN_CASES)
def test_a_correct_numpy_implementation_passes(fixtures, case):
    v = lro.check(fixtures[case], correct(fixtures, case))
    assert v.ok, str(v)
    assert v.raise_for_mismatch() is v
    assert v.first_divergence is None
    assert set(v.compared) == {"bptt", "rtrl", "rflo"}
    assert set(v.not_compared) == set(fixtures[case].rules) - {"bptt", "rtrl", "rflo"}
    assert all(r.ok for r in v.results) and len(v.results) == 6 + 3 * 9 + 2


# bug -> (first diverging step, group of the first diverging tensor, a tensor that must stay ok)
PREDICTED = {
    "transpose_w": (2, "forward", None),
    "bptt_truncate_2": (3, "bptt", "rflo.seq.dB_steps"),
    "rflo_input_lag": (1, "rflo", "bptt.seq.dB_steps"),
    "rflo_no_decay": (2, "rflo", "rtrl.seq.dW_steps"),
    "seq_no_1_over_T": (1, "bptt", "loss_seq"),
    "sign": (1, "bptt", "err"),
}


@pytest.mark.parametrize("case", ["linear", "leaky-tanh"])
@pytest.mark.parametrize("bug", nr.BUGS)
def test_each_bug_fails_at_the_step_it_implies(fixtures, case, bug):
    step, group, unaffected = PREDICTED[bug]
    v = lro.check(fixtures[case], correct(fixtures, case, bugs=[bug]))
    assert not v.ok
    fd = v.first_divergence
    assert fd is not None, str(v)
    assert (fd.step, fd.group) == (step, group), f"{bug}: {fd}\n{v}"
    assert abs(fd.got - fd.reference) == pytest.approx(fd.abs_err)
    assert fd.abs_err > fd.allowed
    assert fd.allowed == pytest.approx(v.atol + v.rtol * abs(fd.reference))
    ref = fixtures[case][fd.tensor]
    assert ref[fd.index] == fd.reference
    assert fd.index[0] == step - fixtures[case].info(fd.tensor).first_step
    if unaffected is not None:
        assert v.result(unaffected).ok, f"{bug} should leave {unaffected} alone"
    with pytest.raises(lro.Mismatch):
        v.raise_for_mismatch()


def test_mismatch_message_reads_like_numpy_testing(fixtures):
    v = lro.check(fixtures["linear"], correct(fixtures, "linear", bugs=["bptt_truncate_2"]))
    with pytest.raises(AssertionError) as info:
        v.raise_for_mismatch()
    msg = str(info.value)
    fd = v.first_divergence
    assert "Not equal to tolerance rtol=1e-09, atol=1e-12" in msg
    assert f"First divergence at step t = 3: tensor '{fd.tensor}' (group bptt), index {fd.index}" in msg
    assert f" got:       {fd.got!r}" in msg
    assert f" reference: {fd.reference!r}" in msg
    assert "> atol + rtol*|reference|" in msg
    assert "Mismatched tensors: " in msg
    assert "verdict: MISMATCH" in msg
    assert isinstance(info.value, lro.Mismatch) and isinstance(info.value, lro.LroError)


def test_a_bug_shows_in_the_table(fixtures):
    v = lro.check(fixtures["linear"], correct(fixtures, "linear", bugs=["rflo_no_decay"]))
    text = str(v)
    assert "rflo.trace_h" in text and "MISMATCH" in text and "t = 2" in text
    assert "first diverging step t = 2" in text
    assert not bool(v)
    assert "FAIL" in repr(v)


def test_tolerance_arguments_decide(fixtures):
    # The sign bug flips every update: |got - ref| = 2 |ref| (up to rounding), so rtol a little
    # above 2 accepts it and rtol a little below 2 does not.
    cand = correct(fixtures, "linear", bugs=["sign"])
    assert lro.check(fixtures["linear"], cand, rtol=2.001).ok
    assert not lro.check(fixtures["linear"], cand, rtol=1.99).ok
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(lro.OptionError, match="rtol"):
            lro.check(fixtures["linear"], cand, rtol=bad)
    with pytest.raises(TypeError, match="atol"):
        lro.check(fixtures["linear"], cand, atol="1e-3")


# ---------------------------------------------------------------------------------------------
# no vacuous verdicts; per-rule groups; require


def test_forward_only_candidate_fails_unless_forward_only(fixtures):
    fx = fixtures["linear"]
    cand = {k: v for k, v in correct(fixtures, "linear", rules=()).items()}
    v = lro.check(fx, cand)
    assert not v.ok
    assert v.compared == () and v.first_divergence is None
    assert "h" in v.tensors_compared
    assert any("no learning rule was checked" in p and "forward_only=True" in p for p in v.reasons)
    assert "verdict: NOT CHECKED, no learning rule was checked" in str(v)
    assert "pass forward_only=True" in str(v) and "--forward-only" not in str(v)
    with pytest.raises(lro.Mismatch, match="no learning rule was checked"):
        v.raise_for_mismatch()
    v = lro.check(fx, cand, forward_only=True)
    assert v.ok and "forward pass only, as asked" in str(v)
    # forward_only does not excuse a wrong forward pass.
    bad = {k: v for k, v in correct(fixtures, "linear", rules=(), bugs=["transpose_w"]).items()}
    assert not lro.check(fx, bad, forward_only=True).ok


def test_any_subset_of_rules_and_require(fixtures):
    fx = fixtures["leaky-tanh"]
    only_bptt = correct(fixtures, "leaky-tanh", rules=("bptt",))
    v = lro.check(fx, only_bptt)
    assert v.ok and v.compared == ("bptt",)
    assert "rflo" in v.not_compared
    assert lro.check(fx, only_bptt, require=["bptt"]).ok
    v = lro.check(fx, only_bptt, require="bptt, rflo")
    assert not v.ok and v.reasons == ("required rules not supplied: rflo",)
    with pytest.raises(lro.OptionError, match="unknown rule 'rfl0'"):
        lro.check(fx, only_bptt, require=["rfl0"])


def test_candidate_may_echo_given_tensors_and_they_are_compared(fixtures):
    fx = fixtures["linear"]
    cand = correct(fixtures, "linear", rules=("rflo",))
    cand.update({k: np.array(fx[k]) for k in ("W", "x")})
    assert lro.check(fx, cand).ok
    cand["x"] = cand["x"].copy()
    cand["x"][2, 1] *= -1  # a reader bug
    v = lro.check(fx, cand)
    assert not v.ok and not v.result("x").ok
    assert v.first_divergence.tensor == "x"


# ---------------------------------------------------------------------------------------------
# candidates from files, arrays of other types


def test_candidate_from_npz_and_json_files(fixtures, tmp_path):
    fx = fixtures["linear"]
    cand = correct(fixtures, "linear")
    npz = tmp_path / "mine.npz"
    np.savez(npz, schema_version=np.int64(lro.SCHEMA_VERSION), case="linear", **cand)
    assert lro.check(fx, npz).ok
    assert lro.check("linear", str(npz)).ok
    js = tmp_path / "mine.json"
    js.write_text(json.dumps({
        "schema_version": lro.SCHEMA_VERSION,
        "case": "linear",
        "tensors": {k: {"shape": list(np.shape(v)), "data": np.asarray(v).tolist()} for k, v in cand.items()},
    }))
    assert lro.check(fx, js).ok
    bug = correct(fixtures, "linear", bugs=["rflo_no_decay"])
    np.savez(npz, schema_version=np.int64(lro.SCHEMA_VERSION), **bug)
    v = lro.check(fx, npz)
    assert not v.ok and v.first_divergence.step == 2 and v.candidate == str(npz)


def test_candidate_file_errors(fixtures, tmp_path):
    fx = fixtures["linear"]
    with pytest.raises(FileNotFoundError):
        lro.check(fx, tmp_path / "missing.npz")
    other = tmp_path / "mine.txt"
    other.write_text("1 2 3")
    with pytest.raises(lro.UnusableCandidate, match="name it .json or .npz"):
        lro.check(fx, other)
    noversion = tmp_path / "nov.npz"
    np.savez(noversion, **correct(fixtures, "linear"))
    with pytest.raises(lro.UnusableCandidate, match="missing schema_version"):
        lro.check(fx, noversion)
    garbage = tmp_path / "g.npz"
    garbage.write_bytes(os.urandom(256))
    with pytest.raises(lro.UnusableCandidate):
        lro.check(fx, garbage)


def test_float_int_and_list_inputs_are_accepted(fixtures):
    fx = fixtures["linear"]
    cand = {k: np.asarray(v).tolist() for k, v in correct(fixtures, "linear").items()}
    assert lro.check(fx, cand).ok
    # A Fixture is a candidate of itself.
    assert lro.check(fx, fx).ok


@pytest.mark.parametrize("case", OWN_CASES)
def test_float32_candidates_are_judged_as_float32(fixtures, case):
    fx = fixtures[case]
    f32 = correct(fixtures, case, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in f32.values())
    # float32 arrays get float32 tolerances, stated in the verdict: a correct one passes ...
    v = lro.check(fx, f32)
    assert v.ok, str(v)
    assert all(r.float32 and r.rtol > v.rtol for r in v.results)
    assert v.float32_note and "float32" in str(v)
    # ... while judged as float64 its rounding is a mismatch ...
    assert not lro.check(fx, f32, precision="f64").ok
    # ... and a bug still fails at its step.
    buggy = correct(fixtures, case, dtype=np.float32, bugs=["rflo_no_decay"])
    v = lro.check(fx, buggy)
    assert not v.ok and v.first_divergence.step == 2 and v.first_divergence.float32
    with pytest.raises(lro.Mismatch, match=r"\(float32 tolerance\)"):
        v.raise_for_mismatch()


def test_float32_computation_stored_as_float64_needs_precision_f32(fixtures):
    fx = fixtures["leaky-tanh"]
    widened = {k: v.astype(np.float64) for k, v in correct(fixtures, "leaky-tanh", dtype=np.float32).items()}
    assert not lro.check(fx, widened).ok
    assert lro.check(fx, widened, precision="f32").ok
    with pytest.raises(lro.OptionError, match="precision"):
        lro.check(fx, widened, precision="f16")


# ---------------------------------------------------------------------------------------------
# bad input gives clear exceptions


@pytest.fixture()
def good(fixtures):
    return correct(fixtures, "linear")


def test_nan_is_named(fixtures, good):
    good["rflo.seq.dW_steps"] = good["rflo.seq.dW_steps"].copy()
    good["rflo.seq.dW_steps"][3, 1, 2] = np.nan
    with pytest.raises(lro.UnusableCandidate, match=r"NaN or infinity: tensor rflo.seq.dW_steps .*\[3, 1, 2\]"):
        lro.check(fixtures["linear"], good)


def test_inf_is_named(fixtures, good):
    good["h"] = good["h"].copy()
    good["h"][1, 0] = np.inf
    with pytest.raises(lro.UnusableCandidate, match="NaN or infinity: tensor h"):
        lro.check(fixtures["linear"], good)


def test_wrong_shape_is_named(fixtures, good):
    good["W"] = np.zeros((2, 2))
    good["u"] = good["u"].T
    with pytest.raises(lro.UnusableCandidate) as e:
        lro.check(fixtures["linear"], good)
    assert "tensor W has shape [2, 2], the reference has [3, 3]" in str(e.value)
    assert "tensor u has shape [3, 6], the reference has [6, 3]" in str(e.value)


def test_unknown_keys_are_named(fixtures, good):
    good["rflo.seq.dV"] = np.zeros(3)
    good["bptt.final.da"] = np.zeros(3)
    with pytest.raises(lro.UnusableCandidate, match="unknown keys .*bptt.final.da, rflo.seq.dV"):
        lro.check(fixtures["linear"], good)


def test_missing_forward_and_partial_rule_are_named(fixtures, good):
    del good["h"]
    del good["rtrl.seq.dB"]
    with pytest.raises(lro.UnusableCandidate) as e:
        lro.check(fixtures["linear"], good)
    assert "missing tensors of the forward pass (always required): h" in str(e.value)
    assert "missing updates of rule rtrl (give all of a rule's updates, or none; its traces are optional): rtrl.seq.dB" in str(
        e.value
    )


def test_malformed_arrays(fixtures, good):
    fx = fixtures["linear"]
    good["u"] = [[1.0, 2.0], [3.0]]
    with pytest.raises(lro.UnusableCandidate, match="tensor u: cannot be read as an array"):
        lro.check(fx, good)


@pytest.mark.parametrize(
    "value, what",
    [
        (np.zeros((6, 3), dtype=bool), "booleans"),
        (np.zeros((6, 3), dtype=np.int64), "integer dtype int64"),
        (np.zeros((6, 3), dtype=np.float16), "float16 is not supported"),
        (np.zeros((6, 3), dtype=np.complex128), "complex"),
        (np.array([["a"] * 3] * 6), "unsupported dtype"),
        (None, "unsupported dtype"),
        (object(), "unsupported dtype"),
    ],
)
def test_wrong_dtypes(fixtures, good, value, what):
    good["u"] = value
    with pytest.raises(lro.CandidateDtypeError, match=f"tensor u: .*{what}") as e:
        lro.check(fixtures["linear"], good)
    assert isinstance(e.value, TypeError)


def test_schema_version_and_case_entries_are_checked(fixtures, good):
    fx = fixtures["linear"]
    assert lro.check(fx, dict(good, schema_version=lro.SCHEMA_VERSION, case="linear")).ok
    with pytest.raises(lro.UnusableCandidate, match="wrong schema_version 99"):
        lro.check(fx, dict(good, schema_version=99))
    with pytest.raises(lro.UnusableCandidate, match="wrong schema_version"):
        lro.check(fx, dict(good, schema_version="1"))
    with pytest.raises(lro.UnusableCandidate, match="wrong case: the candidate says 'leaky-tanh'"):
        lro.check(fx, dict(good, case="leaky-tanh"))


def test_wrong_candidate_types(fixtures, good):
    with pytest.raises(TypeError, match="candidate must be a mapping"):
        lro.check(fixtures["linear"], [1, 2, 3])
    with pytest.raises(TypeError, match="keys must be tensor names"):
        lro.check(fixtures["linear"], {1: np.zeros(3)})
    with pytest.raises(lro.CaseError):
        lro.check("no-such-case", good)


def test_a_panic_becomes_internal_error_not_a_crash():
    from lro import _lro

    with pytest.raises(lro.InternalError, match="deliberate panic") as e:
        _lro._panic_for_test()
    assert isinstance(e.value, RuntimeError)


# ---------------------------------------------------------------------------------------------
# modes


def test_modes_at_the_teacher_point_has_zero_loss_and_update():
    r = lro.modes("bptt", (0.5, 0.25, 0.5), (0.5, 0.25, 0.5), horizon=8)
    assert set(r) == {
        "rule", "horizon", "loss", "update", "jacobian", "eigenvalues", "m_eigenvalues",
        "fixed_point", "class",
    }
    assert r["fixed_point"] is True, "the teacher point is a fixed point of the learning ODE"
    assert r["rule"] == "bptt" and r["horizon"] == "8"
    assert r["loss"] == 0.0
    assert r["update"] == {"a": 0.0, "b": 0.0, "w": 0.0}
    assert len(r["jacobian"]) == 3 and len(r["eigenvalues"]) == 3


def test_modes_number_forms_agree():
    a = lro.modes("rflo", (0.5, 0.3, 0.2), (1, 1, 0.5), feedback=(1, 0.1))
    b = lro.modes("rflo", ("1/2", "0.3", "1/5"), (1, 1, Fraction(1, 2)), feedback=["1", "1/10"], horizon=math.inf)
    assert a == b
    assert a["horizon"] == "inf"


def test_modes_update_is_minus_gradient_direction_of_the_loss():
    # For BPTT the update is the gradient of the per-mode loss: a finite difference of the loss
    # along w agrees with the update's w entry.
    m, t = (0.5, 0.4, 0.3), (1.0, 1.0, 0.5)
    h = 1e-6
    lp = lro.modes("bptt", (m[0], m[1], m[2] + h), t, horizon=6)["loss"]
    lm = lro.modes("bptt", (m[0], m[1], m[2] - h), t, horizon=6)["loss"]
    dw = lro.modes("bptt", m, t, horizon=6)["update"]["w"]
    assert (lp - lm) / (2 * h) == pytest.approx(dw, rel=1e-6)


def test_modes_errors():
    with pytest.raises(lro.ModesError, match="unknown rule 'adam'"):
        lro.modes("adam", (1, 1, 1), (1, 1, 1))
    with pytest.raises(lro.ModesError, match="rflo needs --feedback"):
        lro.modes("rflo", (1, 1, 1), (1, 1, 1))
    with pytest.raises(lro.ModesError, match="takes 3 numbers"):
        lro.modes("bptt", (1, 1), (1, 1, 1))
    with pytest.raises(lro.ModesError, match="malformed number"):
        lro.modes("bptt", ("x", 1, 1), (1, 1, 1))
    with pytest.raises(lro.ModesError, match="zero denominator"):
        lro.modes("bptt", ("1/0", 1, 1), (1, 1, 1))
    with pytest.raises(lro.ModesError, match="horizon"):
        lro.modes("bptt", (1, 1, 1), (1, 1, 1), horizon=0)
    with pytest.raises(TypeError):
        lro.modes("bptt", (True, 1, 1), (1, 1, 1))
    with pytest.raises(TypeError):
        lro.modes("bptt", 3, (1, 1, 1))


def _lro_binary():
    found = shutil.which("lro")
    if found:
        return found
    root = Path(__file__).resolve().parents[2]
    for p in (root / "target" / "release" / "lro", root / "target" / "debug" / "lro"):
        if p.exists():
            return str(p)
    return None


def test_modes_equals_the_cli_json():
    exe = _lro_binary()
    if exe is None:
        pytest.skip("no lro binary built (cargo build --release) or on PATH to compare with")
    args = ["modes", "--rule", "tbptt:2", "--mode", "1/2,-0.3,0.7", "--teacher", "1,1,1/2", "--horizon", "5", "--json"]
    cli = json.loads(subprocess.run([exe, *args], capture_output=True, check=True, text=True).stdout)
    assert lro.modes("tbptt:2", ("1/2", -0.3, 0.7), (1, 1, "1/2"), horizon=5) == cli
