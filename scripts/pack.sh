#!/usr/bin/env bash
# Packs the libraries (HeavyTail.Analytic, .Analytic.Testing, .Ode, .Gpu, .Experiments.Runs, .Experiments.Recipes)
# with their symbols (.snupkg) and the .NET tool HeavyTail.Cli into artifacts/packages/.
# ContinuousIntegrationBuild makes the builds deterministic (source paths mapped to /_/); MSBuild does not recompile for a
# changed property, so the projects are rebuilt (--no-incremental) unless --no-build is given, as .ci/run does after a
# build with ContinuousIntegrationBuild=true in its environment. Extra arguments go to dotnet pack.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rm -rf artifacts/packages
rebuild=1
for a in "$@"; do [ "$a" = --no-build ] && rebuild=""; done
if [ -n "$rebuild" ]; then
  dotnet build HeavyTail.Theory.sln -c Release -nologo -clp:ErrorsOnly -p:ContinuousIntegrationBuild=true --no-incremental
  set -- --no-build "$@"
fi
dotnet pack HeavyTail.Theory.sln -c Release -nologo -clp:ErrorsOnly -p:ContinuousIntegrationBuild=true -o artifacts/packages "$@"
ls -l artifacts/packages | awk 'NR > 1 { printf "%9.1f KiB  %s\n", $5 / 1024, $9 }'
