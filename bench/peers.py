#!/usr/bin/python3
"""The peers a user would reach for instead of heavytail, written the way a careful user would write them, timed on the
same problem shapes. One JSON line per measurement on stdout. Nothing here runs in the test suite.

  peers.py step --m 7,9 --dtypes float32,float64 [--impls numpy_manual,torch_manual,torch_autograd] [--steps N]
      one full-batch gradient-descent step of softmax regression on HT-Random(m): n = m·2^m samples, d = (m+1)·2^m
      uniform U[0,1) features, c = 2^m − 1 classes with 2^(m−j) samples per class in group j. Prints the median step
      time of N timed steps after 2 warm-ups: {"m", "dtype", "impl", "median_s", "steps", "threads"}.
  peers.py grid --m 7 --runs 8 --steps 100 [--dtypes ...] [--impls numpy_manual,torch_manual]
      R GD runs with step sizes 10^(−6 + 7k/(R−1)), one after another (the usual way to run a step-size grid):
      {"m", "dtype", "impl", "runs", "steps", "total_s", "final_losses"}.
  peers.py ode --c 1000 [--methods RK45] [--t-end 1e4] [--rtol 1e-8] [--atol 1e-10]
      SciPy's solve_ivp on gradient flow of the one-hot theory model (π_k ∝ 1/(k+1), W(0) = 0), state c×c:
      {"c", "method", "nfev", "wall_s", "loss", "abs_err_vs_exact"}; the exact loss is Σ_k π_k log1p(1/ω(x_k)),
      x_k = (1 + π_k c t)/(c − 1) − log(c − 1), ω the Wright omega function (see src/Analytic/Theory/OneHotTheory.cs).

Run by `./heavytail bench` and bench/ode_vs_scipy.sh with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from the
environment, so OpenBLAS picks its best kernels for this CPU; PyTorch uses every core (torch.set_num_threads).
Install the packages with bench/setup.sh (Debian's python3-numpy, python3-scipy, python3-torch on OpenBLAS).
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np


def ht_random(m, dtype, seed=0):
    """X (n×d, U[0,1)), labels (class k of group j has 2^(m−j) samples), in the order of heavytail's generator."""
    n, d, c = m << m, (m + 1) << m, (1 << m) - 1
    rng = np.random.default_rng(seed)
    x = rng.random((n, d), dtype=np.float64).astype(dtype, copy=False)
    y = np.repeat(np.arange(c), [1 << (m - j) for j in range(m) for _ in range(1 << j)])
    return x, y.astype(np.int64), n, d, c


def numpy_step(x, y, w, lr, rows):
    """One GD step in place; returns the loss at W before the step (max subtracted, as every careful implementation)."""
    z = x @ w
    z -= z.max(axis=1, keepdims=True)
    zy = z[rows, y]
    np.exp(z, out=z)
    s = z.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(s[:, 0]) - zy))
    z /= s
    z[rows, y] -= 1.0
    w -= (lr / x.shape[0]) * (x.T @ z)
    return loss


def make_torch(threads):
    import torch
    torch.set_num_threads(threads)
    return torch


def torch_manual_step(torch, x, y, w, lr, rows):
    z = x @ w
    z -= z.max(dim=1, keepdim=True).values
    p = torch.softmax(z, dim=1)
    loss = float(torch.mean(torch.logsumexp(z, dim=1) - z[rows, y]))
    p[rows, y] -= 1.0
    w -= (lr / x.shape[0]) * (x.T @ p)
    return loss


def torch_autograd_step(torch, x, y, w, lr):
    w.requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(x @ w, y)
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
    w.grad = None
    return float(loss)


def steppers(impl, m, dtype, threads):
    """The data of HT-Random(m) made once, and a factory of fresh runs from W = 0: each call returns step(lr) → loss."""
    x, y, n, d, c = ht_random(m, dtype)
    rows = np.arange(n)
    if impl == "numpy_manual":
        def run():
            w = np.zeros((d, c), dtype=dtype)
            return lambda lr: numpy_step(x, y, w, lr, rows)
        return run
    torch = make_torch(threads)
    tx, ty, tr = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(rows)
    if impl not in ("torch_manual", "torch_autograd"):
        raise SystemExit(f"unknown impl {impl}")

    def run():
        w = torch.zeros((d, c), dtype=tx.dtype)
        if impl == "torch_manual":
            return lambda lr: torch_manual_step(torch, tx, ty, w, lr, tr)
        return lambda lr: torch_autograd_step(torch, tx, ty, w, lr)
    return run


def cmd_step(a):
    threads = os.cpu_count() or 1
    for m in [int(v) for v in a.m.split(",")]:
        for dtype in a.dtypes.split(","):
            for impl in a.impls.split(","):
                step = steppers(impl, m, dtype, threads)()
                for _ in range(2):
                    step(0.1)
                times = []
                for _ in range(a.steps):
                    t0 = time.perf_counter()
                    step(0.1)
                    times.append(time.perf_counter() - t0)
                print(json.dumps({"m": m, "dtype": dtype, "impl": impl, "median_s": statistics.median(times),
                                  "steps": a.steps, "threads": threads}), flush=True)


def cmd_grid(a):
    threads = os.cpu_count() or 1
    lrs = [10.0 ** (-6 + 7 * k / max(1, a.runs - 1)) for k in range(a.runs)]
    for m in [int(v) for v in a.m.split(",")]:
        for dtype in a.dtypes.split(","):
            for impl in a.impls.split(","):
                new_run = steppers(impl, m, dtype, threads)   # data made once, outside the timing, as heavytail's grid
                finals = []
                t0 = time.perf_counter()
                for lr in lrs:
                    step = new_run()
                    loss = float("nan")
                    for _ in range(a.steps):
                        loss = step(lr)
                    finals.append(loss)
                total = time.perf_counter() - t0
                print(json.dumps({"m": m, "dtype": dtype, "impl": impl, "runs": a.runs, "steps": a.steps,
                                  "total_s": total, "final_losses": finals}), flush=True)


def cmd_ode(a):
    from scipy.integrate import solve_ivp
    from scipy.special import wrightomega
    for c in [int(v) for v in a.c.split(",")]:
        pi = 1.0 / np.arange(1, c + 1)
        pi /= pi.sum()

        def field(_t, flat):
            # one-hot inputs: Z = W, ∇L = diag(π)(P − I), dW/dt = −∇L
            z = flat.reshape(c, c)
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(c), np.arange(c)] -= 1.0
            return (-(pi[:, None] * p)).ravel()

        x = (1 + pi * c * a.t_end) / (c - 1) - np.log(c - 1)
        exact = float(np.sum(pi * np.log1p(1 / np.real(wrightomega(x)))))
        for method in a.methods.split(","):
            t0 = time.perf_counter()
            sol = solve_ivp(field, (0.0, a.t_end), np.zeros(c * c), method=method, rtol=a.rtol, atol=a.atol, t_eval=[a.t_end])
            wall = time.perf_counter() - t0
            z = sol.y[:, -1].reshape(c, c)
            zmax = z.max(axis=1)
            lse = zmax + np.log(np.exp(z - zmax[:, None]).sum(axis=1))
            loss = float(np.sum(pi * (lse - np.diag(z))))
            print(json.dumps({"c": c, "method": method, "nfev": int(sol.nfev), "wall_s": wall, "loss": loss,
                              "abs_err_vs_exact": abs(loss - exact), "status": int(sol.status)}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("step")
    s.add_argument("--m", default="7,9")
    s.add_argument("--dtypes", default="float32,float64")
    s.add_argument("--impls", default="numpy_manual,torch_manual,torch_autograd")
    s.add_argument("--steps", type=int, default=7)
    g = sub.add_parser("grid")
    g.add_argument("--m", default="7")
    g.add_argument("--dtypes", default="float32,float64")
    g.add_argument("--impls", default="torch_manual,numpy_manual")
    g.add_argument("--runs", type=int, default=8)
    g.add_argument("--steps", type=int, default=100)
    o = sub.add_parser("ode")
    o.add_argument("--c", default="1000")
    o.add_argument("--methods", default="RK45")
    o.add_argument("--t-end", type=float, default=1e4)
    o.add_argument("--rtol", type=float, default=1e-8)
    o.add_argument("--atol", type=float, default=1e-10)
    a = p.parse_args()
    {"step": cmd_step, "grid": cmd_grid, "ode": cmd_ode}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
