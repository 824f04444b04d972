#!/usr/bin/python3
"""Cross-check `heavytail train` against torch.optim (gd, gd-m, adam, adam-nm, adagrad) and the definitions
(sign, sign-m, normalized, normalized-m; signum as Tomihari & Sato's optimizer/signum.py, lion as Chen et al.'s reference,
scaled-sign(-m), muon with Newton-Schulz as Jordan et al.'s reference zeropower_via_newtonschulz5 in float64, adam-blocks),
step by step, in float64.

Usage: /usr/bin/python3 scripts/crosscheck_optimizers.py [--n 60 --d 8 --c 6 --steps 50 --seed 0]
Prints the max relative difference of the loss trajectory and of the final W per optimizer. Needs python3-torch.
"""
import argparse, csv, json, os, subprocess, sys, tempfile
import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=60); ap.add_argument("--d", type=int, default=8)
ap.add_argument("--c", type=int, default=6); ap.add_argument("--steps", type=int, default=50)
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()
rng = np.random.default_rng(a.seed)
X = rng.normal(size=(a.n, a.d)); y = rng.integers(0, a.c, size=a.n)
tmp = tempfile.mkdtemp()
np.save(f"{tmp}/X.npy", X); np.save(f"{tmp}/y.npy", y.astype(np.int64))
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
Xt = torch.tensor(X); yt = torch.tensor(y)

def torch_run(name, lr, mom=0.9):
    W = torch.zeros(a.d, a.c, dtype=torch.float64, requires_grad=True)
    opt = {"gd": lambda: torch.optim.SGD([W], lr=lr), "gd-m": lambda: torch.optim.SGD([W], lr=lr, momentum=mom),
           "adam": lambda: torch.optim.Adam([W], lr=lr), "adam-nm": lambda: torch.optim.Adam([W], lr=lr, betas=(0.0, 0.999)),
           "adagrad": lambda: torch.optim.Adagrad([W], lr=lr)}.get(name, lambda: None)()
    buf = None; losses = []
    for t in range(a.steps + 1):
        L = torch.nn.functional.cross_entropy(Xt @ W, yt)
        losses.append(L.item())
        if t == a.steps: break
        g, = torch.autograd.grad(L, W)
        if opt is not None:
            W.grad = g; opt.step(); continue
        with torch.no_grad():
            if name == "signum":
                buf = torch.zeros_like(g) if buf is None else buf
                buf.mul_(mom).add_(g, alpha=1 - mom)
                W -= lr * torch.sign(buf); continue
            if name == "lion":
                buf = torch.zeros_like(g) if buf is None else buf
                u = (buf * 0.9 + g * (1 - 0.9)).sign()
                W -= lr * u
                buf.mul_(0.99).add_(g, alpha=1 - 0.99); continue
            if name in ("muon", "muon-exact"):
                buf = torch.zeros_like(g) if buf is None else buf
                buf.mul_(0.95).add_(g)
                u = g + 0.95 * buf
                if name == "muon": O = newton_schulz5(u.T).T  # torch's layout: c × d (out × in)
                else:
                    U, S, Vh = torch.linalg.svd(u, full_matrices=False)
                    keep = S > 1e-6 * S[0]
                    O = U[:, keep] @ Vh[keep, :]
                W -= lr * max(1.0, a.c / a.d) ** 0.5 * O; continue
            if name == "adam-blocks":
                if buf is None: buf = (torch.zeros_like(g), torch.zeros(a.c, dtype=g.dtype), 0)
                m, v, t1 = buf; t1 += 1
                m.mul_(0.9).add_(g, alpha=0.1); v.mul_(0.999).add_((g * g).mean(dim=0), alpha=0.001)
                W -= lr / (1 - 0.9 ** t1) * m / (v.sqrt() / (1 - 0.999 ** t1) ** 0.5 + 1e-8)
                buf = (m, v, t1); continue
            if name.startswith("scaled-sign"): dvec = torch.sign(g) * g.abs().sum()
            elif name.startswith("sign"): dvec = torch.sign(g)
            else: dvec = g / g.norm()
            if name.endswith("-m"):
                buf = dvec.clone() if buf is None else mom * buf + dvec
                dvec = buf
            W -= lr * dvec
    return np.array(losses), W.detach().numpy()

def newton_schulz5(G, steps=5):
    """Jordan et al.'s zeropower_via_newtonschulz5, in the input's dtype (float64 here)."""
    a_, b_, c_ = (3.4445, -4.7750, 2.0315)
    X = G
    if G.size(-2) > G.size(-1): X = X.mT
    X = X / (X.norm(dim=(-2, -1), keepdim=True) + 1e-7)
    for _ in range(steps):
        A = X @ X.mT
        B = b_ * A + c_ * A @ A
        X = a_ * X + B @ X
    if G.size(-2) > G.size(-1): X = X.mT
    return X

worst = 0.0
for name, lr in [("gd", 0.5), ("gd-m", 0.1), ("adam", 0.05), ("adam-nm", 0.05), ("adagrad", 0.2),
                 ("sign", 0.01), ("sign-m", 0.005), ("normalized", 0.1), ("normalized-m", 0.05),
                 ("signum", 0.01), ("lion", 0.01), ("scaled-sign", 0.001), ("scaled-sign-m", 0.0005), ("muon", 0.02),
                 ("muon-exact", 0.02), ("adam-blocks", 0.05)]:
    out = f"{tmp}/{name}"
    subprocess.run([os.path.join(root, "heavytail"), "train", "--x", f"{tmp}/X.npy", "--y", f"{tmp}/y.npy", "--optimizer", name,
                    "--lr", str(lr), "--steps", str(a.steps), "--init", "zeros", "--groups", "1", "--quiet", "--out", out],
                   check=True, stdout=subprocess.DEVNULL)
    ours = np.array([float(r["loss"]) for r in csv.DictReader(open(f"{out}/trajectory.csv"))])
    W = np.load(f"{out}/W.npy")
    ref_l, ref_W = torch_run(name, lr)
    el = float(np.max(np.abs(ours - ref_l) / np.abs(ref_l)))
    ew = float(np.max(np.abs(W - ref_W)) / np.max(np.abs(ref_W)))
    worst = max(worst, el, ew)
    print(json.dumps({"optimizer": name, "lr": lr, "max_rel_loss_diff": el, "rel_W_diff": ew}))
sys.exit(0 if worst < 1e-9 else 1)
