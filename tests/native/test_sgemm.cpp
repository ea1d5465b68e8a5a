// mp_sgemm_f32 against an independent double-precision reference: all transposes, odd shapes, padding,
// alpha/beta, both ISAs, thread-count independence, denormals and every argument error; and B packed ahead
// (mp_sgemm_pack_b_f32 + mp_sgemm_packed_f32) against mp_sgemm_f32, bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define MP_TEST_X86 1
#endif

#include "meprop.h"

namespace {

const float kPoison = -7777.25f;  // padding of C: must survive bit for bit

bool HaveAvx2() { return (mp_cpu_features() & MP_CPU_AVX2) && (mp_cpu_features() & MP_CPU_FMA); }

// Restores the ISA and the thread count whatever a test does.
struct SgemmTest : ::testing::Test {
    int32_t threads_before = 0;
    void SetUp() override { threads_before = mp_get_num_threads(); }
    void TearDown() override {
        mp_set_isa(MP_ISA_AUTO);
        mp_set_num_threads(threads_before);
    }
};

// A rows x cols matrix with leading dimension ld; padding filled with `pad`.
struct Mat {
    int64_t rows, cols, ld;
    std::vector<float> v;
    Mat(int64_t r, int64_t c, int64_t ld_, float pad) : rows(r), cols(c), ld(ld_), v((size_t)(r * ld_), pad) {}
    float& at(int64_t i, int64_t j) { return v[(size_t)(i * ld + j)]; }
    float at(int64_t i, int64_t j) const { return v[(size_t)(i * ld + j)]; }
};

Mat Random(int64_t r, int64_t c, int64_t ld, std::mt19937& rng, float pad) {
    Mat m(r, c, ld, pad);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < c; j++) m.at(i, j) = d(rng);
    return m;
}

struct Problem {
    int ta, tb;
    int64_t M, N, K;
    float alpha, beta;
    Mat a, b, c0;
};

// Operands for op(A) (M x K) and op(B) (K x N) with ld = cols + pad_ld; A/B padding is NaN (must not be
// read), C padding is kPoison (must not be written).
Problem Make(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, float beta, int64_t pad_ld,
             uint32_t seed) {
    std::mt19937 rng(seed);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const int64_t ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
    Problem p{ta, tb, M, N, K, alpha, beta,
              Random(ar, ac, ac + pad_ld, rng, nan), Random(br, bc, bc + pad_ld, rng, nan),
              Random(M, N, N + pad_ld, rng, kPoison)};
    return p;
}

float OpA(const Problem& p, int64_t i, int64_t k) { return p.ta ? p.a.at(k, i) : p.a.at(i, k); }
float OpB(const Problem& p, int64_t k, int64_t j) { return p.tb ? p.b.at(j, k) : p.b.at(k, j); }

mp_status RunGemm(const Problem& p, Mat& c) {
    return mp_sgemm_f32(p.ta, p.tb, p.M, p.N, p.K, p.alpha, p.a.v.data(), p.a.ld, p.b.v.data(), p.b.ld, p.beta,
                        c.v.data(), c.ld);
}

// Checks c against a double reference with a forward error bound, and that C's padding is untouched.
void ExpectMatchesReference(const Problem& p, const Mat& c) {
    const double u = std::ldexp(1.0, -24);
    int64_t bad = 0;
    for (int64_t i = 0; i < p.M; i++) {
        for (int64_t j = 0; j < p.N; j++) {
            double s = 0.0, abs_s = 0.0;
            for (int64_t k = 0; k < p.K; k++) {
                const double t = (double)OpA(p, i, k) * (double)OpB(p, k, j);
                s += t;
                abs_s += std::fabs(t);
            }
            double ref = (double)p.alpha * s, scale = std::fabs((double)p.alpha) * abs_s;
            if (p.beta != 0.0f) {
                ref += (double)p.beta * (double)p.c0.at(i, j);
                scale += std::fabs((double)p.beta * (double)p.c0.at(i, j));
            }
            const double tol = 2.0 * (double)(p.K + 4) * u * scale + 1e-30;
            const float got = c.at(i, j);
            if (!(std::fabs((double)got - ref) <= tol) && bad++ < 5)
                ADD_FAILURE() << "C[" << i << "," << j << "] = " << got << ", expected " << ref << " +- " << tol
                              << " (ta=" << p.ta << " tb=" << p.tb << " M=" << p.M << " N=" << p.N << " K=" << p.K
                              << " alpha=" << p.alpha << " beta=" << p.beta << " isa=" << mp_get_isa() << ")";
        }
        for (int64_t j = p.N; j < c.ld; j++) {
            const float got = c.at(i, j);
            if (std::memcmp(&got, &kPoison, sizeof got) != 0 && bad++ < 5)
                ADD_FAILURE() << "padding C[" << i << "," << j << "] was overwritten with " << got;
        }
    }
    EXPECT_EQ(bad, 0);
}

void CheckProblem(const Problem& p) {
    Mat c = p.c0;
    ASSERT_EQ(RunGemm(p, c), MP_OK) << mp_last_error();
    ExpectMatchesReference(p, c);
}

std::vector<int32_t> Isas() {
    std::vector<int32_t> isas{MP_ISA_SCALAR};
    if (HaveAvx2()) isas.push_back(MP_ISA_AVX2);
    return isas;
}

bool BitwiseEqual(const Mat& x, const Mat& y) {
    return x.v.size() == y.v.size() && std::memcmp(x.v.data(), y.v.data(), x.v.size() * sizeof(float)) == 0;
}

TEST_F(SgemmTest, SmallAndPrimeShapesAllTransposesBothIsas) {
    const int64_t sizes[] = {1, 2, 3, 5, 7, 13, 17, 31, 37};
    uint32_t seed = 1;
    for (int32_t isa : Isas()) {
        ASSERT_EQ(mp_set_isa(isa), MP_OK);
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int64_t M : sizes)
                    for (int64_t N : sizes)
                        for (int64_t K : {(int64_t)1, (int64_t)7, (int64_t)37}) {
                            const Problem p = Make(ta, tb, M, N, K, 1.0f, 0.0f, (M + N + K) % 3, seed++);
                            CheckProblem(p);
                            if (HasFailure()) return;
                        }
    }
}

TEST_F(SgemmTest, RandomShapesWithPaddingAndAlphaBeta) {
    std::mt19937 rng(42);
    std::uniform_int_distribution<int64_t> dim(1, 70), pad(0, 5), which(0, 4);
    const float alphas[] = {1.0f, -0.5f, 2.5f, 1.0f, 0.75f};
    const float betas[] = {0.0f, 1.0f, 2.0f, -1.0f, 0.5f};
    for (int32_t isa : Isas()) {
        ASSERT_EQ(mp_set_isa(isa), MP_OK);
        for (int it = 0; it < 60; it++) {
            const Problem p = Make(it & 1, (it >> 1) & 1, dim(rng), dim(rng), dim(rng), alphas[which(rng)],
                                   betas[which(rng)], pad(rng), 1000u + (uint32_t)it);
            CheckProblem(p);
            if (HasFailure()) return;
        }
    }
}

// The meProp MLP shapes (batch 100, 784-500-500-10) plus blocks larger than one cache block in every
// dimension (several K blocks, several M and N blocks), each with the transposes it is used with.
TEST_F(SgemmTest, MlpAndMultiBlockShapes) {
    struct S { int ta, tb; int64_t M, N, K; float alpha, beta; };
    const S shapes[] = {
        {0, 1, 100, 500, 784, 1.0f, 0.0f},   // forward x W^T
        {0, 0, 100, 784, 500, 1.0f, 0.0f},   // dx = dy W
        {1, 0, 500, 784, 100, 1.0f, 1.0f},   // dW += dy^T x
        {0, 1, 100, 10, 500, 1.0f, 0.0f},
        {1, 0, 10, 500, 100, -0.01f, 1.0f},
        {1, 1, 301, 53, 1000, 0.5f, -2.0f},  // 3 K blocks, 3 M blocks, B^T and A^T
        {0, 0, 7, 3100, 20, 1.0f, 0.5f},     // 2 N blocks
    };
    uint32_t seed = 77;
    for (int32_t isa : Isas()) {
        ASSERT_EQ(mp_set_isa(isa), MP_OK);
        for (const S& s : shapes) {
            CheckProblem(Make(s.ta, s.tb, s.M, s.N, s.K, s.alpha, s.beta, 3, seed++));
            if (HasFailure()) return;
        }
    }
}

TEST_F(SgemmTest, BetaZeroDoesNotReadNaNInC) {
    for (int32_t isa : Isas()) {
        ASSERT_EQ(mp_set_isa(isa), MP_OK);
        for (int64_t n : {1, 5, 16, 23, 64}) {
            Problem p = Make(0, 1, 13, n, 9, 1.5f, 0.0f, 2, 5);
            for (int64_t i = 0; i < p.M; i++)
                for (int64_t j = 0; j < p.N; j++) p.c0.at(i, j) = std::numeric_limits<float>::quiet_NaN();
            Mat c = p.c0;
            ASSERT_EQ(RunGemm(p, c), MP_OK);
            for (int64_t i = 0; i < p.M; i++)
                for (int64_t j = 0; j < p.N; j++) ASSERT_FALSE(std::isnan(c.at(i, j))) << i << "," << j;
            ExpectMatchesReference(p, c);
        }
    }
}

TEST_F(SgemmTest, AlphaZeroScalesCWithoutReadingAOrB) {
    Problem p = Make(0, 0, 9, 11, 5, 0.0f, 3.0f, 1, 9);
    for (float& x : p.a.v) x = std::numeric_limits<float>::quiet_NaN();
    Mat c = p.c0;
    ASSERT_EQ(RunGemm(p, c), MP_OK);
    for (int64_t i = 0; i < p.M; i++)
        for (int64_t j = 0; j < p.N; j++) ASSERT_EQ(c.at(i, j), 3.0f * p.c0.at(i, j));
    p.beta = 0.0f;
    c = p.c0;
    ASSERT_EQ(RunGemm(p, c), MP_OK);
    for (int64_t i = 0; i < p.M; i++)
        for (int64_t j = 0; j < c.ld; j++) ASSERT_EQ(c.at(i, j), j < p.N ? 0.0f : kPoison);
}

TEST_F(SgemmTest, ScalarAndAvx2AgreeWithinRounding) {
    if (!HaveAvx2()) GTEST_SKIP() << "this CPU lacks AVX2+FMA: only the scalar kernels can run";
    const Problem p = Make(1, 0, 67, 45, 333, 1.0f, 0.0f, 0, 3);
    Mat cs = p.c0, cv = p.c0;
    ASSERT_EQ(mp_set_isa(MP_ISA_SCALAR), MP_OK);
    ASSERT_EQ(RunGemm(p, cs), MP_OK);
    ASSERT_EQ(mp_set_isa(MP_ISA_AVX2), MP_OK);
    ASSERT_EQ(RunGemm(p, cv), MP_OK);
    for (size_t i = 0; i < cs.v.size(); i++) ASSERT_NEAR(cs.v[i], cv.v[i], 2e-4f) << i;
    ExpectMatchesReference(p, cs);
    ExpectMatchesReference(p, cv);
}

TEST_F(SgemmTest, ResultsAreBitwiseIndependentOfThreadCount) {
    struct S { int ta, tb; int64_t M, N, K; float beta; };
    const S shapes[] = {
        {0, 1, 100, 500, 784, 0.0f}, {0, 0, 100, 784, 500, 1.0f}, {1, 0, 500, 784, 100, 0.5f},
        {1, 1, 211, 97, 450, 0.0f},  {0, 0, 37, 1033, 61, 2.0f},
        // Split over N, each half narrow enough to read A in place while one thread packs it.
        {0, 1, 20, 48, 700, 0.0f},   {0, 0, 20, 48, 700, 1.0f},
    };
    uint32_t seed = 11;
    for (int32_t isa : Isas()) {
        ASSERT_EQ(mp_set_isa(isa), MP_OK);
        for (const S& s : shapes) {
            const Problem p = Make(s.ta, s.tb, s.M, s.N, s.K, 0.9f, s.beta, 1, seed++);
            Mat c1 = p.c0, c2 = p.c0, c3 = p.c0;
            ASSERT_EQ(mp_set_num_threads(1), MP_OK);
            ASSERT_EQ(RunGemm(p, c1), MP_OK);
            ASSERT_EQ(mp_set_num_threads(2), MP_OK);
            ASSERT_EQ(RunGemm(p, c2), MP_OK);
            ASSERT_EQ(mp_set_num_threads(3), MP_OK);
            ASSERT_EQ(RunGemm(p, c3), MP_OK);
            EXPECT_TRUE(BitwiseEqual(c1, c2)) << "1 vs 2 threads, isa " << isa << ", M=" << s.M << " N=" << s.N;
            EXPECT_TRUE(BitwiseEqual(c1, c3)) << "1 vs 3 threads, isa " << isa << ", M=" << s.M << " N=" << s.N;
        }
    }
}

TEST_F(SgemmTest, ConcurrentCallersGetTheSingleThreadedResult) {
    ASSERT_EQ(mp_set_num_threads(2), MP_OK);
    std::vector<Problem> ps;
    for (int t = 0; t < 4; t++) ps.push_back(Make(t & 1, t >> 1, 90 + t, 130, 200, 1.0f, 0.5f, 2, 500u + t));
    std::vector<Mat> expected, got;
    for (const Problem& p : ps) {
        expected.push_back(p.c0);
        ASSERT_EQ(RunGemm(p, expected.back()), MP_OK);
        got.push_back(p.c0);
    }
    std::vector<std::thread> threads;
    std::vector<mp_status> status(ps.size(), MP_ERR_INTERNAL);
    for (size_t t = 0; t < ps.size(); t++)
        threads.emplace_back([&, t] {
            for (int rep = 0; rep < 3; rep++) {
                got[t] = ps[t].c0;
                status[t] = RunGemm(ps[t], got[t]);
            }
        });
    for (std::thread& th : threads) th.join();
    for (size_t t = 0; t < ps.size(); t++) {
        ASSERT_EQ(status[t], MP_OK);
        EXPECT_TRUE(BitwiseEqual(expected[t], got[t])) << "caller " << t;
    }
}

double BestSeconds(const Problem& p, Mat& c, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        const auto t0 = std::chrono::steady_clock::now();
        EXPECT_EQ(RunGemm(p, c), MP_OK);
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

TEST_F(SgemmTest, DenormalInputsReadAsZeroAndCostNoMore) {
    ASSERT_EQ(mp_set_num_threads(1), MP_OK);
    for (int32_t isa : Isas()) {
        ASSERT_EQ(mp_set_isa(isa), MP_OK);
        Problem dn = Make(0, 0, 96, 128, 256, 1.0f, 0.0f, 0, 21);
        Problem zero = dn;
        const float denormal = std::numeric_limits<float>::denorm_min() * 1000.0f;
        ASSERT_LT(denormal, std::numeric_limits<float>::min());
        for (int64_t i = 0; i < dn.M; i++)
            for (int64_t k = 0; k < dn.K; k++) {
                const bool odd = ((i + k) & 1) != 0;
                dn.a.at(i, k) = odd ? denormal : -denormal;
                zero.a.at(i, k) = 0.0f;
            }
        Mat cd = dn.c0, cz = zero.c0;
#ifdef MP_TEST_X86
        const unsigned int csr_before = _mm_getcsr();
#endif
        ASSERT_EQ(RunGemm(dn, cd), MP_OK);
#ifdef MP_TEST_X86
        EXPECT_EQ(_mm_getcsr(), csr_before) << "the caller's MXCSR must be restored";
#endif
        ASSERT_EQ(RunGemm(zero, cz), MP_OK);
        for (int64_t i = 0; i < dn.M; i++)
            for (int64_t j = 0; j < dn.N; j++) ASSERT_EQ(std::fabs(cd.at(i, j)), 0.0f) << i << "," << j;
        // Products of normal numbers that underflow are flushed too: (1e-20)^2 = 1e-40 is denormal.
        Problem tiny = Make(0, 0, 6, 16, 1, 1.0f, 0.0f, 0, 22);
        tiny.a.at(0, 0) = 1e-20f;
        tiny.b.at(0, 0) = 1e-20f;
        Mat ct = tiny.c0;
        ASSERT_EQ(RunGemm(tiny, ct), MP_OK);
        EXPECT_EQ(ct.at(0, 0), 0.0f);

        const Problem normal = Make(0, 0, 96, 128, 256, 1.0f, 0.0f, 0, 23);
        Mat cn = normal.c0;
        const double t_normal = BestSeconds(normal, cn, 9), t_denormal = BestSeconds(dn, cd, 9);
        EXPECT_LT(t_denormal, 3.0 * t_normal + 2e-3) << "isa " << isa << ": denormal " << t_denormal
                                                     << " s vs normal " << t_normal << " s";
    }
}

// Every rejected argument is named with its value, and C is left untouched.
TEST_F(SgemmTest, ErrorsNameTheArgument) {
    std::vector<float> a(64, 1.0f), b(64, 1.0f), c(64, kPoison);
    const std::vector<float> c_before = c;
    struct E {
        int ta, tb;
        int64_t M, N, K;
        const float *a, *b;
        float* c;
        int64_t lda, ldb, ldc;
        const char* expect;
    };
    float* cp = c.data();
    const E cases[] = {
        {2, 0, 2, 3, 4, a.data(), b.data(), cp, 4, 3, 3, "trans_a = 2"},
        {0, -1, 2, 3, 4, a.data(), b.data(), cp, 4, 3, 3, "trans_b = -1"},
        {0, 0, 0, 3, 4, a.data(), b.data(), cp, 4, 3, 3, "M = 0"},
        {0, 0, 2, -5, 4, a.data(), b.data(), cp, 4, 3, 3, "N = -5"},
        {0, 0, 2, 3, 0, a.data(), b.data(), cp, 4, 3, 3, "K = 0"},
        {0, 0, 2, 3, 4, nullptr, b.data(), cp, 4, 3, 3, "a is NULL"},
        {0, 0, 2, 3, 4, a.data(), nullptr, cp, 4, 3, 3, "b is NULL"},
        {0, 0, 2, 3, 4, a.data(), b.data(), nullptr, 4, 3, 3, "c is NULL"},
        {0, 0, 2, 3, 4, a.data(), b.data(), cp, 3, 3, 3, "lda = 3 is less than K = 4"},
        {1, 0, 2, 3, 4, a.data(), b.data(), cp, 1, 3, 3, "lda = 1 is less than M = 2"},
        {0, 0, 2, 3, 4, a.data(), b.data(), cp, 4, 2, 3, "ldb = 2 is less than N = 3"},
        {0, 1, 2, 3, 4, a.data(), b.data(), cp, 4, 3, 3, "ldb = 3 is less than K = 4"},
        {0, 0, 2, 3, 4, a.data(), b.data(), cp, 4, 3, 2, "ldc = 2 is less than N = 3"},
    };
    for (const E& e : cases) {
        mp_status s = mp_sgemm_f32(e.ta, e.tb, e.M, e.N, e.K, 1.0f, e.a, e.lda, e.b, e.ldb, 0.0f, e.c, e.ldc);
        EXPECT_EQ(s, MP_ERR_INVALID_ARGUMENT) << e.expect;
        const std::string msg = mp_last_error();
        EXPECT_NE(msg.find("mp_sgemm_f32"), std::string::npos) << msg;
        EXPECT_NE(msg.find(e.expect), std::string::npos) << "message '" << msg << "' lacks '" << e.expect << "'";
        EXPECT_EQ(std::memcmp(c.data(), c_before.data(), c.size() * sizeof(float)), 0) << e.expect;
    }
    // A success clears the message.
    ASSERT_EQ(mp_sgemm_f32(0, 0, 2, 3, 4, 1.0f, a.data(), 4, b.data(), 3, 0.0f, c.data(), 3), MP_OK);
    EXPECT_STREQ(mp_last_error(), "");
}

// ---- B packed ahead ---------------------------------------------------------------------------------------

// 64-byte aligned floats, with `guard` poisoned floats after the first `n` to catch writes past the end.
struct AlignedFloats {
    std::vector<float> raw;
    float* p;
    int64_t n, guard;
    AlignedFloats(int64_t n_, int64_t guard_ = 64) : raw((size_t)(n_ + guard_ + 16), kPoison), n(n_), guard(guard_) {
        const uintptr_t at = (uintptr_t)raw.data();
        p = raw.data() + ((64 - at % 64) % 64) / sizeof(float);
    }
    bool GuardIntact() const {
        for (int64_t i = n; i < n + guard; i++)
            if (std::memcmp(&p[i], &kPoison, sizeof(float)) != 0) return false;
        return true;
    }
};

int64_t PackedSize(int64_t N, int64_t K) {
    int64_t floats = 0;
    EXPECT_EQ(mp_sgemm_pack_b_size(N, K, &floats), MP_OK) << mp_last_error();
    return floats;
}

mp_status Pack(const Problem& p, AlignedFloats& packed) {
    return mp_sgemm_pack_b_f32(p.tb, p.N, p.K, p.b.v.data(), p.b.ld, packed.p, packed.n);
}

mp_status RunPacked(const Problem& p, const AlignedFloats& packed, Mat& c) {
    return mp_sgemm_packed_f32(p.ta, p.M, p.N, p.K, p.alpha, p.a.v.data(), p.a.ld, packed.p, packed.n, p.beta,
                               c.v.data(), c.ld);
}

TEST_F(SgemmTest, PackedBGivesTheBitsOfSgemmForEveryShapeIsaAndThreadCount) {
    struct S { int ta, tb; int64_t M, N, K; float alpha, beta; };
    const S shapes[] = {
        {0, 1, 32, 2000, 600, 1.0f, 0.0f},  // the LSTM forward step (several K blocks)
        {0, 0, 32, 500, 2000, 1.0f, 0.0f},  // the LSTM backward step
        {0, 0, 1, 1, 1, 1.0f, 0.0f},        {1, 1, 7, 37, 513, -0.5f, 1.0f},
        {0, 1, 100, 17, 257, 2.0f, 0.25f},  {1, 0, 6, 48, 300, 1.0f, 1.0f},
        {0, 0, 13, 1, 31, 1.0f, 0.0f},      {0, 1, 20, 48, 700, 0.9f, 0.0f},
    };
    uint32_t seed = 101;
    for (int32_t isa : Isas()) {
        ASSERT_EQ(mp_set_isa(isa), MP_OK);
        for (const S& s : shapes) {
            const Problem p = Make(s.ta, s.tb, s.M, s.N, s.K, s.alpha, s.beta, 3, seed++);
            AlignedFloats packed(PackedSize(s.N, s.K));
            ASSERT_EQ(Pack(p, packed), MP_OK) << mp_last_error();
            EXPECT_TRUE(packed.GuardIntact()) << "pack wrote past packed_floats, N=" << s.N << " K=" << s.K;
            Mat expected = p.c0;
            ASSERT_EQ(RunGemm(p, expected), MP_OK);
            for (int32_t threads : {1, 2, 3}) {
                ASSERT_EQ(mp_set_num_threads(threads), MP_OK);
                Mat c = p.c0;
                ASSERT_EQ(RunPacked(p, packed, c), MP_OK) << mp_last_error();
                EXPECT_TRUE(BitwiseEqual(expected, c)) << "isa " << isa << ", " << threads << " threads, ta=" << s.ta
                                                       << " tb=" << s.tb << " M=" << s.M << " N=" << s.N << " K=" << s.K;
            }
        }
    }
}

TEST_F(SgemmTest, OnePackedBServesManyAs) {
    const Problem p = Make(0, 1, 32, 500, 600, 1.0f, 0.0f, 0, 7);
    AlignedFloats packed(PackedSize(p.N, p.K));
    ASSERT_EQ(Pack(p, packed), MP_OK) << mp_last_error();
    for (int64_t M : {1, 5, 32, 31}) {
        Problem q = Make(0, 1, M, p.N, p.K, 1.0f, 0.0f, 0, 50 + (uint32_t)M);
        q.b = p.b;
        Mat expected = q.c0, c = q.c0;
        ASSERT_EQ(RunGemm(q, expected), MP_OK);
        ASSERT_EQ(RunPacked(q, packed, c), MP_OK) << mp_last_error();
        EXPECT_TRUE(BitwiseEqual(expected, c)) << "M = " << M;
        ExpectMatchesReference(q, c);
    }
}

TEST_F(SgemmTest, PackedErrorsNameTheProblemAndWriteNothing) {
    const Problem p = Make(0, 0, 4, 20, 30, 1.0f, 0.0f, 0, 9);
    const int64_t need = PackedSize(p.N, p.K);
    AlignedFloats packed(need);
    ASSERT_EQ(Pack(p, packed), MP_OK);
    Mat c = p.c0;
    const Mat c_before = c;
    auto packed_error = [&](mp_status s, mp_status code, const char* expect) {
        EXPECT_EQ(s, code) << expect;
        const std::string msg = mp_last_error();
        EXPECT_NE(msg.find(expect), std::string::npos) << "message '" << msg << "' lacks '" << expect << "'";
        EXPECT_TRUE(BitwiseEqual(c, c_before)) << expect;
    };
    const float* a = p.a.v.data();
    packed_error(mp_sgemm_packed_f32(0, 4, 20, 30, 1.0f, a, 30, packed.p + 1, need, 0.0f, c.v.data(), 20),
                 MP_ERR_INVALID_ARGUMENT, "not 64-byte aligned");
    packed_error(mp_sgemm_packed_f32(0, 4, 20, 30, 1.0f, a, 30, packed.p, need - 1, 0.0f, c.v.data(), 20),
                 MP_ERR_WORKSPACE_TOO_SMALL, "less than the");
    packed_error(mp_sgemm_packed_f32(0, 4, 21, 30, 1.0f, a, 30, packed.p, need, 0.0f, c.v.data(), 21),
                 MP_ERR_INVALID_ARGUMENT, "K = 30, N = 20, not K = 30, N = 21");
    packed_error(mp_sgemm_packed_f32(0, 4, 20, 29, 1.0f, a, 30, packed.p, need, 0.0f, c.v.data(), 20),
                 MP_ERR_INVALID_ARGUMENT, "not K = 29");
    packed_error(mp_sgemm_packed_f32(2, 4, 20, 30, 1.0f, a, 30, packed.p, need, 0.0f, c.v.data(), 20),
                 MP_ERR_INVALID_ARGUMENT, "trans_a = 2");
    packed_error(mp_sgemm_packed_f32(0, 4, 20, 30, 1.0f, a, 29, packed.p, need, 0.0f, c.v.data(), 20),
                 MP_ERR_INVALID_ARGUMENT, "lda = 29 is less than K = 30");
    packed_error(mp_sgemm_packed_f32(0, 4, 20, 30, 1.0f, a, 30, nullptr, need, 0.0f, c.v.data(), 20),
                 MP_ERR_INVALID_ARGUMENT, "packed is NULL");
    AlignedFloats unpacked(need);
    packed_error(mp_sgemm_packed_f32(0, 4, 20, 30, 1.0f, a, 30, unpacked.p, need, 0.0f, c.v.data(), 20),
                 MP_ERR_INVALID_ARGUMENT, "not start with a header");
    if (HaveAvx2()) {
        ASSERT_EQ(mp_set_isa(MP_ISA_SCALAR), MP_OK);
        packed_error(mp_sgemm_packed_f32(0, 4, 20, 30, 1.0f, a, 30, packed.p, need, 0.0f, c.v.data(), 20),
                     MP_ERR_INVALID_ARGUMENT, "laid out for the AVX2 kernels, but the scalar kernels are active");
        ASSERT_EQ(mp_set_isa(MP_ISA_AUTO), MP_OK);
    }
    // pack: argument errors leave the buffer as it was
    AlignedFloats fresh(need);
    const std::vector<float> fresh_before = fresh.raw;
    auto pack_error = [&](mp_status s, mp_status code, const char* expect) {
        EXPECT_EQ(s, code) << expect;
        const std::string msg = mp_last_error();
        EXPECT_NE(msg.find("mp_sgemm_pack_b_f32"), std::string::npos) << msg;
        EXPECT_NE(msg.find(expect), std::string::npos) << "message '" << msg << "' lacks '" << expect << "'";
        EXPECT_EQ(fresh.raw, fresh_before) << expect;
    };
    const float* b = p.b.v.data();
    pack_error(mp_sgemm_pack_b_f32(3, 20, 30, b, 20, fresh.p, need), MP_ERR_INVALID_ARGUMENT, "trans_b = 3");
    pack_error(mp_sgemm_pack_b_f32(0, 20, 30, b, 19, fresh.p, need), MP_ERR_INVALID_ARGUMENT, "ldb = 19 is less than N = 20");
    pack_error(mp_sgemm_pack_b_f32(1, 20, 30, b, 29, fresh.p, need), MP_ERR_INVALID_ARGUMENT, "ldb = 29 is less than K = 30");
    pack_error(mp_sgemm_pack_b_f32(0, 0, 30, b, 20, fresh.p, need), MP_ERR_INVALID_ARGUMENT, "N = 0");
    pack_error(mp_sgemm_pack_b_f32(0, 20, 30, nullptr, 20, fresh.p, need), MP_ERR_INVALID_ARGUMENT, "b is NULL");
    pack_error(mp_sgemm_pack_b_f32(0, 20, 30, b, 20, fresh.p, need - 1), MP_ERR_WORKSPACE_TOO_SMALL, "less than the");
    pack_error(mp_sgemm_pack_b_f32(0, 20, 30, b, 20, fresh.p + 4, need), MP_ERR_INVALID_ARGUMENT, "not 64-byte aligned");
    int64_t floats = 0;
    EXPECT_EQ(mp_sgemm_pack_b_size(20, -1, &floats), MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("K = -1"), std::string::npos) << mp_last_error();
    EXPECT_EQ(mp_sgemm_pack_b_size(20, 30, nullptr), MP_ERR_INVALID_ARGUMENT);
}

}  // namespace
