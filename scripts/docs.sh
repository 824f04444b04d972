#!/usr/bin/env bash
# Builds the documentation site (docs/docfx.json: API reference from the packed projects + docs/articles) into
# docs/_site with warnings as errors (a broken cross-reference or link fails the build). docfx comes from the tool
# manifest (.config/dotnet-tools.json) through NuGet; the build itself needs no network.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dotnet tool restore >/dev/null
start=$(date +%s)
dotnet docfx docs/docfx.json --warningsAsErrors "$@"
echo "docs: $(find docs/_site -name '*.html' | wc -l) pages in docs/_site ($(( $(date +%s) - start )) s)"
