"""An independent NumPy implementation of the leaky RNN of lro's own convention, with BPTT, RTRL
and RFLO, written from the conventions manifest (not from lro's code), with switchable bugs.

Conventions (the fixture's ``conventions`` say the same in words): h_0 = 0; for t = 1..T,
u_t = W h_{t-1} + B x_{t-1}, h_t = (1 - alpha) h_{t-1} + alpha phi(u_t), y_t = A h_t,
err_t = y_t - y*_t; final loss 1/2 |err_T|^2, sequence loss 1/(2T) sum_t |err_t|^2; updates
carry the gradient's sign; ``seq.dX_steps[t-1]`` is the part due to the loss term at step t.

Bugs (each a realistic slip; the tests predict the first step at which each one shows):

- ``transpose_w``: the recurrence uses W^T (h_0 = 0, so step 1 is unaffected; first step 2).
- ``bptt_truncate_2``: BPTT backpropagates each loss through 2 steps only (the dropped term of
  the loss at step 3 is delta u_1 x_0^T in dB: first step 3).
- ``rflo_input_lag``: the RFLO input trace uses x_{t-2} instead of x_{t-1} (first step 1).
- ``rflo_no_decay``: the RFLO trace forgets its past (e_t ignores w_hat e_{t-1}; e_1 is
  unaffected since e_0 = 0: first step 2).
- ``seq_no_1_over_T``: the sequence loss drops its 1/T (every per-step update, first step 1).
- ``sign``: updates with the sign of the descent step instead of the gradient (first step 1).
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Iterable

import numpy as np

BUGS = (
    "transpose_w",
    "bptt_truncate_2",
    "rflo_input_lag",
    "rflo_no_decay",
    "seq_no_1_over_T",
    "sign",
)


def _phi(kind: str, u: np.ndarray) -> np.ndarray:
    return np.tanh(u) if kind == "tanh" else u


def _dphi(kind: str, u: np.ndarray) -> np.ndarray:
    return 1.0 - np.tanh(u) ** 2 if kind == "tanh" else np.ones_like(u)


def run(
    fx,
    activation: str,
    rules: Iterable[str] = ("bptt", "rtrl", "rflo"),
    bugs: FrozenSet[str] | Iterable[str] = (),
    dtype=np.float64,
) -> Dict[str, np.ndarray]:
    """Forward pass and the requested rules on fixture ``fx``'s parameters and data."""
    bugs = frozenset(bugs)
    unknown = bugs - set(BUGS)
    assert not unknown, f"unknown bugs {unknown}"
    A, W, B, R = (np.asarray(fx[k], dtype=dtype) for k in ("A", "W", "B", "R"))
    alpha = dtype(fx["alpha"])
    w_hat = dtype(fx["w_hat"])
    x = np.asarray(fx["x"], dtype=dtype)
    ys = np.asarray(fx["y_star"], dtype=dtype)
    T, n = x.shape[0], W.shape[0]
    Wf = W.T if "transpose_w" in bugs else W

    h = np.zeros((T + 1, n), dtype=dtype)
    u = np.zeros((T, n), dtype=dtype)
    for t in range(1, T + 1):
        u[t - 1] = Wf @ h[t - 1] + B @ x[t - 1]
        h[t] = (1 - alpha) * h[t - 1] + alpha * _phi(activation, u[t - 1])
    y = h[1:] @ A.T
    err = y - ys
    out = {
        "u": u,
        "h": h,
        "y": y,
        "err": err,
        "loss_final": np.asarray(0.5 * err[-1] @ err[-1]),
        "loss_seq": np.asarray(0.5 * np.sum(err * err) / T),
    }
    c_seq = dtype(1.0) if "seq_no_1_over_T" in bugs else dtype(1.0) / T
    sgn = dtype(-1.0) if "sign" in bugs else dtype(1.0)
    gain = alpha * _dphi(activation, u)  # (T, n): alpha phi'(u_t)

    def bptt_one(t: int):
        """Gradient of 1/2 |err_t|^2."""
        dA = np.outer(err[t - 1], h[t])
        dW = np.zeros_like(W)
        dB = np.zeros_like(B)
        dh = A.T @ err[t - 1]
        lowest = max(1, t - 1) if "bptt_truncate_2" in bugs else 1
        for s in range(t, lowest - 1, -1):
            du = gain[s - 1] * dh
            dW += np.outer(du, h[s - 1])
            dB += np.outer(du, x[s - 1])
            dh = (1 - alpha) * dh + Wf.T @ du
        return dA, dW, dB

    def rtrl_all():
        """Per-step gradients of 1/2 |err_t|^2 by forward-mode influence matrices."""
        d = B.shape[1]
        MW = np.zeros((n, n, n), dtype=dtype)  # dh_t[i] / dW[k, l]
        MB = np.zeros((n, n, d), dtype=dtype)
        res = []
        for t in range(1, T + 1):
            direct_W = np.zeros((n, n, n), dtype=dtype)
            direct_B = np.zeros((n, n, d), dtype=dtype)
            for k in range(n):
                direct_W[k, k, :] = h[t - 1]
                direct_B[k, k, :] = x[t - 1]
            g = gain[t - 1][:, None, None]
            MW = (1 - alpha) * MW + g * (np.einsum("ij,jkl->ikl", Wf, MW) + direct_W)
            MB = (1 - alpha) * MB + g * (np.einsum("ij,jkl->ikl", Wf, MB) + direct_B)
            dh = A.T @ err[t - 1]
            res.append((np.outer(err[t - 1], h[t]), np.einsum("i,ikl->kl", dh, MW), np.einsum("i,ikl->kl", dh, MB)))
        return res

    def rflo_all():
        eh = np.zeros((n, n), dtype=dtype)
        ex = np.zeros((n, B.shape[1]), dtype=dtype)
        res, th, tx = [], [], []
        for t in range(1, T + 1):
            g = gain[t - 1][:, None]
            decay = 0.0 if "rflo_no_decay" in bugs else w_hat
            xin = (x[t - 2] if t >= 2 else np.zeros_like(x[0])) if "rflo_input_lag" in bugs else x[t - 1]
            eh = decay * eh + g * h[t - 1][None, :]
            ex = decay * ex + g * xin[None, :]
            th.append(eh.copy())
            tx.append(ex.copy())
            fb = R.T @ err[t - 1]
            res.append((np.outer(err[t - 1], h[t]), fb[:, None] * eh, fb[:, None] * ex))
        return res, np.stack(th), np.stack(tx)

    for rule in rules:
        if rule == "bptt":
            per_step = [bptt_one(t) for t in range(1, T + 1)]
        elif rule == "rtrl":
            per_step = rtrl_all()
        elif rule == "rflo":
            per_step, th, tx = rflo_all()
            out["rflo.trace_h"] = th
            out["rflo.trace_x"] = tx
        else:
            raise ValueError(rule)
        for k, name in enumerate(("dA", "dW", "dB")):
            steps = sgn * c_seq * np.stack([p[k] for p in per_step])
            out[f"{rule}.seq.{name}_steps"] = steps
            out[f"{rule}.seq.{name}"] = steps.sum(axis=0)
            out[f"{rule}.final.{name}"] = sgn * per_step[-1][k]
    return out
