#!/usr/bin/env python3
"""An independent NumPy implementation of BPTT and RFLO for lro's linear cases.

It reads a fixture exported by `lro export` (parameters, inputs, targets), computes the forward
pass, BPTT and RFLO in the fixture's conventions (the manifest's `lro` convention: h_0 = 0,
h_t = W h_{t-1} + B x_{t-1}, y_t = A h_t, err_t = y_t - y*_t, updates with the sign of the
gradient, final-step and sequence losses, per-step sequence-loss contributions), and writes a
candidate file that `lro check` verifies:

    lro export --case linear --out linear.npz
    python3 examples/python/lro_client.py --fixture linear.npz --out mine.npz
    lro check --case linear --candidate mine.npz

`--bug` injects a deliberate mistake, to see `lro check` reject it and name the first diverging
time step:
  sign            RFLO uses err = y* - y (Murray's sign) in its updates
  trace-late      RFLO's update at step t uses the trace of step t - 1
  bptt-transpose  BPTT propagates the adjoint with W instead of W^T

Only the linear network (alpha = 1, identity activation) is implemented.
"""
import argparse
import json
import sys

import numpy as np

SCHEMA_VERSION = 2
BUGS = ("none", "sign", "trace-late", "bptt-transpose")


def load_fixture(path):
    """Returns (case name, dict of arrays) from an lro fixture (.npz or .json)."""
    if path.endswith(".npz"):
        with np.load(path) as f:
            arrays = {k: f[k] for k in f.files}
        case = str(arrays.pop("case"))
        version = int(arrays.pop("schema_version"))
        arrays.pop("meta", None)
    else:
        with open(path) as fh:
            doc = json.load(fh)
        case, version = doc["case"], doc["schema_version"]
        arrays = {
            k: np.array(t["data"], dtype=np.float64).reshape(t["shape"])
            for k, t in doc["tensors"].items()
        }
    if version != SCHEMA_VERSION:
        sys.exit(f"fixture schema_version {version}, this client reads {SCHEMA_VERSION}")
    return case, arrays


def forward(A, W, B, xs):
    """h_0 = 0; h_t = W h_{t-1} + B x_{t-1}; y_t = A h_t. Returns h (T+1 rows), u, y (T rows)."""
    T, n = len(xs), W.shape[0]
    h = np.zeros((T + 1, n))
    u = np.zeros((T, n))
    for t in range(1, T + 1):
        u[t - 1] = W @ h[t - 1] + B @ xs[t - 1]
        h[t] = u[t - 1]
    return h, u, h[1:] @ A.T


def bptt_final(A, W, B, xs, ys, bug):
    """Gradient of 1/2 |y_T - y*_T|^2 on the sequence xs (length T)."""
    h, _, y = forward(A, W, B, xs)
    T = len(xs)
    eps = y[T - 1] - ys[T - 1]
    dA = np.outer(eps, h[T])
    dW, dB = np.zeros_like(W), np.zeros_like(B)
    delta = A.T @ eps
    back = W if bug == "bptt-transpose" else W.T
    for t in range(T, 0, -1):
        dW += np.outer(delta, h[t - 1])
        dB += np.outer(delta, xs[t - 1])
        delta = back @ delta
    return dA, dW, dB


def rflo_all(A, W, B, R, w_hat, xs, ys, bug):
    """RFLO traces and the per-step terms (R^T err_t) e_t^T of every loss step t."""
    h, _, y = forward(A, W, B, xs)
    T, n, d = len(xs), W.shape[0], B.shape[1]
    eh, ex = np.zeros(n), np.zeros(d)
    traces_h, traces_x, terms = [], [], []
    for t in range(1, T + 1):
        prev_h, prev_x = eh.copy(), ex.copy()
        eh = w_hat * eh + h[t - 1]
        ex = w_hat * ex + xs[t - 1]
        use_h, use_x = (prev_h, prev_x) if bug == "trace-late" else (eh, ex)
        traces_h.append(np.tile(use_h, (n, 1)))  # one trace row per postsynaptic neuron
        traces_x.append(np.tile(use_x, (n, 1)))
        err = y[t - 1] - ys[t - 1]
        if bug == "sign":
            err = -err
        sig = R.T @ err
        terms.append((np.outer(err, h[t]), np.outer(sig, use_h), np.outer(sig, use_x)))
    return np.array(traces_h), np.array(traces_x), terms


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--fixture", required=True, help="fixture from `lro export` (.npz or .json)")
    ap.add_argument("--out", required=True, help="candidate file to write (.npz or .json)")
    ap.add_argument("--bug", choices=BUGS, default="none", help="inject a deliberate bug")
    args = ap.parse_args()

    case, f = load_fixture(args.fixture)
    if float(f["alpha"]) != 1.0:
        sys.exit("this client implements the linear RNN only (alpha = 1, identity activation)")
    A, W, B, R = f["A"], f["W"], f["B"], f["R"]
    w_hat = float(f["w_hat"])
    xs, ys = f["x"], f["y_star"]
    T = len(xs)

    h, u, y = forward(A, W, B, xs)
    err = y - ys
    out = {
        "h": h,
        "u": u,
        "y": y,
        "err": err,
        "loss_final": np.array(0.5 * err[-1] @ err[-1]),
        "loss_seq": np.array(0.5 * np.sum(err * err) / T),
    }

    def put(rule, final, steps):
        for name, blk in zip(("dA", "dW", "dB"), final):
            out[f"{rule}.final.{name}"] = blk
        for k, name in enumerate(("dA", "dW", "dB")):
            series = np.array([s[k] for s in steps])
            out[f"{rule}.seq.{name}_steps"] = series
            out[f"{rule}.seq.{name}"] = series.sum(axis=0)

    # BPTT: the loss term at step t contributes (1/T) x the final-step gradient on x_0..x_{t-1}.
    steps = [
        tuple(b / T for b in bptt_final(A, W, B, xs[:t], ys[:t], args.bug)) for t in range(1, T + 1)
    ]
    put("bptt", bptt_final(A, W, B, xs, ys, args.bug), steps)

    traces_h, traces_x, terms = rflo_all(A, W, B, R, w_hat, xs, ys, args.bug)
    out["rflo.trace_h"], out["rflo.trace_x"] = traces_h, traces_x
    put("rflo", terms[-1], [tuple(b / T for b in term) for term in terms])

    if args.out.endswith(".npz"):
        np.savez(args.out, schema_version=np.array(SCHEMA_VERSION), case=np.array(case), **out)
    else:
        doc = {
            "schema_version": SCHEMA_VERSION,
            "case": case,
            "tensors": {
                k: {"shape": list(np.shape(v)), "data": np.ravel(v).tolist()} for k, v in out.items()
            },
        }
        with open(args.out, "w") as fh:
            json.dump(doc, fh)


if __name__ == "__main__":
    main()
