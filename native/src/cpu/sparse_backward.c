/* Sparse backward of a linear layer y = x W^T + b for a per-example pattern of k (index, value) pairs:
 *   dx[b, :]  = sum_t val[b,t] * W[idx[b,t], :]          (overwrites dx)
 *   dW[i, :] += val[b,t] * x[b, :] for every idx[b,t] == i  (accumulates, in order of b)
 * k/n of the dense flops. Both kernels split the m columns into tasks (96 columns each, the AVX2 kernels' widest
 * block: the W or dW column slice stays in cache across the batch), and every task applies all (b, t) pairs in the
 * same order, so each output element sees the same sequence of operations whatever the thread count: results are
 * bitwise independent of it. The AVX2 dW first sorts the pairs by row (a counting sort: in the caller's workspace
 * for the whole batch with mp_sparse_backward_f32, else on the stack for rounds of examples in order of b), so that
 * each dW row block is read and written once per round instead of once per pair; the per-element sequence of FMAs
 * is unchanged, so both entry points give the same bits. The sorted pairs carry their x row's element offset
 * (b * ldx, int32, so no multiply per pair); an x whose last row starts at element 2^31 or later takes the
 * ungrouped kernel (same bits). Indices are range- and duplicate-checked before any write. */
#include "kernels.h"

enum {
    PARALLEL_MIN_FMAS = 1 << 18,
    COLUMN_TASK = 96,      /* columns per task when the work is split: one 12-accumulator block of the AVX2 kernels */
    GROUP_MAX_N = 4096,    /* grouped dW (AVX2): row starts on the stack for n <= this */
    GROUP_MAX_PAIRS = 4096 /* and up to this many (b, t) pairs per round (48 KiB of stack in all) */
};

void mp_sparse_dx_scalar(int64_t c0, int64_t c1, int64_t batch, int64_t k, const int32_t* idx, int64_t ldi,
                         const float* val, int64_t ldv, const float* w, int64_t ldw, float* dx, int64_t lddx) {
    for (int64_t b = 0; b < batch; b++) {
        float* d = dx + b * lddx;
        for (int64_t c = c0; c < c1; c++) d[c] = 0.0f;
        for (int64_t t = 0; t < k; t++) {
            const float s = val[b * ldv + t];
            const float* wr = w + (int64_t)idx[b * ldi + t] * ldw;
            for (int64_t c = c0; c < c1; c++) d[c] += s * wr[c];
        }
    }
}

void mp_sparse_dw_scalar(int64_t c0, int64_t c1, int64_t batch, int64_t k, const int32_t* idx, int64_t ldi,
                         const float* val, int64_t ldv, const float* x, int64_t ldx, float* dw, int64_t lddw) {
    for (int64_t b = 0; b < batch; b++) {
        const float* xr = x + b * ldx;
        for (int64_t t = 0; t < k; t++) {
            const float s = val[b * ldv + t];
            float* dr = dw + (int64_t)idx[b * ldi + t] * lddw;
            for (int64_t c = c0; c < c1; c++) dr[c] += s * xr[c];
        }
    }
}

typedef struct {
    int avx2;
    int64_t batch, m, k;
    const int32_t* idx;
    int64_t ldi;
    const float* val;
    int64_t ldv;
    const float* mat; /* w for dx, x for dW */
    int64_t ldm;
    float* out;       /* dx or dW */
    int64_t ldo;
    int64_t chunk;    /* columns per task */
    int64_t extent;   /* m */
    int64_t n;        /* grouped dW: rows, row starts, pairs (x row offset b * ldx, value) */
    const int32_t* start;
    const int32_t* pair_x;
    const float* pair_v;
} sparse_job;

static void dx_task(int64_t task, void* p) {
    const sparse_job* j = (const sparse_job*)p;
    const int64_t c0 = task * j->chunk, c1 = c0 + j->chunk < j->extent ? c0 + j->chunk : j->extent;
    if (j->avx2) mp_sparse_dx_avx2(c0, c1, j->batch, j->k, j->idx, j->ldi, j->val, j->ldv, j->mat, j->ldm, j->out, j->ldo);
    else mp_sparse_dx_scalar(c0, c1, j->batch, j->k, j->idx, j->ldi, j->val, j->ldv, j->mat, j->ldm, j->out, j->ldo);
}

static void dw_task(int64_t task, void* p) {
    const sparse_job* j = (const sparse_job*)p;
    const int64_t c0 = task * j->chunk, c1 = c0 + j->chunk < j->extent ? c0 + j->chunk : j->extent;
    if (j->avx2) mp_sparse_dw_avx2(c0, c1, j->batch, j->k, j->idx, j->ldi, j->val, j->ldv, j->mat, j->ldm, j->out, j->ldo);
    else mp_sparse_dw_scalar(c0, c1, j->batch, j->k, j->idx, j->ldi, j->val, j->ldv, j->mat, j->ldm, j->out, j->ldo);
}

static void dw_grouped_task(int64_t task, void* p) {
    const sparse_job* j = (const sparse_job*)p;
    const int64_t c0 = task * j->chunk, c1 = c0 + j->chunk < j->extent ? c0 + j->chunk : j->extent;
    mp_sparse_dw_grouped_avx2(c0, c1, j->n, j->start, j->pair_x, j->pair_v, j->mat, j->out, j->ldo);
}

/* Splits job's `extent` columns into tasks of COLUMN_TASK columns (one task when not `parallel`); returns the task
 * count. Tasks of exactly one widest block measured 3-20% faster on 2 threads than the earlier 128 columns (a 96 and
 * a 32 block) or 64: every block but the last runs with all 12 accumulators. */
static int64_t plan(sparse_job* job, int64_t extent, int parallel) {
    job->extent = extent;
    if (!parallel || mp_get_num_threads() <= 1 || extent <= COLUMN_TASK) {
        job->chunk = extent;
        return 1;
    }
    job->chunk = COLUMN_TASK;
    return (extent + COLUMN_TASK - 1) / COLUMN_TASK;
}

/* Runs job over `extent` columns in tasks; serially when the work is small. */
static void run(sparse_job* job, mp_task_fn fn, int64_t extent) {
    const int64_t tasks = plan(job, extent, job->batch * job->k * job->m >= PARALLEL_MIN_FMAS);
    if (tasks == 1) fn(0, job);
    else mp_parallel_for(tasks, fn, job);
}

#define MP_FN "mp_sparse_backward_dx_f32"
mp_status mp_sparse_backward_dx_f32(int64_t batch, int64_t n, int64_t m, int64_t k, const int32_t* idx, int64_t ldi,
                                    const float* val, int64_t ldv, const float* w, int64_t ldw, float* dx,
                                    int64_t lddx) {
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(val);
    MP_CHECK_PTR(w);
    MP_CHECK_PTR(dx);
    MP_CHECK_POSITIVE(batch);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_POSITIVE(m);
    MP_CHECK_K(k, n);
    MP_CHECK_LD(ldi, k);
    MP_CHECK_LD(ldv, k);
    MP_CHECK_LD(ldw, m);
    MP_CHECK_LD(lddx, m);
    const mp_status st = mp_check_indices_2d_distinct(MP_FN, idx, batch, ldi, k, n, "n");
    if (st != MP_OK) return st;
    const mp_fp_mode fp = mp_fp_enter();
    sparse_job job = {mp_use_avx2(), batch, m, k, idx, ldi, val, ldv, w, ldw, dx, lddx, 0, 0, n, NULL, NULL, NULL};
    run(&job, dx_task, m);
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN

/* Whether the sorted pairs' x row offsets (b * ldx) fit their int32 slots. */
static int groupable(int64_t batch, int64_t ldx) { return (batch - 1) * ldx <= INT32_MAX; }

/* Counting sort of the pairs of examples [b0, b1) by row into start (n + 1 row starts), pair_x and pair_v (room for
 * (b1 - b0) * k pairs); points job's grouped-dW fields at them. */
static void group_pairs(sparse_job* job, int64_t b0, int64_t b1, int32_t* start, int32_t* pair_x, float* pair_v) {
    const int64_t n = job->n, k = job->k, ldi = job->ldi, ldv = job->ldv;
    const int32_t* idx = job->idx;
    for (int64_t i = 0; i <= n; i++) start[i] = 0;
    for (int64_t b = b0; b < b1; b++)
        for (int64_t t = 0; t < k; t++) start[idx[b * ldi + t] + 1]++;
    for (int64_t i = 0; i < n; i++) start[i + 1] += start[i];
    for (int64_t b = b0; b < b1; b++)
        for (int64_t t = 0; t < k; t++) {
            const int32_t p = start[idx[b * ldi + t]]++;
            pair_x[p] = (int32_t)(b * job->ldm);
            pair_v[p] = job->val[b * ldv + t];
        }
    for (int64_t i = n; i > 0; i--) start[i] = start[i - 1]; /* the cursors ended at the next row's start */
    start[0] = 0;
    job->start = start;
    job->pair_x = pair_x;
    job->pair_v = pair_v;
}

/* Grouped dW of the examples [b0, b1) over every column. */
static void dw_grouped_round(sparse_job* job, int64_t b0, int64_t b1, int32_t* start, int32_t* pair_x, float* pair_v) {
    sparse_job round = *job;
    round.batch = b1 - b0;
    group_pairs(&round, b0, b1, start, pair_x, pair_v);
    run(&round, dw_grouped_task, job->m);
}

/* The grouped-dW workspace: row starts, then the pairs' x row offsets and values, each 64-byte aligned. */
static int64_t align64(int64_t bytes) { return (bytes + 63) & ~(int64_t)63; }

static int64_t dw_workspace_bytes(int64_t batch, int64_t n, int64_t k) {
    return 64 + align64(4 * (n + 1)) + 2 * align64(4 * batch * k);
}

static void dw_workspace_layout(void* workspace, int64_t batch, int64_t n, int64_t k, int32_t** start, int32_t** pair_x,
                                float** pair_v) {
    char* base = (char*)(((uintptr_t)workspace + 63) & ~(uintptr_t)63);
    *start = (int32_t*)base;
    *pair_x = (int32_t*)(base + align64(4 * (n + 1)));
    *pair_v = (float*)(base + align64(4 * (n + 1)) + align64(4 * batch * k));
}

/* Argument checks shared by both entry points that compute dW. */
#define CHECK_DW_ARGUMENTS()                                                                                      \
    MP_CHECK_PTR(idx);                                                                                            \
    MP_CHECK_PTR(val);                                                                                            \
    MP_CHECK_PTR(x);                                                                                              \
    MP_CHECK_PTR(dw);                                                                                             \
    MP_CHECK_POSITIVE(batch);                                                                                     \
    MP_CHECK_POSITIVE(n);                                                                                         \
    MP_CHECK_INT32_RANGE(n);                                                                                      \
    MP_CHECK_POSITIVE(m);                                                                                         \
    MP_CHECK_K(k, n);                                                                                             \
    MP_CHECK_LD(ldi, k);                                                                                          \
    MP_CHECK_LD(ldv, k);                                                                                          \
    MP_CHECK_LD(ldx, m);                                                                                          \
    MP_CHECK_LD(lddw, m)

#define MP_FN "mp_sparse_backward_dw_f32"
mp_status mp_sparse_backward_dw_f32(int64_t batch, int64_t n, int64_t m, int64_t k, const int32_t* idx, int64_t ldi,
                                    const float* val, int64_t ldv, const float* x, int64_t ldx, float* dw,
                                    int64_t lddw) {
    CHECK_DW_ARGUMENTS();
    const mp_status st = mp_check_indices_2d_distinct(MP_FN, idx, batch, ldi, k, n, "n");
    if (st != MP_OK) return st;
    const mp_fp_mode fp = mp_fp_enter();
    sparse_job job = {mp_use_avx2(), batch, m, k, idx, ldi, val, ldv, x, ldx, dw, lddw, 0, 0, n, NULL, NULL, NULL};
    if (job.avx2 && n <= GROUP_MAX_N && k <= GROUP_MAX_PAIRS && groupable(batch, ldx)) {
        int32_t start[GROUP_MAX_N + 1], pair_x[GROUP_MAX_PAIRS];
        float pair_v[GROUP_MAX_PAIRS];
        const int64_t per_round = GROUP_MAX_PAIRS / k;
        for (int64_t b0 = 0; b0 < batch; b0 += per_round)
            dw_grouped_round(&job, b0, b0 + per_round < batch ? b0 + per_round : batch, start, pair_x, pair_v);
    } else {
        run(&job, dw_task, m);
    }
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_sparse_backward_dw_workspace_size"
mp_status mp_sparse_backward_dw_workspace_size(int64_t batch, int64_t n, int64_t k, int64_t* bytes) {
    MP_CHECK_PTR(bytes);
    MP_CHECK_POSITIVE(batch);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_K(k, n);
    const int64_t pairs = batch * k;
    MP_CHECK_INT32_RANGE(pairs);
    *bytes = dw_workspace_bytes(batch, n, k);
    return mp_ok();
}
#undef MP_FN

/* dx and dW in one parallel region: the column tasks of both kernels share the threads. With dx, the pairs are
 * grouped by row in the region's first task while the other threads start on dx, and dW tasks wait for it. */
typedef struct {
    sparse_job dx, dw;
    int64_t dx_tasks, dw_tasks;
    mp_task_fn dw_fn;
    int group_task; /* task 0 groups the pairs into these and then sets `grouped` */
    int32_t *start, *pair_x;
    float* pair_v;
    atomic_int grouped;
} fused_job;

/* After the grouping task, dx and dW tasks alternate while both kinds remain, then the rest of the longer list
 * follows: one thread reading W while the other updates dW measured 1-5% faster on 2 threads than both threads on
 * the same product, and grouping beside dx 2-3%. */
static void fused_task(int64_t task, void* p) {
    fused_job* f = (fused_job*)p;
    if (f->group_task) {
        if (task == 0) {
            group_pairs(&f->dw, 0, f->dw.batch, f->start, f->pair_x, f->pair_v);
            atomic_store_explicit(&f->grouped, 1, memory_order_release);
            return;
        }
        task--;
    }
    const int64_t paired = 2 * (f->dx_tasks < f->dw_tasks ? f->dx_tasks : f->dw_tasks);
    const int is_dx = task < paired ? (task & 1) == 0 : f->dx_tasks > f->dw_tasks;
    const int64_t index = task < paired ? task / 2 : paired / 2 + (task - paired);
    if (is_dx) {
        dx_task(index, &f->dx);
    } else {
        if (f->group_task) mp_wait_until_set(&f->grouped);
        f->dw_fn(index, &f->dw);
    }
}

#define MP_FN "mp_sparse_backward_f32"
mp_status mp_sparse_backward_f32(int64_t batch, int64_t n, int64_t m, int64_t k, const int32_t* idx, int64_t ldi,
                                 const float* val, int64_t ldv, const float* w, int64_t ldw, float* dx, int64_t lddx,
                                 const float* x, int64_t ldx, float* dw, int64_t lddw, void* workspace,
                                 int64_t workspace_bytes) {
    CHECK_DW_ARGUMENTS();
    if (dx != NULL) {
        MP_CHECK_PTR(w);
        MP_CHECK_LD(ldw, m);
        MP_CHECK_LD(lddx, m);
    }
    const int64_t pairs = batch * k;
    MP_CHECK_INT32_RANGE(pairs);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, dw_workspace_bytes(batch, n, k));
    const mp_status st = mp_check_indices_2d_distinct(MP_FN, idx, batch, ldi, k, n, "n");
    if (st != MP_OK) return st;
    const mp_fp_mode fp = mp_fp_enter();
    const int avx2 = mp_use_avx2();
    fused_job f = {{avx2, batch, m, k, idx, ldi, val, ldv, w, ldw, dx, lddx, 0, 0, n, NULL, NULL, NULL},
                   {avx2, batch, m, k, idx, ldi, val, ldv, x, ldx, dw, lddw, 0, 0, n, NULL, NULL, NULL},
                   0, 0, dw_task, 0, NULL, NULL, NULL, 0};
    if (avx2 && groupable(batch, ldx)) {
        dw_workspace_layout(workspace, batch, n, k, &f.start, &f.pair_x, &f.pair_v);
        f.dw_fn = dw_grouped_task;
        if (dx != NULL) f.group_task = 1;
        else group_pairs(&f.dw, 0, batch, f.start, f.pair_x, f.pair_v);
    }
    const int parallel = (dx != NULL ? 2 : 1) * batch * k * m >= PARALLEL_MIN_FMAS;
    f.dx_tasks = dx != NULL ? plan(&f.dx, m, parallel) : 0;
    f.dw_tasks = plan(&f.dw, m, parallel);
    const int64_t tasks = f.group_task + f.dx_tasks + f.dw_tasks;
    if (parallel && tasks > 1) mp_parallel_for(tasks, fused_task, &f);
    else for (int64_t t = 0; t < tasks; t++) fused_task(t, &f);
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN
