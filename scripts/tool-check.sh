#!/usr/bin/env bash
# Installs the .NET tool HeavyTail.Cli from artifacts/packages into a temporary tool path and runs
# `heavytail reproduce --scale tiny --out DIR` from a directory outside the repository.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dotnet tool install --tool-path "$tmp/tools" --add-source "$root/artifacts/packages" HeavyTail.Cli --version 0.1.0 >/dev/null
mkdir -p "$tmp/elsewhere"
cd "$tmp/elsewhere"
"$tmp/tools/heavytail" ${HEAVYTAIL_TOOL_CHECK_ARGS:-reproduce --scale tiny --quiet} --out "$tmp/out" >/dev/null
test -f "$tmp/out/report.md"
echo "tool: HeavyTail.Cli installed, \`heavytail reproduce --scale tiny\` wrote $(find "$tmp/out" -name '*.png' | wc -l) figures and report.md"
