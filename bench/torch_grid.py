#!/usr/bin/python3
"""A step-size grid done the usual way: R full-batch GD runs of softmax regression, one after another, in PyTorch
(and NumPy), on the HT-Random shapes of ../shared/peers/peers_step.py (same data generator, same step function).
Prints one JSON line per (m, dtype, impl): total seconds for R runs x steps, seconds per run-step.

Usage: /usr/bin/python3 bench/torch_grid.py --m 7,9 --runs 8 --steps 100 [--dtypes float64,float32]
Run it the way bench/setup.sh leaves the peers at their best (OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset).
"""
import argparse, json, os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peers"))
sys.path.insert(0, os.environ.get("PEERS_DIR", ""))
import numpy as np
import torch
import peers_step as ps

torch.set_num_threads(2)


def grid(m, dtype, impl, runs, steps, seed=0):
    n, d, c = ps.ht(m)
    rng = np.random.default_rng(seed)
    X = np.empty((n, d), dtype=np.dtype(dtype))
    for i in range(0, n, 2048):
        X[i:i + 2048] = rng.standard_normal((min(2048, n - i), d), dtype=np.float32) / np.sqrt(d)
    y = rng.integers(0, c, size=n)
    lrs = [10.0 ** (-6 + 7 * k / max(1, runs - 1)) for k in range(runs)]
    finals = []
    t0 = time.perf_counter()
    for lr in lrs:
        if impl == "torch_manual":
            tX, ty = torch.from_numpy(X), torch.from_numpy(y)
            W = torch.zeros((d, c), dtype=tX.dtype)
            ar = torch.arange(n)
            for _ in range(steps):
                loss = ps.torch_manual_step(tX, ty, W, lr, ar)
            finals.append(float(loss))
        else:
            W = np.zeros((d, c), dtype=X.dtype)
            ar = np.arange(n)
            for _ in range(steps):
                loss = ps.numpy_manual_step(X, y, W, lr, ar)
            finals.append(float(loss))
    total = time.perf_counter() - t0
    return {"m": m, "dtype": dtype, "impl": impl, "runs": runs, "steps": steps, "total_s": total,
            "per_run_step_s": total / (runs * steps), "final_losses": finals,
            "blas": torch.__config__.parallel_info().splitlines()[0] if impl.startswith("torch") else "numpy"}


if __name__ == "__main__":
    a = argparse.ArgumentParser()
    a.add_argument("--m", default="7,9")
    a.add_argument("--dtypes", default="float64,float32")
    a.add_argument("--impls", default="torch_manual,numpy_manual")
    a.add_argument("--runs", type=int, default=8)
    a.add_argument("--steps", type=int, default=100)
    args = a.parse_args()
    for m in [int(v) for v in args.m.split(",")]:
        for dt in args.dtypes.split(","):
            for impl in args.impls.split(","):
                print(json.dumps(grid(m, dt, impl, args.runs, args.steps)), flush=True)
