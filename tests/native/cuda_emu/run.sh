#!/usr/bin/env bash
# Runs tests/native/test_cuda_kernels.cpp, test_cuda_backend_ops.cpp and test_cuda_conv_ops.cpp against the CUDA kernels compiled for the CPU emulation (emu.hpp): checks
# the kernels' logic on a machine without a GPU. Not a substitute for the GPU run (no memory model, no timing).
#   tests/native/cuda_emu/run.sh [gtest args...]          e.g. --gtest_filter='*TopK*'
#   EMU_ORDER=reverse|random tests/native/cuda_emu/run.sh  runs the threads of each barrier phase in another order
#   EMU_SANITIZE=1 ...                                    AddressSanitizer + UBSan: out-of-bounds kernel accesses to
#                                                         "device" memory (host memory here) are reported
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
EMU="$ROOT/tests/native/cuda_emu"
OUT="${EMU_BUILD_DIR:-$ROOT/build/cuda-emu}"
mkdir -p "$OUT/src" "$OUT/obj"
CXX="${CXX:-g++}"
FLAGS=(-std=c++17 -O2 -g -fno-strict-aliasing -Wall -Wno-unknown-pragmas -Wno-unused-function)
CFLAGS_EXTRA=()
if [[ "${EMU_SANITIZE:-0}" == 1 ]]; then
  OUT="${EMU_BUILD_DIR:-$ROOT/build/cuda-emu-asan}"
  mkdir -p "$OUT/src" "$OUT/obj"
  FLAGS+=(-fsanitize=address,undefined -fno-omit-frame-pointer -O1)
  CFLAGS_EXTRA=(-fsanitize=address,undefined)
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_stack_use_after_return=0:detect_leaks=0}"
fi

for f in "$ROOT"/native/src/cuda/*.cu "$ROOT"/native/src/cuda/*.cuh; do
  python3 "$EMU/preprocess.py" "$f" > "$OUT/src/$(basename "$f").tmp" 2>/dev/null
  name="$(basename "$f")"; [[ "$name" == *.cu ]] && name="${name%.cu}.cpp"
  cmp -s "$OUT/src/$(basename "$f").tmp" "$OUT/src/$name" 2>/dev/null || mv "$OUT/src/$(basename "$f").tmp" "$OUT/src/$name"
  rm -f "$OUT/src/$(basename "$f").tmp"
done

objs=()
compile() { # src obj args...
  local src="$1" obj="$2"; shift 2
  if [[ ! -f "$obj" || "$src" -nt "$obj" || "$EMU/emu.hpp" -nt "$obj" || -n "$(find "$OUT/src" "$ROOT/native/include" -newer "$obj" -name '*.*h' 2>/dev/null | head -n1)" ]]; then
    echo "[cuda-emu] compiling $(basename "$src")" >&2
    "$@" -c "$src" -o "$obj"
  fi
  objs+=("$obj")
}
for f in "$OUT"/src/*.cpp; do
  compile "$f" "$OUT/obj/$(basename "$f").o" "$CXX" "${FLAGS[@]}" -include "$EMU/emu.hpp" -I"$EMU/include" -I"$OUT/src" \
    -I"$ROOT/native/include" -I"$ROOT/native/src/common"
done
compile "$EMU/emu.cpp" "$OUT/obj/emu.o" "$CXX" "${FLAGS[@]}"
compile "$ROOT/native/src/common/error.c" "$OUT/obj/error.o" gcc "${CFLAGS_EXTRA[@]}" -std=c11 -O2 -I"$ROOT/native/include" -I"$ROOT/native/src/common"
compile "$ROOT/native/src/common/build_info.c" "$OUT/obj/build_info.o" gcc "${CFLAGS_EXTRA[@]}" -std=c11 -O2 -DMEPROP_WITH_CUDA \
  '-DMEPROP_CUDA_ARCHS="cpu-emulation"' -I"$ROOT/native/include" -I"$ROOT/native/src/common"
compile "$ROOT/tests/native/test_cuda_kernels.cpp" "$OUT/obj/test_cuda_kernels.o" "$CXX" "${FLAGS[@]}" -I"$ROOT/native/include"
compile "$ROOT/tests/native/test_cuda_backend_ops.cpp" "$OUT/obj/test_cuda_backend_ops.o" "$CXX" "${FLAGS[@]}" -I"$ROOT/native/include"
compile "$ROOT/tests/native/test_cuda_conv_ops.cpp" "$OUT/obj/test_cuda_conv_ops.o" "$CXX" "${FLAGS[@]}" -I"$ROOT/native/include"
"$CXX" "${FLAGS[@]}" -o "$OUT/test_cuda_emu" "${objs[@]}" -lgtest -lgtest_main -pthread
exec "$OUT/test_cuda_emu" "$@"
