/* Random-k: every column of a row gets a 32-bit key from a counter-based hash of (seed, row, column); the k
 * largest keys (the same block-per-row select as top-k, select.cuh) are a uniformly random k-subset. Key ties
 * (two equal 32-bit hashes) go to the lower index, a bias of order n^2 / 2^32 per row that nobody can measure.
 * Reproducible for a seed on any GPU and any batch split; not the CPU's stream. */
#include "select.cuh"

using namespace mpcuda;

namespace {

__device__ __forceinline__ uint64_t splitmix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Row r of the batch uses the stream of row (first_row + r); the unified pattern uses row ~0 (all ones). */
struct RandKeys {
    uint64_t seed;
    uint64_t first_row;
    __device__ __forceinline__ uint32_t operator()(int64_t row, int64_t i) const {
        const uint64_t row_state = splitmix64(seed ^ splitmix64(first_row + (uint64_t)row));
        return (uint32_t)(splitmix64(row_state + (uint64_t)i) >> 32);
    }
};

constexpr uint64_t kUnifiedRow = ~0ull;

} // namespace

extern "C" {

mp_status mp_cuda_randk_workspace_size(int64_t rows, int64_t n, int64_t k, int64_t* bytes) {
#define MP_FN "mp_cuda_randk_workspace_size"
    MP_CHECK_PTR(bytes);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_K(k, n);
    *bytes = 0;
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_randk_rows(int64_t rows, int64_t n, int64_t k, uint64_t seed, int64_t first_row,
                             int32_t* idx, int64_t ldi, void* workspace, int64_t workspace_bytes, void* stream) {
#define MP_FN "mp_cuda_randk_rows"
    MP_CHECK_PTR(idx);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_K(k, n);
    MP_CHECK_LD(ldi, k);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_INT32_RANGE(rows);
    if (first_row < 0)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: first_row = %lld must be >= 0", MP_FN, (long long)first_row);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, 0);
    (void)workspace;
    clear_stale_error();
    launch_topk_rows(RandKeys{seed, (uint64_t)first_row}, rows, n, k, idx, ldi, static_cast<float*>(nullptr), 1,
                     static_cast<const float*>(nullptr), 0, as_stream(stream));
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_randk_unified(int64_t n, int64_t k, uint64_t seed, int32_t* idx,
                                void* workspace, int64_t workspace_bytes, void* stream) {
#define MP_FN "mp_cuda_randk_unified"
    MP_CHECK_PTR(idx);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_K(k, n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, 0);
    (void)workspace;
    clear_stale_error();
    launch_topk_rows(RandKeys{seed, kUnifiedRow}, 1, n, k, idx, k, static_cast<float*>(nullptr), 1,
                     static_cast<const float*>(nullptr), 0, as_stream(stream));
    return check_launch(MP_FN);
#undef MP_FN
}

} /* extern "C" */
