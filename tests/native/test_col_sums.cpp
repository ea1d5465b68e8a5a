// mp_col_sums_f32 / mp_col_abs_sums_f32: row-order sums from the start value, bitwise equal to an independent loop
// (with the FTZ/DAZ the kernels run under) in both ISAs, padding untouched, NaN propagation, every error path.
#include "test_support.h"

using namespace mptest;

namespace {

std::vector<float> ref_sums(const std::vector<float>& x, int64_t rows, int64_t cols, int64_t ldx,
                            const std::vector<float>& start, bool accumulate, bool absolute) {
    std::vector<float> out(static_cast<size_t>(cols));
    for (int64_t c = 0; c < cols; c++) {
        float s = accumulate ? daz(start[c]) : 0.0f;
        for (int64_t r = 0; r < rows; r++) {
            const float v = daz(x[r * ldx + c]);
            s = daz(s + (absolute ? std::fabs(v) : v));
        }
        out[c] = s;
    }
    return out;
}

void check(int64_t rows, int64_t cols, int64_t ldx, bool absolute, bool accumulate, uint64_t seed, bool specials) {
    std::vector<float> x = random_normal(static_cast<size_t>(rows * ldx), seed);
    if (specials) {
        std::mt19937_64 rng(seed);
        for (auto& v : x) {
            const int r = static_cast<int>(rng() % 40);
            if (r == 0) v = denormal();
            if (r == 1) v = -denormal();
            if (r == 2) v = -0.0f;
        }
        x[static_cast<size_t>((rows - 1) * ldx + cols / 2)] = std::numeric_limits<float>::quiet_NaN();
        x[0] = std::numeric_limits<float>::infinity();
    }
    const std::vector<float> start = random_floats(static_cast<size_t>(cols), seed + 1, -4.0f, 4.0f);
    const std::vector<float> want = ref_sums(x, rows, cols, ldx, start, accumulate, absolute);
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        std::vector<float> out = poisoned(static_cast<size_t>(cols + 9));
        if (accumulate) std::copy(start.begin(), start.end(), out.begin());
        const mp_status st = absolute ? mp_col_abs_sums_f32(x.data(), rows, cols, ldx, out.data())
                                      : mp_col_sums_f32(x.data(), rows, cols, ldx, out.data(), accumulate ? 1 : 0);
        ASSERT_EQ(st, MP_OK) << mp_last_error();
        for (int64_t c = 0; c < cols; c++)
            ASSERT_TRUE(same_bits(out[c], want[c]) || (std::isnan(out[c]) && std::isnan(want[c])))
                << isa_name(isa) << " rows=" << rows << " cols=" << cols << " abs=" << absolute << " acc=" << accumulate
                << " col " << c << ": " << out[c] << " vs " << want[c];
        EXPECT_TRUE(padding_untouched(out, 1, cols, cols + 9));
    }
}

}  // namespace

TEST(ColSums, MatchReferenceOnManyShapes) {
    for (int64_t cols : {1, 7, 8, 9, 31, 63, 64, 65, 100, 130, 500, 1000})
        for (int64_t rows : {1, 2, 5, 100})
            for (int variant = 0; variant < 3; variant++)
                check(rows, cols, cols + (variant == 2 ? 3 : 0), variant == 0, variant == 1, 100 * cols + rows, false);
}

TEST(ColSums, NanInfDenormalsAndSignedZeros) {
    for (int64_t cols : {5, 64, 77})
        for (int variant = 0; variant < 3; variant++) check(9, cols, cols + 1, variant == 0, variant == 1, cols, true);
    // All -0: a plain sum starts at +0 and stays +0; denormals alone sum to 0 under DAZ.
    const std::vector<float> z(12, -0.0f), d(12, denormal());
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        std::vector<float> out(4, 1.0f);
        ASSERT_EQ(mp_col_sums_f32(z.data(), 3, 4, 4, out.data(), 0), MP_OK);
        for (float v : out) EXPECT_EQ(bits_of(v), 0u);
        ASSERT_EQ(mp_col_abs_sums_f32(d.data(), 3, 4, 4, out.data()), MP_OK);
        for (float v : out) EXPECT_EQ(bits_of(v), 0u);
    }
}

TEST(ColSums, ScalarAndAvx2AreBitwiseEqual) {
    MPTEST_REQUIRE_AVX2();
    const int64_t rows = 37, cols = 1234, ldx = 1240;
    const std::vector<float> x = random_floats(static_cast<size_t>(rows * ldx), 11, -1e3f, 1e3f);
    std::vector<float> a(static_cast<size_t>(cols), 0.5f), b = a, c(static_cast<size_t>(cols)), d(c);
    {
        IsaScope s(MP_ISA_SCALAR);
        ASSERT_EQ(mp_col_sums_f32(x.data(), rows, cols, ldx, a.data(), 1), MP_OK);
        ASSERT_EQ(mp_col_abs_sums_f32(x.data(), rows, cols, ldx, c.data()), MP_OK);
    }
    {
        IsaScope s(MP_ISA_AVX2);
        ASSERT_EQ(mp_col_sums_f32(x.data(), rows, cols, ldx, b.data(), 1), MP_OK);
        ASSERT_EQ(mp_col_abs_sums_f32(x.data(), rows, cols, ldx, d.data()), MP_OK);
    }
    for (int64_t i = 0; i < cols; i++) {
        ASSERT_TRUE(same_bits(a[i], b[i])) << i;
        ASSERT_TRUE(same_bits(c[i], d[i])) << i;
    }
}

TEST(ColSums, EveryBadArgumentIsNamedAndNothingIsWritten) {
    const std::vector<float> x(20, 1.0f);
    std::vector<float> out = poisoned(5);
    float* o = out.data();
    const float* X = x.data();
    EXPECT_TRUE(fails_with(mp_col_sums_f32(nullptr, 4, 5, 5, o, 0), MP_ERR_INVALID_ARGUMENT, {"mp_col_sums_f32: x is NULL"}));
    EXPECT_TRUE(fails_with(mp_col_sums_f32(X, 4, 5, 5, nullptr, 0), MP_ERR_INVALID_ARGUMENT, {"out is NULL"}));
    EXPECT_TRUE(fails_with(mp_col_sums_f32(X, 0, 5, 5, o, 0), MP_ERR_INVALID_ARGUMENT, {"rows = 0 must be >= 1"}));
    EXPECT_TRUE(fails_with(mp_col_sums_f32(X, 4, 0, 5, o, 0), MP_ERR_INVALID_ARGUMENT, {"cols = 0 must be >= 1"}));
    EXPECT_TRUE(fails_with(mp_col_sums_f32(X, 4, 5, 4, o, 1), MP_ERR_INVALID_ARGUMENT, {"ldx = 4 is less than cols = 5"}));
    EXPECT_TRUE(fails_with(mp_col_abs_sums_f32(nullptr, 4, 5, 5, o), MP_ERR_INVALID_ARGUMENT, {"mp_col_abs_sums_f32: x is NULL"}));
    EXPECT_TRUE(fails_with(mp_col_abs_sums_f32(X, 4, 5, 5, nullptr), MP_ERR_INVALID_ARGUMENT, {"out is NULL"}));
    EXPECT_TRUE(fails_with(mp_col_abs_sums_f32(X, -1, 5, 5, o), MP_ERR_INVALID_ARGUMENT, {"rows = -1"}));
    EXPECT_TRUE(fails_with(mp_col_abs_sums_f32(X, 4, -2, 5, o), MP_ERR_INVALID_ARGUMENT, {"cols = -2"}));
    EXPECT_TRUE(fails_with(mp_col_abs_sums_f32(X, 4, 5, 3, o), MP_ERR_INVALID_ARGUMENT, {"ldx = 3 is less than cols = 5"}));
    for (float v : out) EXPECT_EQ(bits_of(v), kPoisonBits);
    ASSERT_EQ(mp_col_sums_f32(X, 4, 5, 5, o, 0), MP_OK);
    EXPECT_STREQ(mp_last_error(), "");
}

TEST(ColSums, ResultsDoNotDependOnTheThreadCount) {
    const int64_t rows = 50, cols = 777;
    const std::vector<float> x = random_normal(static_cast<size_t>(rows * cols), 8);
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        std::vector<float> a(static_cast<size_t>(cols)), b(a);
        {
            ThreadScope t(1);
            ASSERT_EQ(mp_col_sums_f32(x.data(), rows, cols, cols, a.data(), 0), MP_OK);
        }
        {
            ThreadScope t(2);
            ASSERT_EQ(mp_col_sums_f32(x.data(), rows, cols, cols, b.data(), 0), MP_OK);
        }
        for (int64_t c = 0; c < cols; c++) ASSERT_TRUE(same_bits(a[c], b[c])) << isa_name(isa);
    }
}
