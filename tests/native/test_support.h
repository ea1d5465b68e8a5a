// Shared helpers of the kernel tests (top-k, random-k, compaction, column sums, sparse backward): ISA and thread
// guards, random data, poison values, bit-level comparisons and the FTZ/DAZ arithmetic the kernels run with.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "meprop.h"

namespace mptest {

inline bool cpu_has_avx2() {
    const uint32_t f = mp_cpu_features();
    return (f & MP_CPU_AVX2) && (f & MP_CPU_FMA);
}

// Forces an ISA for a scope and restores MP_ISA_AUTO.
struct IsaScope {
    explicit IsaScope(int32_t isa) { EXPECT_EQ(mp_set_isa(isa), MP_OK) << mp_last_error(); }
    ~IsaScope() { mp_set_isa(MP_ISA_AUTO); }
};

// Sets the thread count for a scope and restores the previous one.
struct ThreadScope {
    int32_t before;
    explicit ThreadScope(int32_t threads) : before(mp_get_num_threads()) { EXPECT_EQ(mp_set_num_threads(threads), MP_OK); }
    ~ThreadScope() { mp_set_num_threads(before); }
};

#define MPTEST_REQUIRE_AVX2()                                                                       \
    do {                                                                                            \
        if (!mptest::cpu_has_avx2()) GTEST_SKIP() << "this CPU lacks AVX2+FMA: no AVX2 kernels to compare"; \
    } while (0)

// The ISAs to run a kernel under: always scalar, AVX2 when the CPU has it.
inline std::vector<int32_t> isas() {
    std::vector<int32_t> v{MP_ISA_SCALAR};
    if (cpu_has_avx2()) v.push_back(MP_ISA_AVX2);
    return v;
}
inline const char* isa_name(int32_t isa) { return isa == MP_ISA_AVX2 ? "avx2" : "scalar"; }

inline uint32_t bits_of(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}
inline float from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

// Poison: outputs start filled with these; an element still holding one was not written.
const uint32_t kPoisonBits = 0x7fc0deadu;  // a quiet NaN no kernel produces
const int32_t kPoisonIndex = static_cast<int32_t>(0xdeadbeefu);
inline float poison() { return from_bits(kPoisonBits); }
inline std::vector<float> poisoned(size_t n) { return std::vector<float>(n, poison()); }
inline std::vector<int32_t> poisoned_idx(size_t n) { return std::vector<int32_t>(n, kPoisonIndex); }

inline bool same_bits(float a, float b) { return bits_of(a) == bits_of(b); }

// Every element outside [0, cols) of each of `rows` rows of stride ld (up to size) still holds poison.
inline ::testing::AssertionResult padding_untouched(const std::vector<float>& v, int64_t rows, int64_t cols, int64_t ld) {
    for (int64_t i = 0; i < static_cast<int64_t>(v.size()); i++) {
        const int64_t r = i / ld, c = i % ld;
        if ((r >= rows || c >= cols) && bits_of(v[i]) != kPoisonBits)
            return ::testing::AssertionFailure() << "element " << i << " (row " << r << ", col " << c << ") was written";
    }
    return ::testing::AssertionSuccess();
}
inline ::testing::AssertionResult padding_untouched(const std::vector<int32_t>& v, int64_t rows, int64_t cols, int64_t ld) {
    for (int64_t i = 0; i < static_cast<int64_t>(v.size()); i++) {
        const int64_t r = i / ld, c = i % ld;
        if ((r >= rows || c >= cols) && v[i] != kPoisonIndex)
            return ::testing::AssertionFailure() << "element " << i << " (row " << r << ", col " << c << ") was written";
    }
    return ::testing::AssertionSuccess();
}

inline std::vector<float> random_floats(size_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

inline std::vector<float> random_normal(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// Small integers (exact in float, and their products and short sums too), so every rounding mode agrees.
inline std::vector<float> random_small_ints(size_t n, uint64_t seed, int lo = -8, int hi = 8) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(d(rng));
    return v;
}

// The kernels run with FTZ/DAZ: a denormal operand reads as (signed) zero and a denormal result becomes zero.
inline float daz(float v) { return std::fpclassify(v) == FP_SUBNORMAL ? std::copysign(0.0f, v) : v; }

inline float denormal() { return std::numeric_limits<float>::denorm_min() * 12345.0f; }

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// Expects `status` and a last-error message containing every fragment.
inline ::testing::AssertionResult fails_with(mp_status status, mp_status expected, std::initializer_list<std::string> fragments) {
    const std::string msg = mp_last_error();
    if (status != expected)
        return ::testing::AssertionFailure() << "status " << status << " (expected " << expected << "), message: " << msg;
    for (const std::string& f : fragments)
        if (!contains(msg, f)) return ::testing::AssertionFailure() << "message \"" << msg << "\" lacks \"" << f << "\"";
    return ::testing::AssertionSuccess();
}

}  // namespace mptest
