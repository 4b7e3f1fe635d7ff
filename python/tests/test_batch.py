"""Fixtures with a batch axis: shapes, a correct batched candidate (float64 and float32) passes, a
candidate wrong in one sample fails with that sample's index in ``first_divergence``, and bad
``batch`` arguments are clear errors.

The candidates come from the independent NumPy implementation in ``numpy_rnn.py``, run on each
sample's inputs and stacked along a leading batch axis.
"""

from __future__ import annotations

import numpy as np
import pytest

import lro
import numpy_rnn as nr

B = 4
CASE = "leaky-tanh"
SHARED = ("A", "W", "B", "R", "alpha", "w_hat")


@pytest.fixture(scope="module")
def fx():
    return lro.fixture(CASE, batch=B)


def sample(fx, b):
    """Sample b of the fixture, shaped as a single-sequence fixture (what ``nr.run`` reads)."""
    d = {k: fx[k] for k in SHARED}
    d["x"] = fx["x"][b]
    d["y_star"] = fx["y_star"][b]
    return d


def batched(fx, dtype=np.float64, bugs_in=None, bugs=()):
    """Every sample through ``nr.run``, stacked; ``bugs`` only in samples ``bugs_in`` (all when
    None); plus the batch means of the totals and losses."""
    outs = [
        nr.run(sample(fx, b), "tanh", dtype=dtype, bugs=bugs if bugs_in is None or b in bugs_in else ())
        for b in range(B)
    ]
    cand = {k: np.stack([o[k] for o in outs]) for k in outs[0]}
    for k in list(cand):
        is_total = fx.info(k).role == "update" and not k.endswith("_steps")
        if is_total or k in ("loss_final", "loss_seq"):
            cand[k + "_mean"] = cand[k].mean(axis=0, dtype=dtype).astype(dtype)
    return cand


def test_batch_fixture_shapes_and_axes(fx):
    single = lro.fixture(CASE)
    T, n, d = single["x"].shape[0], single["W"].shape[0], single["x"].shape[1]
    assert fx["x"].shape == (B, T, d)
    assert fx["h"].shape == (B, T + 1, n)
    assert fx["loss_seq"].shape == (B,)
    assert fx["bptt.seq.dW_steps"].shape == (B, T, n, n)
    assert fx["bptt.seq.dW"].shape == (B, n, n)
    assert fx["bptt.seq.dW_mean"].shape == (n, n)
    assert fx["W"].shape == (n, n)
    assert fx.info("h").batch_axis and not fx.info("W").batch_axis
    assert not fx.info("bptt.seq.dW_mean").batch_axis
    # Sample 0 is the case's own sequence; the others differ.
    assert np.array_equal(fx["x"][0], single["x"])
    assert np.array_equal(fx["bptt.seq.dW"][0], single["bptt.seq.dW"])
    assert not np.array_equal(fx["x"][1], fx["x"][2])
    assert fx.conventions["settings"]["batch"] == B


def test_a_correct_batched_candidate_passes(fx):
    v = lro.check(fx, batched(fx))
    assert v.ok, str(v)
    assert set(v.compared) == {"bptt", "rtrl", "rflo"}


def test_a_candidate_wrong_in_one_sample_names_it(fx):
    # rflo_no_decay shows first at step 2 (e_1 does not depend on the decay); only sample 2 has it.
    v = lro.check(fx, batched(fx, bugs_in={2}, bugs=["rflo_no_decay"]))
    assert not v.ok
    fd = v.first_divergence
    assert (fd.step, fd.batch, fd.group) == (2, 2, "rflo"), str(v)
    assert fd.index[0] == 2 and fd.index[1] == 2 - fx.info(fd.tensor).first_step
    assert fx[fd.tensor][fd.index] == fd.reference
    assert "batch sample b = 2" in str(v)
    with pytest.raises(lro.Mismatch, match="in batch sample b = 2"):
        v.raise_for_mismatch()
    # The other samples' tensors agree; the batch mean of the RFLO update does not.
    assert not v.result("rflo.seq.dW_mean").ok
    assert v.result("bptt.seq.dW_mean").ok


def test_a_correct_float32_batched_candidate_passes_and_a_buggy_one_fails(fx):
    f32 = batched(fx, dtype=np.float32)
    assert all(a.dtype == np.float32 for a in f32.values())
    v = lro.check(fx, f32)
    assert v.ok, str(v)
    assert all(r.float32 for r in v.results) and v.float32_note
    # The same float32 computation with the RFLO trace one step late in sample 1 (input x_{t-2}).
    bad = batched(fx, dtype=np.float32, bugs_in={1}, bugs=["rflo_input_lag"])
    v = lro.check(fx, bad)
    assert not v.ok
    fd = v.first_divergence
    assert (fd.step, fd.batch, fd.float32) == (1, 1, True), str(v)


def test_a_float64_candidate_off_by_float32_rounding_fails_at_the_float64_tolerance(fx):
    # The same numbers stored as float64: judged at the float64 tolerance, float32 rounding is a
    # mismatch, so the float32 pass above is the float32 tolerance's doing, not a loose check.
    widened = {k: v.astype(np.float64) for k, v in batched(fx, dtype=np.float32).items()}
    assert not lro.check(fx, widened).ok


@pytest.mark.parametrize(
    "batch, error, match",
    [
        (0, lro.OptionError, "batch must be >= 1"),
        (-3, lro.OptionError, "batch must be >= 1"),
        (2.5, TypeError, "batch must be an int"),
        ("4", TypeError, "batch must be an int"),
        (True, TypeError, "batch must be an int"),
        (5000, lro.LimitError, "batch"),
        (10**30, lro.LimitError, "batch"),
    ],
)
def test_bad_batches_are_clear_errors(batch, error, match):
    with pytest.raises(error, match=match):
        lro.fixture("linear", batch=batch)


def test_batch_in_a_config_dict_and_where_batches_do_not_exist(tmp_path):
    cfg = {"convention": "lro", "name": "c", "seed": 1, "o": 2, "n": 3, "d": 2, "horizon": 4}
    assert lro.fixture({**cfg, "batch": 3})["x"].shape == (3, 4, 2)
    assert np.array_equal(lro.fixture(cfg, batch=3)["x"], lro.fixture({**cfg, "batch": 3})["x"])
    for bad in (0, -1, 1.5, "2"):
        with pytest.raises(lro.CaseError, match=r"batch.*integer >= 1"):
            lro.fixture({**cfg, "batch": bad})
    with pytest.raises(lro.OptionError, match="one sequence"):
        lro.fixture("marschall2020", batch=2)
    p = tmp_path / "f.npz"
    lro.fixture("linear").write(p)
    with pytest.raises(lro.OptionError, match="fixture file"):
        lro.fixture(p, batch=2)
    assert "working-size" in lro.cases()
