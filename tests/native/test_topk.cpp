// mp_topk_abs_rows_f32 / mp_topk_abs_unified_f32 against an independent std::stable_sort reference, under both
// ISAs, on many shapes and value patterns (ties, NaN/Inf, denormals, zeros, sorted rows, inputs built to defeat
// the AVX2 kernel's sampling), plus padding/poison checks and every error path.
#include <algorithm>
#include <numeric>

#include "test_support.h"

using namespace mptest;

namespace {

// Reference: order by (NaN first, then larger |x|), stable so ties keep the lower index; first k, ascending.
std::vector<int32_t> full_order(const float* x, int64_t n) {
    std::vector<int32_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [x](int32_t a, int32_t b) {
        const bool na = std::isnan(x[a]), nb = std::isnan(x[b]);
        if (na != nb) return na;
        if (na) return false;
        return std::fabs(x[a]) > std::fabs(x[b]);
    });
    return order;
}

std::vector<int32_t> top_of(const std::vector<int32_t>& order, int64_t k) {
    std::vector<int32_t> top(order.begin(), order.begin() + k);
    std::sort(top.begin(), top.end());
    return top;
}

enum Kind { kUniform, kNormal, kTies, kSpecial, kZeros, kAscending, kDescending, kLogUniform, kBoundaryTies, kKinds };

std::vector<float> make_row(Kind kind, int64_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<float> v(static_cast<size_t>(n));
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::uniform_int_distribution<int> small(0, 5);
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < n; i++) {
        float& x = v[static_cast<size_t>(i)];
        switch (kind) {
            case kUniform: x = u(rng); break;
            case kNormal: x = g(rng); break;
            case kTies: x = static_cast<float>(small(rng) % 3 + 1) * (rng() & 1 ? 1.0f : -1.0f); break;
            case kSpecial: {
                const int r = static_cast<int>(rng() % 16);
                x = r == 0 ? nan : r == 1 ? -nan : r == 2 ? inf : r == 3 ? -inf : r == 4 ? denormal()
                  : r == 5 ? -denormal() * 3.0f : r == 6 ? 0.0f : r == 7 ? -0.0f : u(rng);
                break;
            }
            case kZeros: x = rng() & 1 ? 0.0f : -0.0f; break;
            case kAscending: x = static_cast<float>(i) * (i & 1 ? -0.5f : 0.5f); break;
            case kDescending: x = static_cast<float>(n - i) * (i & 2 ? -1.0f : 1.0f); break;
            case kLogUniform: x = std::ldexp(1.0f + 0.5f * u(rng), static_cast<int>(rng() % 200) - 100); break;
            case kBoundaryTies: x = rng() % 4 == 0 ? 2.0f + u(rng) : (rng() & 1 ? 1.5f : -1.5f); break;
            default: x = 0.0f;
        }
    }
    return v;
}

struct TopkRun {
    std::vector<int32_t> idx;
    std::vector<float> val;
};

// Runs the kernel on rows x n (stride ldx) with idx stride k+2 and val stride k+1, all outputs poisoned.
TopkRun run_topk(const std::vector<float>& x, int64_t rows, int64_t n, int64_t ldx, int64_t k, bool with_val) {
    TopkRun out;
    const int64_t ldi = k + 2, ldv = k + 1;
    out.idx = poisoned_idx(static_cast<size_t>(rows * ldi));
    out.val = poisoned(static_cast<size_t>(rows * ldv));
    int64_t bytes = 0;
    EXPECT_EQ(mp_topk_abs_rows_workspace_size(n, k, &bytes), MP_OK) << mp_last_error();
    std::vector<unsigned char> ws(static_cast<size_t>(bytes) + 3);
    // An odd workspace address: the kernels align it themselves.
    EXPECT_EQ(mp_topk_abs_rows_f32(x.data(), rows, n, ldx, k, out.idx.data(), ldi, with_val ? out.val.data() : nullptr,
                                   ldv, ws.data() + 3, bytes),
              MP_OK)
        << mp_last_error();
    EXPECT_TRUE(padding_untouched(out.idx, rows, k, ldi));
    EXPECT_TRUE(padding_untouched(out.val, with_val ? rows : 0, k, ldv));
    return out;
}

std::vector<int64_t> ks_for(int64_t n) {
    std::vector<int64_t> ks{1, 2, 3, 8, 16, 20, 24, 40, 64, 65, 100, n / 100 + 1, n / 50 + 1, n / 4, n / 4 + 1, n / 2, n - 1, n};
    std::vector<int64_t> out;
    for (int64_t k : ks)
        if (k >= 1 && k <= n && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    return out;
}

// Checks one row's result against the reference (indices and signed values, bitwise).
void expect_row(const float* x, const std::vector<int32_t>& order, int64_t k, const int32_t* idx, const float* val,
                const std::string& what) {
    const std::vector<int32_t> want = top_of(order, k);
    for (int64_t j = 0; j < k; j++) {
        ASSERT_EQ(idx[j], want[static_cast<size_t>(j)]) << what << " position " << j;
        if (val != nullptr) ASSERT_TRUE(same_bits(val[j], x[want[static_cast<size_t>(j)]])) << what << " value " << j;
    }
}

void check_shapes(const std::vector<int64_t>& ns, const std::vector<Kind>& kinds) {
    for (int64_t n : ns) {
        for (Kind kind : kinds) {
            const int64_t rows = 2, ldx = n + 3;
            std::vector<float> x(static_cast<size_t>(rows * ldx), 123.0f);  // the padding is large: never selected
            std::vector<std::vector<int32_t>> orders;
            for (int64_t r = 0; r < rows; r++) {
                const std::vector<float> row = make_row(kind, n, 1000 * n + 10 * kind + r);
                std::copy(row.begin(), row.end(), x.begin() + r * ldx);
                orders.push_back(full_order(x.data() + r * ldx, n));
            }
            for (int64_t k : ks_for(n)) {
                for (int32_t isa : isas()) {
                    IsaScope scope(isa);
                    const bool with_val = (k & 1) != 0 || k == n;
                    const TopkRun got = run_topk(x, rows, n, ldx, k, with_val);
                    for (int64_t r = 0; r < rows; r++) {
                        const std::string what = std::string(isa_name(isa)) + " n=" + std::to_string(n) + " k=" +
                                                 std::to_string(k) + " kind=" + std::to_string(kind) + " row " +
                                                 std::to_string(r);
                        expect_row(x.data() + r * ldx, orders[static_cast<size_t>(r)], k, got.idx.data() + r * (k + 2),
                                   with_val ? got.val.data() + r * (k + 1) : nullptr, what);
                        if (::testing::Test::HasFatalFailure()) return;
                    }
                }
            }
        }
    }
}

}  // namespace

TEST(TopkRows, SmallAndOddLengthsMatchReference) {
    check_shapes({1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 100},
                 {kUniform, kTies, kSpecial, kZeros, kAscending, kDescending, kLogUniform, kBoundaryTies});
}

TEST(TopkRows, MediumLengthsMatchReference) {
    check_shapes({500, 1000, 1001}, {kUniform, kNormal, kTies, kSpecial, kZeros, kDescending, kLogUniform, kBoundaryTies});
}

TEST(TopkRows, LongRowsMatchReference) {
    check_shapes({2048, 8193}, {kNormal, kTies, kSpecial, kAscending, kLogUniform, kBoundaryTies});
}

TEST(TopkRows, NanRanksAboveInfinityAndTiesGoToTheLowerIndex) {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    const std::vector<float> x = {1.0f, -inf, 2.0f, nan, -2.0f, inf, -nan, 0.0f, 2.0f};
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        const TopkRun r3 = run_topk(x, 1, 9, 9, 3, true);
        EXPECT_EQ(r3.idx[0], 1);  // two NaNs, then the first infinity
        EXPECT_EQ(r3.idx[1], 3);
        EXPECT_EQ(r3.idx[2], 6);
        const TopkRun r5 = run_topk(x, 1, 9, 9, 5, true);
        EXPECT_EQ(std::vector<int32_t>(r5.idx.begin(), r5.idx.begin() + 5), (std::vector<int32_t>{1, 2, 3, 5, 6}));
        EXPECT_TRUE(same_bits(r5.val[0], -inf));
        EXPECT_TRUE(same_bits(r5.val[1], 2.0f));
        EXPECT_TRUE(std::isnan(r5.val[2]));
        const TopkRun r6 = run_topk(x, 1, 9, 9, 6, false);  // |2| ties: indices 2, 4, 8 -> 2 wins
        EXPECT_EQ(std::vector<int32_t>(r6.idx.begin(), r6.idx.begin() + 6), (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
    }
}

TEST(TopkRows, DenormalsRankAboveZeroAndKeepTheirBits) {
    std::vector<float> x(40, 0.0f);
    x[7] = -denormal();
    x[30] = denormal() * 2.0f;
    x[33] = -0.0f;
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        const TopkRun r = run_topk(x, 1, 40, 40, 3, true);
        EXPECT_EQ(std::vector<int32_t>(r.idx.begin(), r.idx.begin() + 3), (std::vector<int32_t>{0, 7, 30}));
        EXPECT_TRUE(same_bits(r.val[1], -denormal()));
        EXPECT_TRUE(same_bits(r.val[2], denormal() * 2.0f));
    }
}

// The AVX2 kernel guesses bounds from a sample of S 8-element chunks at (v * (((n - 8) << 16) / (S - 1))) >> 16;
// rows whose sampled chunks are unrepresentative make every guess wrong in turn (lo too high, hi too low) and must
// still be exact.
TEST(TopkRows, AdversarialRowsForTheSampledBoundsAreExact) {
    const int64_t n = 8192;
    std::vector<bool> sampled(static_cast<size_t>(n), false);
    for (int64_t vectors : {8, 16, 32, 64, 128}) {
        for (int64_t v = 0; v < vectors; v++) {
            const int64_t off = (v * (((n - 8) << 16) / (vectors - 1))) >> 16;
            for (int64_t i = 0; i < 8; i++) sampled[static_cast<size_t>(off + i)] = true;
        }
    }
    for (int pattern = 0; pattern < 5; pattern++) {
        std::vector<float> x(static_cast<size_t>(n));
        std::mt19937_64 rng(77 + pattern);
        std::uniform_real_distribution<float> u(0.0f, 0.25f);
        for (int64_t i = 0; i < n; i++) {
            const bool s = sampled[static_cast<size_t>(i)];
            switch (pattern) {
                case 0: x[i] = s ? 2.0f + u(rng) : 1.0f + u(rng); break;  // sample overestimates
                case 1: x[i] = s ? 1.0f + u(rng) : 2.0f + u(rng); break;  // sample underestimates
                case 2: x[i] = s ? 2.0f : 1.0f; break;                    // plus exact ties
                case 3: x[i] = s ? -1.0f : (i % 3 ? 3.0f : -3.0f); break;
                default: x[i] = (0.5f + 4.0f * u(rng)) * (s ? 1.15f : 1.0f); break;  // mildly biased sample
            }
        }
        const std::vector<int32_t> order = full_order(x.data(), n);
        for (int64_t k : {1, 20, 64, 65, 100, 300, 1000, 2047, 2049, 3000, 4096, 6000, 8000}) {
            for (int32_t isa : isas()) {
                IsaScope scope(isa);
                const TopkRun got = run_topk(x, 1, n, n, k, true);
                expect_row(x.data(), order, k, got.idx.data(), got.val.data(),
                           std::string(isa_name(isa)) + " pattern " + std::to_string(pattern) + " k=" + std::to_string(k));
                if (HasFatalFailure()) return;
            }
        }
    }
}

TEST(TopkRows, ScalarAndAvx2AgreeOnManyRandomRows) {
    MPTEST_REQUIRE_AVX2();
    std::mt19937_64 rng(5);
    for (int trial = 0; trial < 60; trial++) {
        const int64_t n = 1 + static_cast<int64_t>(rng() % 3000), k = 1 + static_cast<int64_t>(rng() % n);
        const Kind kind = static_cast<Kind>(rng() % kKinds);
        const int64_t rows = 1 + static_cast<int64_t>(rng() % 3), ldx = n + static_cast<int64_t>(rng() % 5);
        std::vector<float> x(static_cast<size_t>(rows * ldx));
        for (int64_t r = 0; r < rows; r++) {
            const std::vector<float> row = make_row(kind, n, rng());
            std::copy(row.begin(), row.end(), x.begin() + r * ldx);
        }
        TopkRun a, b;
        {
            IsaScope s(MP_ISA_SCALAR);
            a = run_topk(x, rows, n, ldx, k, true);
        }
        {
            IsaScope s(MP_ISA_AVX2);
            b = run_topk(x, rows, n, ldx, k, true);
        }
        ASSERT_EQ(a.idx, b.idx) << "n=" << n << " k=" << k << " kind=" << kind;
        for (size_t i = 0; i < a.val.size(); i++) ASSERT_TRUE(same_bits(a.val[i], b.val[i]));
    }
}

TEST(TopkRows, WorkspaceSizeQuery) {
    int64_t bytes = -1;
    ASSERT_EQ(mp_topk_abs_rows_workspace_size(500, 20, &bytes), MP_OK);
    EXPECT_GE(bytes, 500 * 4);
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_workspace_size(0, 1, &bytes), MP_ERR_INVALID_ARGUMENT,
                           {"mp_topk_abs_rows_workspace_size", "n = 0"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_workspace_size(10, 11, &bytes), MP_ERR_INVALID_ARGUMENT,
                           {"k = 11 is out of range [1, n = 10]"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_workspace_size(10, 0, &bytes), MP_ERR_INVALID_ARGUMENT, {"k = 0"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_workspace_size(int64_t{1} << 31, 5, &bytes), MP_ERR_INVALID_ARGUMENT,
                           {"n = 2147483648", "int32"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_workspace_size(10, 5, nullptr), MP_ERR_INVALID_ARGUMENT, {"bytes is NULL"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_unified_workspace_size(0, 10, 5, &bytes), MP_ERR_INVALID_ARGUMENT,
                           {"mp_topk_abs_unified_workspace_size", "rows = 0"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_unified_workspace_size(2, 10, 12, &bytes), MP_ERR_INVALID_ARGUMENT, {"k = 12"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_unified_workspace_size(2, 10, 5, nullptr), MP_ERR_INVALID_ARGUMENT, {"bytes"}));
}

TEST(TopkRows, EveryBadArgumentIsNamedAndNothingIsWritten) {
    ThreadScope threads(1);  // the size query then asks for exactly the one row workspace the call needs
    const int64_t rows = 2, n = 50, k = 5;
    const std::vector<float> x = random_floats(static_cast<size_t>(rows * n), 9);
    int64_t bytes = 0;
    ASSERT_EQ(mp_topk_abs_rows_workspace_size(n, k, &bytes), MP_OK);
    std::vector<unsigned char> ws(static_cast<size_t>(bytes));
    std::vector<int32_t> idx = poisoned_idx(static_cast<size_t>(rows * k));
    std::vector<float> val = poisoned(static_cast<size_t>(rows * k));
    const float* X = x.data();
    int32_t* I = idx.data();
    float* V = val.data();
    void* W = ws.data();
    const char* fn = "mp_topk_abs_rows_f32";
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(nullptr, rows, n, n, k, I, k, V, k, W, bytes), MP_ERR_INVALID_ARGUMENT, {fn, "x is NULL"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(X, rows, n, n, k, nullptr, k, V, k, W, bytes), MP_ERR_INVALID_ARGUMENT, {"idx is NULL"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(X, 0, n, n, k, I, k, V, k, W, bytes), MP_ERR_INVALID_ARGUMENT, {"rows = 0"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(X, rows, 0, n, k, I, k, V, k, W, bytes), MP_ERR_INVALID_ARGUMENT, {"n = 0"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(X, rows, n, n - 1, k, I, k, V, k, W, bytes), MP_ERR_INVALID_ARGUMENT,
                           {"ldx = 49 is less than n = 50"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(X, rows, n, n, 0, I, k, V, k, W, bytes), MP_ERR_INVALID_ARGUMENT,
                           {"mp_topk_abs_rows_f32: k = 0 is out of range [1, n = 50]"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(X, rows, n, n, n + 1, I, n + 1, V, n + 1, W, bytes), MP_ERR_INVALID_ARGUMENT,
                           {"k = 51 is out of range [1, n = 50]"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(X, rows, n, n, k, I, k - 1, V, k, W, bytes), MP_ERR_INVALID_ARGUMENT,
                           {"ldi = 4 is less than k = 5"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(X, rows, n, n, k, I, k, V, k - 2, W, bytes), MP_ERR_INVALID_ARGUMENT,
                           {"ldv = 3 is less than k = 5"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(X, rows, n, n, k, I, k, V, k, nullptr, bytes), MP_ERR_INVALID_ARGUMENT,
                           {"workspace is NULL"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(X, rows, n, n, k, I, k, V, k, W, bytes - 1), MP_ERR_WORKSPACE_TOO_SMALL,
                           {"workspace_bytes = " + std::to_string(bytes - 1) + " is less than the " + std::to_string(bytes) + " bytes needed"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(X, rows, int64_t{1} << 31, int64_t{1} << 31, k, I, k, V, k, W, bytes),
                           MP_ERR_INVALID_ARGUMENT, {"n = 2147483648 exceeds the int32 index range"}));
    for (int32_t v : idx) EXPECT_EQ(v, kPoisonIndex);
    for (float v : val) EXPECT_EQ(bits_of(v), kPoisonBits);
    // val == NULL needs no ldv.
    EXPECT_EQ(mp_topk_abs_rows_f32(X, rows, n, n, k, I, k, nullptr, 0, W, bytes), MP_OK) << mp_last_error();
    EXPECT_STREQ(mp_last_error(), "");
}

// ---- unified ----------------------------------------------------------------------------------------------------

namespace {

std::vector<float> ref_col_abs_sums(const std::vector<float>& x, int64_t rows, int64_t n, int64_t ldx) {
    std::vector<float> s(static_cast<size_t>(n), 0.0f);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < n; c++) s[c] = daz(s[c] + daz(std::fabs(x[r * ldx + c])));
    return s;
}

}  // namespace

TEST(TopkUnified, MatchesReferenceOnSumsOfMagnitudes) {
    for (int64_t n : {1, 7, 9, 64, 500, 1000, 8193}) {
        for (int64_t rows : {1, 3, 100}) {
            if (rows * n > 300000) continue;
            const int64_t ldx = n + 5;
            std::vector<float> x = random_normal(static_cast<size_t>(rows * ldx), 31 * n + rows);
            if (n > 8) {
                x[3] = std::numeric_limits<float>::quiet_NaN();  // column 3 ranks first
                x[5] = denormal();                               // read as 0
                for (int64_t r = 0; r < rows; r++) x[r * ldx + 7] = (r & 1) ? 0.25f : -0.25f;  // ties with column 8
                for (int64_t r = 0; r < rows; r++) x[r * ldx + 8] = 0.25f;
            }
            const std::vector<float> sums = ref_col_abs_sums(x, rows, n, ldx);
            const std::vector<int32_t> order = full_order(sums.data(), n);
            for (int64_t k : ks_for(n)) {
                for (int32_t isa : isas()) {
                    IsaScope scope(isa);
                    int64_t bytes = 0;
                    ASSERT_EQ(mp_topk_abs_unified_workspace_size(rows, n, k, &bytes), MP_OK);
                    std::vector<unsigned char> ws(static_cast<size_t>(bytes));
                    std::vector<int32_t> idx = poisoned_idx(static_cast<size_t>(k + 3));
                    std::vector<float> got_sums = poisoned(static_cast<size_t>(n + 2));
                    ASSERT_EQ(mp_topk_abs_unified_f32(x.data(), rows, n, ldx, k, idx.data(), got_sums.data(), ws.data(), bytes), MP_OK)
                        << mp_last_error();
                    const std::string what = std::string(isa_name(isa)) + " n=" + std::to_string(n) + " rows=" +
                                             std::to_string(rows) + " k=" + std::to_string(k);
                    expect_row(sums.data(), order, k, idx.data(), nullptr, what);
                    EXPECT_TRUE(padding_untouched(idx, 1, k, k + 3)) << what;
                    for (int64_t c = 0; c < n; c++) ASSERT_TRUE(same_bits(got_sums[c], sums[c])) << what << " sum " << c;
                    EXPECT_TRUE(padding_untouched(got_sums, 1, n, n + 2)) << what;
                    // Without the optional sums output.
                    std::vector<int32_t> idx2 = poisoned_idx(static_cast<size_t>(k));
                    ASSERT_EQ(mp_topk_abs_unified_f32(x.data(), rows, n, ldx, k, idx2.data(), nullptr, ws.data(), bytes), MP_OK);
                    ASSERT_TRUE(std::equal(idx2.begin(), idx2.end(), idx.begin())) << what;
                }
            }
        }
    }
}

TEST(TopkUnified, EveryBadArgumentIsNamedAndNothingIsWritten) {
    const int64_t rows = 3, n = 20, k = 4;
    const std::vector<float> x = random_floats(static_cast<size_t>(rows * n), 3);
    int64_t bytes = 0;
    ASSERT_EQ(mp_topk_abs_unified_workspace_size(rows, n, k, &bytes), MP_OK);
    std::vector<unsigned char> ws(static_cast<size_t>(bytes));
    std::vector<int32_t> idx = poisoned_idx(static_cast<size_t>(k));
    std::vector<float> sums = poisoned(static_cast<size_t>(n));
    const float* X = x.data();
    int32_t* I = idx.data();
    float* S = sums.data();
    void* W = ws.data();
    EXPECT_TRUE(fails_with(mp_topk_abs_unified_f32(nullptr, rows, n, n, k, I, S, W, bytes), MP_ERR_INVALID_ARGUMENT,
                           {"mp_topk_abs_unified_f32", "x is NULL"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_unified_f32(X, rows, n, n, k, nullptr, S, W, bytes), MP_ERR_INVALID_ARGUMENT, {"idx is NULL"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_unified_f32(X, 0, n, n, k, I, S, W, bytes), MP_ERR_INVALID_ARGUMENT, {"rows = 0"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_unified_f32(X, rows, -3, n, k, I, S, W, bytes), MP_ERR_INVALID_ARGUMENT, {"n = -3"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_unified_f32(X, rows, n, 19, k, I, S, W, bytes), MP_ERR_INVALID_ARGUMENT, {"ldx = 19 is less than n = 20"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_unified_f32(X, rows, n, n, 21, I, S, W, bytes), MP_ERR_INVALID_ARGUMENT, {"k = 21 is out of range [1, n = 20]"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_unified_f32(X, rows, n, n, k, I, S, nullptr, bytes), MP_ERR_INVALID_ARGUMENT, {"workspace is NULL"}));
    EXPECT_TRUE(fails_with(mp_topk_abs_unified_f32(X, rows, n, n, k, I, S, W, 16), MP_ERR_WORKSPACE_TOO_SMALL, {"workspace_bytes = 16"}));
    for (int32_t v : idx) EXPECT_EQ(v, kPoisonIndex);
    for (float v : sums) EXPECT_EQ(bits_of(v), kPoisonBits);
}

// Batches large enough to be split over threads (short rows in runs of several, long rows one by one) and one too
// small to be: the same bits with 1 and 2 threads.
TEST(TopkRows, ResultsDoNotDependOnTheThreadCount) {
    struct Shape { int64_t rows, n, k; };
    for (const Shape& s : {Shape{3, 8193, 300}, Shape{100, 500, 20}, Shape{41, 777, 1}, Shape{9, 2048, 2048}, Shape{5, 500, 7}}) {
        std::vector<float> x(static_cast<size_t>(s.rows * s.n));
        for (int64_t r = 0; r < s.rows; r++) {
            const std::vector<float> row = make_row(static_cast<Kind>(r % (kKinds - 1) + 1), s.n, 900 + r);
            std::copy(row.begin(), row.end(), x.begin() + r * s.n);
        }
        for (int32_t isa : isas()) {
            IsaScope scope(isa);
            TopkRun one, two;
            {
                ThreadScope t(1);
                one = run_topk(x, s.rows, s.n, s.n, s.k, true);
            }
            {
                ThreadScope t(2);
                two = run_topk(x, s.rows, s.n, s.n, s.k, true);
            }
            EXPECT_EQ(one.idx, two.idx) << isa_name(isa) << " rows=" << s.rows << " n=" << s.n << " k=" << s.k;
            for (size_t i = 0; i < one.val.size(); i++) ASSERT_TRUE(same_bits(one.val[i], two.val[i]));
        }
    }
}

// The size query covers one row workspace per thread; a workspace with room for fewer runs on fewer threads, and
// one smaller than a single row workspace is an error.
TEST(TopkRows, WorkspaceHoldsOneRowWorkspacePerThread) {
    const int64_t rows = 64, n = 1000, k = 20;
    int64_t one = 0, two = 0;
    {
        ThreadScope t(1);
        ASSERT_EQ(mp_topk_abs_rows_workspace_size(n, k, &one), MP_OK);
    }
    ThreadScope t(2);
    ASSERT_EQ(mp_topk_abs_rows_workspace_size(n, k, &two), MP_OK);
    EXPECT_EQ(two, 2 * one);

    std::vector<float> x(static_cast<size_t>(rows * n));
    for (int64_t r = 0; r < rows; r++) {
        const std::vector<float> row = make_row(kUniform, n, 77 + r);
        std::copy(row.begin(), row.end(), x.begin() + r * n);
    }
    const TopkRun want = run_topk(x, rows, n, n, k, false);
    std::vector<unsigned char> ws(static_cast<size_t>(one));
    std::vector<int32_t> idx = poisoned_idx(static_cast<size_t>(rows * k));
    ASSERT_EQ(mp_topk_abs_rows_f32(x.data(), rows, n, n, k, idx.data(), k, nullptr, 0, ws.data(), one), MP_OK)
        << mp_last_error();
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < k; j++) ASSERT_EQ(idx[r * k + j], want.idx[r * (k + 2) + j]);

    std::vector<int32_t> untouched = poisoned_idx(static_cast<size_t>(rows * k));
    EXPECT_TRUE(fails_with(mp_topk_abs_rows_f32(x.data(), rows, n, n, k, untouched.data(), k, nullptr, 0, ws.data(), one - 1),
                           MP_ERR_WORKSPACE_TOO_SMALL,
                           {"workspace_bytes = " + std::to_string(one - 1) + " is less than the " + std::to_string(one) +
                            " bytes needed"}));
    for (int32_t v : untouched) EXPECT_EQ(v, kPoisonIndex);
}

// Long rows with small k take the AVX2 sparse filter (64-element masks scanned bit by bit, the first write per
// block unconditional): blocks with 0, 1, 4, 5 and all 64 survivors (bit 63 included), clustered NaNs, ties at the
// threshold, all-equal rows and lengths with a partial last block.
TEST(TopkRows, SparseFilterBlocksOfEveryDensityAreExact) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int64_t n : {8192, 8193, 8255, 20000, 65541}) {
        for (int pattern = 0; pattern < 6; pattern++) {
            std::vector<float> x(static_cast<size_t>(n));
            std::mt19937_64 rng(900 + 7 * n + pattern);
            std::normal_distribution<float> g(0.0f, 1.0f);
            for (int64_t i = 0; i < n; i++) x[i] = g(rng);
            for (int64_t i = 0; i < n; i++) {
                const int64_t block = i / 64, lane = i % 64;
                switch (pattern) {
                    case 0:  // every 7th block full of large values, every 5th with 5 survivors, lane 63 too
                        if (block % 7 == 3) x[i] = 10.0f + g(rng);
                        else if (block % 5 == 1 && (lane < 4 || lane == 63)) x[i] = -20.0f - static_cast<float>(lane);
                        break;
                    case 1:  // NaN-heavy clusters
                        if (block % 9 == 2 && lane % 3 != 1) x[i] = (lane & 1) ? -nan : nan;
                        break;
                    case 2:  // many ties exactly at the threshold
                        if (rng() % 20 == 0) x[i] = (rng() & 1) ? 3.0f : -3.0f;
                        break;
                    case 3: x[i] = (i & 1) ? -1.0f : 1.0f; break;  // all equal magnitudes
                    case 4:  // survivors only in the partial last block and at lane 63 of the first
                        x[i] = 0.5f * x[i];
                        if (i >= n - (n % 64) || i == 63) x[i] = 50.0f + static_cast<float>(i % 3);
                        break;
                    default: if (block % 2 == 0 && lane >= 60) x[i] = 5.0f + g(rng) * 0.01f; break;
                }
            }
            const std::vector<int32_t> order = full_order(x.data(), n);
            for (int64_t k : {int64_t{1}, int64_t{7}, n / 200, n / 100, n / 100 + 1, n / 50, n / 40, n / 8, n / 8 + 1}) {
                if (k < 1) continue;
                for (int32_t isa : isas()) {
                    IsaScope scope(isa);
                    const TopkRun got = run_topk(x, 1, n, n, k, (k & 1) != 0);
                    expect_row(x.data(), order, k, got.idx.data(), (k & 1) != 0 ? got.val.data() : nullptr,
                               std::string(isa_name(isa)) + " n=" + std::to_string(n) + " pattern " +
                                   std::to_string(pattern) + " k=" + std::to_string(k));
                    if (HasFatalFailure()) return;
                }
            }
        }
    }
}
