#!/usr/bin/env bash
# Dormand–Prince 5(4) on gradient flow of the one-hot model (c classes, Zipf exponent 1, W(0) = 0, t ∈ [0, 1e4],
# rtol 1e-8, atol 1e-10): ours (./heavytail flow) vs SciPy's solve_ivp(RK45) (bench/peers.py ode), run one after
# the other in this script. Prints evaluations, wall time, final-loss error vs the closed form, ratios.
# Usage: bench/ode_vs_scipy.sh [c=1000]   (needs bench/setup.sh for SciPy)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
c="${1:-1000}"
tmp=$(mktemp -d)
for beta in 0.04 0; do
  "$root/heavytail" flow --problem one-hot --classes "$c" --zipf-exponent 1 --flow gradient --t-end 10000 \
    --rtol 1e-8 --atol 1e-10 --pi-beta "$beta" --save-at 10000 --quiet --out "$tmp/ours-$beta" >/dev/null
done
if /usr/bin/python3 -c 'import scipy' 2>/dev/null; then
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 "$root/bench/peers.py" ode --c "$c" --methods RK45 > "$tmp/scipy.jsonl"
else
  echo "SciPy missing: run bench/setup.sh (SciPy column skipped)" >&2
  : > "$tmp/scipy.jsonl"
fi
/usr/bin/python3 - "$tmp" "$c" <<'PY'
import csv, json, sys
tmp, c = sys.argv[1], int(sys.argv[2])
rows = []
for beta in ("0.04", "0"):
    run = json.load(open(f"{tmp}/ours-{beta}/run.json"))
    last = list(csv.DictReader(open(f"{tmp}/ours-{beta}/flow.csv")))[-1]
    rows.append(dict(name=f"heavytail dopri5 (PI beta={beta})", nfev=run["stats"]["function_evaluations"], wall=run["wall_seconds"],
                     err=abs(float(last["loss"]) - float(last["theory_loss"]))))
sc = [json.loads(l) for l in open(f"{tmp}/scipy.jsonl") if l.startswith("{\"c\"")]
if sc:
    s = sc[0]
    rows.append(dict(name="scipy solve_ivp RK45", nfev=s["nfev"], wall=s["wall_s"], err=s["abs_err_vs_exact"]))
print(f"one-hot gradient flow, c = {c} (state {c*c}), t = 1e4, rtol 1e-8, atol 1e-10")
print(f"{'solver':34s} {'evals':>6s} {'wall s':>8s} {'|L - L_exact|':>14s} {'evals/scipy':>12s} {'scipy wall/ours':>16s}")
for r in rows:
    ratio_n = r["nfev"] / sc[0]["nfev"] if sc else float("nan")
    ratio_t = sc[0]["wall_s"] / r["wall"] if sc else float("nan")
    print(f"{r['name']:34s} {r['nfev']:6d} {r['wall']:8.3f} {r['err']:14.3e} {ratio_n:12.3f} {ratio_t:16.2f}")
PY
