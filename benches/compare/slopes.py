"""Fits log-log slopes of time per step against n from `cargo bench --bench scaling`'s criterion
estimates and prints them next to theory.

Usage: python3 benches/compare/slopes.py [TARGET_DIR]

Each rule's slope is fitted by least squares on its largest three sizes (at small n fixed
per-step costs dominate; the theory is asymptotic) and, for comparison, on all sizes.
"""

import json
import math
import os
import sys

# RTRL at T = 10 runs its factored form (O(T n^3) per step); rtrl-long, T = 2 (n + d), half on the
# dense M (O(n^4) per step): docs/theory/linear-rnn.md#rtrl-factored.
THEORY = {"bptt": 2, "tbptt:1": 2, "rflo": 2, "eprop-random": 2, "rtrl": 3, "rtrl-long": 4}
STEPS = 10  # T in benches/scaling.rs
D = 4  # d in benches/scaling.rs


def steps(rule, n):
    """Steps per sample: T, or long_horizon(n) in benches/scaling.rs for rtrl-long."""
    return 2 * (n + D) if rule == "rtrl-long" else STEPS


def fit(points):
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else "target"
    root = os.path.join(target, "criterion", "scaling")
    if not os.path.isdir(root):
        sys.exit(f"no criterion results under {root}: run `cargo bench --bench scaling` first")
    print("| rule | n: time per step | slope (largest 3 n) | slope (all n) | theory |")
    print("|---|---|---|---|---|")
    for rule, theory in THEORY.items():
        d = os.path.join(root, rule.replace(":", "_"))
        if not os.path.isdir(d):
            continue
        pts = []
        for n in sorted(os.listdir(d), key=lambda s: int(s) if s.isdigit() else -1):
            est = os.path.join(d, n, "new", "estimates.json")
            if n.isdigit() and os.path.exists(est):
                mean = json.load(open(est))["median"]["point_estimate"] * 1e-9 / steps(rule, int(n))
                pts.append((int(n), mean))
        if len(pts) < 3:
            continue
        times = ", ".join(
            f"{n}: {t * 1e6:.2f} us" if t < 1e-3 else f"{n}: {t * 1e3:.2f} ms" for n, t in pts
        )
        print(f"| {rule} | {times} | {fit(pts[-3:]):.2f} | {fit(pts):.2f} | {theory} |")


if __name__ == "__main__":
    main()
