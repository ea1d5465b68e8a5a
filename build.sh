#!/usr/bin/env bash
# MePropNative build driver. Idempotent: installs only what is missing, rebuilds only what changed.
#   ./build.sh            set up (packages, data), build native + managed (Release)
#   ./build.sh run        set up, build, then run the main job (see README)
#   ./build.sh test       set up, build, run CTest (normal + ASan/UBSan), dotnet test and the package check
#   ./build.sh pack       set up, build, write the NuGet packages to artifacts/packages and check them from a user's
#                         project (scripts/package-check.sh)
#   ./build.sh data       install the datasets only
#   ./build.sh clean      remove build outputs
# Options: --cuda (install the CUDA toolkit and build the CUDA kernels, MEPROP_CUDA=ON, for sm_80 and sm_90; test: also run
#          them under the CPU emulation), --no-sanitize (test: skip the
#          sanitizer build), --config Debug|Release.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

VERB=build; CUDA=OFF; SANITIZE=1; CONFIG=Release; RUN_ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    build|run|test|pack|data|clean) VERB="$1" ;;
    --cuda) CUDA=ON ;;
    --no-sanitize) SANITIZE=0 ;;
    --config) CONFIG="$2"; shift ;;
    --) shift; RUN_ARGS=("$@"); break ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '\033[1m[build.sh]\033[0m %s\n' "$*"; }
SUDO=""; [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null && SUDO=sudo
APT_UPDATED=0
apt_install() { # installs the Debian packages that are not installed yet
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  command -v apt-get >/dev/null || { echo "build.sh: please install: ${missing[*]}" >&2; exit 1; }
  if [[ $APT_UPDATED -eq 0 ]]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_packages() {
  apt_install cmake g++ make libgtest-dev libopenblas-dev gnuplot-nox openssl ca-certificates
  command -v dotnet >/dev/null || { echo "build.sh: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  if [[ $CUDA == ON ]]; then apt_install python3; source "$ROOT/scripts/cuda-toolkit.sh"; install_cuda_toolkit; fi
}

setup_data() { bash "$ROOT/scripts/fetch-data.sh"; }

build_native() {
  local dir="build/native" extra=()
  if [[ $CUDA == ON ]]; then dir="build/native-cuda"; source "$ROOT/scripts/cuda-toolkit.sh"; extra=($(cuda_cmake_args)); fi
  log "native: configure + build ($dir, MEPROP_CUDA=$CUDA)"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$CONFIG" -DMEPROP_CUDA="$CUDA" "${extra[@]}" >/dev/null
  cmake --build "$dir" -j"$(nproc)" >/dev/null
  mkdir -p artifacts/native
  cp -u "$dir"/native/libmeprop.so artifacts/native/
  NATIVE_DIR="$dir"
}

build_managed() {
  log "managed: dotnet build ($CONFIG)"
  dotnet build MePropNative.sln -c "$CONFIG" -nologo -v quiet -clp:ErrorsOnly
}

run_tests() {
  log "native tests (CTest)"
  ctest --test-dir "$NATIVE_DIR" --output-on-failure -j2
  if [[ $SANITIZE -eq 1 ]]; then
    log "native tests under AddressSanitizer + UndefinedBehaviorSanitizer (CTest)"
    cmake -S . -B build/native-asan -DCMAKE_BUILD_TYPE=Debug -DMEPROP_CUDA=OFF -DMEPROP_SANITIZE=ON >/dev/null
    cmake --build build/native-asan -j"$(nproc)" >/dev/null
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
      ctest --test-dir build/native-asan --output-on-failure -j2
  fi
  if [[ $CUDA == ON ]]; then
    # No GPU here: the GPU tests above skip. The kernels' logic still runs: every .cu compiled for the CPU emulation
    # (tests/native/cuda_emu, g++ fibers), the same GoogleTest suites as on a GPU.
    log "CUDA kernels under the CPU emulation (tests/native/cuda_emu)"
    EMU_BUILD_DIR="$ROOT/build/cuda-emu" bash "$ROOT/tests/native/cuda_emu/run.sh"
  fi
  log "managed tests (xunit v3)"
  dotnet test MePropNative.sln -c "$CONFIG" --no-build
  check_packages
}

check_packages() {
  log "NuGet packages: pack into artifacts/packages, then build and run tests/package against them"
  bash "$ROOT/scripts/package-check.sh" "$CONFIG"
}

case "$VERB" in
  clean) rm -rf build artifacts; dotnet clean MePropNative.sln -nologo -v quiet >/dev/null 2>&1 || true; exit 0 ;;
  data) setup_data; exit 0 ;;
esac

setup_packages
setup_data
build_native
build_managed
case "$VERB" in
  test) run_tests ;;
  pack) check_packages ;;
  run) log "main job"; bash "$ROOT/scripts/main-job.sh" "${RUN_ARGS[@]}" ;;
esac
