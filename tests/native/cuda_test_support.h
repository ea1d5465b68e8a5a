// What the CUDA test files share: why GPU tests must skip here (a CPU-only build, or no device), and an assertion
// that prints libmeprop's error message.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "meprop.h"

namespace mptest_cuda {

inline bool BuiltWithCuda() { return std::string(mp_build_info()).find("cuda=on") != std::string::npos; }

inline std::string NoGpuReason() {
    if (!BuiltWithCuda()) return "CPU-only build of libmeprop (configure with -DMEPROP_CUDA=ON)";
    if (mp_cuda_device_count() == 0) return "mp_cuda_device_count() == 0 (no driver or no device)";
    return "";
}

}  // namespace mptest_cuda

#define SKIP_WITHOUT_GPU()                                                      \
    do {                                                                        \
        const std::string why_ = mptest_cuda::NoGpuReason();                    \
        if (!why_.empty()) GTEST_SKIP() << "no CUDA device: " << why_;          \
    } while (0)

#define MP_ASSERT_OK(call) ASSERT_EQ((call), MP_OK) << mp_last_error()
