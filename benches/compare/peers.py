"""NumPy and JAX versions of lro's computations, written the way a user would, checked against
the outputs that lro wrote and timed interleaved with lro (see ./run).

Usage: python3 peers.py --repeats R [--round SECONDS] -- LRO_COMMAND...

LRO_COMMAND starts lro's side (benches/compare/lro.rs): it writes the cases and lro's results to
the JSON file named on its command line, prints `ready N`, and then answers timing requests on
stdin. For every case and every round r = 1..R, lro, NumPy and JAX (and, for the expected update,
the dgemm reference) each time one loop of about SECONDS, one right after the other, in an order
that rotates with r; each one's time is its minimum over the R rounds, so a load swing hits every
side of a ratio alike.

Each case in CASES.json carries its inputs (student A, W, B; teacher A*, W*, B*; feedback R and
surrogate w_hat; inputs x_0..x_{T-1} and targets y*_1..y*_T), lro's result and lro's best time.
Every computation here uses the final-step loss L_T = 1/2 |y_T - y*_T|^2 of a linear RNN
(leak 1, identity activation), h_0 = 0, u_t = W h_{t-1} + B x_{t-1}, h_t = u_t, y_t = A h_t.
"""

import json
import os
import subprocess
import sys
import time

import numpy as np

try:
    import threadpoolctl
except ImportError:  # pragma: no cover - reported in the table header
    threadpoolctl = None


# ---------------------------------------------------------------- NumPy, as a user writes it


def np_expected_bptt(A, W, B, At, Wt, Bt, T):
    """Expected BPTT update over white input: lag errors G_k, covariances S_m, sums over lags."""
    wb, g = [], []
    cur, cur_t = B, Bt
    for _ in range(T):
        g.append(A @ cur - At @ cur_t)
        wb.append(cur)
        cur, cur_t = W @ cur, Wt @ cur_t
    dA = sum(gk @ wbk.T for gk, wbk in zip(g, wb))
    S = [None] * T
    S[T - 1] = np.zeros((A.shape[0], W.shape[0]))
    for m in range(T - 2, -1, -1):
        S[m] = g[m + 1] @ B.T + S[m + 1] @ W.T
    dW = np.zeros_like(W)
    dB = np.zeros_like(B)
    F = A
    for m in range(T):
        dB += F.T @ g[m]
        dW += F.T @ S[m]
        F = F @ W
    return dA, dW, dB


def np_forward(A, W, B, xs):
    n = W.shape[0]
    hs = [np.zeros(n)]
    for x in xs:
        hs.append(W @ hs[-1] + B @ x)
    return hs


def np_online_bptt(A, W, B, xs, ys):
    hs = np_forward(A, W, B, xs)
    T = len(xs)
    e = A @ hs[T] - ys[T - 1]
    dA = np.outer(e, hs[T])
    dW, dB = np.zeros_like(W), np.zeros_like(B)
    dh = A.T @ e
    for t in range(T, 0, -1):
        dW += np.outer(dh, hs[t - 1])
        dB += np.outer(dh, xs[t - 1])
        dh = W.T @ dh
    return dA, dW, dB


def np_online_rflo(A, W, B, R, w_hat, xs, ys):
    """Murray's RFLO: an n x n eligibility trace per weight matrix, decayed by w_hat."""
    n, d = B.shape
    eh, ex = np.zeros((n, n)), np.zeros((n, d))
    h = np.zeros(n)
    T = len(xs)
    for t in range(1, T + 1):
        x = xs[t - 1]
        eh = w_hat * eh + np.outer(np.ones(n), h)
        ex = w_hat * ex + np.outer(np.ones(n), x)
        h = W @ h + B @ x
    e = A @ h - ys[T - 1]
    sig = R.T @ e
    return np.outer(e, h), sig[:, None] * eh, sig[:, None] * ex


def np_online_rtrl(A, W, B, xs, ys):
    """RTRL: influence matrices M (n x n^2, n x nd), M <- W M + immediate term."""
    n, d = B.shape
    Mw, Mb = np.zeros((n, n * n)), np.zeros((n, n * d))
    h = np.zeros(n)
    idx = np.arange(n)
    for x in xs:
        Mw = W @ Mw
        Mb = W @ Mb
        Mw.reshape(n, n, n)[idx, idx, :] += h
        Mb.reshape(n, n, d)[idx, idx, :] += x
        h = W @ h + B @ x
    e = A @ h - ys[-1]
    sig = A.T @ e
    return np.outer(e, h), (Mw.T @ sig).reshape(n, n), (Mb.T @ sig).reshape(n, d)


# ---------------------------------------------------------------- JAX (optional)


def jax_funcs():
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")

    def expected_loss(params, At, Wt, Bt, T):
        A, W, B = params

        def body(carry, _):
            cur, cur_t = carry
            gk = A @ cur - At @ cur_t
            return (W @ cur, Wt @ cur_t), jnp.sum(gk * gk)

        _, sq = jax.lax.scan(body, (B, Bt), None, length=T)
        return 0.5 * jnp.sum(sq)

    exp_grad = jax.jit(jax.value_and_grad(expected_loss), static_argnums=(4,))

    def sample_loss(params, xs, ys):
        A, W, B = params

        def body(h, x):
            return W @ h + B @ x, None

        h, _ = jax.lax.scan(body, jnp.zeros(W.shape[0]), xs)
        e = A @ h - ys[-1]
        return 0.5 * e @ e

    bptt_grad = jax.jit(jax.value_and_grad(sample_loss))

    def rflo(A, W, B, R, w_hat, xs, ys):
        n, d = B.shape

        def body(c, x):
            h, eh, ex = c
            eh = w_hat * eh + jnp.outer(jnp.ones(n), h)
            ex = w_hat * ex + jnp.outer(jnp.ones(n), x)
            return (W @ h + B @ x, eh, ex), None

        (h, eh, ex), _ = jax.lax.scan(
            body, (jnp.zeros(n), jnp.zeros((n, n)), jnp.zeros((n, d))), xs
        )
        e = A @ h - ys[-1]
        sig = R.T @ e
        return jnp.outer(e, h), sig[:, None] * eh, sig[:, None] * ex

    rflo_j = jax.jit(rflo)

    def block(out):
        return jax.tree_util.tree_map(lambda a: np.asarray(a.block_until_ready()), out)

    return {
        "expected_bptt": lambda c: block(
            exp_grad((c["A"], c["W"], c["B"]), c["At"], c["Wt"], c["Bt"], c["T"])[1]
        ),
        "online_bptt": lambda c: block(bptt_grad((c["A"], c["W"], c["B"]), c["xs"], c["ys"])[1]),
        "online_rflo": lambda c: block(
            rflo_j(c["A"], c["W"], c["B"], c["R"], c["w_hat"], c["xs"], c["ys"])
        ),
        "version": jax.__version__,
    }


# ---------------------------------------------------------------- driver


def np_call(kind, c):
    if kind == "expected_bptt":
        return np_expected_bptt(c["A"], c["W"], c["B"], c["At"], c["Wt"], c["Bt"], c["T"])
    if kind == "online_bptt":
        return np_online_bptt(c["A"], c["W"], c["B"], c["xs"], c["ys"])
    if kind == "online_rflo":
        return np_online_rflo(c["A"], c["W"], c["B"], c["R"], c["w_hat"], c["xs"], c["ys"])
    if kind == "online_rtrl":
        return np_online_rtrl(c["A"], c["W"], c["B"], c["xs"], c["ys"])
    raise ValueError(kind)


def round_time(f, budget):
    """Mean seconds per call of one timed loop of about `budget` seconds (after one warm call)."""
    t0 = time.perf_counter()
    f()
    once = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(budget / once))
    t0 = time.perf_counter()
    for _ in range(inner):
        f()
    return (time.perf_counter() - t0) / inner


class Lro:
    """lro's side: a child process that times its cases on request."""

    def __init__(self, cmd):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready"):
            raise SystemExit(f"lro did not start: {line!r}")

    def ask(self, request):
        self.proc.stdin.write(request + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        try:
            return float(answer)
        except ValueError:
            raise SystemExit(f"lro answered {answer!r} to {request!r}")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def interleaved(sides, repeats):
    """Minimum over `repeats` rounds of each side's time; the order rotates every round."""
    names = list(sides)
    best = {k: float("inf") for k in names}
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            best[name] = min(best[name], sides[name]())
    return best


def rel_diff(got, want):
    worst = 0.0
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        scale = max(np.abs(g).max(), np.abs(w).max(), 1e-300)
        worst = max(worst, float(np.abs(g - w).max() / scale))
    return worst


def fmt_t(s):
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def main():
    args = sys.argv[1:]
    cmd = args[args.index("--") + 1 :]
    args = args[: args.index("--")]
    repeats = int(args[args.index("--repeats") + 1]) if "--repeats" in args else 7
    budget = float(args[args.index("--round") + 1]) if "--round" in args else 0.2
    path = next(a for a in cmd if a.endswith(".json"))
    load_start = os.getloadavg()
    lro = Lro(cmd)
    data = json.load(open(path))
    info = threadpoolctl.threadpool_info() if threadpoolctl else []
    blas = ", ".join(
        f"{i.get('internal_api')} {i.get('version')} kernel {i.get('architecture')} "
        f"{i.get('num_threads')} threads"
        for i in info
        if i.get("user_api") == "blas"
    )
    jx = jax_funcs()
    print(f"numpy {np.__version__} ({blas or 'BLAS unknown'}); "
          f"jax {jx['version'] if jx else 'not installed: column skipped'}")
    print(f"{repeats} interleaved rounds of about {budget} s per side and case; "
          f"times are each side's minimum over the rounds")
    # The machine's matrix-multiply rate: NumPy/OpenBLAS dgemm at 256^3 (2 threads), timed in
    # the rounds of every expected-update case; lro's own kernel likewise, for reference.
    a = np.random.default_rng(0).standard_normal((256, 256))
    print()
    print("| computation | n | lro | NumPy | JAX jit | NumPy/lro | JAX/lro | agreement |")
    print("|---|---|---|---|---|---|---|---|")
    worst_all = 0.0
    t_mm = float("inf")
    kernel = 0.0
    for i, c in enumerate(data["cases"]):
        kind = c["kind"]
        for k in ("A", "W", "B", "At", "Wt", "Bt", "R"):
            c[k] = np.array(c[k], dtype=float)
        c["xs"] = np.array(c["xs"], dtype=float).reshape(c["T"], -1)
        c["ys"] = np.array(c["ys"], dtype=float).reshape(c["T"], -1)
        want = [np.array(c["out"][k], dtype=float) for k in ("a", "w", "b")]
        got = np_call(kind, c)
        agree = rel_diff(got, want)
        sides = {
            "lro": lambda i=i: lro.ask(f"time {i} {budget}"),
            "numpy": lambda c=c, kind=kind: round_time(lambda: np_call(kind, c), budget),
        }
        if jx and kind in jx:
            gj = jx[kind](c)
            agree = max(agree, rel_diff(gj, want))
            sides["jax"] = lambda c=c, kind=kind: round_time(lambda: jx[kind](c), budget)
        if kind == "expected_bptt":
            sides["dgemm"] = lambda: round_time(lambda: a @ a, budget)
            sides["kernel"] = lambda: 1.0 / lro.ask(f"kernel {budget}")
        best = interleaved(sides, repeats)
        worst_all = max(worst_all, agree)
        t_lro, t_np, t_jx = best["lro"], best["numpy"], best.get("jax")
        extra = ""
        if kind == "expected_bptt":
            t_mm = min(t_mm, best["dgemm"])
            kernel = max(kernel, 1.0 / best["kernel"])
        if kind == "expected_bptt" and c["n"] >= 256:
            # The rate target applies at n = 256 (at small n the closed form is not matmul-bound).
            rate = 2 * 256**3 / best["dgemm"]
            extra = f" ({c['flops'] / t_lro / rate * 100:.0f} % of dgemm rate)"
        print(
            f"| {c['label']} | {c['n']} | {fmt_t(t_lro)}{extra} | {fmt_t(t_np)} | {fmt_t(t_jx)} | "
            f"{t_np / t_lro:.1f}x | {f'{t_jx / t_lro:.1f}x' if t_jx else '-'} | {agree:.1e} |",
            flush=True,
        )
    lro.close()
    load_end = os.getloadavg()
    print()
    if t_mm < float("inf"):
        print(f"machine matmul rate (OpenBLAS dgemm 256^3, best over the expected-update rounds): "
              f"{2 * 256**3 / t_mm / 1e9:.1f} GFLOP/s; lro's own kernel: {kernel:.1f} GFLOP/s")
    print("load average (1, 5, 15 min) at start: " + ", ".join(f"{x:.2f}" for x in load_start)
          + "; at end: " + ", ".join(f"{x:.2f}" for x in load_end))
    print(f"largest relative difference from lro over all cases: {worst_all:.1e}")
    if not worst_all < 1e-9:
        print("DISAGREEMENT: a peer's result differs from lro's")
        sys.exit(1)


if __name__ == "__main__":
    main()
