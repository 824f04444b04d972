#!/usr/bin/env bash
# Installs the peers the benchmarks compare against, at their best on this machine: Debian's NumPy, SciPy and
# PyTorch linked against OpenBLAS (pthreads). The benchmarks run them with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! /usr/bin/python3 -c 'import numpy, scipy, torch' 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq python3-numpy python3-scipy python3-torch libopenblas0-pthread >/dev/null
fi
/usr/bin/python3 -c 'import numpy, scipy, torch; print("numpy", numpy.__version__, "scipy", scipy.__version__, "torch", torch.__version__)'
