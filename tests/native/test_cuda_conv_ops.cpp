// The CUDA backend's image operations (meProp-CNN, the CNN part of the second CUDA section of meprop.h): im2col /
// col2im, 2 x 2 max pooling, batch norm, the per-map top-k and the sparse conv backward, against plain host
// references that follow the CPU backend (managed/MePropNative/Backends/CpuBackend.Convolution.cs and the CPU kernels
// native/src/cpu/topk_per_map.c, conv_sparse.c). Bitwise where the operation is a copy or a selection (im2col,
// col2im's fixed order, pooling and its gradient routing, top-k indices and values, the running-gradient update);
// elsewhere double references with a relative tolerance of 1e-4 of the sum of |terms|. Random shapes: odd heights and
// widths, stride 2, padding, batch 1, channel counts that are not multiples of 32, k = 1 and k = P, ties and NaN.
// Every output is poisoned before the launch (so every element must be written), leading dimensions are padded and
// the padding must stay untouched. Without a device (or in a CPU-only build) the GPU tests skip with the reason.
// Also linked into the CPU emulation (tests/native/cuda_emu/run.sh), where they run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
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

// got == want element by element (NaN equals NaN, -0 differs from +0); reports the first few misses.
void Bitwise(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size());
    int reported = 0;
    for (size_t i = 0; i < want.size(); ++i)
        if (!Same(got[i], want[i]) && reported++ < 5) ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", want " << want[i];
}

void BitwiseInts(const std::vector<int32_t>& got, const std::vector<int32_t>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size());
    int reported = 0;
    for (size_t i = 0; i < want.size(); ++i)
        if (got[i] != want[i] && reported++ < 5) ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", want " << want[i];
}

// The rows x cols part of a rows x ld matrix.
std::vector<float> Part(const std::vector<float>& m, int64_t rows, int64_t cols, int64_t ld) {
    std::vector<float> out((size_t)(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) out[(size_t)(r * cols + c)] = m[(size_t)(r * ld + c)];
    return out;
}

// A rows x ld matrix of random values in the first cols columns and the poison in the padding.
std::vector<float> Padded(std::mt19937& rng, int64_t rows, int64_t cols, int64_t ld) {
    std::vector<float> m = RandomMatrix(rng, (size_t)(rows * ld));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = cols; c < ld; ++c) m[(size_t)(r * ld + c)] = kPoison;
    return m;
}

// "Same" (TensorFlow rule, as ConvGeometry.Same) or "valid" geometry.
mp_conv_geometry Geometry(int h, int w, int c, int kernel, int stride, bool same) {
    if (!same) return mp_conv_geometry{h, w, c, kernel, kernel, stride, 0, 0, (h - kernel) / stride + 1, (w - kernel) / stride + 1};
    const int oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride;
    const int ph = std::max(0, (oh - 1) * stride + kernel - h), pw = std::max(0, (ow - 1) * stride + kernel - w);
    return mp_conv_geometry{h, w, c, kernel, kernel, stride, ph / 2, pw / 2, oh, ow};
}

struct ConvCase {
    mp_conv_geometry g;
    int64_t batch;
};

// Odd sizes, stride 2 with padding, 1 x 1 kernels, a single output position, channel counts off multiples of 32.
const std::vector<ConvCase> kConvCases = {
    {Geometry(5, 7, 3, 3, 1, true), 2},   {Geometry(6, 5, 2, 3, 2, true), 3}, {Geometry(4, 4, 1, 2, 2, false), 1},
    {Geometry(7, 7, 33, 5, 1, true), 2},  {Geometry(3, 3, 4, 3, 1, false), 3}, {Geometry(3, 5, 6, 1, 1, true), 2},
    {Geometry(9, 6, 5, 5, 2, true), 1},
};

int64_t Positions(const mp_conv_geometry& g) { return (int64_t)g.out_h * g.out_w; }
int64_t Image(const mp_conv_geometry& g) { return (int64_t)g.in_h * g.in_w * g.in_c; }
int64_t Patch(const mp_conv_geometry& g) { return (int64_t)g.kernel_h * g.kernel_w * g.in_c; }

// The image offset of column kk of output position p, or -1 in the padding.
int64_t Source(const mp_conv_geometry& g, int64_t p, int64_t kk) {
    const int64_t oh = p / g.out_w, ow = p % g.out_w, run = (int64_t)g.kernel_w * g.in_c;
    const int64_t kh = kk / run, kw = (kk % run) / g.in_c, ci = kk % g.in_c;
    const int64_t ih = oh * g.stride - g.pad_top + kh, iw = ow * g.stride - g.pad_left + kw;
    if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) return -1;
    return (ih * g.in_w + iw) * g.in_c + ci;
}

std::string Name(const ConvCase& c) {
    const mp_conv_geometry& g = c.g;
    return std::to_string(c.batch) + "x" + std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + "x" + std::to_string(g.in_c) +
           " k" + std::to_string(g.kernel_h) + " s" + std::to_string(g.stride) + " p" + std::to_string(g.pad_top) +
           std::to_string(g.pad_left);
}

// ---- argument checks (need a CUDA build, no device) -----------------------------------------------------------------

TEST(CudaConvOps, ArgumentsAreChecked) {
    float* fake = reinterpret_cast<float*>(uintptr_t{4096});
    int32_t* fake_idx = reinterpret_cast<int32_t*>(uintptr_t{8192});
    const mp_conv_geometry g = Geometry(5, 5, 3, 3, 1, true);
    if (!BuiltWithCuda()) {
        EXPECT_EQ(mp_cuda_im2col_f32(&g, 1, fake, 75, fake, 27, nullptr), MP_ERR_UNSUPPORTED);
        EXPECT_NE(std::string(mp_last_error()).find("without CUDA"), std::string::npos);
        EXPECT_EQ(mp_cuda_batchnorm_backward_f32(fake, fake, 1, 1, fake, fake, fake, fake, 0, fake, nullptr), MP_ERR_UNSUPPORTED);
        return;
    }
    auto expect = [](mp_status st, const char* needle) {
        EXPECT_EQ(st, MP_ERR_INVALID_ARGUMENT) << needle;
        EXPECT_NE(std::string(mp_last_error()).find(needle), std::string::npos) << mp_last_error();
    };
    expect(mp_cuda_im2col_f32(nullptr, 1, fake, 75, fake, 27, nullptr), "geometry is NULL");
    expect(mp_cuda_im2col_f32(&g, 1, fake, 74, fake, 27, nullptr), "ldx = 74");
    expect(mp_cuda_im2col_f32(&g, 1, fake, 75, fake, 26, nullptr), "ldc = 26");
    expect(mp_cuda_im2col_f32(&g, 0, fake, 75, fake, 27, nullptr), "batch = 0");
    mp_conv_geometry bad = g;
    bad.pad_top = 3;
    expect(mp_cuda_col2im_f32(&bad, 1, fake, 27, fake, 75, nullptr), "pad_top = 3");
    bad = g;
    bad.stride = 0;
    expect(mp_cuda_col2im_f32(&bad, 1, fake, 27, fake, 75, nullptr), "stride = 0");
    expect(mp_cuda_col2im_f32(&g, 1, nullptr, 27, fake, 75, nullptr), "cols is NULL");
    expect(mp_cuda_maxpool2x2_f32(fake, 1, 1, 4, 3, 12, fake, 6, nullptr), "height = 1");
    expect(mp_cuda_maxpool2x2_f32(fake, 1, 4, 4, 3, 48, fake, 11, nullptr), "ldy = 11");
    expect(mp_cuda_maxpool2x2_backward_f32(fake, 48, fake, 12, fake, 12, 1, 4, 4, 3, fake, 47, nullptr), "lddx = 47");
    expect(mp_cuda_maxpool2x2_backward_f32(fake, 48, fake, 12, nullptr, 12, 1, 4, 4, 3, fake, 48, nullptr), "dy is NULL");
    expect(mp_cuda_batchnorm_forward_training_f32(fake, 4, 0, fake, fake, 1e-5f, 0.1f, fake, fake, fake, fake, fake, nullptr),
           "channels = 0");
    expect(mp_cuda_batchnorm_forward_training_f32(fake, 4, 2, fake, fake, 1e-5f, 0.1f, fake, nullptr, fake, fake, fake, nullptr),
           "running_var is NULL");
    expect(mp_cuda_batchnorm_forward_inference_f32(fake, 0, 2, fake, fake, 1e-5f, fake, fake, fake, nullptr), "rows = 0");
    expect(mp_cuda_batchnorm_backward_f32(fake, fake, 4, 2, fake, fake, nullptr, fake, 0, fake, nullptr), "dgamma is NULL");
    expect(mp_cuda_topk_abs_per_map_f32(fake, 2, 10, 3, 30, 11, nullptr, 0.0f, fake_idx, 22, fake, 22, fake, fake_idx, 11, nullptr),
           "k = 11");
    expect(mp_cuda_topk_abs_per_map_f32(fake, 2, 10, 3, 30, 4, nullptr, 0.5f, fake_idx, 8, fake, 8, fake, fake_idx, 4, nullptr),
           "running is NULL");
    expect(mp_cuda_topk_abs_per_map_f32(fake, 2, 10, 3, 30, 4, fake, 1.0f, fake_idx, 8, fake, 8, fake, fake_idx, 4, nullptr),
           "decay = 1");
    expect(mp_cuda_topk_abs_per_map_f32(fake, 2, 10, 3, 30, 4, nullptr, 0.0f, fake_idx, 7, fake, 8, fake, fake_idx, 4, nullptr),
           "ldi = 7");
    expect(mp_cuda_topk_abs_per_map_f32(fake, 2, 10, 3, 30, 4, nullptr, 0.0f, fake_idx, 8, fake, 8, nullptr, fake_idx, 4, nullptr),
           "scores is NULL");
    expect(mp_cuda_topk_abs_per_map_f32(fake, 2, 10, 3, 30, 4, nullptr, 0.0f, fake_idx, 8, fake, 8, fake, fake_idx, 3, nullptr),
           "ldm = 3");
    expect(mp_cuda_conv_sparse_dw_f32(&g, 2, 4, 26, fake_idx, 52, fake, 52, fake, 75, fake, 27, 0, nullptr), "k = 26");
    expect(mp_cuda_conv_sparse_dw_f32(&g, 2, 4, 3, fake_idx, 6, fake, 5, fake, 75, fake, 27, 0, nullptr), "ldv = 5");
    expect(mp_cuda_conv_sparse_dw_f32(&g, 2, 4, 3, fake_idx, 6, fake, 6, fake, 75, fake, 26, 0, nullptr), "lddw = 26");
    expect(mp_cuda_conv_sparse_dx_f32(&g, 2, 4, 3, fake_idx, 6, fake, 6, fake, 26, fake, 75, nullptr), "ldw = 26");
    expect(mp_cuda_conv_sparse_dx_f32(&g, 2, 0, 3, fake_idx, 6, fake, 6, fake, 27, fake, 75, nullptr), "channels = 0");
    expect(mp_cuda_conv_sparse_dx_f32(&g, 2, 4, 3, nullptr, 6, fake, 6, fake, 27, fake, 75, nullptr), "idx is NULL");
}

// ---- im2col / col2im -----------------------------------------------------------------------------------------------------

TEST(CudaConvOps, Im2ColIsTheCopyAndCol2ImItsAdjointInTheCpuOrder) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(101);
    for (const ConvCase& cc : kConvCases) {
        SCOPED_TRACE(Name(cc));
        const mp_conv_geometry& g = cc.g;
        const int64_t N = cc.batch, P = Positions(g), image = Image(g), K = Patch(g), ldx = image + 3, ldc = K + 2;
        const std::vector<float> x = Padded(rng, N, image, ldx);
        DeviceBuffer<float> dx(x), dcols((size_t)(N * P * ldc));
        dcols.Fill(kPoison);
        MP_ASSERT_OK(mp_cuda_im2col_f32(&g, N, dx.get(), ldx, dcols.get(), ldc, nullptr));
        const std::vector<float> cols = dcols.Download();
        std::vector<float> want((size_t)(N * P * K));
        for (int64_t n = 0; n < N; ++n)
            for (int64_t p = 0; p < P; ++p)
                for (int64_t kk = 0; kk < K; ++kk) {
                    const int64_t s = Source(g, p, kk);
                    want[(size_t)((n * P + p) * K + kk)] = s < 0 ? 0.0f : x[(size_t)(n * ldx + s)];
                }
        Bitwise(Part(cols, N * P, K, ldc), want, "im2col");
        PaddingUntouched(cols, N * P, K, ldc, "im2col");

        // col2im of random columns: the CPU backend's float sums (output positions ascending, from +0), bitwise
        const std::vector<float> c2 = Padded(rng, N * P, K, ldc);
        DeviceBuffer<float> dc2(c2), dimg((size_t)(N * ldx));
        dimg.Fill(kPoison);
        MP_ASSERT_OK(mp_cuda_col2im_f32(&g, N, dc2.get(), ldc, dimg.get(), ldx, nullptr));
        const std::vector<float> img = dimg.Download();
        std::vector<float> back((size_t)(N * image), 0.0f);
        for (int64_t n = 0; n < N; ++n)
            for (int64_t p = 0; p < P; ++p)
                for (int64_t kk = 0; kk < K; ++kk) {
                    const int64_t s = Source(g, p, kk);
                    if (s >= 0) back[(size_t)(n * image + s)] += c2[(size_t)((n * P + p) * ldc + kk)];
                }
        Bitwise(Part(img, N, image, ldx), back, "col2im");
        PaddingUntouched(img, N, image, ldx, "col2im");
    }
}

// ---- max pooling ---------------------------------------------------------------------------------------------------------

// .NET's MathF.Max (what the CPU backend's pooling computes): NaN if either is NaN, +0 over -0.
float NetMax(float a, float b) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
    if (a == b) return std::signbit(b) ? a : b;
    return a > b ? a : b;
}

TEST(CudaConvOps, MaxPool2x2FirstMaximumNaNAndOddSizes) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(102);
    struct PoolCase { int64_t batch, h, w, c; };
    for (const PoolCase s : {PoolCase{2, 4, 4, 3}, PoolCase{1, 5, 7, 33}, PoolCase{3, 6, 3, 8}, PoolCase{2, 2, 2, 1}, PoolCase{1, 9, 4, 40}}) {
        SCOPED_TRACE(std::to_string(s.batch) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c));
        const int64_t oh = s.h / 2, ow = s.w / 2, image = s.h * s.w * s.c, pooled = oh * ow * s.c;
        const int64_t ldx = image + 2, ldy = pooled + 1;
        // few distinct values: ties everywhere; some -0 / +0 and NaN
        std::uniform_int_distribution<int> pick(0, 19);
        std::vector<float> x((size_t)(s.batch * ldx), kPoison);
        for (int64_t n = 0; n < s.batch; ++n)
            for (int64_t i = 0; i < image; ++i) {
                const int v = pick(rng);
                x[(size_t)(n * ldx + i)] = v == 0 ? kNaN : v == 1 ? -0.0f : v == 2 ? 0.0f : (float)(v % 5) - 2.0f;
            }
        DeviceBuffer<float> dxv(x), dy((size_t)(s.batch * ldy));
        dy.Fill(kPoison);
        MP_ASSERT_OK(mp_cuda_maxpool2x2_f32(dxv.get(), s.batch, s.h, s.w, s.c, ldx, dy.get(), ldy, nullptr));
        const std::vector<float> y = dy.Download();
        std::vector<float> want((size_t)(s.batch * pooled));
        for (int64_t n = 0; n < s.batch; ++n)
            for (int64_t i = 0; i < oh; ++i)
                for (int64_t j = 0; j < ow; ++j)
                    for (int64_t c = 0; c < s.c; ++c) {
                        const float* a = &x[(size_t)(n * ldx + ((2 * i) * s.w + 2 * j) * s.c + c)];
                        want[(size_t)(n * pooled + (i * ow + j) * s.c + c)] =
                            NetMax(NetMax(a[0], a[s.c]), NetMax(a[s.w * s.c], a[s.w * s.c + s.c]));
                    }
        Bitwise(Part(y, s.batch, pooled, ldy), want, "max pool");
        PaddingUntouched(y, s.batch, pooled, ldy, "max pool");

        // backward: dy routed to the first element equal to y, (1,1) when y is NaN; dropped rows / columns get 0
        const std::vector<float> g = Padded(rng, s.batch, pooled, ldy);
        DeviceBuffer<float> dg(g), ddx((size_t)(s.batch * ldx));
        ddx.Fill(kPoison);
        MP_ASSERT_OK(mp_cuda_maxpool2x2_backward_f32(dxv.get(), ldx, dy.get(), ldy, dg.get(), ldy, s.batch, s.h, s.w, s.c,
                                                     ddx.get(), ldx, nullptr));
        const std::vector<float> grad = ddx.Download();
        std::vector<float> wantg((size_t)(s.batch * image), 0.0f);
        for (int64_t n = 0; n < s.batch; ++n)
            for (int64_t i = 0; i < oh; ++i)
                for (int64_t j = 0; j < ow; ++j)
                    for (int64_t c = 0; c < s.c; ++c) {
                        const int64_t o = (i * ow + j) * s.c + c;
                        const float m = y[(size_t)(n * ldy + o)];
                        const int64_t at[4] = {((2 * i) * s.w + 2 * j) * s.c + c, ((2 * i) * s.w + 2 * j + 1) * s.c + c,
                                               ((2 * i + 1) * s.w + 2 * j) * s.c + c, ((2 * i + 1) * s.w + 2 * j + 1) * s.c + c};
                        int arg = 3;
                        for (int q = 0; q < 3; ++q)
                            if (x[(size_t)(n * ldx + at[q])] == m) { arg = q; break; }
                        wantg[(size_t)(n * image + at[arg])] = g[(size_t)(n * ldy + o)];
                    }
        Bitwise(Part(grad, s.batch, image, ldx), wantg, "max pool backward");
        PaddingUntouched(grad, s.batch, image, ldx, "max pool backward");
    }
}

// ---- batch norm -----------------------------------------------------------------------------------------------------------

TEST(CudaConvOps, BatchNormTrainingInferenceAndBackward) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(103);
    struct BnCase { int64_t rows, c; };
    for (const BnCase s : {BnCase{1, 5}, BnCase{2, 1}, BnCase{75, 33}, BnCase{300, 16}, BnCase{40, 70}}) {
        SCOPED_TRACE(std::to_string(s.rows) + " x " + std::to_string(s.c));
        const int64_t m = s.rows, C = s.c, len = m * C;
        const float eps = 1e-5f, momentum = 0.1f;
        std::vector<float> x = RandomMatrix(rng, (size_t)len, 2.0f);
        for (int64_t i = 0; i < len; ++i) x[(size_t)i] += 0.5f * (float)(i % C); // channel offsets
        const std::vector<float> gamma = RandomMatrix(rng, (size_t)C), beta = RandomMatrix(rng, (size_t)C);
        std::vector<float> rmean = RandomMatrix(rng, (size_t)C), rvar = RandomMatrix(rng, (size_t)C);
        for (float& v : rvar) v = std::fabs(v) + 0.1f;
        DeviceBuffer<float> dxv(x), dg(gamma), db(beta), drm(rmean), drv(rvar), dxh((size_t)len), dinv((size_t)C), dyv((size_t)len);
        dxh.Fill(kNaN);
        dinv.Fill(kNaN);
        dyv.Fill(kNaN);
        MP_ASSERT_OK(mp_cuda_batchnorm_forward_training_f32(dxv.get(), m, C, dg.get(), db.get(), eps, momentum, drm.get(),
                                                            drv.get(), dxh.get(), dinv.get(), dyv.get(), nullptr));
        const std::vector<float> xhat = dxh.Download(), inv = dinv.Download(), y = dyv.Download(), rm = drm.Download(),
                                 rv = drv.Download();
        std::vector<double> mean((size_t)C, 0.0), var((size_t)C, 0.0);
        for (int64_t r = 0; r < m; ++r)
            for (int64_t c = 0; c < C; ++c) mean[(size_t)c] += x[(size_t)(r * C + c)];
        for (double& v : mean) v /= (double)m;
        for (int64_t r = 0; r < m; ++r)
            for (int64_t c = 0; c < C; ++c) var[(size_t)c] += std::pow(x[(size_t)(r * C + c)] - mean[(size_t)c], 2);
        for (double& v : var) v /= (double)m;
        std::vector<double> wi((size_t)C), wrm((size_t)C), wrv((size_t)C), srm((size_t)C), srv((size_t)C);
        for (int64_t c = 0; c < C; ++c) {
            const double unbias = m > 1 ? (double)m / (double)(m - 1) : 1.0;
            wi[(size_t)c] = 1.0 / std::sqrt(var[(size_t)c] + eps);
            wrm[(size_t)c] = (1.0 - momentum) * rmean[(size_t)c] + momentum * mean[(size_t)c];
            srm[(size_t)c] = std::fabs((1.0 - momentum) * rmean[(size_t)c]) + std::fabs(momentum * mean[(size_t)c]);
            wrv[(size_t)c] = (1.0 - momentum) * rvar[(size_t)c] + momentum * var[(size_t)c] * unbias;
            srv[(size_t)c] = std::fabs(wrv[(size_t)c]);
        }
        Close(inv, wi, wi, "inv std");
        Close(rm, wrm, srm, "running mean");
        Close(rv, wrv, srv, "running variance");
        std::vector<double> wxh((size_t)len), sxh((size_t)len), wy((size_t)len), sy((size_t)len);
        for (int64_t r = 0; r < m; ++r)
            for (int64_t c = 0; c < C; ++c) {
                const size_t i = (size_t)(r * C + c);
                wxh[i] = (x[i] - mean[(size_t)c]) * wi[(size_t)c];
                sxh[i] = (std::fabs(x[i]) + std::fabs(mean[(size_t)c])) * wi[(size_t)c];
                wy[i] = gamma[(size_t)c] * wxh[i] + beta[(size_t)c];
                sy[i] = std::fabs(gamma[(size_t)c]) * sxh[i] + std::fabs(beta[(size_t)c]);
            }
        Close(xhat, wxh, sxh, "xhat");
        Close(y, wy, sy, "y");

        // inference from the (updated) running statistics
        dyv.Fill(kNaN);
        MP_ASSERT_OK(mp_cuda_batchnorm_forward_inference_f32(dxv.get(), m, C, dg.get(), db.get(), eps, drm.get(), drv.get(),
                                                             dyv.get(), nullptr));
        const std::vector<float> yi = dyv.Download();
        for (int64_t r = 0; r < m; ++r)
            for (int64_t c = 0; c < C; ++c) {
                const size_t i = (size_t)(r * C + c);
                const double scale = gamma[(size_t)c] / std::sqrt((double)rv[(size_t)c] + eps);
                wy[i] = (x[i] - rm[(size_t)c]) * scale + beta[(size_t)c];
                sy[i] = (std::fabs(x[i]) + std::fabs(rm[(size_t)c])) * std::fabs(scale) + std::fabs(beta[(size_t)c]);
            }
        Close(yi, wy, sy, "inference y");

        // backward, overwriting and accumulating the parameter gradients
        const std::vector<float> g = RandomMatrix(rng, (size_t)len);
        const std::vector<float> g0 = RandomMatrix(rng, (size_t)C), b0 = RandomMatrix(rng, (size_t)C);
        DeviceBuffer<float> dgy(g), dgamma((size_t)C), dbeta((size_t)C), ddx((size_t)len);
        for (int acc : {0, 1}) {
            if (acc) { dgamma.Upload(g0); dbeta.Upload(b0); } else { dgamma.Fill(kNaN); dbeta.Fill(kNaN); }
            ddx.Fill(kNaN);
            MP_ASSERT_OK(mp_cuda_batchnorm_backward_f32(dgy.get(), dxh.get(), m, C, dg.get(), dinv.get(), dgamma.get(),
                                                        dbeta.get(), acc, ddx.get(), nullptr));
            const std::vector<float> dG = dgamma.Download(), dB = dbeta.Download(), dx = ddx.Download();
            std::vector<double> sdy((size_t)C, 0.0), sdyx((size_t)C, 0.0), adG((size_t)C, 0.0), adB((size_t)C, 0.0);
            for (int64_t r = 0; r < m; ++r)
                for (int64_t c = 0; c < C; ++c) {
                    const size_t i = (size_t)(r * C + c);
                    sdy[(size_t)c] += g[i];
                    sdyx[(size_t)c] += (double)g[i] * xhat[i];
                    adB[(size_t)c] += std::fabs(g[i]);
                    adG[(size_t)c] += std::fabs((double)g[i] * xhat[i]);
                }
            std::vector<double> wG((size_t)C), wB((size_t)C), sG((size_t)C), sB((size_t)C);
            for (int64_t c = 0; c < C; ++c) {
                wG[(size_t)c] = (acc ? g0[(size_t)c] : 0.0) + sdyx[(size_t)c];
                sG[(size_t)c] = (acc ? std::fabs(g0[(size_t)c]) : 0.0) + adG[(size_t)c];
                wB[(size_t)c] = (acc ? b0[(size_t)c] : 0.0) + sdy[(size_t)c];
                sB[(size_t)c] = (acc ? std::fabs(b0[(size_t)c]) : 0.0) + adB[(size_t)c];
            }
            Close(dG, wG, sG, acc ? "dgamma (accumulate)" : "dgamma");
            Close(dB, wB, sB, acc ? "dbeta (accumulate)" : "dbeta");
            std::vector<double> wdx((size_t)len), sdx((size_t)len);
            for (int64_t r = 0; r < m; ++r)
                for (int64_t c = 0; c < C; ++c) {
                    const size_t i = (size_t)(r * C + c);
                    const double scale = (double)gamma[(size_t)c] * inv[(size_t)c], mdy = sdy[(size_t)c] / m, mdyx = sdyx[(size_t)c] / m;
                    wdx[i] = scale * (g[i] - mdy - xhat[i] * mdyx);
                    sdx[i] = std::fabs(scale) * (std::fabs(g[i]) + std::fabs(mdy) + std::fabs(xhat[i] * mdyx));
                }
            Close(dx, wdx, sdx, "batch norm dx");
        }
    }
}

// ---- per-map top-k -----------------------------------------------------------------------------------------------------

// Rounded one operation at a time (no FMA, whatever the host compiler's contraction rules).
float Product(float a, float b) { volatile float p = a * b; return p; }
float Sum(float a, float b) { volatile float s = a + b; return s; }

uint32_t KeyOf(float v) {
    if (std::isnan(v)) return 0xffffffffu;
    uint32_t u;
    std::memcpy(&u, &v, 4);
    return u & 0x7fffffffu;
}

struct MapCase { int64_t batch, P, C, k; float decay; };

TEST(CudaConvOps, TopKPerMapSelectionLayoutAndRunningUpdate) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(104);
    const std::vector<MapCase> cases = {
        {2, 25, 3, 5, 0.0f}, {2, 25, 3, 5, 0.6f}, {1, 49, 33, 1, 0.0f}, {3, 16, 33, 16, 0.0f}, {3, 16, 5, 16, 0.6f},
        {2, 30, 7, 1, 0.6f}, {1, 1, 4, 1, 0.0f},  {4, 81, 40, 9, 0.6f}, {2, 300, 2, 37, 0.0f},
    };
    for (const MapCase& s : cases) {
        SCOPED_TRACE("batch " + std::to_string(s.batch) + " P " + std::to_string(s.P) + " C " + std::to_string(s.C) + " k " +
                     std::to_string(s.k) + " decay " + std::to_string(s.decay));
        const int64_t N = s.batch, P = s.P, C = s.C, k = s.k, lddy = P * C + 3, nk = N * k, ldi = nk + 2, ldv = nk + 1;
        // ties (few distinct magnitudes, both signs, zeros) and NaN
        std::uniform_int_distribution<int> pick(0, 40);
        std::vector<float> dy((size_t)(N * lddy), kPoison);
        for (int64_t n = 0; n < N; ++n)
            for (int64_t i = 0; i < P * C; ++i) {
                const int v = pick(rng);
                dy[(size_t)(n * lddy + i)] = v == 0 ? kNaN : v < 8 ? 0.0f : (float)((v % 9) - 4) * 0.3f;
            }
        std::vector<float> running = RandomMatrix(rng, (size_t)(C * P));
        for (float& r : running) r = std::fabs(r);
        const bool decay = s.decay > 0.0f;
        DeviceBuffer<float> ddy(dy), drun(running), dval((size_t)(C * ldv)), dscores((size_t)(N * C * P));
        DeviceBuffer<int32_t> didx((size_t)(C * ldi)), dmap((size_t)(N * C * k));
        didx.Fill(-1);
        dval.Fill(kPoison);
        dscores.Fill(kNaN);
        dmap.Fill(-1);
        MP_ASSERT_OK(mp_cuda_topk_abs_per_map_f32(ddy.get(), N, P, C, lddy, k, decay ? drun.get() : nullptr, s.decay, didx.get(),
                                                  ldi, dval.get(), ldv, dscores.get(), dmap.get(), k, nullptr));
        const std::vector<int32_t> idx = didx.Download();
        const std::vector<float> val = dval.Download(), run = drun.Download();

        std::vector<int32_t> want_idx((size_t)(C * ldi), -1);
        std::vector<float> want_val((size_t)(C * ldv), kPoison);
        for (int64_t n = 0; n < N; ++n)
            for (int64_t c = 0; c < C; ++c) {
                std::vector<uint32_t> key((size_t)P);
                for (int64_t p = 0; p < P; ++p) {
                    const float v = dy[(size_t)(n * lddy + p * C + c)];
                    const float score = decay ? Sum(Product(s.decay, running[(size_t)(c * P + p)]), Product(1.0f - s.decay, std::fabs(v))) : v;
                    key[(size_t)p] = KeyOf(score);
                }
                std::vector<int32_t> order((size_t)P);
                std::iota(order.begin(), order.end(), 0);
                std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return key[(size_t)a] > key[(size_t)b]; });
                order.resize((size_t)k);
                std::sort(order.begin(), order.end());
                for (int64_t t = 0; t < k; ++t) {
                    want_idx[(size_t)(c * ldi + n * k + t)] = (int32_t)(n * P + order[(size_t)t]);
                    want_val[(size_t)(c * ldv + n * k + t)] = dy[(size_t)(n * lddy + order[(size_t)t] * C + c)];
                }
            }
        BitwiseInts(idx, want_idx, "per-map indices (and untouched padding)");
        Bitwise(val, want_val, "per-map values (and untouched padding)");
        std::vector<float> want_run = running;
        if (decay) {
            const float share = (1.0f - s.decay) / (float)N;
            for (int64_t c = 0; c < C; ++c)
                for (int64_t p = 0; p < P; ++p) {
                    float sum = 0.0f;
                    for (int64_t n = 0; n < N; ++n) sum = Sum(sum, std::fabs(dy[(size_t)(n * lddy + p * C + c)]));
                    float& r = want_run[(size_t)(c * P + p)];
                    r = Sum(Product(s.decay, r), Product(share, sum));
                }
        }
        Bitwise(run, want_run, decay ? "running gradient" : "running gradient (untouched without decay)");
    }
}

// ---- sparse conv backward -----------------------------------------------------------------------------------------------

TEST(CudaConvOps, SparseConvWeightAndInputGradients) {
    SKIP_WITHOUT_GPU();
    std::mt19937 rng(105);
    for (const ConvCase& cc : kConvCases) {
        const mp_conv_geometry& g = cc.g;
        const int64_t N = cc.batch, P = Positions(g), image = Image(g), K = Patch(g);
        for (const int64_t k : {(int64_t)1, std::max<int64_t>(1, P / 3), P}) {
            SCOPED_TRACE(Name(cc) + " k " + std::to_string(k));
            const int64_t C = 5, nk = N * k, ldi = nk + 1, ldv = nk + 2, ldx = image + 3, ldw = K + 1, lddw = K + 2;
            // channel-major selection: per (c, n) k distinct positions ascending; some zero values, one bad index
            std::vector<int32_t> idx((size_t)(C * ldi), -1);
            std::vector<float> val = RandomMatrix(rng, (size_t)(C * ldv));
            std::vector<int32_t> positions((size_t)P);
            std::iota(positions.begin(), positions.end(), 0);
            for (int64_t c = 0; c < C; ++c)
                for (int64_t n = 0; n < N; ++n) {
                    std::shuffle(positions.begin(), positions.end(), rng);
                    std::vector<int32_t> pick(positions.begin(), positions.begin() + k);
                    std::sort(pick.begin(), pick.end());
                    for (int64_t t = 0; t < k; ++t) idx[(size_t)(c * ldi + n * k + t)] = (int32_t)(n * P + pick[(size_t)t]);
                }
            val[(size_t)(1 * ldv + 0)] = 0.0f;
            if (C * nk > 3) idx[(size_t)(2 * ldi + nk - 1)] = (int32_t)(N * P + 7); // not a position of its example: skipped
            auto entry_ok = [&](int64_t c, int64_t j) {
                const int64_t p = idx[(size_t)(c * ldi + j)] - (j / k) * P;
                return p >= 0 && p < P;
            };
            const std::vector<float> x = Padded(rng, N, image, ldx), w = Padded(rng, C, K, ldw);

            // dW, overwritten and accumulated; twice: bitwise the same (fixed order)
            const std::vector<float> dw0 = Padded(rng, C, K, lddw);
            DeviceBuffer<int32_t> didx(idx);
            DeviceBuffer<float> dval(val), dxv(x), dwv(w), ddw((size_t)(C * lddw));
            for (int acc : {0, 1}) {
                std::vector<float> first;
                for (int run = 0; run < 2; ++run) {
                    if (acc) ddw.Upload(dw0); else ddw.Fill(kPoison);
                    MP_ASSERT_OK(mp_cuda_conv_sparse_dw_f32(&g, N, C, k, didx.get(), ldi, dval.get(), ldv, dxv.get(), ldx, ddw.get(),
                                                            lddw, acc, nullptr));
                    const std::vector<float> got = ddw.Download();
                    if (run == 1) { Bitwise(got, first, "dW run to run"); break; }
                    first = got;
                    PaddingUntouched(got, C, K, lddw, "dW");
                    std::vector<double> want((size_t)(C * K), 0.0), scale((size_t)(C * K), 0.0);
                    for (int64_t c = 0; c < C; ++c) {
                        for (int64_t kk = 0; kk < K; ++kk) {
                            want[(size_t)(c * K + kk)] = acc ? dw0[(size_t)(c * lddw + kk)] : 0.0;
                            scale[(size_t)(c * K + kk)] = std::fabs(want[(size_t)(c * K + kk)]);
                        }
                        for (int64_t j = 0; j < nk; ++j) {
                            if (!entry_ok(c, j)) continue;
                            const int64_t n = j / k, p = idx[(size_t)(c * ldi + j)] - n * P;
                            const double v = val[(size_t)(c * ldv + j)];
                            for (int64_t kk = 0; kk < K; ++kk) {
                                const int64_t s = Source(g, p, kk);
                                if (s < 0) continue;
                                want[(size_t)(c * K + kk)] += v * x[(size_t)(n * ldx + s)];
                                scale[(size_t)(c * K + kk)] += std::fabs(v * x[(size_t)(n * ldx + s)]);
                            }
                        }
                    }
                    Close(Part(got, C, K, lddw), want, scale, acc ? "sparse conv dW (accumulate)" : "sparse conv dW");
                }
            }

            // dx (atomic adds: compared to rounding)
            DeviceBuffer<float> ddx((size_t)(N * ldx));
            ddx.Fill(kPoison);
            MP_ASSERT_OK(mp_cuda_conv_sparse_dx_f32(&g, N, C, k, didx.get(), ldi, dval.get(), ldv, dwv.get(), ldw, ddx.get(), ldx,
                                                    nullptr));
            const std::vector<float> got = ddx.Download();
            PaddingUntouched(got, N, image, ldx, "dx");
            std::vector<double> want((size_t)(N * image), 0.0), scale((size_t)(N * image), 0.0);
            for (int64_t c = 0; c < C; ++c)
                for (int64_t j = 0; j < nk; ++j) {
                    if (!entry_ok(c, j)) continue;
                    const int64_t n = j / k, p = idx[(size_t)(c * ldi + j)] - n * P;
                    const double v = val[(size_t)(c * ldv + j)];
                    for (int64_t kk = 0; kk < K; ++kk) {
                        const int64_t s = Source(g, p, kk);
                        if (s < 0) continue;
                        want[(size_t)(n * image + s)] += v * w[(size_t)(c * ldw + kk)];
                        scale[(size_t)(n * image + s)] += std::fabs(v * w[(size_t)(c * ldw + kk)]);
                    }
                }
            Close(Part(got, N, image, ldx), want, scale, "sparse conv dx");
        }
    }
}

}  // namespace
