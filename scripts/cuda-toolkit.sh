#!/usr/bin/env bash
# CUDA toolkit helpers, sourced by build.sh --cuda and bench/gpu/run.sh.
#
#   install_cuda_toolkit   Debian/Ubuntu: installs nvcc from the distribution (Debian bookworm: CUDA 11.8, which
#                          needs g++ <= 11 as host compiler). Idempotent: does nothing when nvcc is already usable
#                          (a GPU machine with its own CUDA 12/13 keeps it).
#   cuda_cmake_args        Prints the CMake arguments for MEPROP_CUDA=ON with the nvcc found:
#                          -DCMAKE_CUDA_COMPILER=<nvcc> [-DCMAKE_CUDA_HOST_COMPILER=<g++-11|cuda-g++>]
#                          -DCMAKE_CUDA_ARCHITECTURES=<archs>. The host compiler is forced only for nvcc 11.x;
#                          nvcc 12/13 use their default. Archs: $MEPROP_CUDA_ARCHS if set, else "80;90".
#
# Usable with `set -euo pipefail`; prints progress on stderr only, so `$(cuda_cmake_args)` stays clean.

_cuda_log() { printf '[cuda-toolkit] %s\n' "$*" >&2; }

# The nvcc to use: $CUDACXX, then PATH, then the usual install prefixes (newest first).
find_nvcc() {
  local c
  if [[ -n "${CUDACXX:-}" && -x "${CUDACXX}" ]]; then echo "$CUDACXX"; return 0; fi
  if c="$(command -v nvcc 2>/dev/null)"; then echo "$c"; return 0; fi
  if [[ -n "${CUDA_HOME:-}" && -x "${CUDA_HOME}/bin/nvcc" ]]; then echo "${CUDA_HOME}/bin/nvcc"; return 0; fi
  for c in /usr/local/cuda/bin/nvcc /usr/local/cuda-13*/bin/nvcc /usr/local/cuda-12*/bin/nvcc /usr/lib/nvidia-cuda-toolkit/bin/nvcc; do
    [[ -x "$c" ]] && { echo "$c"; return 0; }
  done
  return 1
}

# "11.8", "12.4", "13.0", ... of the given nvcc.
nvcc_version() {
  "$1" --version 2>/dev/null | sed -n 's/.*release \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n1
}

# Adds contrib non-free non-free-firmware to the Debian sources (deb822 or one-line format) when missing.
_cuda_enable_nonfree() {
  local sudo="$1" f changed=0
  f=/etc/apt/sources.list.d/debian.sources
  if [[ -f "$f" ]]; then
    if grep -Eq '^Components:' "$f" && grep -E '^Components:' "$f" | grep -Eqv '(^|[[:space:]])non-free([[:space:]]|$)'; then
      _cuda_log "adding contrib non-free non-free-firmware to $f"
      # Rewrite every Components: line to main + the three extra components (keeping any others it had).
      $sudo awk '
        /^Components:/ {
          n = split($0, a, /[[:space:]]+/); line = "Components:"
          delete have
          for (i = 2; i <= n; i++) if (a[i] != "") { have[a[i]] = 1; line = line " " a[i] }
          split("main contrib non-free non-free-firmware", want, " ")
          for (j = 1; j <= 4; j++) if (!(want[j] in have)) line = line " " want[j]
          print line; next
        }
        { print }' "$f" > /tmp/debian.sources.$$ && $sudo cp /tmp/debian.sources.$$ "$f" && rm -f /tmp/debian.sources.$$
      changed=1
    fi
  fi
  f=/etc/apt/sources.list
  if [[ -f "$f" ]] && grep -Eq '^deb .*debian' "$f" && ! grep -Eq '^deb .* non-free' "$f"; then
    _cuda_log "adding contrib non-free non-free-firmware to $f"
    $sudo sed -i -E '/^deb .*debian/ { / contrib/! s/$/ contrib/; / non-free( |$)/! s/$/ non-free/; / non-free-firmware/! s/$/ non-free-firmware/ }' "$f"
    changed=1
  fi
  return $((1 - changed)) # 0 when something changed (the caller then runs apt-get update)
}

install_cuda_toolkit() {
  local nvcc sudo=""
  if nvcc="$(find_nvcc)"; then
    _cuda_log "nvcc found: $nvcc ($(nvcc_version "$nvcc")), nothing to install"
    return 0
  fi
  command -v apt-get >/dev/null || { _cuda_log "no nvcc and no apt-get: install the CUDA toolkit yourself"; return 1; }
  [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null && sudo=sudo
  _cuda_enable_nonfree "$sudo" || true
  _cuda_log "apt-get update + install nvidia-cuda-toolkit nvidia-cuda-toolkit-gcc g++-11 (large download)"
  $sudo apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
    nvidia-cuda-toolkit nvidia-cuda-toolkit-gcc g++-11 >/dev/null
  nvcc="$(find_nvcc)" || { _cuda_log "nvcc still not found after the install"; return 1; }
  _cuda_log "installed: $nvcc ($(nvcc_version "$nvcc"))"
}

cuda_cmake_args() {
  local nvcc ver host=""
  nvcc="$(find_nvcc)" || { _cuda_log "nvcc not found (run install_cuda_toolkit or set CUDACXX)"; return 1; }
  ver="$(nvcc_version "$nvcc")"
  printf '%s\n' "-DCMAKE_CUDA_COMPILER=$nvcc"
  if [[ "$ver" == 11.* ]]; then
    # CUDA 11.x accepts g++ <= 11. Debian's nvidia-cuda-toolkit-gcc ships a cuda-g++ wrapper for exactly this.
    if [[ -n "${CUDAHOSTCXX:-}" ]]; then host="$CUDAHOSTCXX"
    elif command -v g++-11 >/dev/null; then host="$(command -v g++-11)"
    elif command -v cuda-g++ >/dev/null; then host="$(command -v cuda-g++)"
    fi
    [[ -n "$host" ]] && printf '%s\n' "-DCMAKE_CUDA_HOST_COMPILER=$host"
  elif [[ -n "${CUDAHOSTCXX:-}" ]]; then
    printf '%s\n' "-DCMAKE_CUDA_HOST_COMPILER=$CUDAHOSTCXX"
  fi
  printf '%s\n' "-DCMAKE_CUDA_ARCHITECTURES=${MEPROP_CUDA_ARCHS:-80;90}"
}
