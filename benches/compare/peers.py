"""NumPy and JAX versions of lro's computations, written the way a user would, timed on the inputs
and checked against the outputs that lro wrote (see ./run).

Usage: python3 peers.py CASES.json [--repeats R]

Each case in CASES.json carries its inputs (student A, W, B; teacher A*, W*, B*; feedback R and
surrogate w_hat; inputs x_0..x_{T-1} and targets y*_1..y*_T), lro's result and lro's best time.
Every computation here uses the final-step loss L_T = 1/2 |y_T - y*_T|^2 of a linear RNN
(leak 1, identity activation), h_0 = 0, u_t = W h_{t-1} + B x_{t-1}, h_t = u_t, y_t = A h_t.
"""

import json
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


def best_time(f, repeats, budget=1.0):
    """Minimum over `repeats` rounds of the mean time of a loop sized to ~budget/repeats seconds."""
    t0 = time.perf_counter()
    f()
    once = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(budget / repeats / once))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            f()
        best = min(best, (time.perf_counter() - t0) / inner)
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
    path = sys.argv[1]
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 5
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
    # The machine's matrix-multiply rate: NumPy/OpenBLAS at 256^3, 2 threads, same run.
    a = np.random.default_rng(0).standard_normal((256, 256))
    t_mm = best_time(lambda: a @ a, repeats)
    rate = 2 * 256**3 / t_mm
    print(f"machine matmul rate (OpenBLAS dgemm 256^3): {rate / 1e9:.1f} GFLOP/s")
    print()
    print("| computation | n | lro | NumPy | JAX jit | NumPy/lro | JAX/lro | agreement |")
    print("|---|---|---|---|---|---|---|---|")
    worst_all = 0.0
    for c in data["cases"]:
        kind = c["kind"]
        for k in ("A", "W", "B", "At", "Wt", "Bt", "R"):
            c[k] = np.array(c[k], dtype=float)
        c["xs"] = np.array(c["xs"], dtype=float).reshape(c["T"], -1)
        c["ys"] = np.array(c["ys"], dtype=float).reshape(c["T"], -1)
        want = [np.array(c["out"][k], dtype=float) for k in ("a", "w", "b")]
        got = np_call(kind, c)
        agree = rel_diff(got, want)
        t_np = best_time(lambda: np_call(kind, c), repeats)
        t_jx = None
        if jx and kind in jx:
            gj = jx[kind](c)
            agree = max(agree, rel_diff(gj, want))
            t_jx = best_time(lambda: jx[kind](c), repeats)
        worst_all = max(worst_all, agree)
        t_lro = c["seconds"]
        extra = ""
        if kind == "expected_bptt":
            extra = f" ({c['flops'] / t_lro / rate * 100:.0f} % of matmul rate)"
        print(
            f"| {c['label']} | {c['n']} | {fmt_t(t_lro)}{extra} | {fmt_t(t_np)} | {fmt_t(t_jx)} | "
            f"{t_np / t_lro:.1f}x | {f'{t_jx / t_lro:.1f}x' if t_jx else '-'} | {agree:.1e} |"
        )
    print()
    print(f"largest relative difference from lro over all cases: {worst_all:.1e}")
    if not worst_all < 1e-9:
        print("DISAGREEMENT: a peer's result differs from lro's")
        sys.exit(1)


if __name__ == "__main__":
    main()
