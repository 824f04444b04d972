#!/usr/bin/env bash
# Packs the libraries (HeavyTail.Analytic, .Analytic.Testing, .Ode, .Gpu, .Experiments.Runs, .Experiments.Recipes)
# with their symbols (.snupkg) and the .NET tool HeavyTail.Cli into artifacts/packages/.
# ContinuousIntegrationBuild makes the builds deterministic (source paths mapped to /_/). Extra arguments go to dotnet pack
# (e.g. --no-build after a build with ContinuousIntegrationBuild=true, as .ci/run does).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rm -rf artifacts/packages
dotnet pack HeavyTail.Theory.sln -c Release -nologo -clp:ErrorsOnly -p:ContinuousIntegrationBuild=true -o artifacts/packages "$@"
ls -l artifacts/packages | awk 'NR > 1 { printf "%9.1f KiB  %s\n", $5 / 1024, $9 }'
