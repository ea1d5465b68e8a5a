// mp_conv_sparse_dw_f32 / mp_conv_sparse_dx_f32 against an explicit im2col reference in both ISAs: integer data
// (exact in any order: bitwise), random data (tolerance), same/valid padding, strides 1 and 2, one and many input
// channels (runs shorter than a vector, not whole vectors, several 64-float slices), accumulate, padding of the
// strided outputs untouched, thread-count independence (bitwise), zero values and every error path.
#include "test_support.h"

#include <algorithm>
#include <numeric>

using namespace mptest;

namespace {

mp_conv_geometry same(int h, int w, int c, int kernel, int stride) {
    const int oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride;
    const int ph = std::max(0, (oh - 1) * stride + kernel - h), pw = std::max(0, (ow - 1) * stride + kernel - w);
    return {h, w, c, kernel, kernel, stride, ph / 2, pw / 2, oh, ow};
}

mp_conv_geometry valid(int h, int w, int c, int kernel, int stride) {
    return {h, w, c, kernel, kernel, stride, 0, 0, (h - kernel) / stride + 1, (w - kernel) / stride + 1};
}

int64_t K_of(const mp_conv_geometry& g) { return int64_t{g.kernel_h} * g.kernel_w * g.in_c; }
int64_t P_of(const mp_conv_geometry& g) { return int64_t{g.out_h} * g.out_w; }
int64_t image_of(const mp_conv_geometry& g) { return int64_t{g.in_h} * g.in_w * g.in_c; }

// im2col row of position p of example n (zero padding), K floats, in double.
std::vector<double> patch(const mp_conv_geometry& g, const std::vector<float>& x, int64_t ldx, int64_t n, int64_t p) {
    std::vector<double> r(static_cast<size_t>(K_of(g)), 0.0);
    const int64_t oh = p / g.out_w, ow = p % g.out_w;
    for (int64_t kh = 0; kh < g.kernel_h; kh++)
        for (int64_t kw = 0; kw < g.kernel_w; kw++) {
            const int64_t ih = oh * g.stride - g.pad_top + kh, iw = ow * g.stride - g.pad_left + kw;
            if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
            for (int64_t ci = 0; ci < g.in_c; ci++)
                r[(kh * g.kernel_w + kw) * g.in_c + ci] = x[n * ldx + (ih * g.in_w + iw) * g.in_c + ci];
        }
    return r;
}

struct Selection {
    int64_t batch, C, k, ldi, ldv;
    std::vector<int32_t> idx;
    std::vector<float> val;
};

// k distinct ascending positions per (example, channel), a few zero values.
Selection select(const mp_conv_geometry& g, int64_t batch, int64_t C, int64_t k, bool ints, uint64_t seed) {
    const int64_t P = P_of(g);
    Selection s{batch, C, k, batch * k + 3, batch * k + 1, {}, {}};
    s.idx.assign(static_cast<size_t>(C * s.ldi), 0);
    s.val.assign(static_cast<size_t>(C * s.ldv), 0.0f);
    std::mt19937_64 rng(seed);
    std::vector<int32_t> order(static_cast<size_t>(P));
    for (int64_t c = 0; c < C; c++)
        for (int64_t n = 0; n < batch; n++) {
            std::iota(order.begin(), order.end(), 0);
            std::shuffle(order.begin(), order.end(), rng);
            std::sort(order.begin(), order.begin() + k);
            for (int64_t t = 0; t < k; t++) {
                s.idx[c * s.ldi + n * k + t] = static_cast<int32_t>(n * P + order[t]);
                const int r = static_cast<int>(rng() % 9);
                s.val[c * s.ldv + n * k + t] = r == 0 ? 0.0f : ints ? static_cast<float>(r - 4) : std::ldexp(static_cast<float>(rng() % 2001) - 1000.0f, -9);
            }
        }
    return s;
}

void check(const mp_conv_geometry& g, int64_t batch, int64_t C, int64_t k, bool ints, uint64_t seed) {
    const int64_t K = K_of(g), image = image_of(g), P = P_of(g);
    const Selection s = select(g, batch, C, k, ints, seed);
    const int64_t ldx = image + 2, lddw = K + 3, ldw = K + 1, lddx = image + 5;
    const std::vector<float> x = ints ? random_small_ints(static_cast<size_t>(batch * ldx), seed + 1, -3, 3)
                                      : random_floats(static_cast<size_t>(batch * ldx), seed + 1);
    const std::vector<float> w = ints ? random_small_ints(static_cast<size_t>(C * ldw), seed + 2, -3, 3)
                                      : random_floats(static_cast<size_t>(C * ldw), seed + 2);
    const std::vector<float> dw0 = ints ? random_small_ints(static_cast<size_t>(C * lddw), seed + 3, -3, 3)
                                        : random_floats(static_cast<size_t>(C * lddw), seed + 3);
    // references in double
    std::vector<double> want_dw(static_cast<size_t>(C * K), 0.0), want_dx(static_cast<size_t>(batch * image), 0.0);
    for (int64_t c = 0; c < C; c++)
        for (int64_t j = 0; j < batch * k; j++) {
            const int64_t n = j / k, p = s.idx[c * s.ldi + j] - n * P;
            const double v = s.val[c * s.ldv + j];
            const std::vector<double> r = patch(g, x, ldx, n, p);
            for (int64_t i = 0; i < K; i++) want_dw[c * K + i] += v * r[i];
            // dx: the transpose of the im2col gather
            const int64_t oh = p / g.out_w, ow = p % g.out_w;
            for (int64_t kh = 0; kh < g.kernel_h; kh++)
                for (int64_t kw = 0; kw < g.kernel_w; kw++) {
                    const int64_t ih = oh * g.stride - g.pad_top + kh, iw = ow * g.stride - g.pad_left + kw;
                    if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
                    for (int64_t ci = 0; ci < g.in_c; ci++)
                        want_dx[n * image + (ih * g.in_w + iw) * g.in_c + ci] += v * w[c * ldw + (kh * g.kernel_w + kw) * g.in_c + ci];
                }
        }
    const std::string where = "g " + std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + "x" + std::to_string(g.in_c) +
                              " kernel " + std::to_string(g.kernel_h) + " stride " + std::to_string(g.stride) + " pad " +
                              std::to_string(g.pad_top) + " C=" + std::to_string(C) + " k=" + std::to_string(k);
    std::vector<float> first_dw, first_dx;
    for (int32_t isa : isas())
        for (int32_t threads : {1, 2})
            for (int acc = 0; acc < 2; acc++) {
                IsaScope scope(isa);
                ThreadScope ts(threads);
                std::vector<float> dw = poisoned(static_cast<size_t>(C * lddw));
                for (int64_t c = 0; c < C; c++)
                    for (int64_t i = 0; i < K; i++) dw[c * lddw + i] = acc ? dw0[c * lddw + i] : poison();
                ASSERT_EQ(mp_conv_sparse_dw_f32(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), ldx,
                                                dw.data(), lddw, acc),
                          MP_OK)
                    << mp_last_error();
                for (int64_t c = 0; c < C; c++)
                    for (int64_t i = 0; i < K; i++) {
                        const double want = want_dw[c * K + i] + (acc ? dw0[c * lddw + i] : 0.0);
                        const float got = dw[c * lddw + i];
                        if (ints) ASSERT_EQ(static_cast<double>(got), want) << where << " " << isa_name(isa) << " dw " << c << "," << i;
                        else ASSERT_NEAR(got, want, 1e-4 * (1 + std::fabs(want))) << where << " " << isa_name(isa) << " dw " << c << "," << i;
                    }
                EXPECT_TRUE(padding_untouched(dw, C, K, lddw)) << where;
                std::vector<float> dx = poisoned(static_cast<size_t>(batch * lddx));
                ASSERT_EQ(mp_conv_sparse_dx_f32(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, w.data(), ldw,
                                                dx.data(), lddx),
                          MP_OK)
                    << mp_last_error();
                for (int64_t n = 0; n < batch; n++)
                    for (int64_t i = 0; i < image; i++) {
                        const double want = want_dx[n * image + i];
                        const float got = dx[n * lddx + i];
                        if (ints) ASSERT_EQ(static_cast<double>(got), want) << where << " " << isa_name(isa) << " dx " << n << "," << i;
                        else ASSERT_NEAR(got, want, 1e-4 * (1 + std::fabs(want))) << where << " " << isa_name(isa) << " dx " << n << "," << i;
                    }
                EXPECT_TRUE(padding_untouched(dx, batch, image, lddx)) << where;
                // one ISA: the thread count changes no bit
                if (acc == 0 && threads == 1) {
                    first_dw = dw;
                    first_dx = dx;
                } else if (acc == 0) {
                    for (size_t i = 0; i < dw.size(); i++) ASSERT_TRUE(same_bits(dw[i], first_dw[i])) << where << " threads dw " << i;
                    for (size_t i = 0; i < dx.size(); i++) ASSERT_TRUE(same_bits(dx[i], first_dx[i])) << where << " threads dx " << i;
                }
            }
}

// acc + v * x with the product rounded to float first (no fused multiply-add, whatever the compiler contracts).
float mul_then_add(float acc, float v, float x) {
    volatile float product = v * x;
    return acc + product;
}

// The summation each ISA documents, in float, bit for bit. Scalar: entry by entry (dW: examples, then entries; dx:
// channels, then entries), multiply then add. AVX2: dW entry by entry as fmaf(value, x, dW); dx per position (in
// order) the fmaf sum, from 0, of its entries' filter values (channels in order), added onto dx once. One round of
// channels (C * k <= 2048) and at most 4096 positions, so that the AVX2 dx is position-major.
void ordered_reference(const mp_conv_geometry& g, const Selection& s, const std::vector<float>& x, int64_t ldx,
                       const std::vector<float>& w, int64_t ldw, bool fused, std::vector<float>& dw,
                       std::vector<float>& dx) {
    const int64_t K = K_of(g), P = P_of(g), image = image_of(g), batch = s.batch, k = s.k, Cin = g.in_c;
    dw.assign(static_cast<size_t>(s.C * K), 0.0f);
    dx.assign(static_cast<size_t>(batch * image), 0.0f);
    // the valid taps of position p: (filter offset, image offset) of each tap's first channel
    auto taps = [&](int64_t p) {
        std::vector<std::pair<int64_t, int64_t>> t;
        const int64_t oh = p / g.out_w, ow = p % g.out_w;
        for (int64_t kh = 0; kh < g.kernel_h; kh++)
            for (int64_t kw = 0; kw < g.kernel_w; kw++) {
                const int64_t ih = oh * g.stride - g.pad_top + kh, iw = ow * g.stride - g.pad_left + kw;
                if (ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w) t.emplace_back((kh * g.kernel_w + kw) * Cin, (ih * g.in_w + iw) * Cin);
            }
        return t;
    };
    for (int64_t c = 0; c < s.C; c++)
        for (int64_t j = 0; j < batch * k; j++) {
            const float v = s.val[c * s.ldv + j];
            if (v == 0.0f) continue;
            const int64_t n = j / k, p = s.idx[c * s.ldi + j] - n * P;
            for (const auto& [f, o] : taps(p))
                for (int64_t ci = 0; ci < Cin; ci++) {
                    float& d = dw[c * K + f + ci];
                    const float xv = x[n * ldx + o + ci];
                    d = fused ? std::fma(v, xv, d) : mul_then_add(d, v, xv);
                }
        }
    for (int64_t n = 0; n < batch; n++) {
        float* dn = dx.data() + n * image;
        if (!fused) {
            for (int64_t c = 0; c < s.C; c++)
                for (int64_t t = 0; t < k; t++) {
                    const float v = s.val[c * s.ldv + n * k + t];
                    if (v == 0.0f) continue;
                    for (const auto& [f, o] : taps(s.idx[c * s.ldi + n * k + t] - n * P))
                        for (int64_t ci = 0; ci < Cin; ci++) dn[o + ci] = mul_then_add(dn[o + ci], v, w[c * ldw + f + ci]);
                }
            continue;
        }
        for (int64_t p = 0; p < P; p++) {
            std::vector<std::pair<int64_t, float>> entries;  // (channel, value), channels in order
            for (int64_t c = 0; c < s.C; c++)
                for (int64_t t = 0; t < k; t++)
                    if (s.idx[c * s.ldi + n * k + t] == n * P + p && s.val[c * s.ldv + n * k + t] != 0.0f)
                        entries.emplace_back(c, s.val[c * s.ldv + n * k + t]);
            if (entries.empty()) continue;
            for (const auto& [f, o] : taps(p))
                for (int64_t ci = 0; ci < Cin; ci++) {
                    float sum = 0.0f;
                    for (const auto& [c, v] : entries) sum = std::fma(v, w[c * ldw + f + ci], sum);
                    dn[o + ci] += sum;
                }
        }
    }
}

}  // namespace

TEST(ConvSparse, MatchesIm2ColReferenceOnManyGeometries) {
    uint64_t seed = 1;
    const mp_conv_geometry geometries[] = {
        same(28, 28, 1, 5, 1),  // conv1 of the paper's network: runs of 5 floats
        same(14, 14, 32, 5, 1), // conv2: runs of 160 floats (two 64-float slices and a 32-float rest)
        same(6, 5, 3, 3, 1),   same(7, 6, 3, 3, 2),  valid(6, 6, 2, 3, 1), same(5, 5, 9, 5, 1),
        same(7, 6, 8, 3, 2),   valid(6, 6, 16, 3, 1), same(5, 4, 40, 3, 1), same(6, 6, 3, 5, 1),
        same(9, 9, 24, 3, 1),  same(4, 4, 64, 3, 1), valid(5, 5, 1, 5, 1),
        // 1 x 1 kernels (the pixel path): short, whole-vector, multi-slice pixels, stride 2
        same(5, 6, 3, 1, 1),   same(4, 4, 16, 1, 1), valid(6, 5, 70, 1, 2), same(3, 3, 130, 1, 1),
        // an im2col matrix as one row of pixels (how the CPU backend computes dW from the im2col rows)
        mp_conv_geometry{1, 40, 25, 1, 1, 1, 0, 0, 1, 40}, mp_conv_geometry{1, 30, 75, 1, 1, 1, 0, 0, 1, 30},
        // more positions than the position-major dx buckets (the per-entry scatter)
        same(65, 65, 2, 3, 1),
        // rows of 49 outputs: the smallest width whose double reciprocal puts p / w one below the quotient for
        // multiples of it (49 * (1.0 / 49) < 1), so the row decode needs its upward correction; window and pixel paths
        same(3, 49, 2, 3, 1),  same(3, 49, 3, 1, 1),
        // rows of whole vectors (72 floats: one slice of nine) whose windows the left border cuts by one to four
        // 8-float pixels: a cut of exactly one vector must still take the masked path
        same(9, 9, 8, 9, 1),
    };
    for (const auto& g : geometries)
        for (bool ints : {true, false}) {
            const int64_t P = P_of(g);
            for (int64_t k : {int64_t{1}, (P + 9) / 10, P}) {
                const int64_t batch = image_of(g) * P > 200000 ? 2 : 3;
                check(g, batch, 4, k, ints, seed++);
            }
        }
}

TEST(ConvSparse, PaperSizesSplitOverThreads) {
    check(same(28, 28, 1, 5, 1), 10, 32, 40, true, 77);
    check(same(14, 14, 32, 5, 1), 10, 64, 10, false, 78);
    // several rounds of channels in the position-major dx (C * k > 2048 entries per example)
    check(same(14, 14, 8, 3, 1), 2, 45, 100, true, 79);
    check(same(14, 14, 8, 3, 1), 2, 45, 100, false, 80);
}

TEST(ConvSparse, EachIsaSumsInItsDocumentedOrderBitwise) {
    // Both ISAs are right to within rounding (the tests above), so a kernel of one ISA running where the other was
    // asked for passes them: here each ISA must give the bits of its own summation order (ordered_reference), and the
    // two orders must differ somewhere on this data.
    if (!cpu_has_avx2()) GTEST_SKIP() << "needs AVX2 + FMA";
    const mp_conv_geometry geometries[] = {
        same(6, 5, 3, 3, 1),  // rows of 9 floats (the rest pass)
        same(7, 6, 8, 3, 2),  // stride 2, rows of 24 floats
        same(5, 5, 24, 3, 1), // rows of whole vectors (the slice pass)
        same(5, 4, 40, 3, 1), // a 64-float block and a rest
        same(5, 6, 3, 1, 1),  // 1 x 1 kernels (the pixel pass)
        same(4, 4, 70, 1, 1), // pixels of more than 64 floats
    };
    uint64_t seed = 300;
    ThreadScope ts(1);
    for (const auto& g : geometries) {
        const int64_t batch = 3, C = 4, P = P_of(g), k = (P + 2) / 3, K = K_of(g), image = image_of(g);
        const Selection s = select(g, batch, C, k, false, seed++);
        const int64_t ldx = image + 2, ldw = K + 1;
        const std::vector<float> x = random_floats(static_cast<size_t>(batch * ldx), seed++);
        const std::vector<float> w = random_floats(static_cast<size_t>(C * ldw), seed++);
        std::vector<float> want_dw[2], want_dx[2];
        for (int fused = 0; fused < 2; fused++) ordered_reference(g, s, x, ldx, w, ldw, fused != 0, want_dw[fused], want_dx[fused]);
        const std::string where = "g " + std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + "x" + std::to_string(g.in_c) +
                                  " kernel " + std::to_string(g.kernel_h) + " stride " + std::to_string(g.stride);
        EXPECT_NE(want_dw[0], want_dw[1]) << where << ": the data does not tell the dW orders apart";
        EXPECT_NE(want_dx[0], want_dx[1]) << where << ": the data does not tell the dx orders apart";
        for (int32_t isa : {MP_ISA_SCALAR, MP_ISA_AVX2}) {
            IsaScope scope(isa);
            const int fused = isa == MP_ISA_AVX2;
            std::vector<float> dw(static_cast<size_t>(C * K)), dx(static_cast<size_t>(batch * image));
            ASSERT_EQ(mp_conv_sparse_dw_f32(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), ldx, dw.data(), K, 0), MP_OK)
                << mp_last_error();
            ASSERT_EQ(mp_conv_sparse_dx_f32(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, w.data(), ldw, dx.data(), image), MP_OK)
                << mp_last_error();
            for (size_t i = 0; i < dw.size(); i++)
                ASSERT_TRUE(same_bits(dw[i], want_dw[fused][i])) << where << " " << isa_name(isa) << " dw " << i << ": " << dw[i] << " vs " << want_dw[fused][i];
            for (size_t i = 0; i < dx.size(); i++)
                ASSERT_TRUE(same_bits(dx[i], want_dx[fused][i])) << where << " " << isa_name(isa) << " dx " << i << ": " << dx[i] << " vs " << want_dx[fused][i];
        }
    }
}

TEST(ConvSparse, BadArgumentsNameTheArgument) {
    const mp_conv_geometry g = same(6, 6, 2, 3, 1);
    const int64_t batch = 2, C = 3, k = 4, P = P_of(g), K = K_of(g), image = image_of(g);
    Selection s = select(g, batch, C, k, true, 5);
    std::vector<float> x(static_cast<size_t>(batch * image)), w(static_cast<size_t>(C * K)), dw(w.size()), dx(x.size());
    auto dwcall = [&](const mp_conv_geometry* gg, int64_t b, int64_t c, int64_t kk, const int32_t* i, int64_t ldi, const float* v,
                      int64_t ldv, const float* xx, int64_t ldx, float* d, int64_t ldd) {
        const mp_status st = mp_conv_sparse_dw_f32(gg, b, c, kk, i, ldi, v, ldv, xx, ldx, d, ldd, 0);
        return std::make_pair(st, std::string(mp_last_error()));
    };
    auto dxcall = [&](const mp_conv_geometry* gg, int64_t b, int64_t c, int64_t kk, const int32_t* i, int64_t ldi, const float* v,
                      int64_t ldv, const float* ww, int64_t ldw, float* d, int64_t ldd) {
        const mp_status st = mp_conv_sparse_dx_f32(gg, b, c, kk, i, ldi, v, ldv, ww, ldw, d, ldd);
        return std::make_pair(st, std::string(mp_last_error()));
    };
    mp_conv_geometry bad_stride = g, bad_pad = g, bad_out = g, too_tall = g, too_wide = g;
    bad_stride.stride = 0;
    bad_pad.pad_top = 3;
    bad_out.out_w = 0;
    too_tall.out_h = g.in_h + g.pad_top + 1;  // the last window would start below the input
    too_wide.out_w = g.in_w + g.pad_left + 1;
    struct Bad {
        std::pair<mp_status, std::string> r;
        const char* name;
    };
    const Bad bad[] = {
        {dwcall(nullptr, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), image, dw.data(), K), "geometry"},
        {dwcall(&bad_stride, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), image, dw.data(), K), "stride"},
        {dwcall(&bad_pad, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), image, dw.data(), K), "pad_top"},
        {dwcall(&bad_out, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), image, dw.data(), K), "out_w"},
        {dwcall(&too_tall, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), image, dw.data(), K), "out_h"},
        {dxcall(&too_wide, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, w.data(), K, dx.data(), image), "out_w"},
        {dwcall(&g, 0, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), image, dw.data(), K), "batch"},
        {dwcall(&g, batch, 0, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), image, dw.data(), K), "channels"},
        {dwcall(&g, batch, C, P + 1, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), image, dw.data(), K), "k"},
        {dwcall(&g, batch, C, k, nullptr, s.ldi, s.val.data(), s.ldv, x.data(), image, dw.data(), K), "idx"},
        {dwcall(&g, batch, C, k, s.idx.data(), batch * k - 1, s.val.data(), s.ldv, x.data(), image, dw.data(), K), "ldi"},
        {dwcall(&g, batch, C, k, s.idx.data(), s.ldi, nullptr, s.ldv, x.data(), image, dw.data(), K), "val"},
        {dwcall(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), batch * k - 1, x.data(), image, dw.data(), K), "ldv"},
        {dwcall(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, nullptr, image, dw.data(), K), "x"},
        {dwcall(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), image - 1, dw.data(), K), "ldx"},
        {dwcall(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), image, nullptr, K), "dw"},
        {dwcall(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, x.data(), image, dw.data(), K - 1), "lddw"},
        {dxcall(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, nullptr, K, dx.data(), image), "w"},
        {dxcall(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, w.data(), K - 1, dx.data(), image), "ldw"},
        {dxcall(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, w.data(), K, nullptr, image), "dx"},
        {dxcall(&g, batch, C, k, s.idx.data(), s.ldi, s.val.data(), s.ldv, w.data(), K, dx.data(), image - 1), "lddx"},
    };
    for (const Bad& b : bad) {
        EXPECT_EQ(b.r.first, MP_ERR_INVALID_ARGUMENT) << b.name << ": " << b.r.second;
        EXPECT_TRUE(contains(b.r.second, b.name)) << b.r.second;
        EXPECT_TRUE(contains(b.r.second, "mp_conv_sparse_d")) << b.r.second;
    }
    // an index of another example's block (or outside every block), before anything is written
    for (int32_t wrong : {static_cast<int32_t>(P), -1, static_cast<int32_t>(batch * P)}) {
        Selection t = s;
        t.idx[1 * t.ldi + 0] = wrong;  // channel 1, entry 0 (example 0)
        if (wrong == static_cast<int32_t>(batch * P)) t.idx[1 * t.ldi + batch * k - 1] = wrong, t.idx[1 * t.ldi] = s.idx[1 * s.ldi];
        std::vector<float> d(dw.size(), 7.0f);
        const auto r = dwcall(&g, batch, C, k, t.idx.data(), t.ldi, t.val.data(), t.ldv, x.data(), image, d.data(), K);
        EXPECT_EQ(r.first, MP_ERR_INVALID_ARGUMENT);
        EXPECT_TRUE(contains(r.second, "idx[1 * ldi")) << r.second;
        for (float v : d) EXPECT_EQ(v, 7.0f);
        const auto r2 = dxcall(&g, batch, C, k, t.idx.data(), t.ldi, t.val.data(), t.ldv, w.data(), K, d.data(), image);
        EXPECT_EQ(r2.first, MP_ERR_INVALID_ARGUMENT);
        EXPECT_TRUE(contains(r2.second, "idx[1 * ldi")) << r2.second;
    }
}
