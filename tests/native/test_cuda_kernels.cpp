// The CUDA kernels (mp_cuda_*) against references written here (double precision where arithmetic is involved,
// the top-k contract spelled out with float comparisons). Inputs are fresh random data per test, outputs are
// poisoned (NaN / -7) before every launch so an element a kernel forgets to write is caught.
//
// Without a device (or in a CPU-only build) the GPU tests skip with the reason; the argument-check and
// "no device" tests run everywhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_support.h"
#include "meprop.h"

namespace {

using mptest_cuda::BuiltWithCuda;
using mptest_cuda::DeviceBuffer;
using mptest_cuda::RandomMatrix;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr int32_t kPoisonIndex = -7;

// Small integers: many ties in |x|, including +-equal pairs.
std::vector<float> TieHeavyMatrix(std::mt19937& rng, size_t count) {
    std::uniform_int_distribution<int> dist(-6, 6);
    std::vector<float> v(count);
    for (float& x : v) x = (float)dist(rng);
    return v;
}

// The contract of meprop.h with float comparisons: a ranks above b when a is NaN and b is not, or both are numbers
// and |a| > |b|; equal rank -> lower index first. Result ascending by index.
std::vector<int32_t> TopKReference(const float* row, int64_t n, int64_t k) {
    std::vector<int32_t> order((size_t)n);
    std::iota(order.begin(), order.end(), 0);
    auto above = [&](int32_t a, int32_t b) {
        const float xa = row[a], xb = row[b];
        const bool na = std::isnan(xa), nb = std::isnan(xb);
        if (na != nb) return na;
        if (!na && std::fabs(xa) != std::fabs(xb)) return std::fabs(xa) > std::fabs(xb);
        return a < b;
    };
    std::partial_sort(order.begin(), order.begin() + k, order.end(), above);
    order.resize((size_t)k);
    std::sort(order.begin(), order.end());
    return order;
}

bool SameFloat(float a, float b) {
    uint32_t ua, ub;
    std::memcpy(&ua, &a, 4);
    std::memcpy(&ub, &b, 4);
    return ua == ub || (std::isnan(a) && std::isnan(b));
}

// |got - want| <= 1e-4 * scale, scale = the sum of |terms| of the reference (so cancellation is fair), at least
// a tiny absolute floor.
void ExpectClose(const std::vector<float>& got, const std::vector<double>& want, const std::vector<double>& scale,
                 const char* what) {
    ASSERT_GE(got.size(), want.size());
    int reported = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        const double tol = 1e-4 * std::max(scale[i], 1e-6);
        if (!(std::fabs((double)got[i] - want[i]) <= tol) && reported++ < 5)
            ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", want " << want[i] << " (tol " << tol << ")";
    }
}

struct TopKCase {
    int64_t rows, n, k;
    int kind; // 0 normal, 1 tie-heavy, 2 specials (NaN/Inf/-0/denormal), 3 all equal
};

void PrintTo(const TopKCase& c, std::ostream* os) {
    *os << "{rows " << c.rows << ", n " << c.n << ", k " << c.k << ", kind " << c.kind << "}";
}

std::vector<float> MakeTopKInput(std::mt19937& rng, const TopKCase& c, int64_t ldx) {
    std::vector<float> x((size_t)(c.rows * ldx), 1e30f); // padding beyond n: large, must never be selected
    for (int64_t r = 0; r < c.rows; ++r) {
        std::vector<float> row = c.kind == 1 ? TieHeavyMatrix(rng, (size_t)c.n)
                                 : c.kind == 3 ? std::vector<float>((size_t)c.n, r % 2 ? -0.5f : 0.5f)
                                               : RandomMatrix(rng, (size_t)c.n);
        if (c.kind == 2) {
            std::uniform_int_distribution<int64_t> pos(0, c.n - 1);
            const float specials[] = {kNaN, -kNaN, kInf, -kInf, -0.0f, 0.0f, 1e-40f, -1e-40f,
                                      std::numeric_limits<float>::max(), -std::numeric_limits<float>::max()};
            for (int s = 0; s < 3; ++s)
                for (float v : specials) row[(size_t)pos(rng)] = v;
        }
        std::copy(row.begin(), row.end(), x.begin() + r * ldx);
    }
    return x;
}

} // namespace

// ---- runs everywhere ------------------------------------------------------------------------------------------

TEST(CudaApi, DeviceCountNeverFailsAndVersionsAreReported) {
    EXPECT_GE(mp_cuda_device_count(), 0);
    int32_t runtime = -1, driver = -1;
    const mp_status st = mp_cuda_versions(&runtime, &driver);
    if (BuiltWithCuda()) {
        EXPECT_EQ(st, MP_OK) << mp_last_error();
        EXPECT_GE(runtime, 11000);
        EXPECT_GE(driver, 0);
    } else {
        EXPECT_EQ(st, MP_ERR_UNSUPPORTED);
        EXPECT_NE(std::string(mp_last_error()).find("without CUDA"), std::string::npos) << mp_last_error();
    }
}

TEST(CudaApi, ArgumentsAreCheckedBeforeAnythingRuns) {
    float* fake = reinterpret_cast<float*>(uintptr_t{4096});
    int32_t* fake_idx = reinterpret_cast<int32_t*>(uintptr_t{8192});
    if (!BuiltWithCuda()) {
        EXPECT_EQ(mp_cuda_fill_f32(fake, 2, 2, 2, 0.0f, nullptr), MP_ERR_UNSUPPORTED);
        return;
    }
    EXPECT_EQ(mp_cuda_fill_f32(fake, 2, 3, 2, 0.0f, nullptr), MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("ldx = 2"), std::string::npos) << mp_last_error();
    EXPECT_EQ(mp_cuda_topk_abs_rows_f32(fake, 4, 100, 100, 101, fake_idx, 101, nullptr, 0, nullptr, 0, nullptr),
              MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("k = 101"), std::string::npos) << mp_last_error();
    EXPECT_EQ(mp_cuda_topk_abs_rows_f32(nullptr, 4, 100, 100, 5, fake_idx, 5, nullptr, 0, nullptr, 0, nullptr),
              MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("x is NULL"), std::string::npos) << mp_last_error();
    EXPECT_EQ(mp_cuda_topk_abs_rows_f32(fake, 4, 100, 100, 5, fake_idx, 5, fake, 4, nullptr, 0, nullptr),
              MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("ldv = 4"), std::string::npos) << mp_last_error();
    int64_t bytes = -1;
    EXPECT_EQ(mp_cuda_sparse_backward_dw_workspace_size(8, 100, 5, 7, &bytes), MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("algo = 7"), std::string::npos) << mp_last_error();
    ASSERT_EQ(mp_cuda_sparse_backward_dw_workspace_size(8, 100, 5, MP_CUDA_DW_SORTED, &bytes), MP_OK);
    EXPECT_GE(bytes, (int64_t)(101 + 100 + 2 * 40) * 4);
    EXPECT_EQ(mp_cuda_sparse_backward_dw_f32(8, 100, 3, 5, fake_idx, 5, fake, 5, fake, 3, fake, 3, MP_CUDA_DW_SORTED,
                                             fake, bytes - 1, nullptr),
              MP_ERR_WORKSPACE_TOO_SMALL);
    EXPECT_EQ(mp_cuda_topk_abs_unified_f32(fake, 4, 100, 100, 5, fake_idx, nullptr, nullptr, 0, nullptr),
              MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("workspace is NULL"), std::string::npos) << mp_last_error();
    EXPECT_EQ(mp_cuda_msbp_update_f32(fake, 2, 10, 10, fake_idx, 3, 4, 0.5f, fake, 10, nullptr), MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("ldi = 3"), std::string::npos) << mp_last_error();
}

TEST(CudaApi, WithoutADeviceALaunchFailsWithTheCudaErrorName) {
    if (!BuiltWithCuda()) GTEST_SKIP() << "CPU-only build: every mp_cuda_* call is MP_ERR_UNSUPPORTED";
    if (mp_cuda_device_count() > 0) GTEST_SKIP() << "a device is present: this test is for machines without one";
    float* fake = reinterpret_cast<float*>(uintptr_t{4096});
    EXPECT_EQ(mp_cuda_fill_f32(fake, 2, 2, 2, 0.0f, nullptr), MP_ERR_CUDA);
    EXPECT_NE(std::string(mp_last_error()).find("cudaError"), std::string::npos) << mp_last_error();
    void* p = nullptr;
    EXPECT_EQ(mp_cuda_malloc(&p, 64), MP_ERR_CUDA);
    EXPECT_NE(std::string(mp_last_error()).find("cudaError"), std::string::npos) << mp_last_error();
    EXPECT_EQ(mp_cuda_device_count(), 0); // still answers, still 0
}

// ---- GPU ------------------------------------------------------------------------------------------------------

TEST(CudaDevice, InfoNamesTheDevice) {
    SKIP_WITHOUT_GPU();
    char name[256];
    int32_t major = 0, minor = 0;
    int64_t total = 0;
    MP_ASSERT_OK(mp_cuda_device_info(0, name, sizeof name, &major, &minor, &total));
    EXPECT_GT(std::strlen(name), 0u);
    EXPECT_GE(major, 3);
    EXPECT_GT(total, 0);
    EXPECT_EQ(mp_cuda_device_info(mp_cuda_device_count(), name, sizeof name, nullptr, nullptr, nullptr),
              MP_ERR_INVALID_ARGUMENT);
}

std::string TopKCaseName(const ::testing::TestParamInfo<TopKCase>& info) {
    static const char* const kinds[] = {"normal", "ties", "specials", "equal"};
    const TopKCase& c = info.param;
    return "rows" + std::to_string(c.rows) + "_n" + std::to_string(c.n) + "_k" + std::to_string(c.k) + "_" +
           kinds[c.kind];
}

class CudaTopKRows : public ::testing::TestWithParam<TopKCase> {};

TEST_P(CudaTopKRows, MatchesTheContract) {
    SKIP_WITHOUT_GPU();
    const TopKCase c = GetParam();
    std::mt19937 rng((uint32_t)(c.rows * 7919 + c.n * 31 + c.k + c.kind));
    const int64_t ldx = c.n + (c.n % 3), ldi = c.k + 1, ldv = c.k + 2;
    const std::vector<float> x = MakeTopKInput(rng, c, ldx);
    DeviceBuffer<float> dx(x);
    DeviceBuffer<int32_t> didx((size_t)(c.rows * ldi));
    DeviceBuffer<float> dval((size_t)(c.rows * ldv));
    ASSERT_TRUE(dx.ok() && didx.ok() && dval.ok());
    int64_t ws = -1;
    MP_ASSERT_OK(mp_cuda_topk_abs_rows_workspace_size(c.rows, c.n, c.k, &ws));
    DeviceBuffer<unsigned char> dws((size_t)std::max<int64_t>(ws, 1));

    for (int with_values = 1; with_values >= 0; --with_values) { // fused (values) and indices-only
        didx.Fill(kPoisonIndex);
        dval.Fill(kNaN);
        MP_ASSERT_OK(mp_cuda_topk_abs_rows_f32(dx.get(), c.rows, c.n, ldx, c.k, didx.get(), ldi,
                                               with_values ? dval.get() : nullptr, ldv, dws.get(), ws, nullptr));
        const std::vector<int32_t> idx = didx.Download();
        const std::vector<float> val = dval.Download();
        for (int64_t r = 0; r < c.rows; ++r) {
            const std::vector<int32_t> want = TopKReference(x.data() + r * ldx, c.n, c.k);
            const std::vector<int32_t> got(idx.begin() + r * ldi, idx.begin() + r * ldi + c.k);
            ASSERT_EQ(got, want) << "row " << r << " (rows " << c.rows << ", n " << c.n << ", k " << c.k << ")";
            EXPECT_EQ(idx[(size_t)(r * ldi + c.k)], kPoisonIndex) << "wrote past k in row " << r;
            for (int64_t j = 0; j < c.k; ++j) {
                const float v = val[(size_t)(r * ldv + j)];
                if (with_values)
                    ASSERT_TRUE(SameFloat(v, x[(size_t)(r * ldx + want[(size_t)j])])) << "value " << j << " of row " << r;
                else
                    ASSERT_TRUE(std::isnan(v)) << "values written although val == NULL";
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, CudaTopKRows,
    ::testing::Values(TopKCase{1, 1, 1, 0}, TopKCase{3, 7, 7, 0}, TopKCase{5, 500, 1, 0}, TopKCase{5, 500, 500, 0},
                      TopKCase{17, 500, 20, 0}, TopKCase{9, 784, 37, 1}, TopKCase{4, 2048, 100, 0},
                      TopKCase{4, 2049, 100, 1}, TopKCase{3, 10240, 1024, 0}, TopKCase{3, 10241, 1000, 1},
                      TopKCase{2, 65536, 1024, 0}, TopKCase{2, 65536, 1, 1}, TopKCase{6, 3000, 64, 2},
                      TopKCase{6, 20000, 64, 2}, TopKCase{4, 1000, 250, 3}, TopKCase{4, 12000, 999, 3},
                      TopKCase{256, 500, 10, 1}, TopKCase{4096, 512, 16, 0}),
    TopKCaseName);

TEST(CudaTopKUnified, PicksTheColumnsWithTheLargestAbsSums) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(11);
    const int64_t cases[][3] = {{1, 1, 1}, {32, 500, 10}, {128, 784, 100}, {7, 3000, 3000}, {64, 20000, 512}};
    for (const auto& cs : cases) {
        const int64_t rows = cs[0], n = cs[1], k = cs[2], ldx = n + 5;
        std::vector<float> x = RandomMatrix(rng, (size_t)(rows * ldx));
        if (n > 10) x[3] = kNaN; // column 3 must win
        DeviceBuffer<float> dx(x);
        DeviceBuffer<int32_t> didx((size_t)k + 1);
        DeviceBuffer<float> dsums((size_t)n);
        int64_t ws = 0;
        MP_ASSERT_OK(mp_cuda_topk_abs_unified_workspace_size(rows, n, k, &ws));
        DeviceBuffer<unsigned char> dws((size_t)ws);
        for (int own_sums = 0; own_sums < 2; ++own_sums) {
            didx.Fill(kPoisonIndex);
            dsums.Fill(kNaN);
            MP_ASSERT_OK(mp_cuda_topk_abs_unified_f32(dx.get(), rows, n, ldx, k, didx.get(),
                                                      own_sums ? dsums.get() : nullptr, dws.get(), ws, nullptr));
            std::vector<float> sums = own_sums ? dsums.Download() : std::vector<float>();
            if (!own_sums) { // the sums went to the workspace
                std::vector<unsigned char> raw = dws.Download();
                sums.resize((size_t)n);
                std::memcpy(sums.data(), raw.data(), (size_t)n * 4);
            }
            std::vector<double> want((size_t)n, 0.0), scale((size_t)n, 0.0);
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t cc = 0; cc < n; ++cc) want[(size_t)cc] += std::fabs((double)x[(size_t)(r * ldx + cc)]);
            scale = want;
            std::vector<float> finite = sums;
            if (n > 10) {
                EXPECT_TRUE(std::isnan(sums[3]));
                want[3] = scale[3] = 0.0;
                finite[3] = 0.0f;
            }
            ExpectClose(finite, want, scale, "col_abs_sums");
            // The selection must be exact on the sums the kernel computed (rounding may differ from the CPU's).
            const std::vector<int32_t> idx = didx.Download();
            EXPECT_EQ(std::vector<int32_t>(idx.begin(), idx.begin() + k), TopKReference(sums.data(), n, k))
                << "rows " << rows << " n " << n << " k " << k;
            EXPECT_EQ(idx[(size_t)k], kPoisonIndex);
        }
    }
}

TEST(CudaRandomK, DistinctAscendingReproducibleAndSplitInvariant) {
    SKIP_WITHOUT_GPU();
    const int64_t rows = 300, n = 1000, k = 50, ldi = 53;
    DeviceBuffer<int32_t> a((size_t)(rows * ldi)), b((size_t)(rows * ldi)), tail((size_t)(rows * ldi));
    a.Fill(kPoisonIndex);
    b.Fill(kPoisonIndex);
    tail.Fill(kPoisonIndex);
    MP_ASSERT_OK(mp_cuda_randk_rows(rows, n, k, 42, 0, a.get(), ldi, nullptr, 0, nullptr));
    MP_ASSERT_OK(mp_cuda_randk_rows(rows, n, k, 42, 0, b.get(), ldi, nullptr, 0, nullptr));
    MP_ASSERT_OK(mp_cuda_randk_rows(rows - 100, n, k, 42, 100, tail.get(), ldi, nullptr, 0, nullptr));
    const std::vector<int32_t> ha = a.Download(), hb = b.Download(), ht = tail.Download();
    EXPECT_EQ(ha, hb);
    std::vector<int64_t> hits((size_t)n, 0);
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t j = 0; j < k; ++j) {
            const int32_t v = ha[(size_t)(r * ldi + j)];
            ASSERT_TRUE(v >= 0 && v < n) << v;
            if (j > 0) {
                ASSERT_LT(ha[(size_t)(r * ldi + j - 1)], v) << "row " << r;
            }
            ++hits[(size_t)v];
            if (r >= 100) {
                ASSERT_EQ(ht[(size_t)((r - 100) * ldi + j)], v) << "split at row 100 changed row " << r;
            }
        }
        EXPECT_EQ(ha[(size_t)(r * ldi + k)], kPoisonIndex);
    }
    // Uniformity: each column is expected rows*k/n = 15 times; a chi-square over 1000 cells with 999 dof has mean
    // 999 and sd ~45: 1300 is > 6 sd away.
    double chi2 = 0.0;
    const double expect = (double)rows * k / n;
    for (int64_t h : hits) chi2 += (h - expect) * (h - expect) / expect;
    EXPECT_LT(chi2, 1300.0);
    // Different seeds give different patterns; the unified pattern is one valid row.
    MP_ASSERT_OK(mp_cuda_randk_rows(rows, n, k, 43, 0, b.get(), ldi, nullptr, 0, nullptr));
    EXPECT_NE(ha, b.Download());
    DeviceBuffer<int32_t> u((size_t)k + 1);
    u.Fill(kPoisonIndex);
    MP_ASSERT_OK(mp_cuda_randk_unified(n, k, 7, u.get(), nullptr, 0, nullptr));
    const std::vector<int32_t> hu = u.Download();
    for (int64_t j = 1; j < k; ++j) EXPECT_LT(hu[(size_t)(j - 1)], hu[(size_t)j]);
    EXPECT_EQ(hu[(size_t)k], kPoisonIndex);
    // k == n: everything, in order.
    DeviceBuffer<int32_t> all(70);
    MP_ASSERT_OK(mp_cuda_randk_unified(70, 70, 9, all.get(), nullptr, 0, nullptr));
    std::vector<int32_t> iota(70);
    std::iota(iota.begin(), iota.end(), 0);
    EXPECT_EQ(all.Download(), iota);
}

TEST(CudaReductions, FillAndColumnSums) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(5);
    const int64_t shapes[][2] = {{1, 1}, {3, 33}, {128, 500}, {1000, 70}, {4096, 37}};
    for (const auto& s : shapes) {
        const int64_t rows = s[0], cols = s[1], ldx = cols + 3;
        const std::vector<float> x = RandomMatrix(rng, (size_t)(rows * ldx));
        DeviceBuffer<float> dx(x), out((size_t)cols);
        std::vector<double> sum((size_t)cols, 0.0), abs_sum((size_t)cols, 0.0);
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) {
                sum[(size_t)c] += x[(size_t)(r * ldx + c)];
                abs_sum[(size_t)c] += std::fabs((double)x[(size_t)(r * ldx + c)]);
            }
        out.Fill(kNaN);
        MP_ASSERT_OK(mp_cuda_col_sums_f32(dx.get(), rows, cols, ldx, out.get(), 0, nullptr));
        ExpectClose(out.Download(), sum, abs_sum, "col_sums");
        out.Fill(2.0f);
        MP_ASSERT_OK(mp_cuda_col_sums_f32(dx.get(), rows, cols, ldx, out.get(), 1, nullptr));
        std::vector<double> plus2 = sum, scale2 = abs_sum;
        for (size_t c = 0; c < plus2.size(); ++c) { plus2[c] += 2.0; scale2[c] += 2.0; }
        ExpectClose(out.Download(), plus2, scale2, "col_sums accumulate");
        out.Fill(kNaN);
        MP_ASSERT_OK(mp_cuda_col_abs_sums_f32(dx.get(), rows, cols, ldx, out.get(), nullptr));
        ExpectClose(out.Download(), abs_sum, abs_sum, "col_abs_sums");

        dx.Fill(kNaN);
        MP_ASSERT_OK(mp_cuda_fill_f32(dx.get(), rows, cols, ldx, 1.5f, nullptr));
        const std::vector<float> filled = dx.Download();
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < ldx; ++c)
                ASSERT_TRUE(c < cols ? filled[(size_t)(r * ldx + c)] == 1.5f : std::isnan(filled[(size_t)(r * ldx + c)]))
                    << r << "," << c;
    }
}

TEST(CudaMsbp, ApplyAddsTheMemoryAndUpdateKeepsTheDroppedMass) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(8);
    const int64_t rows = 33, n = 700, k = 21, ld = n + 1, ldi = k + 2;
    const float ratio = 0.75f;
    const std::vector<float> dy = RandomMatrix(rng, (size_t)(rows * ld)), mem0 = RandomMatrix(rng, (size_t)(rows * ld));
    DeviceBuffer<float> ddy(dy), dmem(mem0);
    MP_ASSERT_OK(mp_cuda_msbp_apply_f32(ddy.get(), rows, n, ld, dmem.get(), ld, nullptr));
    const std::vector<float> g = ddy.Download();
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < ld; ++c) {
            const size_t i = (size_t)(r * ld + c);
            ASSERT_EQ(g[i], c < n ? dy[i] + mem0[i] : dy[i]) << r << "," << c;
        }
    // Per-row pattern from the top-k of g, then the update; and the unified form (ldi = 0).
    DeviceBuffer<int32_t> didx((size_t)(rows * ldi));
    MP_ASSERT_OK(mp_cuda_topk_abs_rows_f32(ddy.get(), rows, n, ld, k, didx.get(), ldi, nullptr, 0, nullptr, 0, nullptr));
    const std::vector<int32_t> idx = didx.Download();
    for (int unified = 0; unified < 2; ++unified) {
        dmem.Fill(kNaN);
        MP_ASSERT_OK(mp_cuda_msbp_update_f32(ddy.get(), rows, n, ld, didx.get(), unified ? 0 : ldi, k, ratio,
                                             dmem.get(), ld, nullptr));
        const std::vector<float> mem = dmem.Download();
        for (int64_t r = 0; r < rows; ++r) {
            const int32_t* pattern = idx.data() + (unified ? 0 : r * ldi);
            for (int64_t c = 0; c < ld; ++c) {
                const size_t i = (size_t)(r * ld + c);
                const bool kept = std::find(pattern, pattern + k, (int32_t)c) != pattern + k;
                if (c >= n) ASSERT_TRUE(std::isnan(mem[i]));
                else ASSERT_EQ(mem[i], kept ? 0.0f : ratio * g[i]) << r << "," << c << " unified " << unified;
            }
        }
    }
}

TEST(CudaCompaction, GathersAndScatters) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(9);
    const int64_t rows = 19, cols = 613, lds = cols + 2, k = 40, ldd = k + 3;
    const std::vector<float> src = RandomMatrix(rng, (size_t)(rows * lds));
    std::vector<int32_t> pattern(600);
    std::iota(pattern.begin(), pattern.end(), 0);
    std::shuffle(pattern.begin(), pattern.end(), rng);
    std::vector<int32_t> idx(pattern.begin(), pattern.begin() + k);
    std::sort(idx.begin(), idx.end());
    DeviceBuffer<float> dsrc(src), ddst((size_t)(rows * ldd));
    DeviceBuffer<int32_t> didx(idx);

    ddst.Fill(kNaN);
    MP_ASSERT_OK(mp_cuda_gather_cols_f32(dsrc.get(), rows, cols, lds, didx.get(), k, ddst.get(), ldd, nullptr));
    std::vector<float> got = ddst.Download();
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < ldd; ++j) {
            const float v = got[(size_t)(r * ldd + j)];
            if (j < k) ASSERT_EQ(v, src[(size_t)(r * lds + idx[(size_t)j])]);
            else ASSERT_TRUE(std::isnan(v));
        }

    // Per-row pattern (ELL), with one out-of-range index that must come back as NaN.
    const int64_t ldi = k + 1;
    std::vector<int32_t> rows_idx((size_t)(rows * ldi), 0);
    for (int64_t r = 0; r < rows; ++r) {
        std::shuffle(pattern.begin(), pattern.end(), rng);
        std::sort(pattern.begin(), pattern.begin() + k);
        std::copy(pattern.begin(), pattern.begin() + k, rows_idx.begin() + r * ldi);
    }
    rows_idx[5] = (int32_t)cols; // out of range
    DeviceBuffer<int32_t> drows_idx(rows_idx);
    ddst.Fill(kNaN);
    MP_ASSERT_OK(mp_cuda_gather_cols_rows_f32(dsrc.get(), rows, cols, lds, drows_idx.get(), ldi, k, ddst.get(), ldd,
                                              nullptr));
    got = ddst.Download();
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < k; ++j) {
            const int32_t c = rows_idx[(size_t)(r * ldi + j)];
            const float v = got[(size_t)(r * ldd + j)];
            if (c >= cols) ASSERT_TRUE(std::isnan(v));
            else ASSERT_EQ(v, src[(size_t)(r * lds + c)]) << r << "," << j;
        }

    // Rows: dst[j, :] = src[idx[j], :] with idx into 19 rows.
    std::vector<int32_t> ridx = {18, 0, 7, 7, 3};
    DeviceBuffer<int32_t> dridx(ridx);
    DeviceBuffer<float> drows((size_t)(5 * lds));
    drows.Fill(kNaN);
    MP_ASSERT_OK(mp_cuda_gather_rows_f32(dsrc.get(), rows, cols, lds, dridx.get(), 5, drows.get(), lds, nullptr));
    got = drows.Download();
    for (int64_t j = 0; j < 5; ++j)
        for (int64_t c = 0; c < cols; ++c)
            ASSERT_EQ(got[(size_t)(j * lds + c)], src[(size_t)(ridx[(size_t)j] * lds + c)]);

    // Scatter-add rows (with a repeated index: accumulates) and scatter columns (dense form).
    std::vector<float> acc0 = RandomMatrix(rng, (size_t)(rows * lds));
    DeviceBuffer<float> dacc(acc0);
    MP_ASSERT_OK(mp_cuda_scatter_add_rows_f32(drows.get(), 5, cols, lds, dridx.get(), -0.5f, dacc.get(), rows, lds,
                                              nullptr));
    got = dacc.Download();
    std::vector<double> want(acc0.begin(), acc0.end()), scale(want.size());
    for (size_t i = 0; i < want.size(); ++i) scale[i] = std::fabs(want[i]);
    for (int64_t j = 0; j < 5; ++j)
        for (int64_t c = 0; c < cols; ++c) {
            const size_t i = (size_t)(ridx[(size_t)j] * lds + c);
            want[i] += -0.5 * src[(size_t)(ridx[(size_t)j] * lds + c)];
            scale[i] += std::fabs(0.5 * src[(size_t)(ridx[(size_t)j] * lds + c)]);
        }
    ExpectClose(got, want, scale, "scatter_add_rows");

    DeviceBuffer<float> packed((size_t)(rows * ldd)), dense((size_t)(rows * lds));
    ddst.Fill(kNaN);
    MP_ASSERT_OK(mp_cuda_gather_cols_f32(dsrc.get(), rows, cols, lds, didx.get(), k, ddst.get(), ldd, nullptr));
    dense.Fill(kNaN);
    MP_ASSERT_OK(mp_cuda_scatter_cols_f32(ddst.get(), rows, k, ldd, didx.get(), dense.get(), cols, lds, nullptr));
    got = dense.Download();
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < lds; ++c) {
            const float v = got[(size_t)(r * lds + c)];
            if (c >= cols) ASSERT_TRUE(std::isnan(v));
            else if (std::binary_search(idx.begin(), idx.end(), (int32_t)c)) ASSERT_EQ(v, src[(size_t)(r * lds + c)]);
            else ASSERT_EQ(v, 0.0f) << r << "," << c;
        }
}

struct SparseCase {
    int64_t batch, n, m, k;
    bool repeated_column; // every row also picks column 0 (a W row touched by every example)
};

void PrintTo(const SparseCase& c, std::ostream* os) {
    *os << "{batch " << c.batch << ", n " << c.n << ", m " << c.m << ", k " << c.k << (c.repeated_column ? ", hot row" : "")
        << "}";
}

std::string SparseCaseName(const ::testing::TestParamInfo<SparseCase>& info) {
    const SparseCase& c = info.param;
    return "batch" + std::to_string(c.batch) + "_n" + std::to_string(c.n) + "_m" + std::to_string(c.m) + "_k" +
           std::to_string(c.k) + (c.repeated_column ? "_hotrow" : "");
}

class CudaSparseBackward : public ::testing::TestWithParam<SparseCase> {};

TEST_P(CudaSparseBackward, DxAndBothDwAlgorithmsMatchTheReference) {
    SKIP_WITHOUT_GPU();
    const SparseCase c = GetParam();
    std::mt19937 rng((uint32_t)(c.batch * 131 + c.n * 17 + c.m + c.k));
    const int64_t ldi = c.k + 1, ldv = c.k + 2, ldw = c.m + 1, ldx = c.m + 3, lddx = c.m + 2, lddw = c.m + 4;
    // Pattern: k distinct, ascending indices per row (what top-k produces).
    std::vector<int32_t> idx((size_t)(c.batch * ldi), -1);
    std::vector<int32_t> cols((size_t)c.n);
    std::iota(cols.begin(), cols.end(), 0);
    for (int64_t b = 0; b < c.batch; ++b) {
        std::shuffle(cols.begin(), cols.end(), rng);
        if (c.repeated_column) std::swap(*std::find(cols.begin(), cols.end(), 0), cols[0]);
        std::vector<int32_t> pick(cols.begin(), cols.begin() + c.k);
        std::sort(pick.begin(), pick.end());
        std::copy(pick.begin(), pick.end(), idx.begin() + b * ldi);
    }
    const std::vector<float> val = RandomMatrix(rng, (size_t)(c.batch * ldv)), w = RandomMatrix(rng, (size_t)(c.n * ldw)),
                             x = RandomMatrix(rng, (size_t)(c.batch * ldx)), dw0 = RandomMatrix(rng, (size_t)(c.n * lddw));
    DeviceBuffer<int32_t> didx(idx);
    DeviceBuffer<float> dval(val), dw_(w), dxin(x), ddx((size_t)(c.batch * lddx)), ddw((size_t)(c.n * lddw));

    // dx
    std::vector<double> want((size_t)(c.batch * lddx), 0.0), scale((size_t)(c.batch * lddx), 0.0);
    for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t t = 0; t < c.k; ++t) {
            const int64_t i = idx[(size_t)(b * ldi + t)];
            const double v = val[(size_t)(b * ldv + t)];
            for (int64_t j = 0; j < c.m; ++j) {
                want[(size_t)(b * lddx + j)] += v * w[(size_t)(i * ldw + j)];
                scale[(size_t)(b * lddx + j)] += std::fabs(v * w[(size_t)(i * ldw + j)]);
            }
        }
    ddx.Fill(kNaN);
    MP_ASSERT_OK(mp_cuda_sparse_backward_dx_f32(c.batch, c.n, c.m, c.k, didx.get(), ldi, dval.get(), ldv, dw_.get(),
                                                ldw, ddx.get(), lddx, nullptr));
    std::vector<float> got = ddx.Download();
    for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t j = c.m; j < lddx; ++j) ASSERT_TRUE(std::isnan(got[(size_t)(b * lddx + j)])) << "padding written";
    for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t j = c.m; j < lddx; ++j) got[(size_t)(b * lddx + j)] = 0.0f;
    ExpectClose(got, want, scale, "dx");

    // dW (accumulating into dw0)
    std::vector<double> wantw(dw0.begin(), dw0.end()), scalew((size_t)(c.n * lddw));
    for (size_t i = 0; i < wantw.size(); ++i) scalew[i] = std::fabs(wantw[i]);
    for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t t = 0; t < c.k; ++t) {
            const int64_t i = idx[(size_t)(b * ldi + t)];
            const double v = val[(size_t)(b * ldv + t)];
            for (int64_t j = 0; j < c.m; ++j) {
                wantw[(size_t)(i * lddw + j)] += v * x[(size_t)(b * ldx + j)];
                scalew[(size_t)(i * lddw + j)] += std::fabs(v * x[(size_t)(b * ldx + j)]);
            }
        }
    std::vector<float> first_sorted;
    for (int32_t algo : {MP_CUDA_DW_SORTED, MP_CUDA_DW_ATOMIC, MP_CUDA_DW_SORTED}) {
        int64_t ws = -1;
        MP_ASSERT_OK(mp_cuda_sparse_backward_dw_workspace_size(c.batch, c.n, c.k, algo, &ws));
        if (algo == MP_CUDA_DW_ATOMIC) {
            EXPECT_EQ(ws, 0);
        }
        DeviceBuffer<unsigned char> dws((size_t)std::max<int64_t>(ws, 1));
        dws.Fill(0xAB); // garbage workspace: the kernels must not depend on its contents
        ddw.Upload(dw0);
        MP_ASSERT_OK(mp_cuda_sparse_backward_dw_f32(c.batch, c.n, c.m, c.k, didx.get(), ldi, dval.get(), ldv,
                                                    dxin.get(), ldx, ddw.get(), lddw, algo, ws ? dws.get() : nullptr,
                                                    ws, nullptr));
        got = ddw.Download();
        for (int64_t r = 0; r < c.n; ++r)
            for (int64_t j = c.m; j < lddw; ++j)
                ASSERT_EQ(got[(size_t)(r * lddw + j)], dw0[(size_t)(r * lddw + j)]) << "padding changed";
        ExpectClose(got, wantw, scalew, algo == MP_CUDA_DW_SORTED ? "dW sorted" : "dW atomic");
        if (algo == MP_CUDA_DW_SORTED) {
            if (first_sorted.empty()) first_sorted = got;
            else EXPECT_TRUE(0 == std::memcmp(first_sorted.data(), got.data(), got.size() * 4))
                << "MP_CUDA_DW_SORTED is not bitwise deterministic";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, CudaSparseBackward,
                         ::testing::Values(SparseCase{1, 1, 1, 1, false}, SparseCase{3, 10, 5, 10, false},
                                           SparseCase{32, 500, 784, 20, false}, SparseCase{64, 500, 300, 20, true},
                                           SparseCase{17, 2000, 129, 300, false}, SparseCase{5000, 600, 40, 3, true},
                                           SparseCase{128, 65536, 64, 1024, false}),
                         SparseCaseName);
