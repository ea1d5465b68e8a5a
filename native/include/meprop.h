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
/* ABI version: bumped when a signature changes or an entry point is added. The bindings refuse a library with
 * another one. */
MP_API int32_t mp_abi_version(void);
#define MP_ABI_VERSION 3

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

/* Workspace (bytes) for mp_topk_abs_rows_f32 on rows of length n: one row workspace per thread of
 * mp_get_num_threads() at the time of the query. */
MP_API mp_status mp_topk_abs_rows_workspace_size(int64_t n, int64_t k, int64_t* bytes);
/* For each of `rows` rows of x (length n, stride ldx) the k indices of largest |x| (see the contract above),
 * written to idx[r*ldi + 0..k-1]; if val != NULL the signed values x[r, idx] go to val[r*ldv + 0..k-1].
 * Large batches (rows * n >= 16384) are split by rows over up to mp_get_num_threads() threads, as many as the
 * workspace has row workspaces for; fewer than one row workspace is MP_ERR_WORKSPACE_TOO_SMALL. The result does
 * not depend on the thread count. */
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

/* ---- per-map top-k of a conv layer's output gradient (meProp-CNN) ------------------------------------------
 * dy holds `batch` examples (row n at dy + n*lddy), each a channels-last block of positions x channels floats:
 * element (p, c) at p*channels + c. A feature map is one (example n, channel c): its `positions` values
 * dy[n, p, c]. For every map the k positions of largest score are selected under the top-k contract above
 * (ties: lower position; NaN highest; ascending), the score being |dy[n, p, c]|, or with decay > 0 (decay
 * selection) decay * running[c*positions + p] + (1 - decay) * |dy[n, p, c]| (two products and a sum, no FMA).
 * Output channel-major, k per example: idx[c*ldi + n*k + t] = n*positions + p_t (a row of the layer's im2col
 * matrix) and val[c*ldv + n*k + t] = dy[n, p_t, c] (the gradient itself, also with decay).
 * With decay > 0, running (channels x positions, contiguous; required) is read for the scores of every
 * example and then updated: running = decay * running + ((1 - decay) / batch) * sum_n |dy[n, p, c]|, the sum
 * taken in order of n from +0. With decay == 0 running is ignored (may be NULL). decay must be in [0, 1).
 * Examples are split over mp_get_num_threads() threads, each map computed by one; results do not depend on
 * the thread count. Workspace: mp_topk_abs_per_map_workspace_size bytes (a smaller one, still holding one
 * slot, uses fewer threads). */
MP_API mp_status mp_topk_abs_per_map_workspace_size(int64_t batch, int64_t positions, int64_t channels, int64_t k,
                                                    int64_t* bytes);
MP_API mp_status mp_topk_abs_per_map_f32(const float* dy, int64_t batch, int64_t positions, int64_t channels,
                                         int64_t lddy, int64_t k, float* running, float decay, int32_t* idx,
                                         int64_t ldi, float* val, int64_t ldv, void* workspace,
                                         int64_t workspace_bytes);

/* ---- sparse backward of a convolution (meProp-CNN) --------------------------------------------------------
 * Images are channels-last: example n of x (or dx) is a row of in_h * in_w * in_c floats, pixel (h, w) at
 * (h * in_w + w) * in_c. Output position p = oh * out_w + ow has the window of input rows ih = oh * stride -
 * pad_top + kh (kh < kernel_h) and columns iw = ow * stride - pad_left + kw (kw < kernel_w); window pixels outside
 * the image are zero padding; every window must start inside the image (out_h <= (in_h + pad_top + stride - 1) /
 * stride, the same for the width), or the call fails naming out_h or out_w. A filter (a row of W or dW, K = kernel_h * kernel_w * in_c floats) is ordered
 * (kh, kw, ci). The selection is the channel-major output of mp_topk_abs_per_map_f32: for output channel c,
 * entries j < batch * k, idx[c*ldi + j] = n * P + p with n = j / k (P = out_h * out_w) and val[c*ldv + j] the
 * gradient there; every index is checked (MP_ERR_INVALID_ARGUMENT naming idx and its position). Entries with a
 * value of exactly 0 are skipped. Channels (dW) or examples (dx) are split over mp_get_num_threads() threads, each
 * computed by one in a fixed order, so results do not depend on the thread count. */
typedef struct mp_conv_geometry {
    int32_t in_h, in_w, in_c;
    int32_t kernel_h, kernel_w;
    int32_t stride, pad_top, pad_left;
    int32_t out_h, out_w;
} mp_conv_geometry;

/* dW[c, :] = (accumulate ? dW[c, :] : 0) + sum over channel c's entries j in order of val * (the window of x at
 * the entry's position): the weight gradient from the input images, without an im2col matrix. dw: channels x K
 * (lddw >= K); x: batch x (in_h * in_w * in_c) (ldx). */
MP_API mp_status mp_conv_sparse_dw_f32(const mp_conv_geometry* geometry, int64_t batch, int64_t channels, int64_t k,
                                       const int32_t* idx, int64_t ldi, const float* val, int64_t ldv,
                                       const float* x, int64_t ldx, float* dw, int64_t lddw, int32_t accumulate);
/* dx[n] = sum over channels c in order, then c's entries of example n in order, of val * W[c, :] added onto the
 * window's input pixels (overwrites dx: batch x (in_h * in_w * in_c), lddx); w: channels x K (ldw). */
MP_API mp_status mp_conv_sparse_dx_f32(const mp_conv_geometry* geometry, int64_t batch, int64_t channels, int64_t k,
                                       const int32_t* idx, int64_t ldi, const float* val, int64_t ldv,
                                       const float* w, int64_t ldw, float* dx, int64_t lddx);

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
/* dx and dW of one pattern in one call, with a caller-provided workspace (mp_sparse_backward_dw_workspace_size
 * bytes): dx as mp_sparse_backward_dx_f32, skipped when dx is NULL (w, ldw and lddx are then not used), and dW as
 * mp_sparse_backward_dw_f32, its pairs grouped by row for the whole batch at once, so every touched dW row is read and
 * written once per call (mp_sparse_backward_dw_f32 groups them in rounds of at most 4096 pairs, each of which reads
 * and writes its rows again). One index check and one parallel region: with dx, its first task groups the pairs
 * while the other threads start on dx, and the column tasks of the two products take turns on the threads. Same
 * results as the separate calls. */
MP_API mp_status mp_sparse_backward_dw_workspace_size(int64_t batch, int64_t n, int64_t k, int64_t* bytes);
MP_API mp_status mp_sparse_backward_f32(int64_t batch, int64_t n, int64_t m, int64_t k, const int32_t* idx, int64_t ldi,
                                        const float* val, int64_t ldv, const float* w, int64_t ldw, float* dx,
                                        int64_t lddx, const float* x, int64_t ldx, float* dw, int64_t lddw,
                                        void* workspace, int64_t workspace_bytes);

/* ---- dense SGEMM ------------------------------------------------------------------------------------
 * C (M x N, ldc) = alpha * op(A) * op(B) + beta * C, row-major; op(A) is M x K (A is K x M when trans_a),
 * op(B) is K x N (B is N x K when trans_b). beta == 0 means C is not read (NaNs in C do not propagate).
 * Blocked, packed, AVX2/FMA micro-kernel, mp_get_num_threads() threads. Packing buffers are owned by the
 * library: allocated once per thread on first use and reused (the one exception to "no allocation"). */
MP_API mp_status mp_sgemm_f32(int32_t trans_a, int32_t trans_b, int64_t M, int64_t N, int64_t K,
                              float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                              float beta, float* c, int64_t ldc);
/* B packed once for many products (an LSTM's weights over its time steps): mp_sgemm_pack_b_size gives the floats
 * a packed op(B) (K x N) needs, mp_sgemm_pack_b_f32 fills such a buffer (64-byte aligned; packed single-threaded),
 * and mp_sgemm_packed_f32 computes C = alpha op(A) op(B) + beta C from it, with the same bits as mp_sgemm_f32. The
 * layout belongs to the kernels active when packing: after mp_set_isa changes them, mp_sgemm_packed_f32 refuses the
 * buffer, as it refuses one that was not packed or was packed for another K or N. */
MP_API mp_status mp_sgemm_pack_b_size(int64_t N, int64_t K, int64_t* floats);
MP_API mp_status mp_sgemm_pack_b_f32(int32_t trans_b, int64_t N, int64_t K, const float* b, int64_t ldb,
                                     float* packed, int64_t packed_floats);
MP_API mp_status mp_sgemm_packed_f32(int32_t trans_a, int64_t M, int64_t N, int64_t K, float alpha, const float* a,
                                     int64_t lda, const float* packed, int64_t packed_floats, float beta, float* c,
                                     int64_t ldc);

/* ---- optimizer steps ---------------------------------------------------------------------------------
 * Over n contiguous parameters; w, g and the state arrays must not overlap. Each step consumes the gradient (g = 0
 * afterwards). The gradient transform first: g *= grad_scale (if != 1), g += l2 * w (if != 0), g = clamp(g, -clip,
 * clip) (if clip > 0; a NaN stays NaN). New optimizer state below the smallest normal float is flushed to 0. Every
 * operation is a rounded multiply, add, divide or square root in the order written (no FMA), so the scalar and AVX2
 * versions agree bitwise; chunks of the arrays run on the library's threads (results do not depend on their count).
 * Refused with MP_ERR_INVALID_ARGUMENT, nothing written: a step_size, lr or grad_scale that is not finite; beta1, beta2
 * or momentum outside [0, 1); eps not finite and > 0; l2 or clip not finite and >= 0 (NaN fails every rule). */
/* Adam: m = b1 m + (1-b1) g; v = b2 v + ((1-b2) g) g; w -= (step_size m) / (sqrt(v) + eps). */
MP_API mp_status mp_adam_step_f32(float* w, float* g, float* m, float* v, int64_t n, float step_size, float beta1,
                                  float beta2, float eps, float grad_scale, float l2, float clip);
/* AdaGrad: h += g g; w -= (lr g) / sqrt(h + eps). */
MP_API mp_status mp_adagrad_step_f32(float* w, float* g, float* h, int64_t n, float lr, float eps, float grad_scale,
                                     float l2, float clip);
/* SGD: velocity NULL: w -= lr g; else velocity = momentum velocity + g, w -= lr velocity. */
MP_API mp_status mp_sgd_step_f32(float* w, float* g, float* velocity, int64_t n, float lr, float momentum,
                                 float grad_scale, float l2, float clip);

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

/* -- convolutional networks (meProp-CNN): the CUDA backend's image operations. Images are channels-last rows
 *    (see mp_conv_geometry above); the geometry struct itself is read on the host. -- */
/* im2col: cols[(n*P + p)*ldc + (kh*kernel_w + kw)*in_c + ci] = x[n*ldx + (ih*in_w + iw)*in_c + ci] with
 * ih = oh*stride - pad_top + kh, iw = ow*stride - pad_left + kw (0 in the padding); cols is (batch*P) x K. Bitwise. */
MP_API mp_status mp_cuda_im2col_f32(const mp_conv_geometry* geometry, int64_t batch, const float* x, int64_t ldx,
                                    float* cols, int64_t ldc, void* stream);
/* col2im, the adjoint: x = 0, then every column entry added back onto its pixel. A gather (each input element sums
 * its entries, output positions ascending, from +0): no atomics, deterministic, bitwise the CPU backend's result. */
MP_API mp_status mp_cuda_col2im_f32(const mp_conv_geometry* geometry, int64_t batch, const float* cols, int64_t ldc,
                                    float* x, int64_t ldx, void* stream);
/* 2 x 2 max pooling, stride 2: x batch x (height*width*channels) -> y batch x ((height/2)*(width/2)*channels), an odd
 * last row or column dropped; height, width >= 2. NaN in a window gives NaN; +0 is larger than -0 (as .NET's
 * MathF.Max). Bitwise. */
MP_API mp_status mp_cuda_maxpool2x2_f32(const float* x, int64_t batch, int64_t height, int64_t width, int64_t channels,
                                        int64_t ldx, float* y, int64_t ldy, void* stream);
/* dx = dy routed to each window's first element equal to y (order (0,0), (0,1), (1,0), (1,1); to (1,1) when y is NaN),
 * 0 elsewhere and in a dropped odd row or column. Every dx element written once; bitwise. */
MP_API mp_status mp_cuda_maxpool2x2_backward_f32(const float* x, int64_t ldx, const float* y, int64_t ldy,
                                                 const float* dy, int64_t lddy, int64_t batch, int64_t height,
                                                 int64_t width, int64_t channels, float* dx, int64_t lddx,
                                                 void* stream);
/* Batch norm over the rows of contiguous rows x channels matrices (per-channel tensors: channels floats). Training:
 * mean and biased variance per channel (sums in double, two passes), inv_std = 1 / sqrt(var + epsilon), xhat =
 * (x - mean) * inv_std, y = gamma * xhat + beta, running_mean = (1 - momentum) * running_mean + momentum * mean,
 * running_var likewise from the unbiased variance (rows / (rows - 1) * var). Deterministic (fixed-order sums, no
 * atomics). xhat and y may be x. */
MP_API mp_status mp_cuda_batchnorm_forward_training_f32(const float* x, int64_t rows, int64_t channels,
                                                        const float* gamma, const float* beta, float epsilon,
                                                        float momentum, float* running_mean, float* running_var,
                                                        float* xhat, float* inv_std, float* y, void* stream);
/* Inference: y = gamma * (x - running_mean) / sqrt(running_var + epsilon) + beta (y may be x). */
MP_API mp_status mp_cuda_batchnorm_forward_inference_f32(const float* x, int64_t rows, int64_t channels,
                                                         const float* gamma, const float* beta, float epsilon,
                                                         const float* running_mean, const float* running_var,
                                                         float* y, void* stream);
/* Backward: dbeta = (accumulate ? dbeta : 0) + sum dy, dgamma likewise + sum dy * xhat, dx = gamma * inv_std *
 * (dy - mean(dy) - xhat * mean(dy * xhat)) (dx may be dy). Deterministic. */
MP_API mp_status mp_cuda_batchnorm_backward_f32(const float* dy, const float* xhat, int64_t rows, int64_t channels,
                                                const float* gamma, const float* inv_std, float* dgamma, float* dbeta,
                                                int32_t accumulate, float* dx, void* stream);
/* Per-map top-k: mp_topk_abs_per_map_f32's contract (same selection, channel-major idx / val, the same decay score
 * and running update, bitwise), with the caller's device workspace instead of a byte count: scores (batch*channels x
 * positions floats, contiguous) and map_idx (batch*channels x k int32, leading dimension ldm >= k). Deterministic. */
MP_API mp_status mp_cuda_topk_abs_per_map_f32(const float* dy, int64_t batch, int64_t positions, int64_t channels,
                                              int64_t lddy, int64_t k, float* running, float decay, int32_t* idx,
                                              int64_t ldi, float* val, int64_t ldv, float* scores, int32_t* map_idx,
                                              int64_t ldm, void* stream);
/* Sparse conv dW from the input images: mp_conv_sparse_dw_f32's contract; an entry whose index is not a position of
 * its example is skipped (not checked on the host). Deterministic: each dW element sums its channel's entries in
 * order. */
MP_API mp_status mp_cuda_conv_sparse_dw_f32(const mp_conv_geometry* geometry, int64_t batch, int64_t channels,
                                            int64_t k, const int32_t* idx, int64_t ldi, const float* val, int64_t ldv,
                                            const float* x, int64_t ldx, float* dw, int64_t lddw, int32_t accumulate,
                                            void* stream);
/* Sparse conv dx: mp_conv_sparse_dx_f32's contract (overwrites dx; bad indices skipped). Atomic adds onto the input
 * pixels: the order of the additions (hence the last bits) is not fixed. */
MP_API mp_status mp_cuda_conv_sparse_dx_f32(const mp_conv_geometry* geometry, int64_t batch, int64_t channels,
                                            int64_t k, const int32_t* idx, int64_t ldi, const float* val, int64_t ldv,
                                            const float* w, int64_t ldw, float* dx, int64_t lddx, void* stream);

/* ---- CUDA: the element-wise, loss, optimizer and bookkeeping kernels of the GPU backend --------------------
 * Same launcher conventions as above (device pointers, a stream, host-side argument checks, no synchronization,
 * no allocation). Matrices are rows x cols with a leading dimension; an output may alias an input only where
 * the comment says so. Arithmetic is float32 like the CPU backend's (managed/MePropNative/Backends/CpuBackend.cs);
 * results agree with it to rounding (nvcc contracts a*b+c into FMAs), except where marked "bitwise". */

/* dst = src. */
MP_API mp_status mp_cuda_copy_f32(const float* src, int64_t rows, int64_t cols, int64_t lds, float* dst, int64_t ldd,
                                  void* stream);
/* x *= alpha. */
MP_API mp_status mp_cuda_scale_f32(float* x, int64_t rows, int64_t cols, int64_t ldx, float alpha, void* stream);
/* y += alpha * x. */
MP_API mp_status mp_cuda_axpy_f32(int64_t rows, int64_t cols, float alpha, const float* x, int64_t ldx, float* y,
                                  int64_t ldy, void* stream);
/* c = a + b and c = a * b (c may be a or b, with the same leading dimension). */
MP_API mp_status mp_cuda_add_f32(int64_t rows, int64_t cols, const float* a, int64_t lda, const float* b, int64_t ldb,
                                 float* c, int64_t ldc, void* stream);
MP_API mp_status mp_cuda_mul_f32(int64_t rows, int64_t cols, const float* a, int64_t lda, const float* b, int64_t ldb,
                                 float* c, int64_t ldc, void* stream);
/* x[r, :] += bias (bias: cols floats). */
MP_API mp_status mp_cuda_add_row_vector_f32(float* x, int64_t rows, int64_t cols, int64_t ldx, const float* bias,
                                            void* stream);

typedef enum {
    MP_ACT_RELU = 0,    /* y = x > 0 ? x : 0           backward from y: dx = y > 0 ? dy : 0 */
    MP_ACT_SIGMOID = 1, /* y = 1 / (1 + exp(-x))       backward from y: dx = dy * y * (1 - y) */
    MP_ACT_TANH = 2,    /* y = tanh(x)                 backward from y: dx = dy * (1 - y^2) */
    MP_ACT_CUBE = 3     /* y = x^3                     backward from x: dx = 3 x^2 dy */
} mp_activation;
/* y = act(x) (y may be x). */
MP_API mp_status mp_cuda_activation_f32(int32_t act, const float* x, int64_t rows, int64_t cols, int64_t ldx,
                                        float* y, int64_t ldy, void* stream);
/* dx from `saved` (the forward output y, or for MP_ACT_CUBE the forward input x) and dy (dx may be dy). */
MP_API mp_status mp_cuda_activation_backward_f32(int32_t act, const float* saved, int64_t lds, const float* dy,
                                                 int64_t lddy, float* dx, int64_t lddx, int64_t rows, int64_t cols,
                                                 void* stream);

/* Inverted dropout with the CPU backend's counter-based draw (CounterRandom.cs), bitwise: element (r, c) is kept
 * unless u < rate, u = (splitmix_finalizer(seed + G*(stream_id+1) + H*(r*cols + c + 1)) >> 40) * 2^-24,
 * G = 0x9E3779B97F4A7C15, H = 0xD1B54A32D192ED03; mask = 0 or 1/(1-rate) (float), y = x * mask. rate in [0, 1). */
MP_API mp_status mp_cuda_dropout_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* mask, int64_t ldm,
                                     float* y, int64_t ldy, float rate, uint64_t seed, uint64_t stream_id,
                                     void* stream);
/* ReLU followed by that dropout, in one pass (the same draw): y = x > 0 ? x * mask : 0 and factor = x > 0 ? mask : 0,
 * which mp_cuda_relu_dropout_backward_f32 turns into dx = factor > 0 ? dy * factor : 0 (dx may be dy). */
MP_API mp_status mp_cuda_relu_dropout_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* factor,
                                          int64_t ldf, float* y, int64_t ldy, float rate, uint64_t seed,
                                          uint64_t stream_id, void* stream);
MP_API mp_status mp_cuda_relu_dropout_backward_f32(const float* factor, int64_t ldf, const float* dy, int64_t lddy,
                                                   float* dx, int64_t lddx, int64_t rows, int64_t cols, void* stream);

/* -- loss -- */
/* Workspace of mp_cuda_softmax_xent_f32 for `rows` rows. */
MP_API mp_status mp_cuda_softmax_xent_workspace_size(int64_t rows, int64_t* bytes);
/* Softmax cross-entropy of each row of logits (rows x classes) against labels[r]: stats[0] += sum of the losses,
 * stats[1] += number of rows whose first arg-max is the label (both accumulated in double in a fixed order, then
 * added as float: deterministic). grad (may be NULL) = (softmax - onehot) * grad_scale, probabilities below the
 * smallest normal float flushed to 0. A label outside [0, classes) gives a NaN loss and a NaN gradient row. */
MP_API mp_status mp_cuda_softmax_xent_f32(const float* logits, int64_t rows, int64_t classes, int64_t ldl,
                                          const int32_t* labels, float* grad, int64_t ldg, float grad_scale,
                                          float* stats, void* workspace, int64_t workspace_bytes, void* stream);
/* out[r] = index of the first largest value of row r (comparison '>': a NaN is never larger). */
MP_API mp_status mp_cuda_argmax_rows_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, int32_t* out,
                                         void* stream);

/* -- optimizer steps over n contiguous parameters; each consumes the gradient (g = 0 afterwards). The gradient
 *    transform first: g *= grad_scale (if != 1), g += l2 * w (if != 0), g = clamp(g, -clip, clip) (if clip > 0; a NaN
 *    stays NaN). New optimizer state below the smallest normal float is flushed to 0, as on the CPU. -- */
/* Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= step_size * m / (sqrt(v) + eps). */
MP_API mp_status mp_cuda_adam_step_f32(float* w, float* g, float* m, float* v, int64_t n, float step_size, float beta1,
                                       float beta2, float eps, float grad_scale, float l2, float clip, void* stream);
/* AdaGrad: h += g^2; w -= lr * g / sqrt(h + eps). */
MP_API mp_status mp_cuda_adagrad_step_f32(float* w, float* g, float* h, int64_t n, float lr, float eps,
                                          float grad_scale, float l2, float clip, void* stream);
/* SGD: velocity NULL: w -= lr g; else velocity = momentum * velocity + g, w -= lr * velocity. */
MP_API mp_status mp_cuda_sgd_step_f32(float* w, float* g, float* velocity, int64_t n, float lr, float momentum,
                                      float grad_scale, float l2, float clip, void* stream);

/* -- reductions and bookkeeping -- */
/* Workspace of mp_cuda_sum_squares_f32 and mp_cuda_count_subnormals_f32 (a fixed 256 partial sums). */
MP_API mp_status mp_cuda_reduction_workspace_size(int64_t* bytes);
/* *out (one device double) = sum of x^2, in double, fixed order: deterministic. */
MP_API mp_status mp_cuda_sum_squares_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, double* out,
                                         void* workspace, int64_t workspace_bytes, void* stream);
/* *out (one device int64) = number of subnormal values in x. */
MP_API mp_status mp_cuda_count_subnormals_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, int64_t* out,
                                              void* workspace, int64_t workspace_bytes, void* stream);
/* out[r] = (accumulate ? out[r] : 0) + sum_c x[r, c]. Deterministic. */
MP_API mp_status mp_cuda_row_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out,
                                      int32_t accumulate, void* stream);
/* target[idx[i]] += scale * (values == NULL ? 1 : values[i]) for i < count (atomic adds: with values and repeated
 * indices the order, hence the last bits, is unspecified; counts are exact). Indices outside [0, n) are skipped. */
MP_API mp_status mp_cuda_index_add_f32(const int32_t* idx, int64_t count, const float* values, float scale,
                                       float* target, int64_t n, void* stream);
/* x[r, idx[r*ldi + j]] = 0 for j < k (ldi = 0: the pattern idx[0..k) for every row). Out-of-range skipped. */
MP_API mp_status mp_cuda_zero_selected_f32(float* x, int64_t rows, int64_t n, int64_t ldx, const int32_t* idx,
                                           int64_t ldi, int64_t k, void* stream);
/* dst[r*ldd + j] = src[r*lds + j] + offset for j < k (in place when dst == src and ldd == lds). */
MP_API mp_status mp_cuda_place_index_cols_i32(const int32_t* src, int64_t rows, int64_t k, int64_t lds, int32_t* dst,
                                              int64_t ldd, int32_t offset, void* stream);
/* x[i] = start + i * step for i < n (int32; e.g. CSR row offsets b * k of an ELL pattern). */
MP_API mp_status mp_cuda_iota_i32(int32_t* x, int64_t n, int32_t start, int32_t step, void* stream);

/* -- LSTM cell (the CPU backend's LstmCellForward/Backward, CpuBackend.Sequence.cs) -- */
/* gates (rows x 4H: i, f, g, o pre-activations) become their activations (sigmoid, sigmoid, tanh, sigmoid; the
 * sigmoid argument clamped to [-30, 30], tanh's to [-15, 15]); c = f*c_prev + i*g (c_prev NULL: 0), tanh_c = tanh(c),
 * h = o * tanh_c. */
MP_API mp_status mp_cuda_lstm_cell_forward_f32(float* gates, int64_t rows, int64_t hidden, int64_t ldg,
                                               const float* c_prev, int64_t ldp, float* c, int64_t ldc, float* tanh_c,
                                               int64_t ldt, float* h, int64_t ldh, void* stream);
/* The backward: with dh_total = dh + (r < carried_rows && dh_carry ? dh_carry[r] : 0) and
 * dc_total = dh_total * o * (1 - tanh_c^2) + (r < carried_rows ? dc[r] : 0), writes d_gates (rows x 4H) and
 * dc = dc_total * f (dL/dc_prev). */
MP_API mp_status mp_cuda_lstm_cell_backward_f32(const float* gates, int64_t rows, int64_t hidden, int64_t ldg,
                                                const float* c_prev, int64_t ldp, const float* tanh_c, int64_t ldt,
                                                const float* dh, int64_t lddh, const float* dh_carry, int64_t ldhc,
                                                int64_t carried_rows, float* dc, int64_t lddc, float* d_gates,
                                                int64_t lddg, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* MEPROP_H */
