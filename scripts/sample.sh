#!/usr/bin/env bash
# Restores samples/PropertyTests from the local package folder (artifacts/packages, made by scripts/pack.sh) and runs it;
# its TRX goes to ${1:-TestResults/sample}.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
results="${1:-$root/TestResults/sample}"
rm -rf "$results" artifacts/sample-packages/heavytail.*   # always the packages just packed, never an older 0.1.0
dotnet test samples/PropertyTests -c Release --nologo --logger trx --results-directory "$results"
