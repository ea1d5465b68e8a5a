/*
 * libmeprop: the native kernels of MePropNative, behind one C ABI.
 *
 * Conventions (all entry points):
 *  - Matrices are row-major float32 with an explicit leading dimension (ld >= cols, in elements).
 *  - Sizes are int64_t, indices int32_t. Every size must be >= 1 unless stated otherwise.
 *  - Every function returns mp_status (MP_OK = 0). On failure nothing is written to the outputs
 *    except where stated, and mp_last_error() returns a message naming the bad argument and its value.
 *  - No entry point aborts, prints or exits. Kernels do not allocate in the hot path: the caller passes
 *    workspace, sized by the matching *_workspace_size query (except mp_sgemm_f32, see there).
 *  - Every output element the contract names is written (outputs may start as garbage).
 *
 * Top-k contract (mp_topk_abs_rows_f32, mp_topk_abs_unified_f32):
 *  - Selects the k elements of largest magnitude |x|.
 *  - Ties: the lower index wins (deterministic).
 *  - NaN ranks above every number, +-Inf included, so a NaN gradient is always propagated and never hidden;
 *    among NaNs the lower index wins.
 *  - The returned indices are sorted ascending (not by magnitude), which makes the gathers that follow
 *    walk memory forward.
 */
#ifndef MEPROP_H
#define MEPROP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(MEPROP_BUILDING)
#    define MP_API __declspec(dllexport)
#  else
#    define MP_API __declspec(dllimport)
#  endif
#else
#  define MP_API __attribute__((visibility("default")))
#endif

typedef int32_t mp_status;
enum {
    MP_OK = 0,
    MP_ERR_INVALID_ARGUMENT = 1, /* a size, ld, k, index or pointer is wrong; the message names it */
    MP_ERR_WORKSPACE_TOO_SMALL = 2,
    MP_ERR_UNSUPPORTED = 3,      /* e.g. an ISA this CPU lacks, or CUDA in a CPU-only build */
    MP_ERR_OUT_OF_MEMORY = 4,
    MP_ERR_CUDA = 5,             /* a CUDA launch or runtime call failed; the message has the CUDA error name */
    MP_ERR_INTERNAL = 6
};

/* ---- library facts and settings ---------------------------------------------------------------- */

/* Message of the last failed call on this thread ("" if none). Valid until the next call on this thread. */
MP_API const char* mp_last_error(void);
/* Version, compiler, build type, CUDA on/off and the architectures it was built for. Static string. */
MP_API const char* mp_build_info(void);
/* ABI version: bumped when any signature changes. The bindings refuse a library with another one. */
MP_API int32_t mp_abi_version(void);
#define MP_ABI_VERSION 1

enum { MP_CPU_AVX2 = 1, MP_CPU_FMA = 2, MP_CPU_AVX512F = 4 };
/* Bit set of MP_CPU_* the running CPU (and OS) supports. */
MP_API uint32_t mp_cpu_features(void);

typedef enum { MP_ISA_AUTO = 0, MP_ISA_SCALAR = 1, MP_ISA_AVX2 = 2 } mp_isa;
/* Forces the kernel family for the whole process. MP_ISA_AUTO picks AVX2+FMA when available.
 * Asking for AVX2 on a CPU without AVX2+FMA fails with MP_ERR_UNSUPPORTED. */
MP_API mp_status mp_set_isa(int32_t isa);
/* The ISA the kernels use now (never MP_ISA_AUTO). */
MP_API int32_t mp_get_isa(void);

/* Threads used by the multi-threaded kernels (SGEMM, sparse backward). 1 = single-threaded and bitwise
 * deterministic; results do not depend on the thread count for any kernel (each output element is always
 * reduced in the same order). Default: the number of online CPUs. */
MP_API mp_status mp_set_num_threads(int32_t threads);
MP_API int32_t mp_get_num_threads(void);

/* ---- top-k -------------------------------------------------------------------------------------- */

/* Workspace (bytes) mp_topk_abs_rows_f32 needs for rows of length n. */
MP_API mp_status mp_topk_abs_rows_workspace_size(int64_t n, int64_t k, int64_t* bytes);
/* For each of `rows` rows of x (length n, stride ldx) the k indices of largest |x| (see the contract above),
 * written to idx[r*ldi + 0..k-1]; if val != NULL the signed values x[r, idx] go to val[r*ldv + 0..k-1]. */
MP_API mp_status mp_topk_abs_rows_f32(const float* x, int64_t rows, int64_t n, int64_t ldx, int64_t k,
                                      int32_t* idx, int64_t ldi, float* val, int64_t ldv,
                                      void* workspace, int64_t workspace_bytes);

/* Workspace (bytes) mp_topk_abs_unified_f32 needs. */
MP_API mp_status mp_topk_abs_unified_workspace_size(int64_t rows, int64_t n, int64_t k, int64_t* bytes);
/* One pattern for the whole mini-batch: the k columns with the largest sum over rows of |x|, indices
 * ascending in idx[0..k-1]. If col_abs_sums != NULL it receives the n column sums. */
MP_API mp_status mp_topk_abs_unified_f32(const float* x, int64_t rows, int64_t n, int64_t ldx, int64_t k,
                                         int32_t* idx, float* col_abs_sums,
                                         void* workspace, int64_t workspace_bytes);

/* ---- random-k (the paper's control) ---------------------------------------------------------------- */

/* Workspace (bytes) for the random-k kernels: n int32 values. */
MP_API mp_status mp_randk_workspace_size(int64_t n, int64_t k, int64_t* bytes);
/* k distinct columns per row, uniformly at random, ascending, into idx[r*ldi + 0..k-1]. The stream of row r is
 * a pure function of (seed, first_row + r), so results do not depend on how a batch is split. */
MP_API mp_status mp_randk_rows(int64_t rows, int64_t n, int64_t k, uint64_t seed, int64_t first_row,
                               int32_t* idx, int64_t ldi, void* workspace, int64_t workspace_bytes);
/* k distinct columns for the whole batch, ascending, into idx[0..k-1]; a pure function of seed. */
MP_API mp_status mp_randk_unified(int64_t n, int64_t k, uint64_t seed, int32_t* idx,
                                  void* workspace, int64_t workspace_bytes);

/* ---- compaction ------------------------------------------------------------------------------------ */

/* dst[r, j] = src[r, idx[j]] for r < rows, j < k. Every idx[j] must be in [0, cols). */
MP_API mp_status mp_gather_cols_f32(const float* src, int64_t rows, int64_t cols, int64_t lds,
                                    const int32_t* idx, int64_t k, float* dst, int64_t ldd);
/* Per-row pattern: dst[r, j] = src[r, idx[r*ldi + j]]. */
MP_API mp_status mp_gather_cols_rows_f32(const float* src, int64_t rows, int64_t cols, int64_t lds,
                                         const int32_t* idx, int64_t ldi, int64_t k, float* dst, int64_t ldd);
/* dst[j, :] = src[idx[j], :] for j < k; src has src_rows rows of `cols` columns. */
MP_API mp_status mp_gather_rows_f32(const float* src, int64_t src_rows, int64_t cols, int64_t lds,
                                    const int32_t* idx, int64_t k, float* dst, int64_t ldd);
/* dst[idx[j], :] += alpha * src[j, :] for j < k, in order of j (so repeated indices accumulate). */
MP_API mp_status mp_scatter_add_rows_f32(const float* src, int64_t k, int64_t cols, int64_t lds,
                                         const int32_t* idx, float alpha,
                                         float* dst, int64_t dst_rows, int64_t ldd);
/* Zeroes dst (rows x cols) and writes dst[r, idx[j]] = src[r, j]: the dense form of a compacted gradient. */
MP_API mp_status mp_scatter_cols_f32(const float* src, int64_t rows, int64_t k, int64_t lds,
                                     const int32_t* idx, float* dst, int64_t cols, int64_t ldd);

/* out[c] = (accumulate ? out[c] : 0) + sum_r x[r, c]  (db of a linear layer from the full dy). */
MP_API mp_status mp_col_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx,
                                 float* out, int32_t accumulate);
/* out[c] = sum_r |x[r, c]| (NaN propagates). */
MP_API mp_status mp_col_abs_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out);

/* ---- sparse backward of a linear layer y = x W^T + b -------------------------------------------------
 * W is n x m (ldw), x is batch x m (ldx), dy is batch x n. The per-example pattern is given as k
 * (index, value) pairs per row: idx[b*ldi + t], val[b*ldv + t], t < k, indices in [0, n) and distinct per row. */

/* dx[b, :] = sum_t val[b,t] * W[idx[b,t], :]   (overwrites dx, batch x m, lddx). */
MP_API mp_status mp_sparse_backward_dx_f32(int64_t batch, int64_t n, int64_t m, int64_t k,
                                           const int32_t* idx, int64_t ldi, const float* val, int64_t ldv,
                                           const float* w, int64_t ldw, float* dx, int64_t lddx);
/* dW[idx[b,t], :] += val[b,t] * x[b, :] for every selected (b, t)   (accumulates into dW, n x m, lddw).
 * Each dW row is reduced in order of b, whatever the thread count. */
MP_API mp_status mp_sparse_backward_dw_f32(int64_t batch, int64_t n, int64_t m, int64_t k,
                                           const int32_t* idx, int64_t ldi, const float* val, int64_t ldv,
                                           const float* x, int64_t ldx, float* dw, int64_t lddw);

/* ---- dense SGEMM ------------------------------------------------------------------------------------
 * C (M x N, ldc) = alpha * op(A) * op(B) + beta * C, row-major; op(A) is M x K (A is K x M when trans_a),
 * op(B) is K x N (B is N x K when trans_b). beta == 0 means C is not read (NaNs in C do not propagate).
 * Blocked, packed, AVX2/FMA micro-kernel, mp_get_num_threads() threads. Packing buffers are owned by the
 * library: allocated once per thread on first use and reused (the one exception to "no allocation"). */
MP_API mp_status mp_sgemm_f32(int32_t trans_a, int32_t trans_b, int64_t M, int64_t N, int64_t K,
                              float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                              float beta, float* c, int64_t ldc);

/* ---- CUDA (present in every build; in a CPU-only build they fail with MP_ERR_UNSUPPORTED) ---------------
 * Launchers (mp_cuda_* taking a `stream`) take DEVICE pointers and a cudaStream_t / CUstream passed as void*
 * (NULL = the legacy default stream of the current context). They validate their arguments on the host like the
 * CPU versions (MP_ERR_INVALID_ARGUMENT naming the argument), enqueue their kernels on the stream, check the
 * launch (MP_ERR_CUDA, the message has the CUDA error name) and return WITHOUT synchronizing: a fault inside a
 * kernel shows up at the next synchronizing call. They never allocate: workspace is the caller's device memory,
 * sized by the matching mp_cuda_*_workspace_size query (which may answer 0; workspace may then be NULL).
 * The runtime is linked statically and uses the primary context of the current device, so device memory from
 * the driver API (cuMemAlloc in the primary context, as the .NET bindings do) is valid here.
 * Index data lives on the device, so it cannot be checked on the host: an index outside its range never
 * faults; gathers write NaN for it and scatters / accumulations skip it (documented per function).
 * Same shapes and contracts as the CPU functions of the same name (see the top of this file); details and
 * algorithm choices: docs/gpu.md. */

/* Number of CUDA devices visible to the runtime (0 if no driver, no device, or a CPU-only build). Never fails. */
MP_API int32_t mp_cuda_device_count(void);
/* Makes `device` current for the calling thread (cudaSetDevice). */
MP_API mp_status mp_cuda_set_device(int32_t device);
/* Name (NUL-terminated, truncated to name_bytes), compute capability and memory of `device`. Any output may be NULL. */
MP_API mp_status mp_cuda_device_info(int32_t device, char* name, int64_t name_bytes, int32_t* cc_major,
                                     int32_t* cc_minor, int64_t* total_bytes);
/* CUDA runtime version the library was built with and driver version of the machine (e.g. 11080; 0 when absent). */
MP_API mp_status mp_cuda_versions(int32_t* runtime_version, int32_t* driver_version);
/* Waits for all work on `stream` (NULL: the default stream). The one synchronizing call; meant for tests. */
MP_API mp_status mp_cuda_synchronize(void* stream);
/* Plain device memory for tests and tools (cudaMalloc / cudaFree / synchronous cudaMemcpy). bytes >= 1. */
MP_API mp_status mp_cuda_malloc(void** ptr, int64_t bytes);
MP_API mp_status mp_cuda_free(void* ptr);
MP_API mp_status mp_cuda_memcpy_htod(void* dst_device, const void* src_host, int64_t bytes);
MP_API mp_status mp_cuda_memcpy_dtoh(void* dst_host, const void* src_device, int64_t bytes);

/* -- element-wise and reductions -- */
/* x[r, c] = value for r < rows, c < cols. */
MP_API mp_status mp_cuda_fill_f32(float* x, int64_t rows, int64_t cols, int64_t ldx, float value, void* stream);
/* out[c] = (accumulate ? out[c] : 0) + sum_r x[r, c]. Deterministic (fixed reduction order, no atomics). */
MP_API mp_status mp_cuda_col_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out,
                                      int32_t accumulate, void* stream);
/* out[c] = sum_r |x[r, c]| (NaN propagates). Deterministic. */
MP_API mp_status mp_cuda_col_abs_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out,
                                          void* stream);

/* -- top-k (same contract as the CPU: largest |x|, ties -> lower index, NaN above +-Inf, indices ascending) -- */
/* Workspace of mp_cuda_topk_abs_rows_f32 (currently 0 bytes). */
MP_API mp_status mp_cuda_topk_abs_rows_workspace_size(int64_t rows, int64_t n, int64_t k, int64_t* bytes);
/* Per row: idx[r*ldi + 0..k-1] and, if val != NULL, val[r*ldv + j] = x[r, idx[r*ldi + j]] (the ELL form of the
 * sparsified row, written by the same kernel: the fused top-k + gather). One block per row, radix select. */
MP_API mp_status mp_cuda_topk_abs_rows_f32(const float* x, int64_t rows, int64_t n, int64_t ldx, int64_t k,
                                           int32_t* idx, int64_t ldi, float* val, int64_t ldv,
                                           void* workspace, int64_t workspace_bytes, void* stream);
/* Workspace of mp_cuda_topk_abs_unified_f32: n floats when col_abs_sums will be NULL (ask for that case). */
MP_API mp_status mp_cuda_topk_abs_unified_workspace_size(int64_t rows, int64_t n, int64_t k, int64_t* bytes);
/* The k columns with the largest sum over rows of |x|, ascending, into idx[0..k-1]; the n column sums go to
 * col_abs_sums when it is not NULL (then workspace may be NULL), else to the workspace. */
MP_API mp_status mp_cuda_topk_abs_unified_f32(const float* x, int64_t rows, int64_t n, int64_t ldx, int64_t k,
                                              int32_t* idx, float* col_abs_sums,
                                              void* workspace, int64_t workspace_bytes, void* stream);

/* -- random-k: k distinct uniformly random columns, ascending. A pure function of (seed, first_row + r) (rows)
 *    or of seed (unified); reproducible on any GPU, but NOT the same stream as the CPU mp_randk_*. -- */
/* Workspace of the random-k launchers (currently 0 bytes). */
MP_API mp_status mp_cuda_randk_workspace_size(int64_t rows, int64_t n, int64_t k, int64_t* bytes);
MP_API mp_status mp_cuda_randk_rows(int64_t rows, int64_t n, int64_t k, uint64_t seed, int64_t first_row,
                                    int32_t* idx, int64_t ldi, void* workspace, int64_t workspace_bytes,
                                    void* stream);
MP_API mp_status mp_cuda_randk_unified(int64_t n, int64_t k, uint64_t seed, int32_t* idx,
                                       void* workspace, int64_t workspace_bytes, void* stream);

/* -- MSBP (memorized sparsified backprop). With dy the gradient, M the memory (same shape) and r the ratio:
 *      g = dy + M                 (mp_cuda_msbp_apply_f32, in place in dy: g is what top-k selects from and
 *                                  what is propagated)
 *      M = r * (g - kept(g))      (mp_cuda_msbp_update_f32: the dropped mass, scaled by r; kept entries -> 0)
 *    The pattern is per row (idx[r*ldi + j]) or, with ldi = 0, one pattern idx[0..k-1] for every row (unified).
 *    Indices outside [0, n) are skipped. mem may be the same buffer as g. -- */
MP_API mp_status mp_cuda_msbp_apply_f32(float* dy, int64_t rows, int64_t n, int64_t lddy,
                                        const float* mem, int64_t ldm, void* stream);
MP_API mp_status mp_cuda_msbp_update_f32(const float* g, int64_t rows, int64_t n, int64_t ldg,
                                         const int32_t* idx, int64_t ldi, int64_t k, float ratio,
                                         float* mem, int64_t ldm, void* stream);

/* -- compaction (same semantics as the CPU functions of the same name; out-of-range indices: gathers write NaN,
 *    scatters skip the entry) -- */
MP_API mp_status mp_cuda_gather_cols_f32(const float* src, int64_t rows, int64_t cols, int64_t lds,
                                         const int32_t* idx, int64_t k, float* dst, int64_t ldd, void* stream);
MP_API mp_status mp_cuda_gather_cols_rows_f32(const float* src, int64_t rows, int64_t cols, int64_t lds,
                                              const int32_t* idx, int64_t ldi, int64_t k, float* dst, int64_t ldd,
                                              void* stream);
MP_API mp_status mp_cuda_gather_rows_f32(const float* src, int64_t src_rows, int64_t cols, int64_t lds,
                                         const int32_t* idx, int64_t k, float* dst, int64_t ldd, void* stream);
/* dst[idx[j], :] += alpha * src[j, :]. Atomic adds: repeated indices accumulate, but their order (hence the last
 * bits) is then unspecified; with distinct indices (any top-k pattern) the result is deterministic. */
MP_API mp_status mp_cuda_scatter_add_rows_f32(const float* src, int64_t k, int64_t cols, int64_t lds,
                                              const int32_t* idx, float alpha,
                                              float* dst, int64_t dst_rows, int64_t ldd, void* stream);
MP_API mp_status mp_cuda_scatter_cols_f32(const float* src, int64_t rows, int64_t k, int64_t lds,
                                          const int32_t* idx, float* dst, int64_t cols, int64_t ldd, void* stream);

/* -- sparse backward with a per-example pattern in ELL layout (every row exactly k (idx, val) pairs) -- */
/* dx[b, :] = sum_t val[b,t] * W[idx[b,t], :] (overwrites dx), summed in order of t. Deterministic. */
MP_API mp_status mp_cuda_sparse_backward_dx_f32(int64_t batch, int64_t n, int64_t m, int64_t k,
                                                const int32_t* idx, int64_t ldi, const float* val, int64_t ldv,
                                                const float* w, int64_t ldw, float* dx, int64_t lddx, void* stream);
typedef enum {
    MP_CUDA_DW_SORTED = 0, /* regroup the pattern by W row (counting sort), one block per touched W row, each row
                              reduced in order of b like the CPU: deterministic (bitwise, run to run) */
    MP_CUDA_DW_ATOMIC = 1  /* one block per (b, t) entry, atomicAdd into dW: no workspace, order unspecified */
} mp_cuda_dw_algo;
/* Workspace (bytes) of mp_cuda_sparse_backward_dw_f32 for `algo` (0 for MP_CUDA_DW_ATOMIC). */
MP_API mp_status mp_cuda_sparse_backward_dw_workspace_size(int64_t batch, int64_t n, int64_t k, int32_t algo,
                                                           int64_t* bytes);
/* dW[idx[b,t], :] += val[b,t] * x[b, :] for every entry (accumulates into dW, n x m, lddw). */
MP_API mp_status mp_cuda_sparse_backward_dw_f32(int64_t batch, int64_t n, int64_t m, int64_t k,
                                                const int32_t* idx, int64_t ldi, const float* val, int64_t ldv,
                                                const float* x, int64_t ldx, float* dw, int64_t lddw, int32_t algo,
                                                void* workspace, int64_t workspace_bytes, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* MEPROP_H */
