#include "internal.h"

#ifndef MEPROP_VERSION
#define MEPROP_VERSION "0.0.0"
#endif
#ifndef MEPROP_BUILD_TYPE
#define MEPROP_BUILD_TYPE "unknown"
#endif
#ifdef MEPROP_WITH_CUDA
#define MP_CUDA_INFO "cuda=on archs=" MEPROP_CUDA_ARCHS
#else
#define MP_CUDA_INFO "cuda=off"
#endif
#if defined(__clang__)
#define MP_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define MP_COMPILER "gcc " __VERSION__
#elif defined(_MSC_VER)
#define MP_COMPILER "msvc"
#else
#define MP_COMPILER "unknown compiler"
#endif

const char* mp_build_info(void) {
    return "libmeprop " MEPROP_VERSION " (" MEPROP_BUILD_TYPE ", " MP_COMPILER ", " MP_CUDA_INFO ")";
}

int32_t mp_abi_version(void) { return MP_ABI_VERSION; }
