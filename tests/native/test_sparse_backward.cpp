// mp_sparse_backward_dx_f32 / mp_sparse_backward_dw_f32: the scalar family bitwise equal to plain loops (multiply
// then add, t and b in order), AVX2 within FMA rounding of it, results bitwise independent of the thread count,
// padding untouched, dW reduced in order of b, and every bad index (range, per-row duplicate) reported first. The
// whole-batch call (mp_sparse_backward_f32, dW alone or with dx) gives the same bits.
#include <algorithm>
#include <numeric>

#include "test_support.h"

using namespace mptest;

namespace {

struct Problem {
    int64_t batch, n, m, k, ldi, ldv, ldw, ldx, ldo;
    std::vector<int32_t> idx;
    std::vector<float> val, w, x, dw0;
};

// Distinct indices per row, ascending or shuffled; ld paddings filled with junk the kernels must not read.
Problem make_problem(int64_t batch, int64_t n, int64_t m, int64_t k, uint64_t seed, bool shuffled = false) {
    Problem p{batch, n, m, k, k + 3, k + 1, m + 2, m + 5, m + 1, {}, {}, {}, {}, {}};
    std::mt19937_64 rng(seed);
    p.idx.assign(static_cast<size_t>(batch * p.ldi), -99);
    std::vector<int32_t> perm(static_cast<size_t>(n));
    for (int64_t b = 0; b < batch; b++) {
        std::iota(perm.begin(), perm.end(), 0);
        for (int64_t j = 0; j < k; j++) std::swap(perm[j], perm[j + rng() % static_cast<uint64_t>(n - j)]);
        if (!shuffled) std::sort(perm.begin(), perm.begin() + k);
        std::copy(perm.begin(), perm.begin() + k, p.idx.begin() + b * p.ldi);
    }
    p.val = random_floats(static_cast<size_t>(batch * p.ldv), seed + 1);
    p.w = random_floats(static_cast<size_t>(n * p.ldw), seed + 2);
    p.x = random_floats(static_cast<size_t>(batch * p.ldx), seed + 3);
    p.dw0 = random_floats(static_cast<size_t>(n * p.ldo), seed + 4);
    return p;
}

// Plain-loop references with one rounding per multiply and per add.
std::vector<float> ref_dx(const Problem& p) {
    std::vector<float> dx(static_cast<size_t>(p.batch * p.ldo), poison());
    for (int64_t b = 0; b < p.batch; b++)
        for (int64_t c = 0; c < p.m; c++) {
            float s = 0.0f;
            for (int64_t t = 0; t < p.k; t++) {
                const float prod = p.val[b * p.ldv + t] * p.w[p.idx[b * p.ldi + t] * p.ldw + c];
                s = s + prod;
            }
            dx[b * p.ldo + c] = s;
        }
    return dx;
}

std::vector<float> ref_dw(const Problem& p) {
    std::vector<float> dw = p.dw0;
    for (int64_t b = 0; b < p.batch; b++)
        for (int64_t t = 0; t < p.k; t++)
            for (int64_t c = 0; c < p.m; c++) {
                float& d = dw[p.idx[b * p.ldi + t] * p.ldo + c];
                const float prod = p.val[b * p.ldv + t] * p.x[b * p.ldx + c];
                d = d + prod;
            }
    return dw;
}

std::vector<float> run_dx(const Problem& p) {
    std::vector<float> dx = poisoned(static_cast<size_t>(p.batch * p.ldo));
    EXPECT_EQ(mp_sparse_backward_dx_f32(p.batch, p.n, p.m, p.k, p.idx.data(), p.ldi, p.val.data(), p.ldv, p.w.data(), p.ldw,
                                        dx.data(), p.ldo),
              MP_OK)
        << mp_last_error();
    return dx;
}

std::vector<float> run_dw(const Problem& p) {
    std::vector<float> dw = p.dw0;
    for (int64_t r = 0; r < p.n; r++)
        for (int64_t c = p.m; c < p.ldo; c++) dw[r * p.ldo + c] = poison();
    EXPECT_EQ(mp_sparse_backward_dw_f32(p.batch, p.n, p.m, p.k, p.idx.data(), p.ldi, p.val.data(), p.ldv, p.x.data(), p.ldx,
                                        dw.data(), p.ldo),
              MP_OK)
        << mp_last_error();
    return dw;
}

// Relative to the sum of |terms| of each output (the FMA bound).
void expect_close(const std::vector<float>& got, const std::vector<float>& want, const std::vector<float>& scale,
                  int64_t rows, int64_t cols, int64_t ld, const std::string& what) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) {
            const size_t i = static_cast<size_t>(r * ld + c);
            ASSERT_NEAR(got[i], want[i], 1e-6f * (scale[i] + 1.0f)) << what << " at " << r << "," << c;
        }
}

std::vector<float> dx_scale(const Problem& p) {
    std::vector<float> s(static_cast<size_t>(p.batch * p.ldo), 0.0f);
    for (int64_t b = 0; b < p.batch; b++)
        for (int64_t t = 0; t < p.k; t++)
            for (int64_t c = 0; c < p.m; c++)
                s[b * p.ldo + c] += std::fabs(p.val[b * p.ldv + t] * p.w[p.idx[b * p.ldi + t] * p.ldw + c]);
    return s;
}

std::vector<float> dw_scale(const Problem& p) {
    std::vector<float> s(static_cast<size_t>(p.n * p.ldo), 0.0f);
    for (size_t i = 0; i < s.size(); i++) s[i] = std::fabs(p.dw0[i]);
    for (int64_t b = 0; b < p.batch; b++)
        for (int64_t t = 0; t < p.k; t++)
            for (int64_t c = 0; c < p.m; c++)
                s[p.idx[b * p.ldi + t] * p.ldo + c] += std::fabs(p.val[b * p.ldv + t] * p.x[b * p.ldx + c]);
    return s;
}

const int64_t kShapes[][4] = {  // batch, n, m, k
    {1, 1, 1, 1},   {1, 7, 9, 7},     {3, 9, 7, 2},      {2, 64, 65, 8},     {5, 100, 63, 20},
    {4, 500, 784, 20}, {2, 40, 129, 40}, {7, 30, 200, 1}, {3, 1000, 17, 999},
};

}  // namespace

TEST(SparseBackward, ScalarMatchesPlainLoopsBitwise) {
    IsaScope scope(MP_ISA_SCALAR);
    for (const auto& s : kShapes) {
        const Problem p = make_problem(s[0], s[1], s[2], s[3], s[0] * 1000 + s[2]);
        const std::vector<float> dx = run_dx(p), want_dx = ref_dx(p);
        for (size_t i = 0; i < dx.size(); i++) ASSERT_TRUE(same_bits(dx[i], want_dx[i])) << "dx element " << i;
        const std::vector<float> dw = run_dw(p), want_dw = ref_dw(p);
        for (int64_t r = 0; r < p.n; r++)
            for (int64_t c = 0; c < p.m; c++) ASSERT_TRUE(same_bits(dw[r * p.ldo + c], want_dw[r * p.ldo + c])) << "dW " << r << "," << c;
        EXPECT_TRUE(padding_untouched(dw, p.n, p.m, p.ldo));
    }
}

TEST(SparseBackward, Avx2MatchesWithinFmaRounding) {
    MPTEST_REQUIRE_AVX2();
    IsaScope scope(MP_ISA_AVX2);
    for (const auto& s : kShapes) {
        const Problem p = make_problem(s[0], s[1], s[2], s[3], s[0] * 1000 + s[2] + 1, true);
        const std::vector<float> dx = run_dx(p);
        expect_close(dx, ref_dx(p), dx_scale(p), p.batch, p.m, p.ldo, "dx");
        EXPECT_TRUE(padding_untouched(dx, p.batch, p.m, p.ldo));
        const std::vector<float> dw = run_dw(p);
        expect_close(dw, ref_dw(p), dw_scale(p), p.n, p.m, p.ldo, "dW");
        EXPECT_TRUE(padding_untouched(dw, p.n, p.m, p.ldo));
    }
}

TEST(SparseBackward, Avx2UngroupedDwMatchesWithinFmaRounding) {
    // mp_sparse_backward_dw_f32 groups the pairs by row only for n <= 4096 and k <= 4096; past that the AVX2 dW
    // kernel applies the pairs one by one. kShapes never gets there. Column counts with a tail (m % 8 != 0) after
    // 64-, 32-, 16- and 8-wide blocks, and one with no vector block at all.
    MPTEST_REQUIRE_AVX2();
    IsaScope scope(MP_ISA_AVX2);
    const int64_t shapes[][4] = {{3, 5000, 37, 20}, {4, 4100, 7, 9}, {2, 4200, 125, 3}, {2, 4099, 11, 4097}};
    for (const auto& s : shapes) {
        const Problem p = make_problem(s[0], s[1], s[2], s[3], s[1] + s[2], true);
        for (int32_t threads : {1, 2}) {
            ThreadScope t(threads);
            const std::vector<float> dw = run_dw(p);
            expect_close(dw, ref_dw(p), dw_scale(p), p.n, p.m, p.ldo, "dW n=" + std::to_string(p.n) + " m=" + std::to_string(p.m));
            EXPECT_TRUE(padding_untouched(dw, p.n, p.m, p.ldo));
        }
    }
}

TEST(SparseBackward, ResultsDoNotDependOnTheThreadCount) {
    // Large enough to be split across threads (batch * k * m >= 2^18).
    const Problem p = make_problem(64, 300, 301, 16, 4242);
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        std::vector<float> dx1, dw1;
        {
            ThreadScope t(1);
            dx1 = run_dx(p);
            dw1 = run_dw(p);
        }
        for (int32_t threads : {2, 3, 7}) {
            ThreadScope t(threads);
            const std::vector<float> dx = run_dx(p), dw = run_dw(p);
            for (size_t i = 0; i < dx.size(); i++) ASSERT_TRUE(same_bits(dx[i], dx1[i])) << isa_name(isa) << " threads " << threads;
            for (size_t i = 0; i < dw.size(); i++) ASSERT_TRUE(same_bits(dw[i], dw1[i])) << isa_name(isa) << " threads " << threads;
        }
    }
}

TEST(SparseBackward, DwRowsAreReducedInOrderOfB) {
    // Every example hits row 2; the contributions 1e8, 1, -1e8, 1 give 1 in order of b and 0 or 2 in other orders.
    const int64_t batch = 4, n = 5, m = 3, k = 2;
    const std::vector<int32_t> idx = {0, 2, 2, 4, 1, 2, 2, 3};
    const std::vector<float> val = {1.0f, 1e8f, 1.0f, 0.0f, 0.0f, -1e8f, 1.0f, 0.0f};
    const std::vector<float> x(static_cast<size_t>(batch * m), 1.0f);
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        for (int32_t threads : {1, 2}) {
            ThreadScope t(threads);
            std::vector<float> dw(static_cast<size_t>(n * m), 0.0f);
            ASSERT_EQ(mp_sparse_backward_dw_f32(batch, n, m, k, idx.data(), k, val.data(), k, x.data(), m, dw.data(), m), MP_OK);
            for (int64_t c = 0; c < m; c++) EXPECT_EQ(dw[2 * m + c], 1.0f) << isa_name(isa);
            EXPECT_EQ(dw[0], 1.0f);
        }
    }
}

TEST(SparseBackward, BadIndicesAreReportedBeforeAnyWrite) {
    const int64_t batch = 3, n = 50, m = 4;
    const std::vector<float> w(static_cast<size_t>(n * m), 1.0f), x(static_cast<size_t>(batch * m), 1.0f);
    const std::vector<float> val(200, 1.0f);
    std::vector<float> dx = poisoned(static_cast<size_t>(batch * m)), dw = poisoned(static_cast<size_t>(n * m));
    auto both = [&](const std::vector<int32_t>& idx, int64_t k, std::initializer_list<std::string> frags) {
        EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(batch, n, m, k, idx.data(), k, val.data(), k, w.data(), m, dx.data(), m),
                               MP_ERR_INVALID_ARGUMENT, frags));
        EXPECT_TRUE(contains(mp_last_error(), "mp_sparse_backward_dx_f32"));
        EXPECT_TRUE(fails_with(mp_sparse_backward_dw_f32(batch, n, m, k, idx.data(), k, val.data(), k, x.data(), m, dw.data(), m),
                               MP_ERR_INVALID_ARGUMENT, frags));
        EXPECT_TRUE(contains(mp_last_error(), "mp_sparse_backward_dw_f32"));
    };
    both({0, 1, 2, 3, 4, 5, 6, 50, 8}, 3, {"idx[2, 1] = 50 is out of range [0, n = 50)"});
    both({0, 1, 2, 3, -4, 5, 6, 7, 8}, 3, {"idx[1, 1] = -4 is out of range"});
    both({0, 1, 2, 3, 4, 5, 6, 7, 6}, 3, {"idx[2, 2] = 6 repeats idx[2, 0]"});        // ascending check fails, small k
    both({0, 1, 2, 9, 4, 9, 6, 7, 8}, 3, {"idx[1, 2] = 9 repeats idx[1, 0]"});
    // Larger k: unsorted rows go through the bitmap check.
    std::vector<int32_t> big(static_cast<size_t>(batch * 40));
    for (int64_t b = 0; b < batch; b++)
        for (int64_t t = 0; t < 40; t++) big[b * 40 + t] = static_cast<int32_t>((t * 7 + b) % 50);  // distinct, unsorted
    big[2 * 40 + 33] = big[2 * 40 + 5];
    both(big, 40, {"idx[2, 33] = " + std::to_string(big[2 * 40 + 5]) + " repeats idx[2, 5]"});
    for (float v : dx) EXPECT_EQ(bits_of(v), kPoisonBits);
    for (float v : dw) EXPECT_EQ(bits_of(v), kPoisonBits);
    // The unsorted distinct rows themselves are fine.
    big[2 * 40 + 33] = static_cast<int32_t>((33 * 7 + 2) % 50);
    EXPECT_EQ(mp_sparse_backward_dx_f32(batch, n, m, 40, big.data(), 40, val.data(), 40, w.data(), m, dx.data(), m), MP_OK)
        << mp_last_error();
}

TEST(SparseBackward, DuplicateCheckCoversLongRowsOverLargeN) {
    // n > 65536 takes the heap bitmap; unsorted rows with k > 32.
    const int64_t batch = 2, n = 100000, m = 2, k = 64;
    std::vector<int32_t> idx(static_cast<size_t>(batch * k));
    for (int64_t j = 0; j < batch * k; j++) idx[j] = static_cast<int32_t>((j * 1543 + 99991) % n);
    const std::vector<float> val(static_cast<size_t>(batch * k), 1.0f), x(static_cast<size_t>(batch * m), 1.0f);
    std::vector<float> dw(static_cast<size_t>(n * m), 0.0f);
    ASSERT_EQ(mp_sparse_backward_dw_f32(batch, n, m, k, idx.data(), k, val.data(), k, x.data(), m, dw.data(), m), MP_OK)
        << mp_last_error();
    idx[k + 40] = idx[k + 3];
    EXPECT_TRUE(fails_with(mp_sparse_backward_dw_f32(batch, n, m, k, idx.data(), k, val.data(), k, x.data(), m, dw.data(), m),
                           MP_ERR_INVALID_ARGUMENT, {"idx[1, 40]", "repeats idx[1, 3]"}));
}

TEST(SparseBackward, EveryBadArgumentIsNamed) {
    const std::vector<int32_t> idx = {0, 1, 2, 3};
    const std::vector<float> val(4, 1.0f), w(40, 1.0f);
    std::vector<float> out = poisoned(40);
    const int32_t* I = idx.data();
    const float* V = val.data();
    const float* W = w.data();
    float* O = out.data();
    const mp_status E = MP_ERR_INVALID_ARGUMENT;
    const char* dx = "mp_sparse_backward_dx_f32";
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(2, 10, 4, 2, nullptr, 2, V, 2, W, 4, O, 4), E, {dx, "idx is NULL"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(2, 10, 4, 2, I, 2, nullptr, 2, W, 4, O, 4), E, {"val is NULL"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(2, 10, 4, 2, I, 2, V, 2, nullptr, 4, O, 4), E, {"w is NULL"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(2, 10, 4, 2, I, 2, V, 2, W, 4, nullptr, 4), E, {"dx is NULL"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(0, 10, 4, 2, I, 2, V, 2, W, 4, O, 4), E, {"batch = 0"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(2, 0, 4, 2, I, 2, V, 2, W, 4, O, 4), E, {"n = 0"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(2, 10, 0, 2, I, 2, V, 2, W, 4, O, 4), E, {"m = 0"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(2, 10, 4, 11, I, 11, V, 11, W, 4, O, 4), E, {"k = 11 is out of range [1, n = 10]"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(2, 10, 4, 2, I, 1, V, 2, W, 4, O, 4), E, {"ldi = 1 is less than k = 2"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(2, 10, 4, 2, I, 2, V, 1, W, 4, O, 4), E, {"ldv = 1 is less than k = 2"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(2, 10, 4, 2, I, 2, V, 2, W, 3, O, 4), E, {"ldw = 3 is less than m = 4"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(2, 10, 4, 2, I, 2, V, 2, W, 4, O, 2), E, {"lddx = 2 is less than m = 4"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dx_f32(2, int64_t{1} << 31, 4, 2, I, 2, V, 2, W, 4, O, 4), E, {"int32"}));
    const char* dw = "mp_sparse_backward_dw_f32";
    EXPECT_TRUE(fails_with(mp_sparse_backward_dw_f32(2, 10, 4, 2, nullptr, 2, V, 2, W, 4, O, 4), E, {dw, "idx is NULL"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dw_f32(2, 10, 4, 2, I, 2, nullptr, 2, W, 4, O, 4), E, {"val is NULL"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dw_f32(2, 10, 4, 2, I, 2, V, 2, nullptr, 4, O, 4), E, {"x is NULL"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dw_f32(2, 10, 4, 2, I, 2, V, 2, W, 4, nullptr, 4), E, {"dw is NULL"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dw_f32(-1, 10, 4, 2, I, 2, V, 2, W, 4, O, 4), E, {"batch = -1"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dw_f32(2, 10, 4, 0, I, 2, V, 2, W, 4, O, 4), E, {"k = 0 is out of range [1, n = 10]"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dw_f32(2, 10, 4, 2, I, 2, V, 2, W, 3, O, 4), E, {"ldx = 3 is less than m = 4"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dw_f32(2, 10, 4, 2, I, 2, V, 2, W, 4, O, 3), E, {"lddw = 3 is less than m = 4"}));
    for (float v : out) EXPECT_EQ(bits_of(v), kPoisonBits);
}

namespace {

std::vector<float> run_dw_whole_batch(const Problem& p) {
    int64_t bytes = 0;
    EXPECT_EQ(mp_sparse_backward_dw_workspace_size(p.batch, p.n, p.k, &bytes), MP_OK) << mp_last_error();
    std::vector<unsigned char> ws(static_cast<size_t>(bytes) + 1, 0xAB);
    std::vector<float> dw = p.dw0;
    for (int64_t r = 0; r < p.n; r++)
        for (int64_t c = p.m; c < p.ldo; c++) dw[r * p.ldo + c] = poison();
    EXPECT_EQ(mp_sparse_backward_f32(p.batch, p.n, p.m, p.k, p.idx.data(), p.ldi, p.val.data(), p.ldv, nullptr, 0, nullptr, 0,
                                     p.x.data(), p.ldx, dw.data(), p.ldo, ws.data() + 1, bytes),  // a misaligned start
              MP_OK)
        << mp_last_error();
    return dw;
}

}  // namespace

TEST(SparseBackward, WholeBatchDwEqualsTheRoundsBitwise) {
    // Shapes with more than 4096 pairs (several rounds without a workspace, one with it), n not a multiple of 8.
    const int64_t shapes[][4] = {{300, 500, 784, 20}, {64, 2000, 33, 100}, {9, 37, 70, 5}, {1, 1, 1, 1}, {5000, 13, 8, 1}};
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        for (const auto& s : shapes) {
            const Problem p = make_problem(s[0], s[1], s[2], s[3], s[0] + s[1], true);
            for (int32_t threads : {1, 2}) {
                ThreadScope t(threads);
                const std::vector<float> rounds = run_dw(p), whole = run_dw_whole_batch(p);
                for (size_t i = 0; i < rounds.size(); i++)
                    ASSERT_TRUE(same_bits(whole[i], rounds[i])) << isa_name(isa) << " shape " << s[0] << "x" << s[1] << " at " << i;
                EXPECT_TRUE(padding_untouched(whole, p.n, p.m, p.ldo));
            }
        }
    }
}

TEST(SparseBackward, WholeBatchCallChecksItsWorkspace) {
    const Problem p = make_problem(4, 50, 9, 5, 7);
    int64_t bytes = 0;
    ASSERT_EQ(mp_sparse_backward_dw_workspace_size(p.batch, p.n, p.k, &bytes), MP_OK);
    EXPECT_GE(bytes, 4 * (p.n + 1) + 8 * p.batch * p.k);
    std::vector<unsigned char> ws(static_cast<size_t>(bytes));
    std::vector<float> dw = poisoned(static_cast<size_t>(p.n * p.ldo));
    const char* fn = "mp_sparse_backward_f32";
    EXPECT_TRUE(fails_with(mp_sparse_backward_f32(p.batch, p.n, p.m, p.k, p.idx.data(), p.ldi, p.val.data(), p.ldv, nullptr, 0,
                                                  nullptr, 0, p.x.data(), p.ldx, dw.data(), p.ldo, nullptr, bytes),
                           MP_ERR_INVALID_ARGUMENT, {fn, "workspace is NULL"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_f32(p.batch, p.n, p.m, p.k, p.idx.data(), p.ldi, p.val.data(), p.ldv, nullptr, 0,
                                                  nullptr, 0, p.x.data(), p.ldx, dw.data(), p.ldo, ws.data(), bytes - 1),
                           MP_ERR_WORKSPACE_TOO_SMALL, {fn, "workspace_bytes = " + std::to_string(bytes - 1)}));
    for (float v : dw) EXPECT_EQ(bits_of(v), kPoisonBits);
    EXPECT_TRUE(fails_with(mp_sparse_backward_dw_workspace_size(4, 50, 51, &bytes), MP_ERR_INVALID_ARGUMENT,
                           {"mp_sparse_backward_dw_workspace_size", "k = 51"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_dw_workspace_size(int64_t{1} << 30, 50, 8, &bytes), MP_ERR_INVALID_ARGUMENT,
                           {"pairs", "int32"}));
}

TEST(SparseBackward, FusedCallEqualsTheSeparateCallsBitwise) {
    // Split across threads in 96-column tasks: 784 = 8 x 96 + 16, 301, exactly 2 tasks (192), a 1-column last task (97).
    const int64_t shapes[][4] = {{100, 500, 784, 20}, {64, 300, 301, 16}, {200, 64, 192, 8}, {400, 64, 97, 8},
                                 {3, 9, 7, 2},        {1, 1, 1, 1},       {700, 40, 33, 9}};
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        for (const auto& s : shapes) {
            const Problem p = make_problem(s[0], s[1], s[2], s[3], s[1] * 7 + s[2], true);
            int64_t bytes = 0;
            ASSERT_EQ(mp_sparse_backward_dw_workspace_size(p.batch, p.n, p.k, &bytes), MP_OK);
            std::vector<unsigned char> ws(static_cast<size_t>(bytes));
            for (int32_t threads : {1, 2, 3}) {
                ThreadScope t(threads);
                const std::vector<float> dx_want = run_dx(p), dw_want = run_dw(p);
                std::vector<float> dx = poisoned(dx_want.size()), dw = p.dw0, dw_only = p.dw0;
                for (int64_t r = 0; r < p.n; r++)
                    for (int64_t c = p.m; c < p.ldo; c++) dw[r * p.ldo + c] = dw_only[r * p.ldo + c] = poison();
                ASSERT_EQ(mp_sparse_backward_f32(p.batch, p.n, p.m, p.k, p.idx.data(), p.ldi, p.val.data(), p.ldv, p.w.data(), p.ldw,
                                                 dx.data(), p.ldo, p.x.data(), p.ldx, dw.data(), p.ldo, ws.data(), bytes),
                          MP_OK)
                    << mp_last_error();
                ASSERT_EQ(mp_sparse_backward_f32(p.batch, p.n, p.m, p.k, p.idx.data(), p.ldi, p.val.data(), p.ldv, nullptr, 0,
                                                 nullptr, 0, p.x.data(), p.ldx, dw_only.data(), p.ldo, ws.data(), bytes),
                          MP_OK)
                    << mp_last_error();
                for (size_t i = 0; i < dx.size(); i++) ASSERT_TRUE(same_bits(dx[i], dx_want[i])) << isa_name(isa) << " dx at " << i;
                for (size_t i = 0; i < dw.size(); i++) {
                    ASSERT_TRUE(same_bits(dw[i], dw_want[i])) << isa_name(isa) << " dW at " << i;
                    ASSERT_TRUE(same_bits(dw_only[i], dw_want[i])) << isa_name(isa) << " dW (no dx) at " << i;
                }
            }
        }
    }
}

TEST(SparseBackward, FusedCallNamesItsBadArguments) {
    const Problem p = make_problem(4, 50, 9, 5, 11);
    int64_t bytes = 0;
    ASSERT_EQ(mp_sparse_backward_dw_workspace_size(p.batch, p.n, p.k, &bytes), MP_OK);
    std::vector<unsigned char> ws(static_cast<size_t>(bytes));
    std::vector<float> dx = poisoned(static_cast<size_t>(p.batch * p.ldo)), dw = poisoned(static_cast<size_t>(p.n * p.ldo));
    const char* fn = "mp_sparse_backward_f32";
    EXPECT_TRUE(fails_with(mp_sparse_backward_f32(p.batch, p.n, p.m, p.k, p.idx.data(), p.ldi, p.val.data(), p.ldv, nullptr, p.ldw,
                                                  dx.data(), p.ldo, p.x.data(), p.ldx, dw.data(), p.ldo, ws.data(), bytes),
                           MP_ERR_INVALID_ARGUMENT, {fn, "w is NULL"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_f32(p.batch, p.n, p.m, p.k, p.idx.data(), p.ldi, p.val.data(), p.ldv, p.w.data(), p.m - 1,
                                                  dx.data(), p.ldo, p.x.data(), p.ldx, dw.data(), p.ldo, ws.data(), bytes),
                           MP_ERR_INVALID_ARGUMENT, {"ldw = " + std::to_string(p.m - 1)}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_f32(p.batch, p.n, p.m, p.k, p.idx.data(), p.ldi, p.val.data(), p.ldv, p.w.data(), p.ldw,
                                                  dx.data(), p.ldo, p.x.data(), p.ldx, dw.data(), p.ldo, ws.data(), bytes - 1),
                           MP_ERR_WORKSPACE_TOO_SMALL, {fn, "workspace_bytes"}));
    EXPECT_TRUE(fails_with(mp_sparse_backward_f32(p.batch, p.n, p.m, p.k, p.idx.data(), p.ldi, p.val.data(), p.ldv, p.w.data(), p.ldw,
                                                  dx.data(), p.ldo, nullptr, p.ldx, dw.data(), p.ldo, ws.data(), bytes),
                           MP_ERR_INVALID_ARGUMENT, {fn, "x is NULL"}));
    for (float v : dx) EXPECT_EQ(bits_of(v), kPoisonBits);
    for (float v : dw) EXPECT_EQ(bits_of(v), kPoisonBits);
}
