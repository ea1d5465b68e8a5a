// mp_randk_rows / mp_randk_unified: k distinct ascending columns, a pure function of (seed, row) whatever the batch
// split and ISA, roughly uniform, padding untouched, every error path.
#include <algorithm>
#include <map>
#include <set>

#include "test_support.h"

using namespace mptest;

namespace {

std::vector<int32_t> randk_rows(int64_t rows, int64_t n, int64_t k, uint64_t seed, int64_t first_row, int64_t ldi) {
    int64_t bytes = 0;
    EXPECT_EQ(mp_randk_workspace_size(n, k, &bytes), MP_OK);
    EXPECT_EQ(bytes, n * 4);
    std::vector<int32_t> ws(static_cast<size_t>(n), -7);
    std::vector<int32_t> idx = poisoned_idx(static_cast<size_t>(rows * ldi));
    EXPECT_EQ(mp_randk_rows(rows, n, k, seed, first_row, idx.data(), ldi, ws.data(), bytes), MP_OK) << mp_last_error();
    EXPECT_TRUE(padding_untouched(idx, rows, k, ldi));
    return idx;
}

void expect_valid_row(const int32_t* row, int64_t n, int64_t k) {
    for (int64_t j = 0; j < k; j++) {
        ASSERT_GE(row[j], 0);
        ASSERT_LT(row[j], n);
        if (j > 0) ASSERT_LT(row[j - 1], row[j]) << "not strictly ascending at " << j;
    }
}

}  // namespace

TEST(Randk, RowsAreDistinctAscendingAndInRange) {
    for (int64_t n : {1, 2, 7, 9, 64, 100, 500, 1000, 8193})
        for (int64_t k : {int64_t{1}, int64_t{2}, n / 3, n / 2, n - 1, n, int64_t{64}, int64_t{65}}) {
            if (k < 1 || k > n) continue;
            const int64_t rows = 3, ldi = k + 2;
            const std::vector<int32_t> idx = randk_rows(rows, n, k, 99 + n, 5, ldi);
            for (int64_t r = 0; r < rows; r++) expect_valid_row(idx.data() + r * ldi, n, k);
            if (k == n)
                for (int64_t j = 0; j < n; j++) ASSERT_EQ(idx[j], j);
        }
}

TEST(Randk, EachRowIsAPureFunctionOfSeedAndRowWhateverTheSplit) {
    const int64_t n = 300, k = 17;
    const std::vector<int32_t> all = randk_rows(10, n, k, 2024, 0, k);
    const std::vector<int32_t> head = randk_rows(4, n, k, 2024, 0, k);
    const std::vector<int32_t> tail = randk_rows(6, n, k, 2024, 4, k);
    EXPECT_TRUE(std::equal(head.begin(), head.end(), all.begin()));
    EXPECT_TRUE(std::equal(tail.begin(), tail.end(), all.begin() + 4 * k));
    // Another seed, another row: different patterns.
    const std::vector<int32_t> other = randk_rows(10, n, k, 2025, 0, k);
    EXPECT_NE(other, all);
    EXPECT_FALSE(std::equal(all.begin(), all.begin() + k, all.begin() + k));
    // The ISA does not matter.
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        EXPECT_EQ(randk_rows(10, n, k, 2024, 0, k), all) << isa_name(isa);
    }
}

TEST(Randk, UnifiedIsAPureFunctionOfSeed) {
    for (int64_t n : {1, 9, 500, 8193})
        for (int64_t k : {int64_t{1}, n / 2 + 1, n}) {
            if (k > n) continue;
            std::vector<int32_t> ws(static_cast<size_t>(n));
            std::vector<int32_t> a = poisoned_idx(static_cast<size_t>(k + 4)), b = a;
            ASSERT_EQ(mp_randk_unified(n, k, 7, a.data(), ws.data(), n * 4), MP_OK) << mp_last_error();
            std::fill(ws.begin(), ws.end(), 12345);  // workspace contents do not matter
            ASSERT_EQ(mp_randk_unified(n, k, 7, b.data(), ws.data(), n * 4), MP_OK);
            EXPECT_EQ(a, b);
            expect_valid_row(a.data(), n, k);
            EXPECT_TRUE(padding_untouched(a, 1, k, k + 4));
        }
    std::vector<int32_t> ws(1000), a(10), b(10);
    ASSERT_EQ(mp_randk_unified(1000, 10, 1, a.data(), ws.data(), 4000), MP_OK);
    ASSERT_EQ(mp_randk_unified(1000, 10, 2, b.data(), ws.data(), 4000), MP_OK);
    EXPECT_NE(a, b);
}

TEST(Randk, ColumnsAndSubsetsAreRoughlyUniform) {
    // n = 6, k = 2: 15 subsets, each with probability 1/15; every column with probability 1/3.
    const int64_t n = 6, k = 2, rows = 30000;
    const std::vector<int32_t> idx = randk_rows(rows, n, k, 31337, 0, k);
    std::map<std::pair<int, int>, int> subsets;
    std::vector<int> columns(n, 0);
    for (int64_t r = 0; r < rows; r++) {
        subsets[{idx[r * k], idx[r * k + 1]}]++;
        columns[idx[r * k]]++;
        columns[idx[r * k + 1]]++;
    }
    EXPECT_EQ(subsets.size(), 15u);
    for (const auto& s : subsets) EXPECT_NEAR(s.second, rows / 15.0, 6 * std::sqrt(rows / 15.0));
    for (int c : columns) EXPECT_NEAR(c, rows * k / static_cast<double>(n), 6 * std::sqrt(rows * 2.0 / 3.0));
    // A large k (the bitmap path): every column with probability k/n.
    const int64_t n2 = 200, k2 = 150, rows2 = 2000;
    const std::vector<int32_t> big = randk_rows(rows2, n2, k2, 5, 0, k2);
    std::vector<int> counts(n2, 0);
    for (int32_t v : big) counts[v]++;
    for (int c : counts) EXPECT_NEAR(c, rows2 * 0.75, 6 * std::sqrt(rows2 * 0.75 * 0.25));
}

TEST(Randk, EveryBadArgumentIsNamedAndNothingIsWritten) {
    const int64_t n = 10, k = 3;
    std::vector<int32_t> ws(n), idx = poisoned_idx(2 * k);
    int32_t* I = idx.data();
    void* W = ws.data();
    int64_t bytes = 0;
    EXPECT_TRUE(fails_with(mp_randk_workspace_size(0, 1, &bytes), MP_ERR_INVALID_ARGUMENT, {"mp_randk_workspace_size: n = 0"}));
    EXPECT_TRUE(fails_with(mp_randk_workspace_size(5, 6, &bytes), MP_ERR_INVALID_ARGUMENT, {"k = 6 is out of range [1, n = 5]"}));
    EXPECT_TRUE(fails_with(mp_randk_workspace_size(5, 2, nullptr), MP_ERR_INVALID_ARGUMENT, {"bytes is NULL"}));
    EXPECT_TRUE(fails_with(mp_randk_rows(2, n, k, 1, 0, nullptr, k, W, n * 4), MP_ERR_INVALID_ARGUMENT, {"mp_randk_rows: idx is NULL"}));
    EXPECT_TRUE(fails_with(mp_randk_rows(0, n, k, 1, 0, I, k, W, n * 4), MP_ERR_INVALID_ARGUMENT, {"rows = 0"}));
    EXPECT_TRUE(fails_with(mp_randk_rows(2, 0, k, 1, 0, I, k, W, n * 4), MP_ERR_INVALID_ARGUMENT, {"n = 0"}));
    EXPECT_TRUE(fails_with(mp_randk_rows(2, n, 0, 1, 0, I, k, W, n * 4), MP_ERR_INVALID_ARGUMENT, {"k = 0 is out of range [1, n = 10]"}));
    EXPECT_TRUE(fails_with(mp_randk_rows(2, n, n + 1, 1, 0, I, n + 1, W, n * 4), MP_ERR_INVALID_ARGUMENT, {"k = 11"}));
    EXPECT_TRUE(fails_with(mp_randk_rows(2, n, k, 1, 0, I, k - 1, W, n * 4), MP_ERR_INVALID_ARGUMENT, {"ldi = 2 is less than k = 3"}));
    EXPECT_TRUE(fails_with(mp_randk_rows(2, n, k, 1, -1, I, k, W, n * 4), MP_ERR_INVALID_ARGUMENT, {"first_row = -1"}));
    EXPECT_TRUE(fails_with(mp_randk_rows(2, n, k, 1, 0, I, k, nullptr, n * 4), MP_ERR_INVALID_ARGUMENT, {"workspace is NULL"}));
    EXPECT_TRUE(fails_with(mp_randk_rows(2, n, k, 1, 0, I, k, W, n * 4 - 1), MP_ERR_WORKSPACE_TOO_SMALL, {"workspace_bytes = 39 is less than the 40 bytes needed"}));
    EXPECT_TRUE(fails_with(mp_randk_rows(2, int64_t{1} << 32, k, 1, 0, I, k, W, n * 4), MP_ERR_INVALID_ARGUMENT, {"int32"}));
    EXPECT_TRUE(fails_with(mp_randk_unified(n, k, 1, nullptr, W, n * 4), MP_ERR_INVALID_ARGUMENT, {"mp_randk_unified: idx is NULL"}));
    EXPECT_TRUE(fails_with(mp_randk_unified(-5, k, 1, I, W, n * 4), MP_ERR_INVALID_ARGUMENT, {"n = -5"}));
    EXPECT_TRUE(fails_with(mp_randk_unified(n, 11, 1, I, W, n * 4), MP_ERR_INVALID_ARGUMENT, {"k = 11"}));
    EXPECT_TRUE(fails_with(mp_randk_unified(n, k, 1, I, nullptr, n * 4), MP_ERR_INVALID_ARGUMENT, {"workspace is NULL"}));
    EXPECT_TRUE(fails_with(mp_randk_unified(n, k, 1, I, W, 8), MP_ERR_WORKSPACE_TOO_SMALL, {"workspace_bytes = 8"}));
    for (int32_t v : idx) EXPECT_EQ(v, kPoisonIndex);
}
