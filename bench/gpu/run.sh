#!/usr/bin/env bash
# The one script for a GPU machine (nvcc 12/13, CMake, Python + PyTorch; no .NET SDK needed):
#   1. builds libmeprop with the nvcc found there (MEPROP_CUDA=ON, archs $MEPROP_CUDA_ARCHS or 90, warnings not
#      fatal: MEPROP_CUDA_WERROR=OFF) plus the native tests and bench/gpu/topk_bench,
#   2. runs the native tests (ctest; GoogleTest from the system or built from .gpu-carry/googletest),
#   3. runs the xunit tests from .gpu-carry/tests (self-contained publish, see bench/gpu/prepare-carry.sh) against
#      the CUDA libmeprop it just built, if carried,
#   4. runs topk_bench and, when PyTorch has CUDA, bench/gpu/torch_topk.py, and compares them,
#   5. runs the .NET benchmarks from .gpu-carry/bench if carried (hook: .gpu-carry/bench/run-gpu-bench.sh, else the
#      meprop-bench / MePropNative.Benchmarks executable with $MEPROP_GPU_BENCH_ARGS),
#   6. runs meprop-gpubench from .gpu-carry/gpubench (bench/MePropNative.GpuBench: the linear-layer backward sweep of
#      every strategy vs cuBLAS dense, ELL vs cuSPARSE, auto vs best, the MLP training step; $MEPROP_GPUBENCH_ARGS
#      adds arguments) into $OUT/gpubench/, then bench/gpu/torch_meprop.py (the paper's unified meProp as a PyTorch
#      autograd.Function, gradient-checked) and bench/gpu/report.py (ours vs PyTorch),
#   7. writes $OUT/gpu-results.md naming the GPU, driver and CUDA version, with every step's outcome and the tables.
# $OUT defaults to out/gpu (git-ignored). Steps that fail are recorded and the script goes on; exit status 1 if any
# step failed.
#   bench/gpu/run.sh [--quick] [--no-tests] [--no-bench] [--no-xunit] [--no-gpubench] [--only-gpubench]
# (--only-gpubench = --no-tests --no-xunit and no top-k/.NET benchmarks: with the build folder kept, the GPU round fits
# the device tool's 10 minutes per command as two calls: `run.sh --no-gpubench`, then `run.sh --only-gpubench`.)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${OUT:-$ROOT/out/gpu}"
BUILD="${MEPROP_GPU_BUILD_DIR:-$ROOT/build/gpu}"
CARRY="${MEPROP_GPU_CARRY:-$ROOT/.gpu-carry}"
ARCHS="${MEPROP_CUDA_ARCHS:-90}"
JOBS="$(nproc 2>/dev/null || echo 4)"
QUICK=0; TESTS=1; BENCH=1; XUNIT=1; GPUBENCH=1; TOPK=1
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    --no-tests) TESTS=0 ;;
    --no-bench) BENCH=0 ;;
    --no-xunit) XUNIT=0 ;;
    --no-gpubench) GPUBENCH=0 ;;
    --only-gpubench) TESTS=0; XUNIT=0; TOPK=0; GPUBENCH=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$a'" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
cd "$ROOT"

STEPS=()     # markdown rows: | step | result | details |
FAILED=0
log() { printf '[gpu] %s\n' "$*" | tee -a "$OUT/run.log" >&2; }
record() { # step result details
  STEPS+=("| $1 | $2 | $3 |")
  [[ "$2" == FAILED* ]] && FAILED=1
  log "$1: $2 ${3:+($3)}"
}

# A carried folder: .gpu-carry/NAME as is, or .gpu-carry/NAME.tar.xz unpacked into $BUILD-carry/ (once per tarball).
carried() {
  local name="$1" dest="$BUILD-carry"
  if [[ -d "$CARRY/$name" ]]; then echo "$CARRY/$name"; return 0; fi
  [[ -f "$CARRY/$name.tar.xz" ]] || return 1
  if [[ ! -d "$dest/$name" || "$CARRY/$name.tar.xz" -nt "$dest/$name" ]]; then
    rm -rf "${dest:?}/$name"
    mkdir -p "$dest"
    tar -C "$dest" -xJf "$CARRY/$name.tar.xz" 2>/dev/null ||
      python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$CARRY/$name.tar.xz" "$dest" ||
      return 1
    touch "$dest/$name"
  fi
  echo "$dest/$name"
}

# ---- facts about the machine ----
GPU_INFO="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi unavailable")"
SMI_CUDA="$(nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' | head -n1 | cut -d' ' -f3)"
source "$ROOT/scripts/cuda-toolkit.sh" || { echo "run.sh: $ROOT/scripts/cuda-toolkit.sh missing" >&2; exit 1; }
NVCC="$(find_nvcc || true)"
NVCC_VERSION="none"
[[ -n "$NVCC" ]] && NVCC_VERSION="$("$NVCC" --version | grep -o 'release [0-9.]*, V[0-9.]*' | head -n1)"
log "GPU: $GPU_INFO; nvcc: ${NVCC:-none} ($NVCC_VERSION); archs: $ARCHS"

# ---- 1. build ----
GTEST_ARGS=()
TESTS_BUILD=ON
have_system_gtest() { # MEPROP_GPU_CARRIED_GTEST=1 ignores the system's (to test the carried one)
  [[ "${MEPROP_GPU_CARRIED_GTEST:-0}" == 1 ]] && return 1
  compgen -G "/usr/lib/*/cmake/GTest/GTestConfig.cmake" >/dev/null || compgen -G "/usr/lib/cmake/GTest/GTestConfig.cmake" >/dev/null ||
    compgen -G "/usr/local/lib*/cmake/GTest/GTestConfig.cmake" >/dev/null
}
if [[ $TESTS -eq 0 ]]; then
  TESTS_BUILD=OFF
elif ! have_system_gtest; then
  GTEST_SRC="$(carried googletest || true)"
  if [[ -n "$GTEST_SRC" && -f "$GTEST_SRC/CMakeLists.txt" ]]; then
    log "building GoogleTest from $GTEST_SRC"
    if cmake -S "$GTEST_SRC" -B "$BUILD-gtest/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_GMOCK=OFF \
         -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_INSTALL_PREFIX="$BUILD-gtest/prefix" >"$OUT/gtest-build.log" 2>&1 &&
       cmake --build "$BUILD-gtest/build" -j"$JOBS" >>"$OUT/gtest-build.log" 2>&1 &&
       cmake --install "$BUILD-gtest/build" >>"$OUT/gtest-build.log" 2>&1; then
      GTEST_ARGS=(-DCMAKE_PREFIX_PATH="$BUILD-gtest/prefix")
      record "GoogleTest" "built from the carry" ""
    else
      TESTS_BUILD=OFF
      record "GoogleTest" "FAILED" "see gtest-build.log; native tests not built"
    fi
  else
    TESTS_BUILD=OFF
    record "GoogleTest" "missing" "no system GTest and no $CARRY/googletest (bench/gpu/prepare-carry.sh): native tests not built"
  fi
fi

BUILD_OK=0
if [[ -z "$NVCC" ]]; then
  record "build" "FAILED" "no nvcc found (set CUDACXX or CUDA_HOME)"
else
  CUDA_ARGS=($(MEPROP_CUDA_ARCHS="$ARCHS" cuda_cmake_args))
  if cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DMEPROP_CUDA=ON -DMEPROP_CUDA_WERROR=OFF \
       -DMEPROP_BUILD_GPU_BENCH=ON -DMEPROP_BUILD_TESTS="$TESTS_BUILD" "${CUDA_ARGS[@]}" "${GTEST_ARGS[@]}" \
       >"$OUT/configure.log" 2>&1 &&
     cmake --build "$BUILD" -j"$JOBS" >"$OUT/build.log" 2>&1; then
    BUILD_OK=1
    warnings=$(grep -c -i "warning" "$OUT/build.log" || true)
    record "build" "ok" "nvcc $NVCC_VERSION, sm_$ARCHS, $warnings warning lines in build.log"
  else
    record "build" "FAILED" "see configure.log / build.log"
    tail -n 40 "$OUT/build.log" "$OUT/configure.log" 2>/dev/null | sed 's/^/    /' >&2
  fi
fi
NATIVE_DIR="$BUILD/native"

# ---- 2. native tests ----
CTEST_SUMMARY="not run"
if [[ $BUILD_OK -eq 1 && "$TESTS_BUILD" == ON ]]; then
  (cd "$BUILD" && ctest --output-on-failure -j"$JOBS" --timeout 300 --output-junit "$OUT/ctest-junit.xml") >"$OUT/ctest.log" 2>&1
  rc=$?
  CTEST_SUMMARY="$(grep -E 'tests passed|tests failed' "$OUT/ctest.log" | tail -n1)"
  skipped=$(grep -c -- '\*\*\*Skipped' "$OUT/ctest.log" || true)
  if [[ $rc -eq 0 ]]; then record "native tests (ctest)" "ok" "$CTEST_SUMMARY; $skipped skipped"
  else record "native tests (ctest)" "FAILED ($rc)" "$CTEST_SUMMARY; see ctest.log"; fi
fi

# ---- 3. xunit tests from the carry ----
XUNIT_SUMMARY="not run"
if [[ $XUNIT -eq 1 && $BUILD_OK -eq 1 ]]; then
  TESTS_DIR="$(carried tests || true)"
  if [[ -n "$TESTS_DIR" && -x "$TESTS_DIR/MePropNative.Tests" ]]; then
    MEPROP_NATIVE_DIR="$NATIVE_DIR" "$TESTS_DIR/MePropNative.Tests" -xml "$OUT/xunit.xml" -noColor >"$OUT/xunit.log" 2>&1
    rc=$?
    XUNIT_SUMMARY="$(grep -E 'Total:' "$OUT/xunit.log" | tail -n1 | sed 's/^ *//')"
    if [[ $rc -eq 0 ]]; then record "xunit tests" "ok" "$XUNIT_SUMMARY"
    else record "xunit tests" "FAILED ($rc)" "$XUNIT_SUMMARY; see xunit.log"; fi
  else
    record "xunit tests" "not carried" "run bench/gpu/prepare-carry.sh on a machine with .NET"
  fi
fi

# ---- 4. top-k benchmark vs PyTorch ----
COMPARE_MD=""
QUICK_ARG=(); [[ $QUICK -eq 1 ]] && QUICK_ARG=(--quick)
if [[ $BENCH -eq 1 && $TOPK -eq 1 && $BUILD_OK -eq 1 ]]; then
  if "$NATIVE_DIR/topk_bench" "${QUICK_ARG[@]}" >"$OUT/topk_bench.json" 2>"$OUT/topk_bench.txt"; then
    record "topk_bench" "ok" "topk_bench.json"
  else
    rc=$?
    record "topk_bench" "FAILED ($rc)" "$(head -c 300 "$OUT/topk_bench.txt" | head -n1)"
  fi
  if command -v python3 >/dev/null && python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    if python3 "$ROOT/bench/gpu/torch_topk.py" "${QUICK_ARG[@]}" >"$OUT/torch_topk.json" 2>"$OUT/torch_topk.err"; then
      record "torch_topk.py" "ok" "$(python3 -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda)')"
    else
      record "torch_topk.py" "FAILED" "see torch_topk.err"
    fi
  else
    record "torch_topk.py" "skipped" "no python3 with a CUDA-enabled torch"
  fi
  if [[ -s "$OUT/topk_bench.json" ]] && command -v python3 >/dev/null; then
    python3 "$ROOT/bench/gpu/compare.py" "$OUT/topk_bench.json" "$OUT/torch_topk.json" >"$OUT/topk_compare.md" 2>&1
    COMPARE_MD="$(cat "$OUT/topk_compare.md")"
  fi
fi

# ---- 5. .NET benchmarks (hook) ----
BENCH_DIR=""
[[ $BENCH -eq 1 && $TOPK -eq 1 && $BUILD_OK -eq 1 ]] && BENCH_DIR="$(carried bench || true)"
if [[ -n "$BENCH_DIR" ]]; then
  mkdir -p "$OUT/bench"
  if [[ -f "$BENCH_DIR/run-gpu-bench.sh" ]]; then
    OUT="$OUT/bench" MEPROP_NATIVE_DIR="$NATIVE_DIR" bash "$BENCH_DIR/run-gpu-bench.sh" >"$OUT/bench/run.log" 2>&1
    rc=$?
  elif BENCH_EXE="$(ls "$BENCH_DIR"/meprop-bench "$BENCH_DIR"/MePropNative.Benchmarks 2>/dev/null | head -n1)" && [[ -x "$BENCH_EXE" ]]; then
    (cd "$OUT/bench" && MEPROP_NATIVE_DIR="$NATIVE_DIR" "$BENCH_EXE" ${MEPROP_GPU_BENCH_ARGS:-} \
       >"$OUT/bench/run.log" 2>&1)
    rc=$?
  else
    rc=127
  fi
  if [[ $rc -eq 0 ]]; then record ".NET benchmarks" "ok" "bench/run.log"
  elif [[ $rc -eq 127 ]]; then record ".NET benchmarks" "not carried" "no run-gpu-bench.sh, meprop-bench or MePropNative.Benchmarks in $BENCH_DIR"
  else record ".NET benchmarks" "FAILED ($rc)" "see bench/run.log"; fi
fi

# ---- 6. meprop-gpubench (backward sweep, MLP step) and the PyTorch meProp baseline ----
GPUBENCH_MD=""
if [[ $BENCH -eq 1 && $GPUBENCH -eq 1 && $BUILD_OK -eq 1 ]]; then
  GB_DIR="$(carried gpubench || true)"
  if [[ -n "$GB_DIR" && -x "$GB_DIR/meprop-gpubench" ]]; then
    mkdir -p "$OUT/gpubench"
    MEPROP_NATIVE_DIR="$NATIVE_DIR" "$GB_DIR/meprop-gpubench" --out "$OUT/gpubench" "${QUICK_ARG[@]}" ${MEPROP_GPUBENCH_ARGS:-} \
      >"$OUT/gpubench/run.log" 2>&1
    rc=$?
    if [[ $rc -eq 0 ]]; then record "meprop-gpubench" "ok" "gpubench/backward.md, gpubench/mlp_step.md (+ .csv)"
    else record "meprop-gpubench" "FAILED ($rc)" "see gpubench/run.log"; fi
  else
    record "meprop-gpubench" "not carried" "run bench/gpu/prepare-carry.sh on a machine with .NET"
  fi
  if command -v python3 >/dev/null && python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    if python3 "$ROOT/bench/gpu/torch_meprop.py" --check "${QUICK_ARG[@]}" >"$OUT/torch_meprop.json" 2>"$OUT/torch_meprop.err"; then
      record "torch_meprop.py" "ok" "gradient check passed; $(python3 -c 'import torch; print("torch", torch.__version__)')"
    else
      record "torch_meprop.py" "FAILED" "see torch_meprop.json / torch_meprop.err"
    fi
  else
    record "torch_meprop.py" "skipped" "no python3 with a CUDA-enabled torch"
  fi
  if [[ -f "$OUT/gpubench/mlp_step.json" ]] && command -v python3 >/dev/null; then
    python3 "$ROOT/bench/gpu/report.py" "$OUT/gpubench/mlp_step.json" "$OUT/torch_meprop.json" >"$OUT/mlp_compare.md" 2>&1
  fi
  for f in "$OUT/gpubench/backward.md" "$OUT/gpubench/mlp_step.md" "$OUT/mlp_compare.md"; do
    [[ -f "$f" ]] && GPUBENCH_MD+=$'\n'"$(sed 's/^# /### /' "$f")"$'\n'
  done
fi

# ---- 7. results ----
BUILD_INFO="$(grep -o '"build": "[^"]*"' "$OUT/topk_bench.json" 2>/dev/null | cut -d'"' -f4)"
[[ -z "$BUILD_INFO" && -f "$NATIVE_DIR/libmeprop.so" ]] && BUILD_INFO="$(strings -a "$NATIVE_DIR/libmeprop.so" 2>/dev/null | grep -m1 '^libmeprop [0-9]')"
{
  echo "# GPU results"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'), host $(hostname)"
  echo "- GPU (nvidia-smi name, driver, memory): $GPU_INFO"
  echo "- CUDA version supported by the driver (nvidia-smi): ${SMI_CUDA:-unknown}; CUDA runtime of libmeprop: see libmeprop below"
  echo "- CUDA toolkit: ${NVCC:-none} ($NVCC_VERSION); architectures built: sm_$ARCHS"
  echo "- libmeprop: ${BUILD_INFO:-unknown}"
  echo "- Commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo
  echo "| step | result | details |"
  echo "|---|---|---|"
  printf '%s\n' "${STEPS[@]}"
  echo
  echo "## Native tests"
  echo
  echo "$CTEST_SUMMARY"
  if [[ -f "$OUT/ctest.log" ]]; then
    failed="$(sed -n '/The following tests FAILED/,$p' "$OUT/ctest.log")"
    [[ -n "$failed" ]] && { echo; echo '```'; echo "$failed"; echo '```'; }
  fi
  echo
  echo "## xunit tests"
  echo
  echo "$XUNIT_SUMMARY"
  if [[ -f "$OUT/xunit.log" ]]; then
    fails="$(grep -E '\[FAIL\]' "$OUT/xunit.log" | head -n 30)"
    [[ -n "$fails" ]] && { echo; echo '```'; echo "$fails"; echo '```'; }
  fi
  if [[ -n "$GPUBENCH_MD" ]]; then
    echo
    echo "## meprop-gpubench and the PyTorch meProp baseline"
    echo "$GPUBENCH_MD"
  fi
  if [[ -n "$COMPARE_MD" ]]; then
    echo
    echo "## Top-k and sparse-backward kernels"
    echo
    echo "$COMPARE_MD"
  fi
} >"$OUT/gpu-results.md"
log "wrote $OUT/gpu-results.md"
exit $FAILED
