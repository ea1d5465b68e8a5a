// What the CUDA test files share: why GPU tests must skip here (a CPU-only build, or no device), the poison value and
// the bitwise and tolerance comparisons, device buffers, normal random matrices, and an assertion that prints
// libmeprop's error message.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "meprop.h"

namespace mptest_cuda {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kPoison = -777.0f;  // what outputs are filled with before a launch: every element must be overwritten

// Bitwise equality, NaN equal to NaN (-0 differs from +0).
inline bool Same(float a, float b) {
    uint32_t ua, ub;
    std::memcpy(&ua, &a, 4);
    std::memcpy(&ub, &b, 4);
    return ua == ub || (std::isnan(a) && std::isnan(b));
}

// |got - want| <= 1e-4 * max(scale, 1e-6) element by element; reports the first few misses.
inline void Close(const std::vector<float>& got, const std::vector<double>& want, const std::vector<double>& scale,
           const std::string& what) {
    ASSERT_EQ(got.size(), want.size());
    int reported = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        if (std::isnan(want[i])) {
            if (!std::isnan(got[i]) && reported++ < 5) ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", want NaN";
            continue;
        }
        const double tol = 1e-4 * std::max(scale[i], 1e-6);
        if (!(std::fabs((double)got[i] - want[i]) <= tol) && reported++ < 5)
            ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", want " << want[i] << " (tol " << tol << ")";
    }
}

// As above with the scale |want|.
inline void Close(const std::vector<float>& got, const std::vector<double>& want, const std::string& what) {
    std::vector<double> scale(want.size());
    for (size_t i = 0; i < want.size(); ++i) scale[i] = std::fabs(want[i]);
    Close(got, want, scale, what);
}

// Checks the padding columns [cols, ld) of a rows x ld matrix still hold the poison.
inline void PaddingUntouched(const std::vector<float>& m, int64_t rows, int64_t cols, int64_t ld, const char* what) {
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = cols; c < ld; ++c)
            if (!Same(m[(size_t)(r * ld + c)], kPoison)) {
                ADD_FAILURE() << what << ": padding (" << r << ", " << c << ") was written";
                return;
            }
}

inline bool BuiltWithCuda() { return std::string(mp_build_info()).find("cuda=on") != std::string::npos; }

inline std::string NoGpuReason() {
    if (!BuiltWithCuda()) return "CPU-only build of libmeprop (configure with -DMEPROP_CUDA=ON)";
    if (mp_cuda_device_count() == 0) return "mp_cuda_device_count() == 0 (no driver or no device)";
    return "";
}


// Device memory of n elements of T, freed on scope exit.
template <class T>
class DeviceBuffer {
  public:
    explicit DeviceBuffer(size_t n) : n_(n == 0 ? 1 : n) {
        void* p = nullptr;
        status_ = mp_cuda_malloc(&p, (int64_t)(n_ * sizeof(T)));
        p_ = static_cast<T*>(p);
    }
    DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { Upload(host); }
    ~DeviceBuffer() { if (p_ != nullptr) mp_cuda_free(p_); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;

    T* get() const { return p_; }
    bool ok() const { return status_ == MP_OK && p_ != nullptr; }
    void Upload(const std::vector<T>& host) {
        ASSERT_NE(p_, nullptr);
        ASSERT_LE(host.size(), n_);
        ASSERT_EQ(mp_cuda_memcpy_htod(p_, host.data(), (int64_t)(host.size() * sizeof(T))), MP_OK) << mp_last_error();
    }
    void Fill(T value) { Upload(std::vector<T>(n_, value)); }
    std::vector<T> Download() const {
        std::vector<T> host(n_);
        EXPECT_EQ(mp_cuda_synchronize(nullptr), MP_OK) << mp_last_error();
        EXPECT_EQ(mp_cuda_memcpy_dtoh(host.data(), p_, (int64_t)(n_ * sizeof(T))), MP_OK) << mp_last_error();
        return host;
    }

  private:
    size_t n_;
    T* p_ = nullptr;
    mp_status status_ = MP_ERR_INTERNAL;
};

inline std::vector<float> RandomMatrix(std::mt19937& rng, size_t count, float scale = 1.0f) {
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(count);
    for (float& x : v) x = dist(rng);
    return v;
}

}  // namespace mptest_cuda

#define SKIP_WITHOUT_GPU()                                                      \
    do {                                                                        \
        const std::string why_ = mptest_cuda::NoGpuReason();                    \
        if (!why_.empty()) GTEST_SKIP() << "no CUDA device: " << why_;          \
    } while (0)

#define MP_ASSERT_OK(call) ASSERT_EQ((call), MP_OK) << mp_last_error()
