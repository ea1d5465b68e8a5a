/* Top-k entry points: argument checks, workspace layout and ISA dispatch. The row kernels live in
 * topk_scalar.c (reference) and topk_avx2.c; both return exactly the same indices. */
#include "kernels.h"

#include <stdatomic.h>

/* Rows are split over threads only when the batch holds at least this many elements (below it, waking a worker
 * costs more than it saves). Threads claim runs of rows from a shared counter, so a late or busy thread takes
 * fewer: runs of up to ROW_CHUNK_ELEMENTS elements (at least one row; within a run the next row's sample is
 * prefetched), and at least 4 runs per thread. */
enum { PARALLEL_MIN_ELEMENTS = 16384, ROW_CHUNK_ELEMENTS = 32768, RUNS_PER_THREAD = 4 };

static int64_t unified_sums_bytes(int64_t n) { return (n * 4 + 63) / 64 * 64 + 64; }

static void topk_row(const float* x, int64_t n, int64_t k, int32_t* idx, float* val, void* ws, int avx2,
                     const float* next_x) {
    if (avx2) mp_topk_row_avx2(x, n, k, idx, val, ws, next_x);
    else mp_topk_row_scalar(x, n, k, idx, val, ws);
}

#define MP_FN "mp_topk_abs_rows_workspace_size"
mp_status mp_topk_abs_rows_workspace_size(int64_t n, int64_t k, int64_t* bytes) {
    MP_CHECK_PTR(bytes);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_K(k, n);
    *bytes = (int64_t)mp_get_num_threads() * mp_topk_row_workspace_bytes(n);
    return mp_ok();
}
#undef MP_FN

typedef struct {
    const float* x;
    int64_t rows, n, ldx, k;
    int32_t* idx;
    int64_t ldi;
    float* val;
    int64_t ldv;
    char* workspace;     /* one row workspace per task */
    int64_t slice_bytes; /* mp_topk_row_workspace_bytes(n) */
    int64_t chunk_rows;
    atomic_llong next_row;
    int avx2;
} rows_job;

static void rows_range(const rows_job* job, int64_t r0, int64_t r1, void* ws) {
    for (int64_t r = r0; r < r1; r++)
        topk_row(job->x + r * job->ldx, job->n, job->k, job->idx + r * job->ldi,
                 job->val != NULL ? job->val + r * job->ldv : NULL, ws, job->avx2,
                 r + 1 < r1 ? job->x + (r + 1) * job->ldx : NULL);
}

/* Task t owns workspace slice t and takes runs of rows until none is left. */
static void rows_task(int64_t task, void* ctx) {
    rows_job* job = (rows_job*)ctx;
    void* ws = job->workspace + task * job->slice_bytes;
    for (;;) {
        const int64_t r0 = atomic_fetch_add(&job->next_row, job->chunk_rows);
        if (r0 >= job->rows) return;
        rows_range(job, r0, r0 + job->chunk_rows < job->rows ? r0 + job->chunk_rows : job->rows, ws);
    }
}

#define MP_FN "mp_topk_abs_rows_f32"
mp_status mp_topk_abs_rows_f32(const float* x, int64_t rows, int64_t n, int64_t ldx, int64_t k, int32_t* idx,
                               int64_t ldi, float* val, int64_t ldv, void* workspace, int64_t workspace_bytes) {
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(idx);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_LD(ldx, n);
    MP_CHECK_K(k, n);
    MP_CHECK_LD(ldi, k);
    if (val != NULL) MP_CHECK_LD(ldv, k);
    const int64_t slice = mp_topk_row_workspace_bytes(n);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, slice);

    const mp_fp_mode fp = mp_fp_enter();
    rows_job job = {x, rows, n, ldx, k, idx, ldi, val, ldv, (char*)workspace, slice, 1, 0, mp_use_avx2()};
    int64_t tasks = mp_get_num_threads();
    if (tasks > workspace_bytes / slice) tasks = workspace_bytes / slice;
    const int64_t rows_per_run = (rows + RUNS_PER_THREAD * tasks - 1) / (RUNS_PER_THREAD * tasks);
    job.chunk_rows = ROW_CHUNK_ELEMENTS > n ? ROW_CHUNK_ELEMENTS / n : 1;
    if (job.chunk_rows > rows_per_run) job.chunk_rows = rows_per_run;
    const int64_t chunks = (rows + job.chunk_rows - 1) / job.chunk_rows;
    if (tasks > chunks) tasks = chunks;
    if (tasks <= 1 || rows * n < PARALLEL_MIN_ELEMENTS) rows_range(&job, 0, rows, workspace);
    else mp_parallel_for(tasks, rows_task, &job);
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_topk_abs_unified_workspace_size"
mp_status mp_topk_abs_unified_workspace_size(int64_t rows, int64_t n, int64_t k, int64_t* bytes) {
    MP_CHECK_PTR(bytes);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_K(k, n);
    *bytes = unified_sums_bytes(n) + mp_topk_row_workspace_bytes(n);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_topk_abs_unified_f32"
mp_status mp_topk_abs_unified_f32(const float* x, int64_t rows, int64_t n, int64_t ldx, int64_t k, int32_t* idx,
                                  float* col_abs_sums, void* workspace, int64_t workspace_bytes) {
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(idx);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_LD(ldx, n);
    MP_CHECK_K(k, n);
    const int64_t need = unified_sums_bytes(n) + mp_topk_row_workspace_bytes(n);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, need);

    float* sums = col_abs_sums;
    if (sums == NULL) sums = (float*)(((uintptr_t)workspace + 63) & ~(uintptr_t)63);
    void* row_ws = (char*)workspace + unified_sums_bytes(n);

    const mp_fp_mode fp = mp_fp_enter();
    const int avx2 = mp_use_avx2();
    if (avx2) mp_col_sums_avx2(x, rows, n, ldx, sums, 0, 1);
    else mp_col_sums_scalar(x, rows, n, ldx, sums, 0, 1);
    topk_row(sums, n, k, idx, NULL, row_ws, avx2, NULL);
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN
