#!/usr/bin/env bash
# For a machine with an NVIDIA GPU: publish a self-contained single-file build without libtorch's natives (checked
# ≤ 64 MiB so it can travel to a device machine without the SDK; measured 49 MiB) and run the HT-Random m = 11 benchmark on the ILGPU CUDA backend (cuBLAS GEMM),
# next to the CPU backends. Usage: bench/gpu.sh [publish|run|all] (default all).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/.build/gpu"
what="${1:-all}"
if [ "$what" = publish ] || [ "$what" = all ]; then
  dotnet publish "$root/src/Experiments/Experiments.csproj" -c Release -r linux-x64 --self-contained \
    -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:HeavyTailWithoutLibTorch=true \
    -o "$out" -nologo -clp:ErrorsOnly
  size=$(du -sm "$out" | cut -f1)
  echo "published $out (${size} MiB)"
  [ "$size" -le 64 ] || { echo "build is ${size} MiB > 64 MiB" >&2; exit 1; }
fi
if [ "$what" = run ] || [ "$what" = all ]; then
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || echo "nvidia-smi not found"
  "$out/heavytail" bench --sizes 9,11 --dtype float32 --backends gpu,cpu --no-peers --reps 5 --out "$out/bench-gpu.jsonl"
  # the step-size grid resident on the device: 8 GD runs × 100 steps batched vs one after another
  "$out/heavytail" bench --sizes 9,11 --dtype float32 --backends gpu --no-peers --grid 8 --out "$out/bench-gpu-grid.jsonl"
fi
