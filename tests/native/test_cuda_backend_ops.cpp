// The GPU backend's element-wise, loss, optimizer and bookkeeping kernels (mp_cuda_* of the second CUDA section of
// meprop.h) against host references that follow the CPU backend (managed/MePropNative/Backends/CpuBackend*.cs)
// operation by operation: double-precision references with a relative tolerance of 1e-4 of the sum of |terms|,
// and bitwise where the contract says so (the dropout mask and output, copies, index bookkeeping).
// Fresh random inputs per test, outputs poisoned before every launch, padded leading dimensions whose padding must
// stay untouched. Without a device (or in a CPU-only build) the GPU tests skip with the reason. Also linked into the
// CPU emulation (tests/native/cuda_emu/run.sh), where they run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_support.h"
#include "meprop.h"

namespace {

using mptest_cuda::BuiltWithCuda;
using mptest_cuda::DeviceBuffer;
using mptest_cuda::RandomMatrix;

using mptest_cuda::Close;
using mptest_cuda::kNaN;
using mptest_cuda::kPoison;
using mptest_cuda::PaddingUntouched;
using mptest_cuda::Same;

// CounterRandom.Hash of the managed code (managed/MePropNative/Backends/CounterRandom.cs).
uint64_t CounterHash(uint64_t seed, uint64_t stream, uint64_t index) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1) + 0xD1B54A32D192ED03ULL * (index + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

float Flush(float x) { return std::fabs(x) < 1.17549435e-38f ? 0.0f : x; }

struct Shape {
    int64_t rows, cols, ld;
};
const Shape kShapes[] = {{1, 1, 1}, {3, 7, 9}, {17, 300, 301}, {1, 1000, 1000}, {70, 33, 40}};

} // namespace

// ---- argument checks (need a CUDA build, no device) -----------------------------------------------------------------

TEST(CudaBackendOps, ArgumentsAreChecked) {
    float* fake = reinterpret_cast<float*>(uintptr_t{4096});
    int32_t* fake_idx = reinterpret_cast<int32_t*>(uintptr_t{8192});
    if (!BuiltWithCuda()) {
        EXPECT_EQ(mp_cuda_copy_f32(fake, 1, 1, 1, fake, 1, nullptr), MP_ERR_UNSUPPORTED);
        EXPECT_NE(std::string(mp_last_error()).find("without CUDA"), std::string::npos);
        return;
    }
    EXPECT_EQ(mp_cuda_copy_f32(fake, 2, 5, 4, fake, 5, nullptr), MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("lds = 4"), std::string::npos) << mp_last_error();
    EXPECT_EQ(mp_cuda_activation_f32(9, fake, 1, 1, 1, fake, 1, nullptr), MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("act = 9"), std::string::npos) << mp_last_error();
    EXPECT_EQ(mp_cuda_dropout_f32(fake, 1, 1, 1, fake, 1, fake, 1, 1.0f, 0, 0, nullptr), MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("rate"), std::string::npos) << mp_last_error();
    EXPECT_EQ(mp_cuda_relu_dropout_f32(fake, 1, 1, 1, fake, 1, fake, 1, -0.5f, 0, 0, nullptr), MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("rate = -0.5"), std::string::npos) << mp_last_error();
    EXPECT_EQ(mp_cuda_relu_dropout_backward_f32(fake, 3, fake, 4, fake, 4, 2, 4, nullptr), MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("ldf = 3"), std::string::npos) << mp_last_error();
    int64_t bytes = 0;
    MP_ASSERT_OK(mp_cuda_softmax_xent_workspace_size(1000, &bytes));
    EXPECT_GT(bytes, 0);
    EXPECT_EQ(mp_cuda_softmax_xent_f32(fake, 1000, 10, 10, fake_idx, nullptr, 10, 1.0f, fake, fake, bytes - 1, nullptr),
              MP_ERR_WORKSPACE_TOO_SMALL);
    EXPECT_EQ(mp_cuda_adam_step_f32(fake, fake, nullptr, fake, 10, 1, 0.9f, 0.999f, 1e-8f, 1, 0, 0, nullptr),
              MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("m is NULL"), std::string::npos) << mp_last_error();
    MP_ASSERT_OK(mp_cuda_reduction_workspace_size(&bytes));
    EXPECT_EQ(mp_cuda_sum_squares_f32(fake, 2, 2, 2, reinterpret_cast<double*>(fake), nullptr, 0, nullptr),
              MP_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(mp_cuda_zero_selected_f32(fake, 2, 10, 10, fake_idx, 3, 4, nullptr), MP_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(mp_cuda_lstm_cell_forward_f32(fake, 2, 5, 19, nullptr, 0, fake, 5, fake, 5, fake, 5, nullptr),
              MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("ldg = 19"), std::string::npos) << mp_last_error();
    EXPECT_EQ(mp_cuda_lstm_cell_backward_f32(fake, 2, 5, 20, nullptr, 0, fake, 5, fake, 5, nullptr, 0, 3, fake, 5, fake, 20,
                                             nullptr),
              MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("carried_rows = 3"), std::string::npos) << mp_last_error();
}

// ---- element-wise ----------------------------------------------------------------------------------------------------------

TEST(CudaBackendOps, CopyScaleAxpyAddMultiplyBias) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(11);
    for (const Shape& s : kShapes) {
        SCOPED_TRACE("rows " + std::to_string(s.rows) + " cols " + std::to_string(s.cols) + " ld " + std::to_string(s.ld));
        const size_t n = (size_t)(s.rows * s.ld);
        const std::vector<float> a = RandomMatrix(rng, n), b = RandomMatrix(rng, n), bias = RandomMatrix(rng, (size_t)s.cols);
        DeviceBuffer<float> da(a), db(b), dbias(bias), dc(n);
        auto at = [&](const std::vector<float>& m, int64_t r, int64_t c) { return (double)m[(size_t)(r * s.ld + c)]; };
        auto expect = [&](const std::vector<float>& got, auto f, const char* what, bool bitwise) {
            std::vector<float> g;
            std::vector<double> want;
            for (int64_t r = 0; r < s.rows; ++r)
                for (int64_t c = 0; c < s.cols; ++c) { g.push_back(got[(size_t)(r * s.ld + c)]); want.push_back(f(r, c)); }
            if (bitwise) {
                for (size_t i = 0; i < g.size(); ++i)
                    if (!Same(g[i], (float)want[i])) { ADD_FAILURE() << what << "[" << i << "] differs"; break; }
            } else {
                Close(g, want, what);
            }
            PaddingUntouched(got, s.rows, s.cols, s.ld, what);
        };

        dc.Fill(kPoison);
        MP_ASSERT_OK(mp_cuda_copy_f32(da.get(), s.rows, s.cols, s.ld, dc.get(), s.ld, nullptr));
        expect(dc.Download(), [&](int64_t r, int64_t c) { return at(a, r, c); }, "copy", true);

        dc.Fill(kPoison);
        MP_ASSERT_OK(mp_cuda_add_f32(s.rows, s.cols, da.get(), s.ld, db.get(), s.ld, dc.get(), s.ld, nullptr));
        expect(dc.Download(), [&](int64_t r, int64_t c) { return (double)((float)at(a, r, c) + (float)at(b, r, c)); }, "add", true);

        dc.Fill(kPoison);
        MP_ASSERT_OK(mp_cuda_mul_f32(s.rows, s.cols, da.get(), s.ld, db.get(), s.ld, dc.get(), s.ld, nullptr));
        expect(dc.Download(), [&](int64_t r, int64_t c) { return (double)((float)at(a, r, c) * (float)at(b, r, c)); }, "mul", true);

        // in place (c aliases a), then scale, axpy and the bias on the result
        std::vector<float> pa = a;
        for (int64_t r = 0; r < s.rows; ++r)
            for (int64_t c = s.cols; c < s.ld; ++c) pa[(size_t)(r * s.ld + c)] = kPoison;
        DeviceBuffer<float> dp(pa);
        MP_ASSERT_OK(mp_cuda_add_f32(s.rows, s.cols, dp.get(), s.ld, db.get(), s.ld, dp.get(), s.ld, nullptr));
        MP_ASSERT_OK(mp_cuda_scale_f32(dp.get(), s.rows, s.cols, s.ld, -1.5f, nullptr));
        MP_ASSERT_OK(mp_cuda_axpy_f32(s.rows, s.cols, 0.25f, db.get(), s.ld, dp.get(), s.ld, nullptr));
        MP_ASSERT_OK(mp_cuda_add_row_vector_f32(dp.get(), s.rows, s.cols, s.ld, dbias.get(), nullptr));
        const std::vector<float> got = dp.Download();
        std::vector<float> g;
        std::vector<double> want, scale;
        for (int64_t r = 0; r < s.rows; ++r)
            for (int64_t c = 0; c < s.cols; ++c) {
                const double av = at(a, r, c), bv = at(b, r, c);
                g.push_back(got[(size_t)(r * s.ld + c)]);
                want.push_back(-1.5 * (av + bv) + 0.25 * bv + bias[(size_t)c]);
                scale.push_back(1.5 * (std::fabs(av) + std::fabs(bv)) + 0.25 * std::fabs(bv) + std::fabs(bias[(size_t)c]));
            }
        Close(g, want, scale, "add/scale/axpy/bias chain");
        PaddingUntouched(got, s.rows, s.cols, s.ld, "chain");
    }
}

TEST(CudaBackendOps, ActivationsAndTheirBackward) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(12);
    const Shape s{33, 130, 131};
    const size_t n = (size_t)(s.rows * s.ld);
    std::vector<float> x = RandomMatrix(rng, n, 3.0f);
    x[0] = 0.0f;
    x[1] = -0.0f;
    const std::vector<float> dy = RandomMatrix(rng, n);
    DeviceBuffer<float> dx_in(x), ddy(dy), dyv(n), dgrad(n);
    for (int act : {MP_ACT_RELU, MP_ACT_SIGMOID, MP_ACT_TANH, MP_ACT_CUBE}) {
        SCOPED_TRACE("act " + std::to_string(act));
        dyv.Fill(kPoison);
        MP_ASSERT_OK(mp_cuda_activation_f32(act, dx_in.get(), s.rows, s.cols, s.ld, dyv.get(), s.ld, nullptr));
        const std::vector<float> y = dyv.Download();
        std::vector<float> g;
        std::vector<double> want;
        for (int64_t r = 0; r < s.rows; ++r)
            for (int64_t c = 0; c < s.cols; ++c) {
                const double v = x[(size_t)(r * s.ld + c)];
                g.push_back(y[(size_t)(r * s.ld + c)]);
                want.push_back(act == MP_ACT_RELU ? (v > 0 ? v : 0) : act == MP_ACT_SIGMOID ? 1 / (1 + std::exp(-v))
                               : act == MP_ACT_TANH ? std::tanh(v) : v * v * v);
            }
        std::vector<double> scale(want.size());
        for (size_t i = 0; i < want.size(); ++i) scale[i] = std::max(std::fabs(want[i]), 1e-3);
        Close(g, want, scale, "forward");
        PaddingUntouched(y, s.rows, s.cols, s.ld, "forward");

        // backward from the forward output (relu, sigmoid, tanh) or the input (cube)
        const std::vector<float>& saved = act == MP_ACT_CUBE ? x : y;
        DeviceBuffer<float> dsaved(saved);
        dgrad.Fill(kPoison);
        MP_ASSERT_OK(mp_cuda_activation_backward_f32(act, dsaved.get(), s.ld, ddy.get(), s.ld, dgrad.get(), s.ld, s.rows,
                                                     s.cols, nullptr));
        const std::vector<float> dxv = dgrad.Download();
        g.clear();
        want.clear();
        scale.clear();
        for (int64_t r = 0; r < s.rows; ++r)
            for (int64_t c = 0; c < s.cols; ++c) {
                const size_t i = (size_t)(r * s.ld + c);
                const double v = saved[i], d = dy[i];
                const double w = act == MP_ACT_RELU ? (v > 0 ? d : 0) : act == MP_ACT_SIGMOID ? d * v * (1 - v)
                                 : act == MP_ACT_TANH ? d * (1 - v * v) : 3 * v * v * d;
                g.push_back(dxv[i]);
                want.push_back(w);
                scale.push_back(std::max(std::fabs(w), 1e-3));
            }
        Close(g, want, scale, "backward");
        PaddingUntouched(dxv, s.rows, s.cols, s.ld, "backward");
    }
}

TEST(CudaBackendOps, CounterHashMatchesTheManagedConstants) {
    // The same constants are asserted against CounterRandom.Hash in the xunit tests (CudaBackendCpuTests), so the
    // host reference used below is the managed generator.
    EXPECT_EQ(CounterHash(0, 0, 0), 0x2d0f28c7e7e786b2ULL);
    EXPECT_EQ(CounterHash(1, 2, 3), 0xa53ae58f0c93c151ULL);
    EXPECT_EQ(CounterHash(12345, 7, 1000000), 0x52ac72c0919f344dULL);
    EXPECT_EQ(CounterHash(~0ULL, ~0ULL, ~0ULL), 0xb4d055fcf2cbbd7bULL);
}

TEST(CudaBackendOps, DropoutMaskIsTheCpuMaskBitwise) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(13);
    for (float rate : {0.0f, 0.1f, 0.5f, 0.9f}) {
        const Shape s{37, 129, 133};
        const size_t n = (size_t)(s.rows * s.ld);
        const std::vector<float> x = RandomMatrix(rng, n);
        DeviceBuffer<float> dxv(x), dm(n), dy(n);
        dm.Fill(kPoison);
        dy.Fill(kPoison);
        const uint64_t seed = 0x1234567890ULL + (uint64_t)(rate * 10), stream_id = 42;
        MP_ASSERT_OK(mp_cuda_dropout_f32(dxv.get(), s.rows, s.cols, s.ld, dm.get(), s.ld, dy.get(), s.ld, rate, seed,
                                         stream_id, nullptr));
        const std::vector<float> m = dm.Download(), y = dy.Download();
        const float keep = 1.0f / (1.0f - rate);
        int64_t dropped = 0, mismatches = 0;
        for (int64_t r = 0; r < s.rows; ++r)
            for (int64_t c = 0; c < s.cols; ++c) {
                const float u = (float)(CounterHash(seed, stream_id, (uint64_t)(r * s.cols + c)) >> 40) * (1.0f / (1 << 24));
                const float want = u < rate ? 0.0f : keep;
                const size_t i = (size_t)(r * s.ld + c);
                if (!Same(m[i], want) || !Same(y[i], x[i] * want)) ++mismatches;
                if (want == 0.0f) ++dropped;
            }
        EXPECT_EQ(mismatches, 0) << "rate " << rate;
        const double frac = (double)dropped / (double)(s.rows * s.cols);
        EXPECT_NEAR(frac, rate, 0.03) << "rate " << rate;
        PaddingUntouched(m, s.rows, s.cols, s.ld, "mask");
        PaddingUntouched(y, s.rows, s.cols, s.ld, "y");
    }
}

TEST(CudaBackendOps, ReluDropoutIsReluThenTheCpuMaskBitwise) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(15);
    const float inf = std::numeric_limits<float>::infinity();
    for (float rate : {0.0f, 0.1f, 0.5f}) {
        for (const Shape& s : kShapes) {
            SCOPED_TRACE("rate " + std::to_string(rate) + ", " + std::to_string(s.rows) + " x " + std::to_string(s.cols));
            const size_t n = (size_t)(s.rows * s.ld);
            std::vector<float> x = RandomMatrix(rng, n), dy = RandomMatrix(rng, n);
            for (size_t i = 0; i < n; i += 7) x[i] = 0.0f;
            for (size_t i = 3; i < n; i += 11) x[i] = kNaN;
            for (size_t i = 1; i < n; i += 5) dy[i] = (i & 1) ? inf : kNaN;
            DeviceBuffer<float> dxv(x), dfactor(n), dyv(n), dgrad(dy), dout(n);
            dfactor.Fill(kPoison);
            dyv.Fill(kPoison);
            dout.Fill(kPoison);
            const uint64_t seed = 0xabcdefULL + (uint64_t)s.cols, stream_id = 7;
            MP_ASSERT_OK(mp_cuda_relu_dropout_f32(dxv.get(), s.rows, s.cols, s.ld, dfactor.get(), s.ld, dyv.get(), s.ld,
                                                  rate, seed, stream_id, nullptr));
            MP_ASSERT_OK(mp_cuda_relu_dropout_backward_f32(dfactor.get(), s.ld, dgrad.get(), s.ld, dout.get(), s.ld,
                                                           s.rows, s.cols, nullptr));
            const std::vector<float> f = dfactor.Download(), y = dyv.Download(), dx = dout.Download();
            const float keep = 1.0f / (1.0f - rate);
            int64_t mismatches = 0;
            for (int64_t r = 0; r < s.rows; ++r)
                for (int64_t c = 0; c < s.cols; ++c) {
                    const float u = (float)(CounterHash(seed, stream_id, (uint64_t)(r * s.cols + c)) >> 40) * (1.0f / (1 << 24));
                    const float mask = u < rate ? 0.0f : keep;
                    const size_t i = (size_t)(r * s.ld + c);
                    const float want_f = x[i] > 0.0f ? mask : 0.0f, want_y = x[i] > 0.0f ? x[i] * mask : 0.0f;
                    const float want_dx = want_f > 0.0f ? dy[i] * want_f : 0.0f;
                    if (!Same(f[i], want_f) || !Same(y[i], want_y) || !Same(dx[i], want_dx)) ++mismatches;
                }
            EXPECT_EQ(mismatches, 0);
            PaddingUntouched(f, s.rows, s.cols, s.ld, "factor");
            PaddingUntouched(y, s.rows, s.cols, s.ld, "y");
            PaddingUntouched(dx, s.rows, s.cols, s.ld, "dx");
        }
    }
}

// ---- loss ----------------------------------------------------------------------------------------------------------------

TEST(CudaBackendOps, SoftmaxCrossEntropyLossCountsAndGradient) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(14);
    for (int64_t rows : {1, 5, 300, 1000}) {
        for (int64_t classes : {2, 10, 77}) {
            SCOPED_TRACE("rows " + std::to_string(rows) + " classes " + std::to_string(classes));
            const int64_t ld = classes + 3;
            std::vector<float> z = RandomMatrix(rng, (size_t)(rows * ld), 4.0f);
            std::vector<int32_t> labels((size_t)rows);
            std::uniform_int_distribution<int32_t> lab(0, (int32_t)classes - 1);
            for (auto& l : labels) l = lab(rng);
            if (rows > 3) { // a tie for the max: the first index wins (counts as correct only if it is the label)
                z[(size_t)(2 * ld + 0)] = 50.0f;
                z[(size_t)(2 * ld + 1)] = 50.0f;
                labels[2] = 1;
            }
            DeviceBuffer<float> dz(z), dg((size_t)(rows * ld)), dstats(std::vector<float>{1.5f, 2.0f});
            DeviceBuffer<int32_t> dl(labels);
            dg.Fill(kPoison);
            int64_t bytes = 0;
            MP_ASSERT_OK(mp_cuda_softmax_xent_workspace_size(rows, &bytes));
            DeviceBuffer<uint8_t> ws((size_t)bytes);
            const float scale = 1.0f / (float)rows;
            MP_ASSERT_OK(mp_cuda_softmax_xent_f32(dz.get(), rows, classes, ld, dl.get(), dg.get(), ld, scale, dstats.get(),
                                                  ws.get(), bytes, nullptr));
            const std::vector<float> g = dg.Download(), st = dstats.Download();
            double loss = 0;
            int correct = 0;
            std::vector<float> gg;
            std::vector<double> want, wscale;
            for (int64_t r = 0; r < rows; ++r) {
                const float* zr = &z[(size_t)(r * ld)];
                float max = zr[0];
                int arg = 0;
                for (int c = 1; c < classes; ++c) if (zr[c] > max) { max = zr[c]; arg = c; }
                double sum = 0;
                for (int c = 0; c < classes; ++c) sum += std::exp((double)zr[c] - max);
                loss += std::log(sum) - ((double)zr[labels[(size_t)r]] - max);
                correct += arg == labels[(size_t)r];
                for (int c = 0; c < classes; ++c) {
                    const double p = std::exp((double)zr[c] - max) / sum;
                    gg.push_back(g[(size_t)(r * ld + c)]);
                    want.push_back((c == labels[(size_t)r] ? p - 1 : p) * scale);
                    wscale.push_back(std::max(std::fabs(want.back()), 1e-3 * scale));
                }
            }
            Close(gg, want, wscale, "gradient");
            PaddingUntouched(g, rows, classes, ld, "gradient");
            EXPECT_NEAR(st[0], 1.5 + loss, 1e-4 * (1.5 + loss));
            EXPECT_EQ(st[1], 2.0f + (float)correct);

            // without a gradient: only the statistics, accumulated again
            MP_ASSERT_OK(mp_cuda_softmax_xent_f32(dz.get(), rows, classes, ld, dl.get(), nullptr, 0, 1.0f, dstats.get(),
                                                  ws.get(), bytes, nullptr));
            const std::vector<float> st2 = dstats.Download();
            EXPECT_NEAR(st2[0], 1.5 + 2 * loss, 1e-4 * (1.5 + 2 * loss));
            EXPECT_EQ(st2[1], 2.0f + 2.0f * (float)correct);
        }
    }
}

TEST(CudaBackendOps, SoftmaxCrossEntropyBadLabelGivesNaN) {
    SKIP_WITHOUT_GPU();
    std::vector<float> z = {1, 2, 3, 4, 5, 6};
    DeviceBuffer<float> dz(z), dg(6), dstats(std::vector<float>{0, 0});
    DeviceBuffer<int32_t> dl(std::vector<int32_t>{1, 3});
    int64_t bytes = 0;
    MP_ASSERT_OK(mp_cuda_softmax_xent_workspace_size(2, &bytes));
    DeviceBuffer<uint8_t> ws((size_t)bytes);
    MP_ASSERT_OK(mp_cuda_softmax_xent_f32(dz.get(), 2, 3, 3, dl.get(), dg.get(), 3, 1.0f, dstats.get(), ws.get(), bytes, nullptr));
    const std::vector<float> g = dg.Download(), st = dstats.Download();
    EXPECT_TRUE(std::isnan(st[0]));
    for (int c = 0; c < 3; ++c) EXPECT_FALSE(std::isnan(g[(size_t)c]));
    for (int c = 3; c < 6; ++c) EXPECT_TRUE(std::isnan(g[(size_t)c]));
}

TEST(CudaBackendOps, ArgmaxRowsFirstMaximumNaNNeverWins) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(15);
    const int64_t rows = 300, cols = 13, ld = 16;
    std::vector<float> x = RandomMatrix(rng, (size_t)(rows * ld));
    x[0 * ld + 3] = 9; x[0 * ld + 7] = 9;       // tie: 3
    x[1 * ld + 0] = kNaN;                       // NaN at 0: nothing is '>' NaN, so 0
    x[2 * ld + 5] = kNaN; x[2 * ld + 6] = 100;  // NaN elsewhere is skipped
    for (int64_t c = cols; c < ld; ++c) x[(size_t)(4 * ld + c)] = 1e30f; // padding is not read
    DeviceBuffer<float> dxv(x);
    DeviceBuffer<int32_t> dout((size_t)rows);
    dout.Fill(-7);
    MP_ASSERT_OK(mp_cuda_argmax_rows_f32(dxv.get(), rows, cols, ld, dout.get(), nullptr));
    const std::vector<int32_t> got = dout.Download();
    for (int64_t r = 0; r < rows; ++r) {
        int arg = 0;
        for (int c = 1; c < cols; ++c) if (x[(size_t)(r * ld + c)] > x[(size_t)(r * ld + arg)]) arg = c;
        ASSERT_EQ(got[(size_t)r], arg) << "row " << r;
    }
    EXPECT_EQ(got[0], 3);
    EXPECT_EQ(got[1], 0);
    EXPECT_EQ(got[2], 6);
}

// ---- optimizer steps ----------------------------------------------------------------------------------------------------------

namespace {

struct Transform {
    float scale, l2, clip;
    float operator()(float g, float w) const {
        if (scale != 1.0f) g *= scale;
        if (l2 != 0.0f) g += l2 * w;
        if (clip > 0.0f) g = std::min(std::max(g, -clip), clip);
        return g;
    }
};

const Transform kTransforms[] = {{1.0f, 0.0f, 0.0f}, {0.5f, 1e-3f, 0.0f}, {1.0f, 0.0f, 0.05f}, {2.0f, 1e-2f, 0.1f}};

} // namespace

TEST(CudaBackendOps, AdamStepMatchesTheCpuRuleAndConsumesTheGradient) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(16);
    for (const Transform& t : kTransforms) {
        for (int64_t n : {1, 1000, 70001}) {
            std::vector<float> w = RandomMatrix(rng, (size_t)n), g = RandomMatrix(rng, (size_t)n, 0.1f), m = RandomMatrix(rng, (size_t)n, 0.01f),
                               v = RandomMatrix(rng, (size_t)n, 0.01f);
            for (float& x : v) x = x * x;
            m[0] = 1e-39f; // subnormal state is flushed
            g[0] = 0.0f;
            DeviceBuffer<float> dw(w), dg(g), dm(m), dv(v);
            const float step = 0.001f * std::sqrt(1 - 0.999f) / (1 - 0.9f), b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
            MP_ASSERT_OK(mp_cuda_adam_step_f32(dw.get(), dg.get(), dm.get(), dv.get(), n, step, b1, b2, eps, t.scale, t.l2,
                                               t.clip, nullptr));
            const std::vector<float> gw = dw.Download(), gg = dg.Download(), gm = dm.Download(), gv = dv.Download();
            std::vector<double> ww(n), wm(n), wv(n), sw(n), sm(n), sv(n);
            for (int64_t i = 0; i < n; ++i) {
                const float gi = t(g[(size_t)i], w[(size_t)i]);
                const float mi = Flush(b1 * m[(size_t)i] + (1 - b1) * gi), vi = Flush(b2 * v[(size_t)i] + (1 - b2) * gi * gi);
                wm[(size_t)i] = mi; wv[(size_t)i] = vi;
                ww[(size_t)i] = w[(size_t)i] - step * (double)mi / (std::sqrt((double)vi) + eps);
                sm[(size_t)i] = std::fabs(b1 * m[(size_t)i]) + std::fabs((1 - b1) * gi);
                sv[(size_t)i] = std::fabs(b2 * v[(size_t)i]) + std::fabs((1 - b2) * gi * gi);
                sw[(size_t)i] = std::fabs(w[(size_t)i]) + std::fabs(step * mi / (std::sqrt(vi) + eps));
            }
            Close(gm, wm, sm, "m");
            Close(gv, wv, sv, "v");
            Close(gw, ww, sw, "w");
            if (t.l2 == 0.0f) { EXPECT_EQ(gm[0], 0.0f) << "subnormal m flushed"; }
            for (float x : gg) ASSERT_EQ(x, 0.0f) << "gradient consumed";
        }
    }
}

TEST(CudaBackendOps, AdaGradAndSgdStepsMatchTheCpuRules) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(17);
    for (const Transform& t : kTransforms) {
        const int64_t n = 5003;
        std::vector<float> w = RandomMatrix(rng, (size_t)n), g = RandomMatrix(rng, (size_t)n, 0.1f), h = RandomMatrix(rng, (size_t)n, 0.1f),
                           vel = RandomMatrix(rng, (size_t)n, 0.1f);
        for (float& x : h) x = x * x;
        const float lr = 0.01f, eps = 1e-6f, mu = 0.9f;
        {
            DeviceBuffer<float> dw(w), dg(g), dh(h);
            MP_ASSERT_OK(mp_cuda_adagrad_step_f32(dw.get(), dg.get(), dh.get(), n, lr, eps, t.scale, t.l2, t.clip, nullptr));
            const std::vector<float> gw = dw.Download(), gh = dh.Download(), gg = dg.Download();
            std::vector<double> ww(n), wh(n), sw(n), sh(n);
            for (int64_t i = 0; i < n; ++i) {
                const float gi = t(g[(size_t)i], w[(size_t)i]);
                const float hi = Flush(h[(size_t)i] + gi * gi);
                wh[(size_t)i] = hi; sh[(size_t)i] = h[(size_t)i] + gi * gi;
                ww[(size_t)i] = w[(size_t)i] - lr * (double)gi / std::sqrt((double)hi + eps);
                sw[(size_t)i] = std::fabs(w[(size_t)i]) + std::fabs(lr * gi / std::sqrt(hi + eps));
            }
            Close(gh, wh, sh, "adagrad h");
            Close(gw, ww, sw, "adagrad w");
            for (float x : gg) ASSERT_EQ(x, 0.0f);
        }
        for (bool momentum : {false, true}) {
            DeviceBuffer<float> dw(w), dg(g), dvel(vel);
            MP_ASSERT_OK(mp_cuda_sgd_step_f32(dw.get(), dg.get(), momentum ? dvel.get() : nullptr, n, lr, mu, t.scale, t.l2,
                                              t.clip, nullptr));
            const std::vector<float> gw = dw.Download(), gvel = dvel.Download(), gg = dg.Download();
            std::vector<double> ww(n), wv(n), sw(n), sv(n);
            for (int64_t i = 0; i < n; ++i) {
                float gi = t(g[(size_t)i], w[(size_t)i]);
                if (momentum) gi = Flush(mu * vel[(size_t)i] + gi);
                wv[(size_t)i] = momentum ? gi : vel[(size_t)i];
                sv[(size_t)i] = std::fabs(mu * vel[(size_t)i]) + std::fabs(gi);
                ww[(size_t)i] = w[(size_t)i] - lr * (double)gi;
                sw[(size_t)i] = std::fabs(w[(size_t)i]) + std::fabs(lr * gi);
            }
            Close(gw, ww, sw, momentum ? "sgd momentum w" : "sgd w");
            Close(gvel, wv, sv, "velocity");
            for (float x : gg) ASSERT_EQ(x, 0.0f);
        }
    }
}

// ---- reductions and bookkeeping -----------------------------------------------------------------------------------------------

TEST(CudaBackendOps, SumOfSquaresAndSubnormalCountAreExactAndDeterministic) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(18);
    int64_t bytes = 0;
    MP_ASSERT_OK(mp_cuda_reduction_workspace_size(&bytes));
    DeviceBuffer<uint8_t> ws((size_t)bytes);
    for (const Shape& s : {Shape{1, 1, 1}, Shape{1, 100003, 100003}, Shape{257, 31, 40}, Shape{3, 5, 5}}) {
        std::vector<float> x = RandomMatrix(rng, (size_t)(s.rows * s.ld));
        int64_t subnormals = 0;
        std::uniform_int_distribution<int64_t> pos(0, s.rows * s.cols - 1);
        for (int i = 0; i < 7 && s.rows * s.cols > 10; ++i) {
            const int64_t p = pos(rng);
            x[(size_t)((p / s.cols) * s.ld + p % s.cols)] = (i % 2 ? -1.0f : 1.0f) * 1e-39f * (float)(i + 1);
        }
        for (int64_t r = 0; r < s.rows; ++r)
            for (int64_t c = s.cols; c < s.ld; ++c) x[(size_t)(r * s.ld + c)] = 1e-40f; // padding: ignored
        double want = 0, scale = 0;
        for (int64_t r = 0; r < s.rows; ++r)
            for (int64_t c = 0; c < s.cols; ++c) {
                const float v = x[(size_t)(r * s.ld + c)];
                want += (double)v * v;
                if (std::fpclassify(v) == FP_SUBNORMAL) ++subnormals;
            }
        scale = want;
        DeviceBuffer<float> dxv(x);
        DeviceBuffer<double> dsum(1);
        DeviceBuffer<int64_t> dcount(1);
        MP_ASSERT_OK(mp_cuda_sum_squares_f32(dxv.get(), s.rows, s.cols, s.ld, dsum.get(), ws.get(), bytes, nullptr));
        MP_ASSERT_OK(mp_cuda_count_subnormals_f32(dxv.get(), s.rows, s.cols, s.ld, dcount.get(), ws.get(), bytes, nullptr));
        const double got = dsum.Download()[0];
        EXPECT_NEAR(got, want, 1e-9 * std::max(scale, 1e-30));
        EXPECT_EQ(dcount.Download()[0], subnormals);
        MP_ASSERT_OK(mp_cuda_sum_squares_f32(dxv.get(), s.rows, s.cols, s.ld, dsum.get(), ws.get(), bytes, nullptr));
        const double again = dsum.Download()[0];
        EXPECT_EQ(std::memcmp(&got, &again, sizeof got), 0) << "bitwise deterministic";
    }
}

TEST(CudaBackendOps, RowSums) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(19);
    for (const Shape& s : kShapes) {
        const std::vector<float> x = RandomMatrix(rng, (size_t)(s.rows * s.ld));
        const std::vector<float> init = RandomMatrix(rng, (size_t)s.rows);
        DeviceBuffer<float> dxv(x), dout(init);
        for (int acc : {1, 0}) {
            if (!acc) dout.Fill(kPoison);
            MP_ASSERT_OK(mp_cuda_row_sums_f32(dxv.get(), s.rows, s.cols, s.ld, dout.get(), acc, nullptr));
            const std::vector<float> got = dout.Download();
            std::vector<double> want((size_t)s.rows), scale((size_t)s.rows);
            for (int64_t r = 0; r < s.rows; ++r) {
                want[(size_t)r] = acc ? init[(size_t)r] : 0;
                scale[(size_t)r] = std::fabs(want[(size_t)r]);
                for (int64_t c = 0; c < s.cols; ++c) {
                    want[(size_t)r] += x[(size_t)(r * s.ld + c)];
                    scale[(size_t)r] += std::fabs(x[(size_t)(r * s.ld + c)]);
                }
            }
            Close(got, want, scale, acc ? "row sums (accumulate)" : "row sums");
        }
    }
}

TEST(CudaBackendOps, IndexAddZeroSelectedPlaceIndexColumnsIota) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(20);
    // index add: counts (exact) and weighted values, out-of-range indices skipped
    const int64_t n = 50, count = 3000;
    std::vector<int32_t> idx((size_t)count);
    std::uniform_int_distribution<int32_t> pick(-2, (int32_t)n + 1);
    for (auto& i : idx) i = pick(rng);
    const std::vector<float> vals = RandomMatrix(rng, (size_t)count);
    const std::vector<float> base = RandomMatrix(rng, (size_t)n);
    DeviceBuffer<int32_t> didx(idx);
    DeviceBuffer<float> dvals(vals), dt(base);
    MP_ASSERT_OK(mp_cuda_index_add_f32(didx.get(), count, nullptr, 2.0f, dt.get(), n, nullptr));
    MP_ASSERT_OK(mp_cuda_index_add_f32(didx.get(), count, dvals.get(), 0.5f, dt.get(), n, nullptr));
    std::vector<double> want(base.begin(), base.end()), scale((size_t)n);
    for (int64_t j = 0; j < n; ++j) scale[(size_t)j] = std::fabs(base[(size_t)j]);
    for (int64_t i = 0; i < count; ++i) {
        const int32_t j = idx[(size_t)i];
        if (j < 0 || j >= n) continue;
        want[(size_t)j] += 2.0 + 0.5 * vals[(size_t)i];
        scale[(size_t)j] += 2.0 + 0.5 * std::fabs(vals[(size_t)i]);
    }
    Close(dt.Download(), want, scale, "index add");

    // zero selected, per row and unified
    const int64_t rows = 9, cols = 40, ld = 43, k = 5;
    const std::vector<float> x = RandomMatrix(rng, (size_t)(rows * ld));
    std::vector<int32_t> sel((size_t)(rows * 7), -1);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < k; ++j) sel[(size_t)(r * 7 + j)] = (int32_t)((r * 3 + j * 7) % cols);
    sel[7 * 3 + 1] = (int32_t)cols + 2; // out of range: skipped
    DeviceBuffer<float> dxa(x), dxb(x);
    DeviceBuffer<int32_t> dsel(sel);
    MP_ASSERT_OK(mp_cuda_zero_selected_f32(dxa.get(), rows, cols, ld, dsel.get(), 7, k, nullptr));
    MP_ASSERT_OK(mp_cuda_zero_selected_f32(dxb.get(), rows, cols, ld, dsel.get(), 0, k, nullptr));
    const std::vector<float> ga = dxa.Download(), gb = dxb.Download();
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < ld; ++c) {
            bool per_row = false, unified = false;
            for (int64_t j = 0; j < k; ++j) {
                per_row |= sel[(size_t)(r * 7 + j)] == c && c < cols;
                unified |= sel[(size_t)j] == c && c < cols;
            }
            const float v = x[(size_t)(r * ld + c)];
            ASSERT_TRUE(Same(ga[(size_t)(r * ld + c)], per_row ? 0.0f : v)) << r << "," << c;
            ASSERT_TRUE(Same(gb[(size_t)(r * ld + c)], unified ? 0.0f : v)) << r << "," << c;
        }

    // place index columns: into a wider tensor, and in place
    std::vector<int32_t> src((size_t)(rows * k));
    for (size_t i = 0; i < src.size(); ++i) src[i] = (int32_t)i;
    DeviceBuffer<int32_t> dsrc(src), ddst((size_t)(rows * 3 * k));
    ddst.Fill(-7);
    MP_ASSERT_OK(mp_cuda_place_index_cols_i32(dsrc.get(), rows, k, k, ddst.get() + k, 3 * k, 100, nullptr));
    const std::vector<int32_t> gd = ddst.Download();
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < 3 * k; ++j)
            ASSERT_EQ(gd[(size_t)(r * 3 * k + j)], j >= k && j < 2 * k ? src[(size_t)(r * k + j - k)] + 100 : -7);
    MP_ASSERT_OK(mp_cuda_place_index_cols_i32(dsrc.get(), rows, k, k, dsrc.get(), k, -1, nullptr));
    const std::vector<int32_t> gs = dsrc.Download();
    for (size_t i = 0; i < gs.size(); ++i) ASSERT_EQ(gs[i], src[i] - 1);

    // iota: CSR row offsets b * k
    DeviceBuffer<int32_t> dio(1025);
    dio.Fill(-7);
    MP_ASSERT_OK(mp_cuda_iota_i32(dio.get(), 1025, 0, 20, nullptr));
    const std::vector<int32_t> io = dio.Download();
    for (int32_t i = 0; i < 1025; ++i) ASSERT_EQ(io[(size_t)i], 20 * i);
}

// ---- LSTM cell --------------------------------------------------------------------------------------------------------------------

TEST(CudaBackendOps, LstmCellForwardAndBackward) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(21);
    auto sig = [](double x) { return 1 / (1 + std::exp(-std::min(std::max(x, -30.0), 30.0))); };
    auto th = [](double x) { return std::tanh(std::min(std::max(x, -15.0), 15.0)); };
    for (bool with_prev : {false, true}) {
        const int64_t rows = 13, hidden = 37, ldg = 4 * hidden + 3, ld = hidden + 2;
        std::vector<float> z = RandomMatrix(rng, (size_t)(rows * ldg), 2.0f);
        z[0] = 100.0f; // clamped
        const std::vector<float> cp = RandomMatrix(rng, (size_t)(rows * ld));
        DeviceBuffer<float> dgates(z), dcp(cp), dc((size_t)(rows * ld)), dt((size_t)(rows * ld)), dh((size_t)(rows * ld));
        dc.Fill(kPoison); dt.Fill(kPoison); dh.Fill(kPoison);
        MP_ASSERT_OK(mp_cuda_lstm_cell_forward_f32(dgates.get(), rows, hidden, ldg, with_prev ? dcp.get() : nullptr, ld,
                                                   dc.get(), ld, dt.get(), ld, dh.get(), ld, nullptr));
        const std::vector<float> a = dgates.Download(), c = dc.Download(), t = dt.Download(), h = dh.Download();
        std::vector<float> ga, gc, gt, gh;
        std::vector<double> wa, wc, wt, wh;
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < hidden; ++j) {
                const float* zr = &z[(size_t)(r * ldg)];
                const double i = sig(zr[j]), f = sig(zr[hidden + j]), g = th(zr[2 * hidden + j]), o = sig(zr[3 * hidden + j]);
                const double cv = i * g + (with_prev ? f * cp[(size_t)(r * ld + j)] : 0);
                for (int q = 0; q < 4; ++q) ga.push_back(a[(size_t)(r * ldg + q * hidden + j)]);
                wa.insert(wa.end(), {i, f, g, o});
                gc.push_back(c[(size_t)(r * ld + j)]); wc.push_back(cv);
                gt.push_back(t[(size_t)(r * ld + j)]); wt.push_back(std::tanh(cv));
                gh.push_back(h[(size_t)(r * ld + j)]); wh.push_back(o * std::tanh(cv));
            }
        std::vector<double> unit(wa.size(), 1.0), unit2(wc.size(), 2.0);
        Close(ga, wa, unit, "gate activations");
        Close(gc, wc, unit2, "c");
        Close(gt, wt, unit2, "tanh c");
        Close(gh, wh, unit2, "h");
        PaddingUntouched(c, rows, hidden, ld, "c");

        // backward, with a carry into the first rows
        const int64_t carried = 5;
        const std::vector<float> dhv = RandomMatrix(rng, (size_t)(rows * ld)), dhc = RandomMatrix(rng, (size_t)(carried * ld)),
                                 dc0 = RandomMatrix(rng, (size_t)(rows * ld));
        DeviceBuffer<float> ddh(dhv), ddhc(dhc), ddc(dc0), ddg((size_t)(rows * ldg));
        ddg.Fill(kPoison);
        MP_ASSERT_OK(mp_cuda_lstm_cell_backward_f32(dgates.get(), rows, hidden, ldg, with_prev ? dcp.get() : nullptr, ld,
                                                    dt.get(), ld, ddh.get(), ld, ddhc.get(), ld, carried, ddc.get(), ld,
                                                    ddg.get(), ldg, nullptr));
        const std::vector<float> dg = ddg.Download(), dcn = ddc.Download();
        std::vector<float> gdg, gdc;
        std::vector<double> wdg, wdc, sdg, sdc;
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < hidden; ++j) {
                const float* ar = &a[(size_t)(r * ldg)];
                const double vi = ar[j], vf = ar[hidden + j], vg = ar[2 * hidden + j], vo = ar[3 * hidden + j];
                const bool car = r < carried;
                const double vh = dhv[(size_t)(r * ld + j)] + (car ? dhc[(size_t)(r * ld + j)] : 0);
                const double vt = t[(size_t)(r * ld + j)];
                const double vc = vh * vo * (1 - vt * vt) + (car ? dc0[(size_t)(r * ld + j)] : 0);
                const double pv = with_prev ? cp[(size_t)(r * ld + j)] : 0;
                const double w4[4] = {vc * vg * vi * (1 - vi), with_prev ? vc * pv * vf * (1 - vf) : 0, vc * vi * (1 - vg * vg),
                                      vh * vt * vo * (1 - vo)};
                const double sc = std::fabs(vh) + std::fabs(car ? dc0[(size_t)(r * ld + j)] : 0) + 1e-3;
                for (int q = 0; q < 4; ++q) {
                    gdg.push_back(dg[(size_t)(r * ldg + q * hidden + j)]);
                    wdg.push_back(w4[q]);
                    sdg.push_back(sc * (1 + std::fabs(pv)));
                }
                gdc.push_back(dcn[(size_t)(r * ld + j)]);
                wdc.push_back(vc * vf);
                sdc.push_back(sc);
            }
        Close(gdg, wdg, sdg, "d gates");
        Close(gdc, wdc, sdc, "dc");
    }
}
