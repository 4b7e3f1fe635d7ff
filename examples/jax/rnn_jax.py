"""RFLO, RTRL and BPTT (via ``jax.grad``) in JAX for lro's linear and leaky-tanh cases, checked
against lro's reference with the ``lro`` Python package.

Run it::

    python examples/jax/rnn_jax.py --case leaky-tanh                 # prints the verdict table
    python examples/jax/rnn_jax.py --case leaky-tanh --bug rtrl_no_leak

The network and rules follow the conventions every lro fixture states (``fixture.conventions``;
see docs/theory/linear-rnn.md): h_0 = 0; for t = 1..T, u_t = W h_{t-1} + B x_{t-1},
h_t = (1 - alpha) h_{t-1} + alpha phi(u_t), y_t = A h_t, err_t = y_t - y*_t; the final loss is
1/2 |err_T|^2 and the sequence loss 1/(2T) sum_t |err_t|^2; updates carry the gradient's sign and
``<rule>.seq.dX_steps[t-1]`` is the part of the sequence update due to the loss term at step t.

Each ``--bug`` is a realistic slip; the comment beside it says at which step it must first show
(``test_rnn_jax.py`` checks that lro reports exactly that step):
"""

from __future__ import annotations

import argparse
import sys
from typing import Dict, Iterable

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

BUGS = {
    # The next input enters each step: u_t = W h_{t-1} + B x_t. Shows at step 1 (u_1).
    "input_offset": "u_t uses x_t instead of x_{t-1}",
    # The recurrence uses W^T. h_0 = 0 hides it at step 1: first step 2 (forward pass).
    "transpose_w": "recurrence with W^T",
    # jax.lax.stop_gradient on h_{t-1}: BPTT silently becomes one-step truncated BPTT. The loss at
    # step 1 is unaffected; at step 2 the lost path u_1 <- B x_0 changes dB: first step 2 (bptt).
    "bptt_stop_gradient": "stop_gradient on the carried state in BPTT",
    # The RFLO update at step t reads the trace before it is updated (e_{t-1}): step 1 (rflo).
    "rflo_stale_trace": "RFLO reads e_{t-1} at step t",
    # The RTRL influence recursion forgets the leak term (1 - alpha) M_{t-1}. M_1 is unaffected
    # (M_0 = 0): first step 2 (rtrl) when alpha < 1; invisible when alpha = 1 (linear case).
    "rtrl_no_leak": "RTRL influence recursion without the leak term",
    # tanh' taken at the state h_t instead of at u_t (1 - h_t^2). With leak, h_t != tanh(u_t)
    # from step 1 (rflo); with the identity activation phi' = 1 and nothing changes.
    "tanh_prime_of_state": "RFLO's phi' evaluated at h_t instead of u_t",
    # The sequence loss averaged over outputs too (jnp.mean over (T, o)): every per-step update
    # is scaled by 1/o, from step 1 (bptt, the first rule in report order).
    "mean_over_outputs": "sequence loss divided by T*o instead of T",
}

RULES = ("bptt", "rtrl", "rflo")


def _phi(act: str, u):
    return jnp.tanh(u) if act == "tanh" else u


def _dphi(act: str, u):
    return 1.0 - jnp.tanh(u) ** 2 if act == "tanh" else jnp.ones_like(u)


def forward(params: Dict[str, jnp.ndarray], x, alpha, act: str, bugs=frozenset()):
    """u_1..u_T and h_0..h_T."""
    A, W, B = params["A"], params["W"], params["B"]
    Wf = W.T if "transpose_w" in bugs else W
    T = x.shape[0]
    h = jnp.zeros(W.shape[0], dtype=W.dtype)
    hs, us = [h], []
    for t in range(1, T + 1):
        x_in = x[min(t, T - 1)] if "input_offset" in bugs else x[t - 1]
        h_prev = jax.lax.stop_gradient(h) if "bptt_stop_gradient" in bugs else h
        u = Wf @ h_prev + B @ x_in
        h = (1 - alpha) * h + alpha * _phi(act, u)
        us.append(u)
        hs.append(h)
    return jnp.stack(us), jnp.stack(hs)


def implementation(fx, act: str, rules: Iterable[str] = RULES, bugs: Iterable[str] = (), dtype=jnp.float64):
    """The candidate's tensors for fixture ``fx`` (a mapping of the given tensors)."""
    bugs = frozenset(bugs)
    unknown = bugs - set(BUGS)
    if unknown:
        raise ValueError(f"unknown bugs: {sorted(unknown)}; known: {sorted(BUGS)}")
    params = {k: jnp.asarray(fx[k], dtype=dtype) for k in ("A", "W", "B")}
    R = jnp.asarray(fx["R"], dtype=dtype)
    alpha = jnp.asarray(fx["alpha"], dtype=dtype)
    w_hat = jnp.asarray(fx["w_hat"], dtype=dtype)
    x = jnp.asarray(fx["x"], dtype=dtype)
    ys = jnp.asarray(fx["y_star"], dtype=dtype)
    T, o = ys.shape
    n = params["W"].shape[0]
    norm = T * o if "mean_over_outputs" in bugs else T

    def outputs(p):
        us, hs = forward(p, x, alpha, act, bugs)
        return us, hs, hs[1:] @ p["A"].T - ys

    us, hs, err = outputs(params)
    out = {
        "u": us,
        "h": hs,
        "y": hs[1:] @ params["A"].T,
        "err": err,
        "loss_final": 0.5 * err[-1] @ err[-1],
        "loss_seq": 0.5 * jnp.sum(err * err) / norm,
    }
    gain = alpha * _dphi(act, us)  # alpha phi'(u_t), rows t = 1..T

    def emit(rule, per_step):
        """per_step: dict name -> (T, ...) gradients of 1/2 |err_t|^2 for each t."""
        for name in ("dA", "dW", "dB"):
            steps = per_step[name] / norm
            out[f"{rule}.seq.{name}_steps"] = steps
            out[f"{rule}.seq.{name}"] = steps.sum(axis=0)
            out[f"{rule}.final.{name}"] = per_step[name][-1]

    for rule in rules:
        if rule == "bptt":
            # One reverse-mode gradient per loss term: the Jacobian of the vector of per-step
            # losses 1/2 |err_t|^2 with respect to the parameters.
            def step_losses(p):
                return 0.5 * jnp.sum(outputs(p)[2] ** 2, axis=1)

            jac = jax.jacrev(step_losses)(params)
            emit("bptt", {"d" + k: v for k, v in jac.items()})
        elif rule == "rtrl":
            d = params["B"].shape[1]
            Wf = params["W"].T if "transpose_w" in bugs else params["W"]
            eye = jnp.eye(n, dtype=dtype)
            MW = jnp.zeros((n, n, n), dtype=dtype)  # dh_t[i] / dW[k, l]
            MB = jnp.zeros((n, n, d), dtype=dtype)
            leak = 0.0 if "rtrl_no_leak" in bugs else (1 - alpha)
            dW, dB = [], []
            for t in range(1, T + 1):
                x_in = x[min(t, T - 1)] if "input_offset" in bugs else x[t - 1]
                g = gain[t - 1][:, None, None]
                MW = leak * MW + g * (jnp.einsum("ij,jkl->ikl", Wf, MW) + eye[:, :, None] * hs[t - 1][None, None, :])
                MB = leak * MB + g * (jnp.einsum("ij,jkl->ikl", Wf, MB) + eye[:, :, None] * x_in[None, None, :])
                c = params["A"].T @ err[t - 1]
                dW.append(jnp.einsum("i,ikl->kl", c, MW))
                dB.append(jnp.einsum("i,ikl->kl", c, MB))
            dA = jnp.einsum("ti,tj->tij", err, hs[1:])
            emit("rtrl", {"dA": dA, "dW": jnp.stack(dW), "dB": jnp.stack(dB)})
        elif rule == "rflo":
            eh = jnp.zeros((n, n), dtype=dtype)
            ex = jnp.zeros_like(params["B"])
            th, tx, dW, dB = [], [], [], []
            for t in range(1, T + 1):
                x_in = x[min(t, T - 1)] if "input_offset" in bugs else x[t - 1]
                if "tanh_prime_of_state" in bugs and act == "tanh":
                    g = (alpha * (1.0 - hs[t] ** 2))[:, None]
                else:
                    g = gain[t - 1][:, None]
                e_read = (eh, ex) if "rflo_stale_trace" in bugs else None
                eh = w_hat * eh + g * hs[t - 1][None, :]
                ex = w_hat * ex + g * x_in[None, :]
                th.append(eh)
                tx.append(ex)
                rh, rx = e_read if e_read is not None else (eh, ex)
                fb = (R.T @ err[t - 1])[:, None]
                dW.append(fb * rh)
                dB.append(fb * rx)
            out["rflo.trace_h"] = jnp.stack(th)
            out["rflo.trace_x"] = jnp.stack(tx)
            dA = jnp.einsum("ti,tj->tij", err, hs[1:])
            emit("rflo", {"dA": dA, "dW": jnp.stack(dW), "dB": jnp.stack(dB)})
        else:
            raise ValueError(f"unknown rule {rule!r}; this example has {', '.join(RULES)}")
    return out


ACTIVATION = {"linear": "identity", "leaky-tanh": "tanh"}


def main(argv=None) -> int:
    import lro

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", choices=sorted(ACTIVATION), default="leaky-tanh")
    ap.add_argument("--bug", choices=sorted(BUGS), action="append", default=[], help="inject a bug (repeatable)")
    ap.add_argument("--rules", default=",".join(RULES), help="comma-separated subset of " + ",".join(RULES))
    args = ap.parse_args(argv)
    fx = lro.fixture(args.case)
    cand = implementation(fx, ACTIVATION[args.case], rules=args.rules.split(","), bugs=args.bug)
    verdict = lro.check(fx, cand)
    print(verdict)
    if verdict.first_divergence is not None:
        print("first divergence:", verdict.first_divergence)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
