#!/usr/bin/env bash
# One shard of a paper-scale step-size grid per SLURM array task; merge afterwards with
#   ./heavytail grid merge grid-0 grid-1 … grid-$((N-1))
#SBATCH --job-name=heavytail-grid
#SBATCH --cpus-per-task=16
#SBATCH --mem=64G
#SBATCH --time=24:00:00
# Usage: sbatch --array=0-7 scripts/slurm-grid.sh [OPTIMIZER=adam] [STEPS=1000]
set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-$(dirname "$0")/..}"
optimizer="${1:-adam}"; steps="${2:-1000}"
n="${SLURM_ARRAY_TASK_COUNT:?submit as an array job: sbatch --array=0-7 ...}"
k="${SLURM_ARRAY_TASK_ID:?}"
./heavytail grid --problem ht-random --m 11 --optimizer "$optimizer" --steps "$steps" --seeds 3 \
  --shard "$k/$n" --out "grid-$optimizer-$k" --quiet
