#!/usr/bin/python3
"""Cross-check `heavytail stats` against PyTorch autodiff (float64): loss, gradient, HVP, Hessian diagonal, block traces.

Usage: /usr/bin/python3 scripts/crosscheck_autodiff.py [--n 40 --d 7 --c 5 --scale 3 --seed 0 --bias]
Writes random X, y, W, V to a temp folder, runs ./heavytail stats on them, and prints the max relative errors.
Not part of the test suite (needs Debian's python3-torch).
"""
import argparse, json, os, subprocess, sys, tempfile
import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=40); ap.add_argument("--d", type=int, default=7)
ap.add_argument("--c", type=int, default=5); ap.add_argument("--scale", type=float, default=3.0)
ap.add_argument("--seed", type=int, default=0); ap.add_argument("--bias", action="store_true")
a = ap.parse_args()
rng = np.random.default_rng(a.seed)
X = rng.normal(size=(a.n, a.d)) * a.scale
y = rng.integers(0, a.c, size=a.n)
dw = a.d + (1 if a.bias else 0)
W = rng.normal(size=(dw, a.c)) * a.scale
V = rng.normal(size=(dw, a.c))
tmp = tempfile.mkdtemp()
for name, arr in [("X", X), ("y", y.astype(np.int64)), ("W", W), ("V", V)]:
    np.save(os.path.join(tmp, name + ".npy"), arr)
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
cmd = [os.path.join(root, "heavytail"), "stats", "--x", f"{tmp}/X.npy", "--y", f"{tmp}/y.npy", "--w", f"{tmp}/W.npy",
       "--v", f"{tmp}/V.npy", "--groups", "1", "--out", f"{tmp}/out"] + (["--bias"] if a.bias else [])
subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
stats = json.load(open(f"{tmp}/out/stats.json"))

Xt = torch.tensor(np.hstack([X, np.ones((a.n, 1))]) if a.bias else X)
yt = torch.tensor(y)
def loss_fn(w):
    return torch.nn.functional.cross_entropy(Xt @ w.reshape(dw, a.c), yt)
Wt = torch.tensor(W.reshape(-1), requires_grad=True)
L = loss_fn(Wt)
g, = torch.autograd.grad(L, Wt, create_graph=True)
hv, = torch.autograd.grad(g @ torch.tensor(V.reshape(-1)), Wt)
H = torch.autograd.functional.hessian(loss_fn, torch.tensor(W.reshape(-1))).numpy()
diag = np.diag(H).reshape(dw, a.c)
traces = diag.sum(axis=0)

def rel(ours, ref):
    ours, ref = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    return float(np.max(np.abs(ours - ref)) / max(np.max(np.abs(ref)), 1e-300))

res = {
    "loss": rel(stats["loss"], L.item()),
    "grad": rel(np.load(f"{tmp}/out/grad.npy"), g.detach().numpy().reshape(dw, a.c)),
    "hvp": rel(np.load(f"{tmp}/out/hvp.npy"), hv.numpy().reshape(dw, a.c)),
    "hessian_diag": rel(np.load(f"{tmp}/out/hessian_diag.npy"), diag),
    "block_traces": rel(stats["per_class_hessian_trace"], traces),
}
print(json.dumps(res))
sys.exit(0 if max(res.values()) < 1e-10 else 1)
