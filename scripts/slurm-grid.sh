#!/usr/bin/env bash
# Submits a step-size grid (`heavytail grid`) to SLURM as three dependent jobs; run it on the login node (it calls sbatch).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/slurm-grid.sh [OPTIONS] [-- GRID-OPTIONS…]

Submits one optimizer's step-size grid (the paper's Appendix A.4 rule, `heavytail grid`) as three SLURM jobs:
  1. coarse  array job, task k of N:  heavytail grid … --shard k/N --out OUT/coarse-k
  2. refine  array job, task k of R, after 1 succeeded (afterok):
             heavytail grid refine --shard k/R --out OUT/refine-k OUT/coarse-*
             (the half-power step sizes around the coarse best; task k trains the k-th block of those runs)
  3. merge   one job, after 2 succeeded:  heavytail grid merge OUT OUT/coarse-* OUT/refine-*
             writes OUT/best.json, OUT/grid.csv, OUT/grid.png; it also trains the stability ladder's step sizes that
             are still missing (the step sizes below the best, one at a time: each depends on the last)
A dependent job whose dependency failed is cancelled (--kill-on-invalid-dep=yes). Every run is cached under its
folder's _cache, so resubmitting the same command resumes. Job scripts: OUT/jobs/, logs: OUT/logs/.

Options (each also read from the environment variable in brackets; the option wins):
  --problem NAME      generated problem                              [HT_PROBLEM, default ht-random]
  --m M               HT-Random size m (c = 2^m − 1)                 [HT_M, default 11]
  --optimizer O       gd, adam, sign, …                              [HT_OPTIMIZER, default adam]
  --steps T           updates per run                                [HT_STEPS, default 1000]
  --seeds S           data seeds per step size                       [HT_SEEDS, default 3]
  --lrs LIST          explicit comma-separated step sizes instead of the paper's grid (then nothing is refined)
                                                                     [HT_LRS, default: the paper's grid]
  --shards N          coarse array tasks                             [HT_SHARDS, default 8]
  --refine-shards R   refine array tasks; R = S keeps each seed's step sizes in one batched run, as an unsharded grid
                                                                     [HT_REFINE_SHARDS, default: the seed count]
  --cpus C            CPUs per task (sbatch --cpus-per-task; heavytail --threads)   [HT_CPUS, default 16]
  --mem MEM           memory per task (sbatch --mem)                 [HT_MEM, default 64G]
  --time LIMIT        time limit per task (sbatch --time)            [HT_TIME, default 24:00:00]
  --partition P       partition (sbatch --partition)                 [HT_PARTITION, default: the cluster's]
  --backend B         heavytail --backend for every job (pin native or cpu on a cluster of unlike nodes, so every
                      shard computes alike)                          [HT_BACKEND, default auto]
  --out DIR           output folder                                  [HT_OUT, default grid-OPTIMIZER-mM]
  --sbatch-args ARGS  more sbatch options for every job, e.g. "--account=proj --qos=normal"  [HT_SBATCH_ARGS]
  --dry-run           write the job scripts and print the sbatch commands without submitting
  -h, --help          this help
GRID-OPTIONS after `--` go to the coarse `heavytail grid` command (e.g. -- --stability off --beta2 0.99); the refine and
merge jobs read them from the shards' grid.json.

The last line printed is "jobs: coarse=ID refine=ID merge=ID".
Example (the paper's scale): scripts/slurm-grid.sh --optimizer gd --partition cpu
EOF
}

problem="${HT_PROBLEM:-ht-random}"; m="${HT_M:-11}"; optimizer="${HT_OPTIMIZER:-adam}"; steps="${HT_STEPS:-1000}"
seeds="${HT_SEEDS:-3}"; lrs="${HT_LRS:-}"; shards="${HT_SHARDS:-8}"; refine_shards="${HT_REFINE_SHARDS:-}"
cpus="${HT_CPUS:-16}"; mem="${HT_MEM:-64G}"; limit="${HT_TIME:-24:00:00}"; partition="${HT_PARTITION:-}"
backend="${HT_BACKEND:-auto}"; out="${HT_OUT:-}"; sbatch_args="${HT_SBATCH_ARGS:-}"; dry_run=0
grid_args=()

die() { echo "error: $*" >&2; exit 2; }
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see --help)."; }

if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
  die "run scripts/slurm-grid.sh on the login node, not through sbatch: it submits its jobs itself (see --help)."
fi
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --problem) need_value "$@"; problem="$2"; shift 2 ;;
    --m) need_value "$@"; m="$2"; shift 2 ;;
    --optimizer) need_value "$@"; optimizer="$2"; shift 2 ;;
    --steps) need_value "$@"; steps="$2"; shift 2 ;;
    --seeds) need_value "$@"; seeds="$2"; shift 2 ;;
    --lrs) need_value "$@"; lrs="$2"; shift 2 ;;
    --shards) need_value "$@"; shards="$2"; shift 2 ;;
    --refine-shards) need_value "$@"; refine_shards="$2"; shift 2 ;;
    --cpus) need_value "$@"; cpus="$2"; shift 2 ;;
    --mem) need_value "$@"; mem="$2"; shift 2 ;;
    --time) need_value "$@"; limit="$2"; shift 2 ;;
    --partition) need_value "$@"; partition="$2"; shift 2 ;;
    --backend) need_value "$@"; backend="$2"; shift 2 ;;
    --out) need_value "$@"; out="$2"; shift 2 ;;
    --sbatch-args) need_value "$@"; sbatch_args="$2"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --) shift; grid_args=("$@"); break ;;
    *) die "unknown option '$1' (see --help; options for heavytail grid go after --)." ;;
  esac
done
refine_shards="${refine_shards:-$seeds}"
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 '$2' must be a positive integer."; }
positive --m "$m"; positive --steps "$steps"; positive --seeds "$seeds"; positive --shards "$shards"
positive --refine-shards "$refine_shards"; positive --cpus "$cpus"
[[ "$mem" =~ ^[1-9][0-9]*[KMGT]?$ ]] || die "--mem '$mem' must be a size such as 64G or 4000M."
out="${out:-grid-$optimizer-m$m}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$dry_run" -eq 0 ]; then
  command -v sbatch >/dev/null || die "sbatch not found: run this on a SLURM login node (or pass --dry-run)."
  # build once here: the jobs run the built CLI directly, never a build of their own (N tasks would race)
  "$root/heavytail" --version >/dev/null || die "heavytail does not build (run ./heavytail --version to see why)."
fi
dll="$root/src/Experiments/bin/Release/net10.0/heavytail.dll"
mkdir -p "$out/jobs" "$out/logs"
out="$(cd "$out" && pwd)"

q() { local s; printf -v s '%q ' "$@"; printf '%s' "${s% }"; }  # shell-quoted words
cli=(dotnet "$dll" --quiet --threads "$cpus" --backend "$backend")
grid=(grid --problem "$problem" --m "$m" --optimizer "$optimizer" --steps "$steps" --seeds "$seeds")
[ -n "$lrs" ] && grid+=(--lrs "$lrs")
coarse_dirs=(); for ((k = 0; k < shards; k++)); do coarse_dirs+=("$out/coarse-$k"); done
refine_dirs=(); for ((k = 0; k < refine_shards; k++)); do refine_dirs+=("$out/refine-$k"); done

job() { # NAME BODY: a bash job script that stops at the first failure
  printf '#!/usr/bin/env bash\nset -euo pipefail\ncd %q\n%s\n' "$root" "$2" > "$out/jobs/$1.sh"
  chmod +x "$out/jobs/$1.sh"
}
job coarse "$(q "${cli[@]}" "${grid[@]}" "${grid_args[@]}") --shard \"\$SLURM_ARRAY_TASK_ID/$shards\" --out $(q "$out")/coarse-\"\$SLURM_ARRAY_TASK_ID\""
job refine "$(q "${cli[@]}" grid refine) --shard \"\$SLURM_ARRAY_TASK_ID/$refine_shards\" --out $(q "$out")/refine-\"\$SLURM_ARRAY_TASK_ID\" $(q "${coarse_dirs[@]}")"
job merge "[ -f $(q "$out/grid.json") ] || cp $(q "$out/coarse-0/grid.json" "$out/grid.json")
$(q "${cli[@]}" grid merge "$out" "${coarse_dirs[@]}" "${refine_dirs[@]}")"

# shellcheck disable=SC2206
common=(--parsable --cpus-per-task="$cpus" --mem="$mem" --time="$limit" ${partition:+--partition="$partition"} $sbatch_args)
name="ht-$optimizer-m$m"
submit() { # STAGE SBATCH-ARGS…: prints the job id
  local stage="$1"; shift
  if [ "$dry_run" -eq 1 ]; then echo "sbatch $(q "$@")" >&2; echo "DRYRUN-$stage"; return; fi
  sbatch "$@" | cut -d';' -f1
}
coarse=$(submit coarse "${common[@]}" --job-name="$name-coarse" --array="0-$((shards - 1))" \
  --output="$out/logs/%x-%A_%a.out" "$out/jobs/coarse.sh")
refine=$(submit refine "${common[@]}" --job-name="$name-refine" --array="0-$((refine_shards - 1))" \
  --dependency="afterok:$coarse" --kill-on-invalid-dep=yes --output="$out/logs/%x-%A_%a.out" "$out/jobs/refine.sh")
merge=$(submit merge "${common[@]}" --job-name="$name-merge" \
  --dependency="afterok:$refine" --kill-on-invalid-dep=yes --output="$out/logs/%x-%j.out" "$out/jobs/merge.sh")
echo "grid $optimizer on $problem m = $m: $shards coarse + $refine_shards refine tasks, then the merge → $out/best.json"
echo "jobs: coarse=$coarse refine=$refine merge=$merge"
