// mp_topk_abs_per_map_f32: against an independent per-map sort (key descending, position ascending) in both ISAs,
// plain and decay selection (scores and running update bitwise), mostly-zero maps, ties, NaN, k = 1 and k = P,
// odd shapes and strides, padding untouched, thread-count independence and every error path.
#include "test_support.h"

#include <algorithm>
#include <numeric>

using namespace mptest;

namespace {

uint32_t key(float v) { return bits_of(v) & 0x7fffffffu; }

struct Case {
    int64_t n, P, C, k, lddy, ldi, ldv;
    float decay;
};

struct Want {
    std::vector<int32_t> idx;
    std::vector<float> val, running;
};

Want reference(const Case& c, const std::vector<float>& dy, const std::vector<float>& running) {
    Want w;
    w.idx.assign(static_cast<size_t>(c.C * c.ldi), kPoisonIndex);
    w.val = poisoned(static_cast<size_t>(c.C * c.ldv));
    const float keep = c.decay, fresh = 1.0f - c.decay;
    for (int64_t n = 0; n < c.n; n++)
        for (int64_t ch = 0; ch < c.C; ch++) {
            std::vector<uint32_t> keys(static_cast<size_t>(c.P));
            for (int64_t p = 0; p < c.P; p++) {
                const float v = daz(dy[n * c.lddy + p * c.C + ch]);
                float s = v;
                if (c.decay > 0) {
                    const float a = daz(keep * daz(running[ch * c.P + p])), b = daz(fresh * std::fabs(v));
                    s = daz(a + b);
                }
                keys[p] = key(s);
            }
            // the kernels compare raw key bits: denormal scores are (non-zero) keys; a denormal dy reads as 0 only
            // inside the decay arithmetic. Plain selection keys the raw bits.
            if (c.decay == 0)
                for (int64_t p = 0; p < c.P; p++) keys[p] = key(dy[n * c.lddy + p * c.C + ch]);
            std::vector<int32_t> order(static_cast<size_t>(c.P));
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return keys[a] > keys[b]; });
            order.resize(static_cast<size_t>(c.k));
            std::sort(order.begin(), order.end());
            for (int64_t t = 0; t < c.k; t++) {
                w.idx[ch * c.ldi + n * c.k + t] = static_cast<int32_t>(n * c.P + order[t]);
                w.val[ch * c.ldv + n * c.k + t] = dy[n * c.lddy + order[t] * c.C + ch];
            }
        }
    w.running = running;
    if (c.decay > 0) {
        const float share = (1.0f - c.decay) / static_cast<float>(c.n);
        for (int64_t ch = 0; ch < c.C; ch++)
            for (int64_t p = 0; p < c.P; p++) {
                float s = 0.0f;
                for (int64_t n = 0; n < c.n; n++) s = daz(s + std::fabs(daz(dy[n * c.lddy + p * c.C + ch])));
                float& r = w.running[ch * c.P + p];
                r = daz(daz(c.decay * daz(r)) + daz(share * s));
            }
    }
    return w;
}

// kind 0: normal values; 1: mostly zeros (behind ReLU and max-pooling); 2: small integers (many ties);
// 3: all zeros; 4: specials (NaN, Inf, -0, denormals) on top of mostly zeros.
std::vector<float> make_dy(const Case& c, int kind, uint64_t seed) {
    std::vector<float> dy = kind == 2 ? random_small_ints(static_cast<size_t>(c.n * c.lddy), seed, -2, 2)
                                      : random_normal(static_cast<size_t>(c.n * c.lddy), seed);
    std::mt19937_64 rng(seed + 7);
    if (kind == 1 || kind == 4)
        for (auto& v : dy)
            if (rng() % 8 != 0) v = 0.0f;
    if (kind == 3) std::fill(dy.begin(), dy.end(), 0.0f);
    if (kind == 4) {
        for (auto& v : dy) {
            const int r = static_cast<int>(rng() % 50);
            if (r == 0) v = std::numeric_limits<float>::quiet_NaN();
            if (r == 1) v = -std::numeric_limits<float>::infinity();
            if (r == 2) v = -0.0f;
            if (r == 3) v = denormal();
        }
    }
    return dy;
}

void check(const Case& c, int kind, uint64_t seed) {
    const std::vector<float> dy = make_dy(c, kind, seed);
    const std::vector<float> run0 = random_floats(static_cast<size_t>(c.C * c.P), seed + 3, 0.0f, 2.0f);
    const Want want = reference(c, dy, run0);
    for (int32_t isa : isas())
        for (int32_t threads : {1, 2}) {
            IsaScope scope(isa);
            ThreadScope ts(threads);
            int64_t bytes = 0;
            ASSERT_EQ(mp_topk_abs_per_map_workspace_size(c.n, c.P, c.C, c.k, &bytes), MP_OK) << mp_last_error();
            std::vector<char> ws(static_cast<size_t>(bytes));
            std::vector<int32_t> idx = poisoned_idx(static_cast<size_t>(c.C * c.ldi));
            std::vector<float> val = poisoned(static_cast<size_t>(c.C * c.ldv));
            std::vector<float> run = run0;
            ASSERT_EQ(mp_topk_abs_per_map_f32(dy.data(), c.n, c.P, c.C, c.lddy, c.k, c.decay > 0 ? run.data() : nullptr,
                                              c.decay, idx.data(), c.ldi, val.data(), c.ldv, ws.data(), bytes),
                      MP_OK)
                << mp_last_error();
            const std::string where = std::string(isa_name(isa)) + " threads=" + std::to_string(threads) +
                                      " n=" + std::to_string(c.n) + " P=" + std::to_string(c.P) + " C=" +
                                      std::to_string(c.C) + " k=" + std::to_string(c.k) + " kind=" + std::to_string(kind);
            for (size_t i = 0; i < idx.size(); i++) ASSERT_EQ(idx[i], want.idx[i]) << where << " idx " << i;
            for (size_t i = 0; i < val.size(); i++)
                ASSERT_TRUE(same_bits(val[i], want.val[i])) << where << " val " << i << ": " << val[i] << " vs " << want.val[i];
            for (size_t i = 0; i < run.size(); i++)
                ASSERT_TRUE(same_bits(run[i], want.running[i]) || (std::isnan(run[i]) && std::isnan(want.running[i])))
                    << where << " running " << i << ": " << run[i] << " vs " << want.running[i];
        }
}

}  // namespace

TEST(TopKPerMap, MatchesPerMapSortOnManyShapes) {
    uint64_t seed = 1;
    for (int64_t P : {1, 7, 16, 49, 196, 784})
        for (int64_t C : {1, 3, 8, 13, 32})
            for (int64_t k : {int64_t{1}, (P + 19) / 20, (P + 9) / 10, P})
                for (int kind = 0; kind < 5; kind++) {
                    const int64_t n = P * C > 5000 ? 3 : 5;
                    const bool pad = (seed % 3) == 0;
                    check({n, P, C, k, P * C + (pad ? 5 : 0), n * k + (pad ? 3 : 0), n * k + (pad ? 2 : 0), 0.0f}, kind, seed++);
                }
}

TEST(TopKPerMap, DecaySelectionScoresAndRunningUpdate) {
    uint64_t seed = 500;
    for (int64_t P : {7, 49, 196, 784})
        for (int64_t C : {3, 8, 32})
            for (float decay : {0.3f, 0.6f, 0.99f})
                for (int kind : {0, 1, 2, 4}) {
                    const int64_t k = (P + 19) / 20;
                    check({4, P, C, k, P * C + 1, 4 * k + 1, 4 * k, decay}, kind, seed++);
                }
}

TEST(TopKPerMap, LargeBatchSplitsOverThreads) {
    // big enough to run on the pool (conv1 of the paper's network at batch 10 and 50)
    check({10, 784, 32, 40, 784 * 32, 400, 400, 0.0f}, 1, 900);
    check({10, 784, 32, 40, 784 * 32, 400, 400, 0.6f}, 1, 901);
    check({50, 196, 64, 10, 196 * 64, 500, 500, 0.6f}, 0, 902);
}

TEST(TopKPerMap, DecayZeroIgnoresRunning) {
    const Case c{3, 49, 8, 5, 49 * 8, 15, 15, 0.0f};
    const std::vector<float> dy = make_dy(c, 0, 77);
    std::vector<float> run = random_floats(static_cast<size_t>(c.C * c.P), 78, 0.0f, 5.0f);
    const std::vector<float> run0 = run;
    int64_t bytes = 0;
    ASSERT_EQ(mp_topk_abs_per_map_workspace_size(c.n, c.P, c.C, c.k, &bytes), MP_OK);
    std::vector<char> ws(static_cast<size_t>(bytes));
    std::vector<int32_t> a(static_cast<size_t>(c.C * c.ldi)), b(a.size());
    std::vector<float> va(a.size()), vb(a.size());
    ASSERT_EQ(mp_topk_abs_per_map_f32(dy.data(), c.n, c.P, c.C, c.lddy, c.k, nullptr, 0.0f, a.data(), c.ldi, va.data(), c.ldv, ws.data(), bytes), MP_OK);
    ASSERT_EQ(mp_topk_abs_per_map_f32(dy.data(), c.n, c.P, c.C, c.lddy, c.k, run.data(), 0.0f, b.data(), c.ldi, vb.data(), c.ldv, ws.data(), bytes), MP_OK);
    EXPECT_EQ(a, b);
    for (size_t i = 0; i < va.size(); i++) EXPECT_TRUE(same_bits(va[i], vb[i]));
    for (size_t i = 0; i < run.size(); i++) EXPECT_TRUE(same_bits(run[i], run0[i]));
}

TEST(TopKPerMap, SmallWorkspaceUsesFewerThreads) {
    ThreadScope ts(2);
    const Case c{10, 784, 32, 40, 784 * 32, 400, 400, 0.0f};
    const std::vector<float> dy = make_dy(c, 1, 31);
    const Want want = reference(c, dy, std::vector<float>(static_cast<size_t>(c.C * c.P), 0.0f));
    int64_t bytes = 0;
    ASSERT_EQ(mp_topk_abs_per_map_workspace_size(c.n, c.P, c.C, c.k, &bytes), MP_OK);
    std::vector<char> ws(static_cast<size_t>(bytes / 2));  // one slot
    std::vector<int32_t> idx(static_cast<size_t>(c.C * c.ldi));
    std::vector<float> val(idx.size());
    ASSERT_EQ(mp_topk_abs_per_map_f32(dy.data(), c.n, c.P, c.C, c.lddy, c.k, nullptr, 0.0f, idx.data(), c.ldi, val.data(), c.ldv, ws.data(), bytes / 2), MP_OK)
        << mp_last_error();
    EXPECT_EQ(idx, want.idx);
}

TEST(TopKPerMap, BadArgumentsNameTheArgument) {
    const int64_t n = 2, P = 9, C = 3, k = 2;
    std::vector<float> dy(static_cast<size_t>(n * P * C), 1.0f), run(static_cast<size_t>(P * C), 0.0f);
    std::vector<int32_t> idx(static_cast<size_t>(C * n * k));
    std::vector<float> val(idx.size());
    int64_t bytes = 0;
    ASSERT_EQ(mp_topk_abs_per_map_workspace_size(n, P, C, k, &bytes), MP_OK);
    std::vector<char> ws(static_cast<size_t>(bytes));
    auto call = [&](const float* d, int64_t nn, int64_t pp, int64_t cc, int64_t ld, int64_t kk, float* r, float decay, int32_t* i,
                    int64_t ldi, float* v, int64_t ldv, void* w, int64_t wb) {
        const mp_status st = mp_topk_abs_per_map_f32(d, nn, pp, cc, ld, kk, r, decay, i, ldi, v, ldv, w, wb);
        return std::make_pair(st, std::string(mp_last_error()));
    };
    struct Bad {
        std::pair<mp_status, std::string> r;
        const char* name;
    };
    const Bad bad[] = {
        {call(nullptr, n, P, C, P * C, k, nullptr, 0, idx.data(), n * k, val.data(), n * k, ws.data(), bytes), "dy"},
        {call(dy.data(), 0, P, C, P * C, k, nullptr, 0, idx.data(), n * k, val.data(), n * k, ws.data(), bytes), "batch"},
        {call(dy.data(), n, 0, C, P * C, k, nullptr, 0, idx.data(), n * k, val.data(), n * k, ws.data(), bytes), "positions"},
        {call(dy.data(), n, P, 0, P * C, k, nullptr, 0, idx.data(), n * k, val.data(), n * k, ws.data(), bytes), "channels"},
        {call(dy.data(), n, P, C, P * C - 1, k, nullptr, 0, idx.data(), n * k, val.data(), n * k, ws.data(), bytes), "lddy"},
        {call(dy.data(), n, P, C, P * C, 0, nullptr, 0, idx.data(), n * k, val.data(), n * k, ws.data(), bytes), "k"},
        {call(dy.data(), n, P, C, P * C, P + 1, nullptr, 0, idx.data(), n * k, val.data(), n * k, ws.data(), bytes), "k"},
        {call(dy.data(), n, P, C, P * C, k, nullptr, 0.5f, idx.data(), n * k, val.data(), n * k, ws.data(), bytes), "running"},
        {call(dy.data(), n, P, C, P * C, k, run.data(), 1.0f, idx.data(), n * k, val.data(), n * k, ws.data(), bytes), "decay"},
        {call(dy.data(), n, P, C, P * C, k, run.data(), -0.1f, idx.data(), n * k, val.data(), n * k, ws.data(), bytes), "decay"},
        {call(dy.data(), n, P, C, P * C, k, run.data(), std::nanf(""), idx.data(), n * k, val.data(), n * k, ws.data(), bytes), "decay"},
        {call(dy.data(), n, P, C, P * C, k, nullptr, 0, nullptr, n * k, val.data(), n * k, ws.data(), bytes), "idx"},
        {call(dy.data(), n, P, C, P * C, k, nullptr, 0, idx.data(), n * k - 1, val.data(), n * k, ws.data(), bytes), "ldi"},
        {call(dy.data(), n, P, C, P * C, k, nullptr, 0, idx.data(), n * k, nullptr, n * k, ws.data(), bytes), "val"},
        {call(dy.data(), n, P, C, P * C, k, nullptr, 0, idx.data(), n * k, val.data(), n * k - 1, ws.data(), bytes), "ldv"},
        {call(dy.data(), n, P, C, P * C, k, nullptr, 0, idx.data(), n * k, val.data(), n * k, nullptr, bytes), "workspace"},
    };
    for (const Bad& b : bad) {
        EXPECT_EQ(b.r.first, MP_ERR_INVALID_ARGUMENT) << b.name;
        EXPECT_TRUE(contains(b.r.second, b.name)) << b.r.second;
        EXPECT_TRUE(contains(b.r.second, "mp_topk_abs_per_map_f32")) << b.r.second;
    }
    const auto small = call(dy.data(), n, P, C, P * C, k, nullptr, 0, idx.data(), n * k, val.data(), n * k, ws.data(), 16);
    EXPECT_EQ(small.first, MP_ERR_WORKSPACE_TOO_SMALL);
    EXPECT_TRUE(contains(small.second, "workspace_bytes")) << small.second;
    EXPECT_EQ(mp_topk_abs_per_map_workspace_size(n, P, C, k, nullptr), MP_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(mp_last_error(), "bytes")) << mp_last_error();
    EXPECT_EQ(mp_topk_abs_per_map_workspace_size(n, P, C, P + 1, &bytes), MP_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(mp_last_error(), "k = ")) << mp_last_error();
}
