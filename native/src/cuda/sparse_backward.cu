/* Sparse backward of y = x W^T + b with a per-example pattern in ELL layout (k (idx, val) pairs per row of dy).
 *
 * dx = ELL(dy) W: grid (m / 128, batch); a thread owns one column of dx and sums over t in order, the pattern of
 *   the row staged in shared memory 128 pairs at a time. Reads of W rows are coalesced. Deterministic.
 *
 * dW += ELL(dy)^T x, two algorithms (mp_cuda_dw_algo):
 *  SORTED (deterministic): regroup the batch*k entries by W row with a counting sort, then reduce each W row in a
 *   fixed order:
 *     1. histogram of the column counts (atomicAdd on counts[n]),
 *     2. exclusive scan of the counts -> CSC-like offsets[n+1] (one block of 1024 threads),
 *     3. scatter the entry ids e = b*k + t into their W row's list (atomic cursors: the order inside a list is
 *        not yet fixed),
 *     4. sort every list by e (one block per touched W row: bitonic sort in shared memory when the list has at
 *        most kSortCap entries, which always holds for batch <= 4096 with distinct indices per row; a rank sort
 *        otherwise), which makes the order "by b, then t" - the CPU's order,
 *     5. one block per (touched W row, 256 columns): acc = dW[c, j]; acc += val[e] * x[b(e), j] over the sorted
 *        list; write once. No atomics on dW: bitwise identical run to run.
 *  ATOMIC: one block per entry (b, t), atomicAdd(val * x[b, :]) into dW[idx, :]. No workspace, one kernel; the
 *   order of the adds (hence the last bits) varies from run to run. */
#include "cuda_common.cuh"

using namespace mpcuda;

namespace {

constexpr int kDxBlock = 128;
constexpr int kBlock = 256;
constexpr int kScanBlock = 1024;
constexpr int kSortCap = 4096;

__global__ void __launch_bounds__(kDxBlock)
dx_kernel(int64_t batch, int64_t n, int64_t m, int64_t k, const int32_t* __restrict__ idx, int64_t ldi,
          const float* __restrict__ val, int64_t ldv, const float* __restrict__ w, int64_t ldw,
          float* __restrict__ dx, int64_t lddx) {
    __shared__ int32_t s_idx[kDxBlock];
    __shared__ float s_val[kDxBlock];
    const int tid = threadIdx.x;
    const int64_t c = (int64_t)blockIdx.x * kDxBlock + tid;
    for (int64_t b = blockIdx.y; b < batch; b += gridDim.y) {
        float acc = 0.0f;
        for (int64_t t0 = 0; t0 < k; t0 += kDxBlock) {
            const int count = (int)(k - t0 < kDxBlock ? k - t0 : kDxBlock);
            if (tid < count) {
                s_idx[tid] = idx[b * ldi + t0 + tid];
                s_val[tid] = val[b * ldv + t0 + tid];
            }
            __syncthreads();
            if (c < m)
                for (int t = 0; t < count; ++t) {
                    const int32_t i = s_idx[t];
                    if (i >= 0 && i < n) acc += s_val[t] * w[(int64_t)i * ldw + c];
                }
            __syncthreads();
        }
        if (c < m) dx[b * lddx + c] = acc;
    }
}

/* ---- dW, SORTED ---- */

struct DwWorkspace {
    int32_t* offsets; /* n + 1: counts, then the exclusive scan */
    int32_t* cursor;  /* n */
    int32_t* list;    /* batch * k entry ids, grouped by W row */
    int32_t* sorted;  /* the same, each group sorted */
};

inline int64_t align256(int64_t bytes) { return (bytes + 255) / 256 * 256; }

inline int64_t dw_sorted_bytes(int64_t n, int64_t entries) {
    return align256((n + 1) * 4) + align256(n * 4) + 2 * align256(entries * 4);
}

inline DwWorkspace dw_carve(void* workspace, int64_t n, int64_t entries) {
    char* p = static_cast<char*>(workspace);
    DwWorkspace ws;
    ws.offsets = reinterpret_cast<int32_t*>(p);
    p += align256((n + 1) * 4);
    ws.cursor = reinterpret_cast<int32_t*>(p);
    p += align256(n * 4);
    ws.list = reinterpret_cast<int32_t*>(p);
    p += align256(entries * 4);
    ws.sorted = reinterpret_cast<int32_t*>(p);
    return ws;
}

__global__ void __launch_bounds__(kBlock)
dw_histogram_kernel(const int32_t* __restrict__ idx, int64_t ldi, int64_t k, int64_t entries, int64_t n,
                    int32_t* __restrict__ counts) {
    for (int64_t e = (int64_t)blockIdx.x * kBlock + threadIdx.x; e < entries; e += (int64_t)gridDim.x * kBlock) {
        const int64_t b = e / k, t = e - b * k;
        const int32_t c = idx[b * ldi + t];
        if (c >= 0 && c < n) atomicAdd(&counts[c], 1);
    }
}

/* counts -> exclusive offsets (offsets[n] = total) and a copy in cursor. Thread i owns a contiguous range. */
__global__ void __launch_bounds__(kScanBlock)
dw_scan_kernel(int32_t* __restrict__ offsets, int32_t* __restrict__ cursor, int64_t n) {
    __shared__ uint32_t scratch[32];
    const int64_t per = (n + kScanBlock - 1) / kScanBlock;
    const int64_t lo = (int64_t)threadIdx.x * per;
    const int64_t hi = lo + per < n ? lo + per : n;
    uint32_t sum = 0;
    for (int64_t i = lo; i < hi; ++i) sum += (uint32_t)offsets[i];
    uint32_t total;
    uint32_t run = block_exclusive_sum<kScanBlock>(sum, &total, scratch);
    for (int64_t i = lo; i < hi; ++i) {
        const uint32_t count = (uint32_t)offsets[i];
        offsets[i] = (int32_t)run;
        cursor[i] = (int32_t)run;
        run += count;
    }
    if (threadIdx.x == 0) offsets[n] = (int32_t)total;
}

__global__ void __launch_bounds__(kBlock)
dw_scatter_kernel(const int32_t* __restrict__ idx, int64_t ldi, int64_t k, int64_t entries, int64_t n,
                  int32_t* __restrict__ cursor, int32_t* __restrict__ list) {
    for (int64_t e = (int64_t)blockIdx.x * kBlock + threadIdx.x; e < entries; e += (int64_t)gridDim.x * kBlock) {
        const int64_t b = e / k, t = e - b * k;
        const int32_t c = idx[b * ldi + t];
        if (c >= 0 && c < n) list[atomicAdd(&cursor[c], 1)] = (int32_t)e;
    }
}

/* One block per W row: sorts its list of entry ids ascending (ids are distinct). */
__global__ void __launch_bounds__(kBlock)
dw_sort_kernel(const int32_t* __restrict__ offsets, const int32_t* __restrict__ list, int32_t* __restrict__ sorted) {
    __shared__ int32_t s[kSortCap];
    const int64_t c = blockIdx.x;
    const int32_t start = offsets[c], len = offsets[c + 1] - start;
    if (len == 0) return; /* uniform over the block */
    const int tid = threadIdx.x;
    if (len <= kSortCap) {
        int size = 1;
        while (size < len) size <<= 1;
        for (int i = tid; i < size; i += kBlock) s[i] = i < len ? list[start + i] : INT32_MAX;
        __syncthreads();
        for (int span = 2; span <= size; span <<= 1) {      /* bitonic sort, ascending */
            for (int stride = span >> 1; stride > 0; stride >>= 1) {
                for (int i = tid; i < size; i += kBlock) {
                    const int j = i ^ stride;
                    if (j > i) {
                        const int32_t a = s[i], b = s[j];
                        const bool ascending = (i & span) == 0;
                        if ((a > b) == ascending) {
                            s[i] = b;
                            s[j] = a;
                        }
                    }
                }
                __syncthreads();
            }
        }
        for (int i = tid; i < len; i += kBlock) sorted[start + i] = s[i];
    } else {
        /* Rank sort, O(len^2 / threads): only for lists longer than kSortCap (a W row picked by > 4096 entries). */
        for (int i = tid; i < len; i += kBlock) {
            const int32_t e = list[start + i];
            int32_t rank = 0;
            for (int j = 0; j < len; ++j) rank += list[start + j] < e;
            sorted[start + rank] = e;
        }
    }
}

/* One block per (W row c, 256 columns): dW[c, j] += sum over the sorted list of val[e] * x[b(e), j]. */
__global__ void __launch_bounds__(kBlock)
dw_accumulate_kernel(const int32_t* __restrict__ offsets, const int32_t* __restrict__ sorted, int64_t k,
                     const float* __restrict__ val, int64_t ldv, const float* __restrict__ x, int64_t ldx, int64_t m,
                     float* __restrict__ dw, int64_t lddw) {
    __shared__ int64_t s_row[kBlock];
    __shared__ float s_val[kBlock];
    const int64_t c = blockIdx.x;
    const int32_t start = offsets[c], end = offsets[c + 1];
    if (start == end) return; /* W row not touched: uniform over the block */
    const int tid = threadIdx.x;
    float* dw_row = dw + c * lddw;
    for (int64_t col0 = (int64_t)blockIdx.y * kBlock; col0 < m; col0 += (int64_t)gridDim.y * kBlock) {
        const int64_t j = col0 + tid;
        float acc = j < m ? dw_row[j] : 0.0f;
        for (int32_t p0 = start; p0 < end; p0 += kBlock) {
            const int count = end - p0 < kBlock ? end - p0 : kBlock;
            if (tid < count) {
                const int64_t e = sorted[p0 + tid];
                const int64_t b = e / k, t = e - b * k;
                s_row[tid] = b * ldx;
                s_val[tid] = val[b * ldv + t];
            }
            __syncthreads();
            if (j < m)
                for (int q = 0; q < count; ++q) acc += s_val[q] * x[s_row[q] + j];
            __syncthreads();
        }
        if (j < m) dw_row[j] = acc;
    }
}

/* ---- dW, ATOMIC ---- */

__global__ void __launch_bounds__(kDxBlock)
dw_atomic_kernel(const int32_t* __restrict__ idx, int64_t ldi, const float* __restrict__ val, int64_t ldv, int64_t k,
                 int64_t entries, int64_t n, const float* __restrict__ x, int64_t ldx, int64_t m, float* dw,
                 int64_t lddw) {
    for (int64_t e = blockIdx.x; e < entries; e += gridDim.x) {
        const int64_t b = e / k, t = e - b * k;
        const int32_t c = idx[b * ldi + t];
        if (c < 0 || c >= n) continue; /* uniform over the block */
        const float v = val[b * ldv + t];
        float* dw_row = dw + (int64_t)c * lddw;
        const float* x_row = x + b * ldx;
        for (int64_t j = threadIdx.x; j < m; j += kDxBlock) atomicAdd(&dw_row[j], v * x_row[j]);
    }
}

unsigned capped_grid(int64_t blocks) { return (unsigned)(blocks < (int64_t)INT32_MAX ? blocks : (int64_t)INT32_MAX); }

} // namespace

extern "C" {

mp_status mp_cuda_sparse_backward_dx_f32(int64_t batch, int64_t n, int64_t m, int64_t k, const int32_t* idx,
                                         int64_t ldi, const float* val, int64_t ldv, const float* w, int64_t ldw,
                                         float* dx, int64_t lddx, void* stream) {
#define MP_FN "mp_cuda_sparse_backward_dx_f32"
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(val);
    MP_CHECK_PTR(w);
    MP_CHECK_PTR(dx);
    MP_CHECK_POSITIVE(batch);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_POSITIVE(m);
    MP_CHECK_K(k, n);
    MP_CHECK_LD(ldi, k);
    MP_CHECK_LD(ldv, k);
    MP_CHECK_LD(ldw, m);
    MP_CHECK_LD(lddx, m);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_INT32_RANGE(ceil_div(m, kDxBlock));
    clear_stale_error();
    const dim3 grid((unsigned)ceil_div(m, kDxBlock), grid_y(batch));
    dx_kernel<<<grid, kDxBlock, 0, as_stream(stream)>>>(batch, n, m, k, idx, ldi, val, ldv, w, ldw, dx, lddx);
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_sparse_backward_dw_workspace_size(int64_t batch, int64_t n, int64_t k, int32_t algo,
                                                    int64_t* bytes) {
#define MP_FN "mp_cuda_sparse_backward_dw_workspace_size"
    MP_CHECK_PTR(bytes);
    MP_CHECK_POSITIVE(batch);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_K(k, n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_INT32_RANGE(batch * k);
    if (algo == MP_CUDA_DW_ATOMIC) *bytes = 0;
    else if (algo == MP_CUDA_DW_SORTED) *bytes = dw_sorted_bytes(n, batch * k);
    else return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: algo = %d is not an mp_cuda_dw_algo", MP_FN, (int)algo);
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_sparse_backward_dw_f32(int64_t batch, int64_t n, int64_t m, int64_t k, const int32_t* idx,
                                         int64_t ldi, const float* val, int64_t ldv, const float* x, int64_t ldx,
                                         float* dw, int64_t lddw, int32_t algo, void* workspace,
                                         int64_t workspace_bytes, void* stream) {
#define MP_FN "mp_cuda_sparse_backward_dw_f32"
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(val);
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(dw);
    MP_CHECK_POSITIVE(batch);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_POSITIVE(m);
    MP_CHECK_K(k, n);
    MP_CHECK_LD(ldi, k);
    MP_CHECK_LD(ldv, k);
    MP_CHECK_LD(ldx, m);
    MP_CHECK_LD(lddw, m);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_INT32_RANGE(batch * k);
    const int64_t entries = batch * k;
    const cudaStream_t s = as_stream(stream);
    if (algo == MP_CUDA_DW_ATOMIC) {
        clear_stale_error();
        dw_atomic_kernel<<<capped_grid(entries), kDxBlock, 0, s>>>(idx, ldi, val, ldv, k, entries, n, x, ldx, m, dw,
                                                                   lddw);
        return check_launch(MP_FN);
    }
    if (algo != MP_CUDA_DW_SORTED)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: algo = %d is not an mp_cuda_dw_algo", MP_FN, (int)algo);
    const int64_t need = dw_sorted_bytes(n, entries);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, need);
    if (((uintptr_t)workspace & 15u) != 0)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: workspace %p is not 16-byte aligned", MP_FN, workspace);
    const DwWorkspace ws = dw_carve(workspace, n, entries);
    clear_stale_error();
    const cudaError_t err = cudaMemsetAsync(ws.offsets, 0, (size_t)(n + 1) * sizeof(int32_t), s);
    if (err != cudaSuccess) return fail_cuda(err, MP_FN, "cudaMemsetAsync");
    const unsigned entry_blocks = capped_grid(ceil_div(entries, kBlock) < 65536 ? ceil_div(entries, kBlock) : 65536);
    dw_histogram_kernel<<<entry_blocks, kBlock, 0, s>>>(idx, ldi, k, entries, n, ws.offsets);
    dw_scan_kernel<<<1, kScanBlock, 0, s>>>(ws.offsets, ws.cursor, n);
    dw_scatter_kernel<<<entry_blocks, kBlock, 0, s>>>(idx, ldi, k, entries, n, ws.cursor, ws.list);
    dw_sort_kernel<<<(unsigned)n, kBlock, 0, s>>>(ws.offsets, ws.list, ws.sorted);
    const dim3 grid((unsigned)n, grid_y(ceil_div(m, kBlock)));
    dw_accumulate_kernel<<<grid, kBlock, 0, s>>>(ws.offsets, ws.sorted, k, val, ldv, x, ldx, m, dw, lddw);
    return check_launch(MP_FN);
#undef MP_FN
}

} /* extern "C" */
