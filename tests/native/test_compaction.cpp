// Gathers and scatters: against plain loops on padded (ld > cols) poisoned buffers in both ISAs; repeated indices
// accumulate in order; out-of-range indices are reported with position and value before anything is written.
#include "test_support.h"

using namespace mptest;

namespace {

std::vector<int32_t> random_indices(int64_t k, int64_t limit, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<int32_t> v(static_cast<size_t>(k));
    for (auto& i : v) i = static_cast<int32_t>(rng() % static_cast<uint64_t>(limit));
    return v;
}

const std::vector<std::pair<int64_t, int64_t>> kShapes = {{1, 1}, {1, 7}, {3, 9}, {2, 64}, {5, 65}, {4, 500}, {2, 1001}};

}  // namespace

TEST(Compaction, GatherColsMatchesReference) {
    for (auto [rows, cols] : kShapes)
        for (int64_t k : {int64_t{1}, cols / 2 + 1, cols + 3}) {
            const int64_t lds = cols + 2, ldd = k + 3;
            const std::vector<float> src = random_floats(static_cast<size_t>(rows * lds), rows * cols + k);
            const std::vector<int32_t> idx = random_indices(k, cols, k);
            for (int32_t isa : isas()) {
                IsaScope scope(isa);
                std::vector<float> dst = poisoned(static_cast<size_t>(rows * ldd));
                ASSERT_EQ(mp_gather_cols_f32(src.data(), rows, cols, lds, idx.data(), k, dst.data(), ldd), MP_OK) << mp_last_error();
                for (int64_t r = 0; r < rows; r++)
                    for (int64_t j = 0; j < k; j++) ASSERT_TRUE(same_bits(dst[r * ldd + j], src[r * lds + idx[j]]));
                EXPECT_TRUE(padding_untouched(dst, rows, k, ldd));
            }
        }
}

TEST(Compaction, GatherColsPerRowMatchesReference) {
    for (auto [rows, cols] : kShapes)
        for (int64_t k : {int64_t{1}, cols / 2 + 1, cols}) {
            const int64_t lds = cols + 1, ldi = k + 2, ldd = k + 1;
            const std::vector<float> src = random_floats(static_cast<size_t>(rows * lds), 3 * rows + cols);
            const std::vector<int32_t> idx = random_indices(rows * ldi, cols, k + 17);
            for (int32_t isa : isas()) {
                IsaScope scope(isa);
                std::vector<float> dst = poisoned(static_cast<size_t>(rows * ldd));
                ASSERT_EQ(mp_gather_cols_rows_f32(src.data(), rows, cols, lds, idx.data(), ldi, k, dst.data(), ldd), MP_OK);
                for (int64_t r = 0; r < rows; r++)
                    for (int64_t j = 0; j < k; j++) ASSERT_TRUE(same_bits(dst[r * ldd + j], src[r * lds + idx[r * ldi + j]]));
                EXPECT_TRUE(padding_untouched(dst, rows, k, ldd));
            }
        }
}

TEST(Compaction, GatherRowsMatchesReference) {
    for (auto [src_rows, cols] : kShapes)
        for (int64_t k : {int64_t{1}, src_rows, 2 * src_rows + 1}) {
            const int64_t lds = cols + 3, ldd = cols + 1;
            const std::vector<float> src = random_floats(static_cast<size_t>(src_rows * lds), src_rows + 7 * cols);
            const std::vector<int32_t> idx = random_indices(k, src_rows, cols);
            for (int32_t isa : isas()) {
                IsaScope scope(isa);
                std::vector<float> dst = poisoned(static_cast<size_t>(k * ldd));
                ASSERT_EQ(mp_gather_rows_f32(src.data(), src_rows, cols, lds, idx.data(), k, dst.data(), ldd), MP_OK);
                for (int64_t j = 0; j < k; j++)
                    for (int64_t c = 0; c < cols; c++) ASSERT_TRUE(same_bits(dst[j * ldd + c], src[idx[j] * lds + c]));
                EXPECT_TRUE(padding_untouched(dst, k, cols, ldd));
            }
        }
}

TEST(Compaction, ScatterAddRowsAccumulatesRepeatsInOrder) {
    for (auto [dst_rows, cols] : kShapes)
        for (int64_t k : {int64_t{1}, dst_rows, 3 * dst_rows + 2}) {
            const int64_t lds = cols + 2, ldd = cols + 5;
            // Small integers and alpha = 0.5: every product and sum is exact, so FMA and multiply-add agree.
            const std::vector<float> src = random_small_ints(static_cast<size_t>(k * lds), k + cols);
            const std::vector<float> base = random_small_ints(static_cast<size_t>(dst_rows * ldd), dst_rows);
            const std::vector<int32_t> idx = random_indices(k, dst_rows, 5 * k);
            std::vector<float> want = base;
            for (int64_t j = 0; j < k; j++)
                for (int64_t c = 0; c < cols; c++) want[idx[j] * ldd + c] += 0.5f * src[j * lds + c];
            for (int32_t isa : isas()) {
                IsaScope scope(isa);
                std::vector<float> dst = base;
                for (int64_t r = 0; r < dst_rows; r++)
                    for (int64_t c = cols; c < ldd; c++) dst[r * ldd + c] = poison();
                ASSERT_EQ(mp_scatter_add_rows_f32(src.data(), k, cols, lds, idx.data(), 0.5f, dst.data(), dst_rows, ldd), MP_OK);
                for (int64_t r = 0; r < dst_rows; r++)
                    for (int64_t c = 0; c < cols; c++) ASSERT_TRUE(same_bits(dst[r * ldd + c], want[r * ldd + c])) << isa_name(isa);
                EXPECT_TRUE(padding_untouched(dst, dst_rows, cols, ldd));
            }
        }
}

TEST(Compaction, ScatterAddRowsScalarIsMultiplyThenAddAndAvx2IsClose) {
    const int64_t k = 40, cols = 77, dst_rows = 9;
    const std::vector<float> src = random_floats(static_cast<size_t>(k * cols), 1);
    const std::vector<int32_t> idx = random_indices(k, dst_rows, 2);
    const float alpha = 0.37f;
    std::vector<float> want(static_cast<size_t>(dst_rows * cols), 0.25f);
    for (int64_t j = 0; j < k; j++)
        for (int64_t c = 0; c < cols; c++) {
            const float p = alpha * src[j * cols + c];
            want[idx[j] * cols + c] = want[idx[j] * cols + c] + p;
        }
    for (int32_t isa : isas()) {
        IsaScope scope(isa);
        std::vector<float> dst(static_cast<size_t>(dst_rows * cols), 0.25f);
        ASSERT_EQ(mp_scatter_add_rows_f32(src.data(), k, cols, cols, idx.data(), alpha, dst.data(), dst_rows, cols), MP_OK);
        for (size_t i = 0; i < dst.size(); i++) {
            if (isa == MP_ISA_SCALAR) ASSERT_TRUE(same_bits(dst[i], want[i])) << i;
            else ASSERT_NEAR(dst[i], want[i], 1e-5f) << i;
        }
    }
}

TEST(Compaction, ScatterColsZeroesThenWrites) {
    for (auto [rows, cols] : kShapes)
        for (int64_t k : {int64_t{1}, cols / 2 + 1, cols}) {
            const int64_t lds = k + 2, ldd = cols + 3;
            const std::vector<float> src = random_floats(static_cast<size_t>(rows * lds), rows + cols + k);
            // Distinct indices: a shuffled prefix of 0..cols-1.
            std::vector<int32_t> perm(static_cast<size_t>(cols));
            for (int64_t i = 0; i < cols; i++) perm[i] = static_cast<int32_t>(i);
            std::shuffle(perm.begin(), perm.end(), std::mt19937_64(k));
            const std::vector<int32_t> idx(perm.begin(), perm.begin() + k);
            for (int32_t isa : isas()) {
                IsaScope scope(isa);
                std::vector<float> dst = poisoned(static_cast<size_t>(rows * ldd));
                ASSERT_EQ(mp_scatter_cols_f32(src.data(), rows, k, lds, idx.data(), dst.data(), cols, ldd), MP_OK);
                for (int64_t r = 0; r < rows; r++) {
                    std::vector<float> want(static_cast<size_t>(cols), 0.0f);
                    for (int64_t j = 0; j < k; j++) want[idx[j]] = src[r * lds + j];
                    for (int64_t c = 0; c < cols; c++) ASSERT_TRUE(same_bits(dst[r * ldd + c], want[c]));
                }
                EXPECT_TRUE(padding_untouched(dst, rows, cols, ldd));
            }
        }
}

TEST(Compaction, OutOfRangeIndicesAreReportedBeforeAnyWrite) {
    const std::vector<float> src(100, 1.0f);
    std::vector<float> dst = poisoned(100);
    const float* S = src.data();
    float* D = dst.data();
    const std::vector<int32_t> bad = {0, 3, 10, 1};  // 10 is out of [0, 10)
    const std::vector<int32_t> neg = {0, -1};
    EXPECT_TRUE(fails_with(mp_gather_cols_f32(S, 2, 10, 10, bad.data(), 4, D, 4), MP_ERR_INVALID_ARGUMENT,
                           {"mp_gather_cols_f32: idx[2] = 10 is out of range [0, cols = 10)"}));
    EXPECT_TRUE(fails_with(mp_gather_cols_f32(S, 2, 10, 10, neg.data(), 2, D, 2), MP_ERR_INVALID_ARGUMENT, {"idx[1] = -1"}));
    const std::vector<int32_t> rows_idx = {1, 2, 3, 4, 5, 6, 7, 10};  // row 1, position 3
    EXPECT_TRUE(fails_with(mp_gather_cols_rows_f32(S, 2, 10, 10, rows_idx.data(), 4, 4, D, 4), MP_ERR_INVALID_ARGUMENT,
                           {"mp_gather_cols_rows_f32: idx[1, 3] = 10 is out of range [0, cols = 10)"}));
    EXPECT_TRUE(fails_with(mp_gather_rows_f32(S, 10, 10, 10, bad.data(), 4, D, 10), MP_ERR_INVALID_ARGUMENT,
                           {"mp_gather_rows_f32: idx[2] = 10 is out of range [0, src_rows = 10)"}));
    EXPECT_TRUE(fails_with(mp_scatter_add_rows_f32(S, 4, 10, 10, bad.data(), 1.0f, D, 10, 10), MP_ERR_INVALID_ARGUMENT,
                           {"mp_scatter_add_rows_f32: idx[2] = 10 is out of range [0, dst_rows = 10)"}));
    EXPECT_TRUE(fails_with(mp_scatter_cols_f32(S, 2, 4, 4, bad.data(), D, 10, 10), MP_ERR_INVALID_ARGUMENT,
                           {"mp_scatter_cols_f32: idx[2] = 10 is out of range [0, cols = 10)"}));
    for (float v : dst) EXPECT_EQ(bits_of(v), kPoisonBits);
}

TEST(Compaction, EveryBadArgumentIsNamed) {
    const std::vector<float> src(100, 1.0f);
    std::vector<float> dst = poisoned(100);
    const std::vector<int32_t> idx = {0, 1, 2, 3};
    const float* S = src.data();
    float* D = dst.data();
    const int32_t* I = idx.data();
    const mp_status E = MP_ERR_INVALID_ARGUMENT;
    EXPECT_TRUE(fails_with(mp_gather_cols_f32(nullptr, 2, 10, 10, I, 4, D, 4), E, {"mp_gather_cols_f32: src is NULL"}));
    EXPECT_TRUE(fails_with(mp_gather_cols_f32(S, 2, 10, 10, nullptr, 4, D, 4), E, {"idx is NULL"}));
    EXPECT_TRUE(fails_with(mp_gather_cols_f32(S, 2, 10, 10, I, 4, nullptr, 4), E, {"dst is NULL"}));
    EXPECT_TRUE(fails_with(mp_gather_cols_f32(S, 0, 10, 10, I, 4, D, 4), E, {"rows = 0"}));
    EXPECT_TRUE(fails_with(mp_gather_cols_f32(S, 2, 0, 10, I, 4, D, 4), E, {"cols = 0"}));
    EXPECT_TRUE(fails_with(mp_gather_cols_f32(S, 2, 10, 9, I, 4, D, 4), E, {"lds = 9 is less than cols = 10"}));
    EXPECT_TRUE(fails_with(mp_gather_cols_f32(S, 2, 10, 10, I, 0, D, 4), E, {"k = 0"}));
    EXPECT_TRUE(fails_with(mp_gather_cols_f32(S, 2, 10, 10, I, 4, D, 3), E, {"ldd = 3 is less than k = 4"}));
    EXPECT_TRUE(fails_with(mp_gather_cols_rows_f32(S, 2, 10, 10, I, 1, 2, D, 2), E, {"mp_gather_cols_rows_f32: ldi = 1 is less than k = 2"}));
    EXPECT_TRUE(fails_with(mp_gather_cols_rows_f32(S, 2, 10, 10, I, 2, 2, D, 1), E, {"ldd = 1 is less than k = 2"}));
    EXPECT_TRUE(fails_with(mp_gather_cols_rows_f32(nullptr, 2, 10, 10, I, 2, 2, D, 2), E, {"src is NULL"}));
    EXPECT_TRUE(fails_with(mp_gather_rows_f32(S, 0, 10, 10, I, 4, D, 10), E, {"mp_gather_rows_f32: src_rows = 0"}));
    EXPECT_TRUE(fails_with(mp_gather_rows_f32(S, 10, 10, 10, I, 4, D, 9), E, {"ldd = 9 is less than cols = 10"}));
    EXPECT_TRUE(fails_with(mp_gather_rows_f32(S, 10, 10, 10, nullptr, 4, D, 10), E, {"idx is NULL"}));
    EXPECT_TRUE(fails_with(mp_scatter_add_rows_f32(S, 0, 10, 10, I, 1.0f, D, 10, 10), E, {"mp_scatter_add_rows_f32: k = 0"}));
    EXPECT_TRUE(fails_with(mp_scatter_add_rows_f32(S, 4, 10, 8, I, 1.0f, D, 10, 10), E, {"lds = 8 is less than cols = 10"}));
    EXPECT_TRUE(fails_with(mp_scatter_add_rows_f32(S, 4, 10, 10, I, 1.0f, D, 0, 10), E, {"dst_rows = 0"}));
    EXPECT_TRUE(fails_with(mp_scatter_add_rows_f32(S, 4, 10, 10, I, 1.0f, nullptr, 10, 10), E, {"dst is NULL"}));
    EXPECT_TRUE(fails_with(mp_scatter_cols_f32(S, 2, 4, 3, I, D, 10, 10), E, {"mp_scatter_cols_f32: lds = 3 is less than k = 4"}));
    EXPECT_TRUE(fails_with(mp_scatter_cols_f32(S, 2, 4, 4, I, D, 10, 9), E, {"ldd = 9 is less than cols = 10"}));
    EXPECT_TRUE(fails_with(mp_scatter_cols_f32(S, 2, 4, 4, I, D, 0, 10), E, {"cols = 0"}));
    EXPECT_TRUE(fails_with(mp_scatter_cols_f32(S, -2, 4, 4, I, D, 10, 10), E, {"rows = -2"}));
    for (float v : dst) EXPECT_EQ(bits_of(v), kPoisonBits);
}
