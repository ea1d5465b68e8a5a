#!/usr/bin/env bash
# Prepares .gpu-carry/ (git-ignored) on the development machine, for bench/gpu/run.sh on a GPU machine that has
# nvcc, CMake and PyTorch but no .NET SDK and no network:
#   .gpu-carry/googletest.tar.xz  GoogleTest sources (Debian's /usr/src/googletest), built there if it has no GTest
#   .gpu-carry/tests.tar.xz       the xunit test project, self-contained + trimmed (dotnet publish -r linux-x64)
#   .gpu-carry/bench.tar.xz       the .NET benchmarks, the same way, when bench/MePropNative.Benchmarks exists
#                                 (run.sh runs bench/run-gpu-bench.sh from it if present, else the
#                                 MePropNative.Benchmarks executable with $MEPROP_GPU_BENCH_ARGS)
#   .gpu-carry/gpubench.tar.xz    bench/MePropNative.GpuBench (meprop-gpubench: backward sweep, MLP step), the same way
# run.sh unpacks them (tar, or Python's tarfile) into build/gpu-carry/. The device tool carries at most 64 MiB in
# all: packed the four are about 32 MiB; the script prints the size and warns above 60 MiB.
#   bench/gpu/prepare-carry.sh [--no-bench]     (--no-bench: neither benchmark publish, tests only)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="${MEPROP_GPU_CARRY:-$ROOT/.gpu-carry}"
BENCH=1
[[ "${1:-}" == "--no-bench" ]] && BENCH=0
log() { printf '[prepare-carry] %s\n' "$*" >&2; }

rm -rf "$CARRY"
mkdir -p "$CARRY"

if [[ -d /usr/src/googletest ]]; then
  cp -r /usr/src/googletest "$CARRY/googletest"
  rm -rf "$CARRY/googletest/googlemock/docs" "$CARRY/googletest/googletest/docs" 2>/dev/null || true
else
  log "no /usr/src/googletest (apt-get install libgtest-dev): the GPU machine needs its own GoogleTest for ctest"
fi

# Trimmed, self-contained: TrimMode=partial trims only the framework (the test and xunit assemblies, which xunit
# reads by reflection, stay whole); System.Text.Json keeps its reflection serializer (the config/results tests use it).
PUBLISH=(-c Release -r linux-x64 --self-contained -p:PublishTrimmed=true -p:TrimMode=partial
         -p:JsonSerializerIsReflectionEnabledByDefault=true -p:SuppressTrimAnalysisWarnings=true
         -p:TreatWarningsAsErrors=false -p:DebugType=none -nologo -v quiet -clp:ErrorsOnly)
log "publishing the tests"
dotnet publish "$ROOT/tests/MePropNative.Tests/MePropNative.Tests.csproj" "${PUBLISH[@]}" -o "$CARRY/tests"
rm -f "$CARRY/tests"/libmeprop.* # run.sh points MEPROP_NATIVE_DIR at the CUDA build it makes there

if [[ $BENCH -eq 1 ]]; then
  project="$(ls "$ROOT"/bench/MePropNative.Benchmarks/*.csproj 2>/dev/null | head -n1 || true)"
  if [[ -n "$project" ]]; then
    log "publishing the benchmarks ($project)"
    if dotnet publish "$project" "${PUBLISH[@]}" -o "$CARRY/bench"; then
      rm -f "$CARRY/bench"/libmeprop.*
      [[ -f "$ROOT/bench/gpu/run-gpu-bench.sh" ]] && cp "$ROOT/bench/gpu/run-gpu-bench.sh" "$CARRY/bench/"
    else
      log "benchmark publish failed: carrying the tests only"
      rm -rf "$CARRY/bench"
    fi
  fi
fi

# The GPU benchmark harness (bench/MePropNative.GpuBench: a plain timing loop, no SDK needed at run time).
if [[ $BENCH -eq 1 ]]; then
  log "publishing the GPU benchmark harness (meprop-gpubench)"
  if dotnet publish "$ROOT/bench/MePropNative.GpuBench/MePropNative.GpuBench.csproj" "${PUBLISH[@]}" -o "$CARRY/gpubench"; then
    rm -f "$CARRY/gpubench"/libmeprop.*
  else
    log "meprop-gpubench publish failed: not carried"
    rm -rf "$CARRY/gpubench"
  fi
fi

for d in googletest tests bench gpubench; do
  [[ -d "$CARRY/$d" ]] || continue
  log "packing $d"
  tar -C "$CARRY" -cJf "$CARRY/$d.tar.xz" "$d" && rm -rf "${CARRY:?}/$d"
done
size_kib=$(du -sk "$CARRY" | cut -f1)
log "$CARRY: $((size_kib / 1024)) MiB"
[[ $size_kib -gt $((60 * 1024)) ]] && log "WARNING: over 60 MiB; the device tool carries 64 MiB in all (try --no-bench)"
log "on the GPU machine: bench/gpu/run.sh (carry .gpu-carry along)"
