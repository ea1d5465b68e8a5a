// mp_adam_step_f32 / mp_adagrad_step_f32 / mp_sgd_step_f32: bitwise equal to an independent loop (with the FTZ/DAZ
// the kernels run under) in both ISAs and for 1 and 2 threads, on lengths around the vector width and the parallel
// chunk, with every gradient transform; the gradient zeroed, state flushed, NaN kept, padding untouched, every error
// path named with nothing written.
#include "test_support.h"

#include <functional>
#include <limits>
#include <utility>

using namespace mptest;

namespace {

enum class Kind { Adam, AdaGrad, Sgd, SgdMomentum };

struct Settings {
    float rate = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, momentum = 0.9f;
    float scale = 1.0f, l2 = 0.0f, clip = 0.0f;
};

// Each rounded operation of the contract, then the flush FTZ does to a subnormal result.
float f(float x) { return daz(x); }

float transform(const Settings& s, float g, float w) {
    g = f(g);
    if (s.scale != 1.0f) g = f(g * s.scale);
    if (s.l2 != 0.0f) g = f(g + f(s.l2 * f(w)));
    if (s.clip > 0.0f) {
        if (g < -s.clip) g = -s.clip;
        else if (g > s.clip) g = s.clip;
    }
    return g;
}

float flush_state(float x) { return std::fabs(x) < std::numeric_limits<float>::min() ? 0.0f : x; }

struct Arrays {
    std::vector<float> w, g, s1, s2;
};

// The reference step over the first n elements.
void reference(Kind kind, const Settings& s, int64_t n, Arrays& a) {
    for (int64_t i = 0; i < n; i++) {
        const float w = f(a.w[i]), g = transform(s, a.g[i], w);
        switch (kind) {
        case Kind::Adam: {
            const float m = flush_state(f(f(s.beta1 * f(a.s1[i])) + f((1.0f - s.beta1) * g)));
            const float v = flush_state(f(f(s.beta2 * f(a.s2[i])) + f(f((1.0f - s.beta2) * g) * g)));
            a.s1[i] = m;
            a.s2[i] = v;
            a.w[i] = f(w - f(f(s.rate * m) / f(f(std::sqrt(v)) + s.eps)));
            break;
        }
        case Kind::AdaGrad: {
            const float h = flush_state(f(f(a.s1[i]) + f(g * g)));
            a.s1[i] = h;
            a.w[i] = f(w - f(f(s.rate * g) / f(std::sqrt(f(h + s.eps)))));
            break;
        }
        case Kind::Sgd: a.w[i] = f(w - f(s.rate * g)); break;
        case Kind::SgdMomentum: {
            const float v = flush_state(f(f(s.momentum * f(a.s1[i])) + g));
            a.s1[i] = v;
            a.w[i] = f(w - f(s.rate * v));
            break;
        }
        }
        a.g[i] = 0.0f;
    }
}

mp_status step(Kind kind, const Settings& s, int64_t n, Arrays& a) {
    switch (kind) {
    case Kind::Adam:
        return mp_adam_step_f32(a.w.data(), a.g.data(), a.s1.data(), a.s2.data(), n, s.rate, s.beta1, s.beta2, s.eps,
                                s.scale, s.l2, s.clip);
    case Kind::AdaGrad:
        return mp_adagrad_step_f32(a.w.data(), a.g.data(), a.s1.data(), n, s.rate, s.eps, s.scale, s.l2, s.clip);
    case Kind::Sgd: return mp_sgd_step_f32(a.w.data(), a.g.data(), nullptr, n, s.rate, 0.0f, s.scale, s.l2, s.clip);
    case Kind::SgdMomentum:
        return mp_sgd_step_f32(a.w.data(), a.g.data(), a.s1.data(), n, s.rate, s.momentum, s.scale, s.l2, s.clip);
    }
    return MP_ERR_INVALID_ARGUMENT;
}

const char* name(Kind kind) {
    switch (kind) {
    case Kind::Adam: return "adam";
    case Kind::AdaGrad: return "adagrad";
    case Kind::Sgd: return "sgd";
    case Kind::SgdMomentum: return "sgd+momentum";
    }
    return "?";
}

// Parameters, gradients and state of n elements plus a poisoned tail of `pad` elements.
Arrays random_arrays(int64_t n, int64_t pad, uint64_t seed) {
    const size_t total = static_cast<size_t>(n + pad);
    Arrays a{random_normal(total, seed), random_normal(total, seed + 1), random_floats(total, seed + 2, -0.1f, 0.1f),
             random_floats(total, seed + 3, 0.0f, 0.01f)};
    for (size_t i = static_cast<size_t>(n); i < total; i++) a.w[i] = a.g[i] = a.s1[i] = a.s2[i] = poison();
    return a;
}

::testing::AssertionResult same(const std::vector<float>& got, const std::vector<float>& want, const char* what) {
    for (size_t i = 0; i < got.size(); i++)
        if (!same_bits(got[i], want[i]) && !(std::isnan(got[i]) && std::isnan(want[i])))
            return ::testing::AssertionFailure() << what << "[" << i << "] = " << got[i] << ", want " << want[i];
    return ::testing::AssertionSuccess();
}

void check(Kind kind, const Settings& s, int64_t n, uint64_t seed, int32_t threads) {
    const int64_t pad = 5;
    const Arrays start = random_arrays(n, pad, seed);
    Arrays want = start;
    reference(kind, s, n, want);
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        ThreadScope t(threads);
        Arrays got = start;
        ASSERT_EQ(step(kind, s, n, got), MP_OK) << mp_last_error();
        const std::string where = std::string(name(kind)) + " " + isa_name(isa) + " n=" + std::to_string(n) +
                                  " threads=" + std::to_string(threads);
        ASSERT_TRUE(same(got.w, want.w, "w")) << where;
        ASSERT_TRUE(same(got.g, want.g, "g")) << where;
        ASSERT_TRUE(same(got.s1, want.s1, "state 1")) << where;
        ASSERT_TRUE(same(got.s2, want.s2, "state 2")) << where;
        for (int64_t i = 0; i < n; i++) ASSERT_EQ(bits_of(got.g[i]), 0u) << where << " g[" << i << "] not zeroed";
        for (int64_t i = n; i < n + pad; i++)
            for (const auto* a : {&got.w, &got.g, &got.s1, &got.s2})
                ASSERT_EQ(bits_of((*a)[static_cast<size_t>(i)]), kPoisonBits) << where << ": padding written at " << i;
    }
}

const Kind kKinds[] = {Kind::Adam, Kind::AdaGrad, Kind::Sgd, Kind::SgdMomentum};

std::vector<Settings> transforms() {
    Settings plain, scaled, l2, clipped, all;
    scaled.scale = 0.37f;
    l2.l2 = 1e-2f;
    clipped.clip = 0.5f;
    all.scale = 3.0f;
    all.l2 = 1e-3f;
    all.clip = 0.25f;
    return {plain, scaled, l2, clipped, all};
}

}  // namespace

TEST(OptimizerSteps, MatchTheReferenceOnManyLengthsAndTransforms) {
    for (Kind kind : kKinds)
        for (const Settings& s : transforms())
            for (int64_t n : {1, 7, 8, 9, 31, 64, 100, 1001})
                check(kind, s, n, 1000 + static_cast<uint64_t>(n), 1);
}

TEST(OptimizerSteps, ParallelChunksGiveTheSameBitsForOneAndTwoThreads) {
    // Lengths around the parallel threshold and chunk (2^15 and 2^14 elements), and an MLP-sized one.
    for (Kind kind : kKinds)
        for (int64_t n : {32767, 32768, 32769, 49153, 392000})
            for (int32_t threads : {1, 2}) check(kind, transforms()[4], n, 7 + static_cast<uint64_t>(n), threads);
}

TEST(OptimizerSteps, ScalarAndAvx2AreBitwiseEqual) {
    MPTEST_REQUIRE_AVX2();
    const int64_t n = 5003;
    for (Kind kind : kKinds)
        for (const Settings& s : transforms()) {
            const Arrays start = random_arrays(n, 0, 77);
            Arrays a = start, b = start;
            {
                IsaScope scope(MP_ISA_SCALAR);
                ASSERT_EQ(step(kind, s, n, a), MP_OK);
            }
            {
                IsaScope scope(MP_ISA_AVX2);
                ASSERT_EQ(step(kind, s, n, b), MP_OK);
            }
            ASSERT_TRUE(same(a.w, b.w, "w")) << name(kind);
            ASSERT_TRUE(same(a.s1, b.s1, "state 1")) << name(kind);
            ASSERT_TRUE(same(a.s2, b.s2, "state 2")) << name(kind);
        }
}

TEST(OptimizerSteps, NanGradientsStayNanThroughTheClampAndInfinitiesAreClipped) {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    Settings s;
    s.clip = 1.0f;
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        for (Kind kind : kKinds) {
            // 11 elements: the AVX2 body and the scalar tail both see a NaN and an infinity.
            Arrays a = random_arrays(11, 0, 5);
            a.g[2] = a.g[9] = nan;
            a.g[3] = a.g[10] = inf;
            a.g[4] = -inf;
            const Arrays before = a;
            ASSERT_EQ(step(kind, s, 11, a), MP_OK) << mp_last_error();
            EXPECT_TRUE(std::isnan(a.w[2]) && std::isnan(a.w[9])) << name(kind) << " " << isa_name(isa);
            Arrays want = before;
            reference(kind, s, 11, want);
            EXPECT_TRUE(same(a.w, want.w, "w")) << name(kind) << " " << isa_name(isa);
            EXPECT_TRUE(std::isfinite(a.w[3]) && std::isfinite(a.w[4]) && std::isfinite(a.w[10]))
                << name(kind) << " " << isa_name(isa) << ": a clipped infinite gradient gives a finite step";
        }
    }
}

TEST(OptimizerSteps, StateBelowTheSmallestNormalIsFlushedToZero) {
    const float tiny = std::numeric_limits<float>::min() * 1.5f;  // normal; halved it is subnormal
    Settings s;
    s.beta1 = 0.5f;
    s.beta2 = 0.5f;
    s.momentum = 0.5f;
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        for (Kind kind : {Kind::Adam, Kind::SgdMomentum}) {
            Arrays a{std::vector<float>(13, 1.0f), std::vector<float>(13, 0.0f), std::vector<float>(13, tiny),
                     std::vector<float>(13, tiny)};
            ASSERT_EQ(step(kind, s, 13, a), MP_OK);
            for (int i = 0; i < 13; i++) {
                EXPECT_EQ(bits_of(a.s1[i]), 0u) << name(kind) << " " << isa_name(isa) << " " << i;
                if (kind == Kind::Adam) EXPECT_EQ(bits_of(a.s2[i]), 0u) << isa_name(isa) << " " << i;
            }
        }
    }
}

TEST(OptimizerSteps, HyperparametersOutOfRangeOrNanAreNamedAndNothingIsWritten) {
    std::vector<float> w = poisoned(4), g = poisoned(4), m = poisoned(4), v = poisoned(4);
    float *W = w.data(), *G = g.data(), *M = m.data(), *V = v.data();
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    // Each call runs inside its check: mp_last_error() describes the latest failure only.
    const std::pair<std::function<mp_status()>, const char*> cases[] = {
        {[&] { return mp_adam_step_f32(W, G, M, V, 4, nan, 0.9f, 0.999f, 1e-8f, 1, 0, 0); }, "mp_adam_step_f32: step_size = NaN must be finite"},
        {[&] { return mp_adam_step_f32(W, G, M, V, 4, inf, 0.9f, 0.999f, 1e-8f, 1, 0, 0); }, "step_size = inf must be finite"},
        {[&] { return mp_adam_step_f32(W, G, M, V, 4, 1, 2.0f, 0.999f, 1e-8f, 1, 0, 0); }, "beta1 = 2 must be in [0, 1)"},
        {[&] { return mp_adam_step_f32(W, G, M, V, 4, 1, 0.9f, -1.0f, 1e-8f, 1, 0, 0); }, "beta2 = -1 must be in [0, 1)"},
        {[&] { return mp_adam_step_f32(W, G, M, V, 4, 1, 0.9f, 1.0f, 1e-8f, 1, 0, 0); }, "beta2 = 1 must be in [0, 1)"},
        {[&] { return mp_adam_step_f32(W, G, M, V, 4, 1, 0.9f, nan, 1e-8f, 1, 0, 0); }, "beta2 = NaN must be in [0, 1)"},
        {[&] { return mp_adam_step_f32(W, G, M, V, 4, 1, 0.9f, 0.999f, 0, 1, 0, 0); }, "eps = 0 must be finite and > 0"},
        {[&] { return mp_adam_step_f32(W, G, M, V, 4, 1, 0.9f, 0.999f, -1e-8f, 1, 0, 0); }, "eps = -1e-08 must be finite and > 0"},
        {[&] { return mp_adam_step_f32(W, G, M, V, 4, 1, 0.9f, 0.999f, 1e-8f, nan, 0, 0); }, "grad_scale = NaN must be finite"},
        {[&] { return mp_adam_step_f32(W, G, M, V, 4, 1, 0.9f, 0.999f, 1e-8f, 1, -0.5f, 0); }, "l2 = -0.5 must be finite and >= 0"},
        {[&] { return mp_adam_step_f32(W, G, M, V, 4, 1, 0.9f, 0.999f, 1e-8f, 1, 0, -1); }, "clip = -1 must be finite and >= 0 (0: no clipping)"},
        {[&] { return mp_adam_step_f32(W, G, M, V, 4, 1, 0.9f, 0.999f, 1e-8f, 1, 0, inf); }, "clip = inf must be finite and >= 0"},
        {[&] { return mp_adagrad_step_f32(W, G, M, 4, nan, 1e-8f, 1, 0, 0); }, "mp_adagrad_step_f32: lr = NaN must be finite"},
        {[&] { return mp_adagrad_step_f32(W, G, M, 4, 1, 0, 1, 0, 0); }, "mp_adagrad_step_f32: eps = 0 must be finite and > 0"},
        {[&] { return mp_adagrad_step_f32(W, G, M, 4, 1, 1e-8f, 1, inf, 0); }, "l2 = inf must be finite and >= 0"},
        {[&] { return mp_sgd_step_f32(W, G, M, 4, -inf, 0.9f, 1, 0, 0); }, "mp_sgd_step_f32: lr = -inf must be finite"},
        {[&] { return mp_sgd_step_f32(W, G, M, 4, 1, 1.0f, 1, 0, 0); }, "mp_sgd_step_f32: momentum = 1 must be in [0, 1)"},
        {[&] { return mp_sgd_step_f32(W, G, nullptr, 4, 1, nan, 1, 0, 0); }, "momentum = NaN must be in [0, 1)"},
    };
    for (const auto& [call, message] : cases) EXPECT_TRUE(fails_with(call(), MP_ERR_INVALID_ARGUMENT, {message}));
    for (const auto* a : {&w, &g, &m, &v})
        for (float x : *a) EXPECT_EQ(bits_of(x), kPoisonBits);
}

TEST(OptimizerSteps, EveryBadArgumentIsNamedAndNothingIsWritten) {
    std::vector<float> w = poisoned(4), g = poisoned(4), m = poisoned(4), v = poisoned(4);
    float *W = w.data(), *G = g.data(), *M = m.data(), *V = v.data();
    EXPECT_TRUE(fails_with(mp_adam_step_f32(nullptr, G, M, V, 4, 1, 0.9f, 0.999f, 1e-8f, 1, 0, 0), MP_ERR_INVALID_ARGUMENT,
                           {"mp_adam_step_f32: w is NULL"}));
    EXPECT_TRUE(fails_with(mp_adam_step_f32(W, nullptr, M, V, 4, 1, 0.9f, 0.999f, 1e-8f, 1, 0, 0), MP_ERR_INVALID_ARGUMENT, {"g is NULL"}));
    EXPECT_TRUE(fails_with(mp_adam_step_f32(W, G, nullptr, V, 4, 1, 0.9f, 0.999f, 1e-8f, 1, 0, 0), MP_ERR_INVALID_ARGUMENT, {"m is NULL"}));
    EXPECT_TRUE(fails_with(mp_adam_step_f32(W, G, M, nullptr, 4, 1, 0.9f, 0.999f, 1e-8f, 1, 0, 0), MP_ERR_INVALID_ARGUMENT, {"v is NULL"}));
    EXPECT_TRUE(fails_with(mp_adam_step_f32(W, G, M, V, 0, 1, 0.9f, 0.999f, 1e-8f, 1, 0, 0), MP_ERR_INVALID_ARGUMENT, {"n = 0 must be >= 1"}));
    EXPECT_TRUE(fails_with(mp_adagrad_step_f32(nullptr, G, M, 4, 1, 1e-8f, 1, 0, 0), MP_ERR_INVALID_ARGUMENT,
                           {"mp_adagrad_step_f32: w is NULL"}));
    EXPECT_TRUE(fails_with(mp_adagrad_step_f32(W, G, nullptr, 4, 1, 1e-8f, 1, 0, 0), MP_ERR_INVALID_ARGUMENT, {"h is NULL"}));
    EXPECT_TRUE(fails_with(mp_adagrad_step_f32(W, G, M, -3, 1, 1e-8f, 1, 0, 0), MP_ERR_INVALID_ARGUMENT, {"n = -3"}));
    EXPECT_TRUE(fails_with(mp_sgd_step_f32(W, nullptr, nullptr, 4, 1, 0, 1, 0, 0), MP_ERR_INVALID_ARGUMENT,
                           {"mp_sgd_step_f32: g is NULL"}));
    EXPECT_TRUE(fails_with(mp_sgd_step_f32(W, G, M, 0, 1, 0.9f, 1, 0, 0), MP_ERR_INVALID_ARGUMENT, {"n = 0"}));
    for (const auto* a : {&w, &g, &m, &v})
        for (float x : *a) EXPECT_EQ(bits_of(x), kPoisonBits);
    std::fill(g.begin(), g.end(), 1.0f);
    std::fill(w.begin(), w.end(), 0.0f);
    ASSERT_EQ(mp_sgd_step_f32(W, G, nullptr, 4, 0.5f, 0, 1, 0, 0), MP_OK);
    EXPECT_STREQ(mp_last_error(), "");
    for (float x : w) EXPECT_EQ(x, -0.5f);
}
