/* mp_sgemm_f32: argument checks, ISA dispatch, thread partitioning and the blocked (Goto/BLIS) driver.
 *
 * Loop nest of one task (a rectangle of C):
 *   for jc over its columns in blocks of <= NC       B panel  kc x nc   (L3)
 *     for each K block (the partition depends on K only)
 *       pack the B panel
 *       for ic over its rows in blocks of <= MC      A block  mc x kc   (L2)
 *         pack the A block (or, when nc <= 2 NR and A is row-major, read A in place)
 *         for jr over NR-wide B slivers              B sliver kc x NR   (L1)
 *           for ir over MR-tall A slivers: micro-kernel on one MR x NR tile of C
 * The first K block applies the caller's beta, the later ones accumulate (beta = 1). Every element of C is
 * therefore reduced by the same sequence of operations whatever the task split, so results are bitwise
 * independent of mp_get_num_threads(). Tasks split M and/or N (never K) on tile boundaries.
 */
#include "internal.h"
#include "sgemm_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- per-thread packing buffers ------------------------------------------------------------------------ */

typedef struct {
    float* base;
    size_t floats;
} pack_buffer;

static pthread_key_t buffer_key;
static pthread_once_t buffer_once = PTHREAD_ONCE_INIT;
static int buffer_key_ok;

static void free_buffer(void* p) {
    pack_buffer* buf = (pack_buffer*)p;
    free(buf->base);
    free(buf);
}

static void make_buffer_key(void) { buffer_key_ok = pthread_key_create(&buffer_key, free_buffer) == 0; }

/* The calling thread's packing buffer with room for `floats` floats (64-byte aligned), or NULL if memory ran
 * out. Allocated on a thread's first use, grown when a larger problem needs it, freed when the thread exits. */
static float* thread_buffer(size_t floats) {
    pthread_once(&buffer_once, make_buffer_key);
    if (!buffer_key_ok) return NULL;
    pack_buffer* buf = (pack_buffer*)pthread_getspecific(buffer_key);
    if (buf == NULL) {
        buf = (pack_buffer*)calloc(1, sizeof *buf);
        if (buf == NULL) return NULL;
        if (pthread_setspecific(buffer_key, buf) != 0) {
            free(buf);
            return NULL;
        }
    }
    if (buf->floats < floats) {
        free(buf->base);
        buf->base = NULL;
        buf->floats = 0;
        void* p = NULL;
        if (posix_memalign(&p, 64, floats * sizeof(float)) != 0) return NULL;
        buf->base = (float*)p;
        buf->floats = floats;
    }
    return buf->base;
}

/* ---- driver -------------------------------------------------------------------------------------------- */

typedef struct {
    const mp_sgemm_family* f;
    int trans_a, trans_b;
    int64_t M, N, K;
    float alpha, beta;
    const float* a;
    int64_t lda;
    const float* b;
    int64_t ldb;
    float* c;
    int64_t ldc;
    int64_t k_blocks, k_step; /* K partition: blocks of k_step, the last one shorter */
    int64_t tasks_m, tasks_n; /* task grid */
    const float* packed_b;    /* B packed ahead by mp_sgemm_pack_b_f32 (its data), or NULL to pack per call */
    int64_t packed_n;         /* N rounded up to whole slivers: K block p of packed_b starts at p * packed_n * k_step */
} sgemm_job;

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Splits `units` tiles into `parts` contiguous ranges; returns the first tile of range p. */
static int64_t split_point(int64_t units, int64_t parts, int64_t p) { return units * p / parts; }

/* Block size <= limit (a multiple of `tile`) that cuts `extent` into equal-as-possible blocks. */
static int64_t balanced_block(int64_t extent, int64_t limit, int64_t tile) {
    const int64_t blocks = ceil_div(extent, limit);
    return round_up(ceil_div(extent, blocks), tile);
}

/* A of one macro-kernel call: packed slivers, or (direct) rows read in place with only the partial last
 * sliver packed. */
typedef struct {
    const float* packed; /* sliver s at packed + s*mr*kc; when direct, only the partial last sliver, at packed */
    const float* rows;   /* direct: row ir of the block at rows + ir*lda; NULL when packed */
    int64_t lda;
} a_block;

static void tile(const mp_sgemm_family* f, const a_block* ab, int64_t ir, int64_t mb, int64_t kc, const float* bs,
                 float* c, int64_t ldc, float alpha, float beta) {
    if (ab->rows == NULL)
        f->kernel(kc, ab->packed + ir * kc, bs, c, ldc, alpha, beta);
    else if (mb == f->mr)
        f->kernel_a_rows(kc, ab->rows + ir * ab->lda, ab->lda, bs, c, ldc, alpha, beta);
    else
        f->kernel(kc, ab->packed, bs, c, ldc, alpha, beta);
}

static void macro_kernel(const mp_sgemm_family* f, int64_t mc, int64_t nc, int64_t kc, const a_block* ab,
                         const float* bp, float* c, int64_t ldc, float alpha, float beta) {
    const int mr = f->mr, nr = f->nr;
    _Alignas(64) float edge[16 * 16];
    for (int64_t jr = 0; jr < nc; jr += nr) {
        const int64_t nb = min64(nr, nc - jr);
        const float* bs = bp + jr * kc;
        for (int64_t ir = 0; ir < mc; ir += mr) {
            const int64_t mb = min64(mr, mc - ir);
            float* ct = c + ir * ldc + jr;
            if (mb == mr && nb == nr) {
                tile(f, ab, ir, mb, kc, bs, ct, ldc, alpha, beta);
                continue;
            }
            /* Partial tile: run the same kernel on a full tile in `edge` and copy the valid part, so edge
             * elements see exactly the arithmetic of interior ones. */
            memset(edge, 0, sizeof(float) * (size_t)(mr * nr));
            if (beta != 0.0f)
                for (int64_t r = 0; r < mb; r++) memcpy(edge + r * nr, ct + r * ldc, sizeof(float) * (size_t)nb);
            tile(f, ab, ir, mb, kc, bs, edge, nr, alpha, beta);
            for (int64_t r = 0; r < mb; r++) memcpy(ct + r * ldc, edge + r * nr, sizeof(float) * (size_t)nb);
        }
    }
}

/* C[m0 .. m1, n0 .. n1] with blocks of at most mcb x ncb (tile multiples) and buffers ap, bp. */
static void run_block(const sgemm_job* j, int64_t m0, int64_t m1, int64_t n0, int64_t n1, int64_t mcb, int64_t ncb,
                      float* ap, float* bp) {
    const mp_sgemm_family* f = j->f;
    for (int64_t jc = n0; jc < n1; jc += ncb) {
        const int64_t nc = min64(ncb, n1 - jc);
        /* With at most two B slivers each A element is used at most twice: packing A would cost about as much
         * as the multiply, so read A in place (row-major A only; A^T packs with plain copies). */
        const int direct = f->kernel_a_rows != NULL && !j->trans_a && nc <= 2 * f->nr;
        for (int64_t p = 0; p < j->k_blocks; p++) {
            const int64_t k0 = p * j->k_step;
            const int64_t kc = min64(j->k_step, j->K - k0);
            const float beta = p == 0 ? j->beta : 1.0f;
            if (j->packed_b != NULL) bp = (float*)(j->packed_b + p * j->packed_n * j->k_step + jc * kc);
            else f->pack_b(j->trans_b, j->b, j->ldb, k0, kc, jc, nc, bp);
            for (int64_t ic = m0; ic < m1; ic += mcb) {
                const int64_t mc = min64(mcb, m1 - ic);
                a_block ab = { ap, NULL, j->lda };
                if (direct) {
                    const int64_t tail = mc % f->mr;
                    ab.rows = j->a + ic * j->lda + k0;
                    if (tail != 0) f->pack_a(j->trans_a, j->a, j->lda, ic + mc - tail, tail, k0, kc, ap);
                } else {
                    f->pack_a(j->trans_a, j->a, j->lda, ic, mc, k0, kc, ap);
                }
                macro_kernel(f, mc, nc, kc, &ab, bp, j->c + ic * j->ldc + jc, j->ldc, j->alpha, beta);
            }
        }
    }
}

static void sgemm_task(int64_t task, void* ctx) {
    const sgemm_job* j = (const sgemm_job*)ctx;
    const mp_sgemm_family* f = j->f;
    const int64_t tm = task / j->tasks_n, tn = task % j->tasks_n;
    const int64_t units_m = ceil_div(j->M, f->mr), units_n = ceil_div(j->N, f->nr);
    const int64_t m0 = split_point(units_m, j->tasks_m, tm) * f->mr;
    const int64_t m1 = min64(j->M, split_point(units_m, j->tasks_m, tm + 1) * f->mr);
    const int64_t n0 = split_point(units_n, j->tasks_n, tn) * f->nr;
    const int64_t n1 = min64(j->N, split_point(units_n, j->tasks_n, tn + 1) * f->nr);
    if (m0 >= m1 || n0 >= n1) return;

    const int64_t mcb = balanced_block(m1 - m0, f->mc, f->mr);
    const int64_t ncb = balanced_block(n1 - n0, f->nc, f->nr);
    const size_t a_floats = (size_t)(mcb * j->k_step), b_floats = j->packed_b != NULL ? 0 : (size_t)(ncb * j->k_step);
    float* buf = thread_buffer(a_floats + b_floats + 2 * MP_SGEMM_PACK_SLACK + 16);
    if (buf != NULL) {
        /* B first: its slivers are 64-byte multiples when nr = 16, so A stays aligned too. */
        float* bp = buf;
        float* ap = buf + round_up((int64_t)b_floats + MP_SGEMM_PACK_SLACK, 16);
        run_block(j, m0, m1, n0, n1, mcb, ncb, ap, bp);
        return;
    }
    /* Out of memory: one tile at a time from stack buffers. Same K partition and kernel, so the same bits.
     * (Every family has kc <= STACK_KC and tiles of at most 16 x 16.) */
    enum { STACK_KC = 512 };
    _Alignas(64) float small[(16 + 16) * STACK_KC + 2 * MP_SGEMM_PACK_SLACK + 16];
    if (j->k_step <= STACK_KC && f->mr <= 16 && f->nr <= 16) {
        float* bp = small;
        float* ap = small + round_up((int64_t)f->nr * j->k_step + MP_SGEMM_PACK_SLACK, 16);
        run_block(j, m0, m1, n0, n1, f->mr, f->nr, ap, bp);
    }
}

/* Task grid tm x tn (tm * tn <= threads) that minimizes the repacking it causes: every extra M split packs
 * B (K x N) again, every extra N split packs A (M x K) again. Each task gets at least ~250K multiply-adds
 * (a few microseconds): the pool hands a job to a spinning worker in well under a microsecond, but below
 * that the duplicated packing and the split edges cost more than a second core saves. */
static void choose_grid(const mp_sgemm_family* f, int64_t M, int64_t N, int64_t K, int threads, int64_t* tm_out,
                        int64_t* tn_out) {
    *tm_out = *tn_out = 1;
    const double work = (double)M * (double)N * (double)K;
    if (threads <= 1 || work < 2.5e5) return;
    const int64_t units_m = ceil_div(M, f->mr), units_n = ceil_div(N, f->nr);
    int64_t max_tasks = (int64_t)(work / 2.5e5);
    if (max_tasks > threads) max_tasks = threads;
    double best_cost = -1.0;
    for (int64_t tasks = max_tasks; tasks >= 2 && best_cost < 0.0; tasks--) {
        for (int64_t tm = 1; tm <= tasks; tm++) {
            if (tasks % tm != 0) continue;
            const int64_t tn = tasks / tm;
            if (tm > units_m || tn > units_n) continue;
            const double cost = (double)tm * (double)N + (double)tn * (double)M;
            if (best_cost < 0.0 || cost < best_cost) {
                best_cost = cost;
                *tm_out = tm;
                *tn_out = tn;
            }
        }
    }
}

static void scale_c(int64_t M, int64_t N, float beta, float* c, int64_t ldc) {
    for (int64_t i = 0; i < M; i++) {
        float* row = c + i * ldc;
        if (beta == 0.0f)
            memset(row, 0, sizeof(float) * (size_t)N);
        else
            for (int64_t j = 0; j < N; j++) row[j] *= beta;
    }
}

static const mp_sgemm_family* active_family(void) {
    return mp_use_avx2() ? &mp_sgemm_avx2_family : &mp_sgemm_scalar_family;
}

/* The K partition of a family: k_blocks blocks of k_step, the last one shorter. It depends on K only, which is what
 * lets B be packed once for any M. */
static void k_partition(const mp_sgemm_family* f, int64_t K, int64_t* k_blocks, int64_t* k_step) {
    *k_blocks = ceil_div(K, f->kc);
    *k_step = ceil_div(K, *k_blocks);
}

/* Runs a job whose family, transposes and B (or packed B) are set. */
static void sgemm_run(sgemm_job* job, int64_t M, int64_t N, int64_t K, float alpha, const float* a, int64_t lda,
                      float beta, float* c, int64_t ldc) {
    job->M = M;
    job->N = N;
    job->K = K;
    job->alpha = alpha;
    job->beta = beta;
    job->a = a;
    job->lda = lda;
    job->c = c;
    job->ldc = ldc;
    k_partition(job->f, K, &job->k_blocks, &job->k_step);
    choose_grid(job->f, M, N, K, mp_get_num_threads(), &job->tasks_m, &job->tasks_n);
    mp_parallel_for(job->tasks_m * job->tasks_n, sgemm_task, job);
}

/* Checks shared by mp_sgemm_f32 and mp_sgemm_packed_f32: the transposes, the sizes, A, C and their strides. */
#define CHECK_TRANSPOSE(t)                                                                                          \
    if ((t) != 0 && (t) != 1) return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: " #t " = %d must be 0 or 1", MP_FN, (int)(t))
#define CHECK_A_AND_C()                                                                                             \
    CHECK_TRANSPOSE(trans_a);                                                                                       \
    MP_CHECK_POSITIVE(M);                                                                                           \
    MP_CHECK_POSITIVE(N);                                                                                           \
    MP_CHECK_POSITIVE(K);                                                                                           \
    MP_CHECK_PTR(a);                                                                                                \
    MP_CHECK_PTR(c);                                                                                                \
    /* A is M x K (K x M when trans_a); ld is the row stride. */                                                    \
    if (lda < (trans_a ? M : K))                                                                                    \
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: lda = %lld is less than %s = %lld (A is %s, trans_a = %d)",  \
                       MP_FN, (long long)lda, trans_a ? "M" : "K", (long long)(trans_a ? M : K),                   \
                       trans_a ? "K x M" : "M x K", (int)trans_a);                                                  \
    if (ldc < N)                                                                                                    \
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: ldc = %lld is less than N = %lld", MP_FN, (long long)ldc,     \
                       (long long)N)

/* B is K x N (N x K when trans_b); ld is the row stride. */
#define CHECK_B()                                                                                                   \
    CHECK_TRANSPOSE(trans_b);                                                                                       \
    MP_CHECK_PTR(b);                                                                                                \
    if (ldb < (trans_b ? K : N))                                                                                    \
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: ldb = %lld is less than %s = %lld (B is %s, trans_b = %d)",  \
                       MP_FN, (long long)ldb, trans_b ? "K" : "N", (long long)(trans_b ? K : N),                   \
                       trans_b ? "N x K" : "K x N", (int)trans_b)

/* alpha == 0, BLAS semantics: op(A) op(B) is not formed, so NaN/Inf in A or B do not reach C. */
static void scale_only(int64_t M, int64_t N, float beta, float* c, int64_t ldc) {
    const mp_fp_mode fp = mp_fp_enter();
    if (beta != 1.0f) scale_c(M, N, beta, c, ldc);
    mp_fp_leave(fp);
}

#define MP_FN "mp_sgemm_f32"
mp_status mp_sgemm_f32(int32_t trans_a, int32_t trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                       const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                       int64_t ldc) {
    CHECK_A_AND_C();
    CHECK_B();
    if (alpha == 0.0f) {
        scale_only(M, N, beta, c, ldc);
        return mp_ok();
    }
    const mp_fp_mode fp = mp_fp_enter();
    sgemm_job job = {0};
    job.f = active_family();
    job.trans_a = trans_a;
    job.trans_b = trans_b;
    job.b = b;
    job.ldb = ldb;
    sgemm_run(&job, M, N, K, alpha, a, lda, beta, c, ldc);
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN

/* ---- B packed ahead ------------------------------------------------------------------------------------
 * Layout: a 64-byte header, then K block after K block (the partition of k_partition), each round_up(N, nr) x kc
 * floats of nr-column slivers exactly as pack_b writes them for a panel of all N columns, then the pack slack. The
 * driver's panel [jc, jc + nc) of block p is then the contiguous run at block p + jc * kc, whatever the task split. */

enum { PACKED_HEADER_FLOATS = 16, PACKED_MAGIC = 0x4250504d /* "MPPB" */ };

typedef struct {
    uint32_t magic;
    int32_t family; /* 1 scalar, 2 AVX2: the layout (nr, kc) depends on it */
    int64_t N, K;
} packed_header;

static int32_t family_id(const mp_sgemm_family* f) { return f == &mp_sgemm_avx2_family ? 2 : 1; }
static const char* family_name(int32_t id) { return id == 2 ? "AVX2" : id == 1 ? "scalar" : "unknown"; }

static int64_t packed_floats_needed(const mp_sgemm_family* f, int64_t N, int64_t K) {
    return PACKED_HEADER_FLOATS + round_up(N, f->nr) * K + MP_SGEMM_PACK_SLACK;
}

#define MP_FN "mp_sgemm_pack_b_size"
mp_status mp_sgemm_pack_b_size(int64_t N, int64_t K, int64_t* floats) {
    MP_CHECK_PTR(floats);
    MP_CHECK_POSITIVE(N);
    MP_CHECK_POSITIVE(K);
    *floats = packed_floats_needed(active_family(), N, K);
    return mp_ok();
}
#undef MP_FN

#define CHECK_PACKED_BUFFER(floats_needed)                                                                          \
    MP_CHECK_PTR(packed);                                                                                           \
    if (((uintptr_t)packed & 63) != 0)                                                                              \
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: packed = %p is not 64-byte aligned", MP_FN, (const void*)packed); \
    if (packed_floats < (floats_needed))                                                                            \
        return mp_fail(MP_ERR_WORKSPACE_TOO_SMALL, "%s: packed_floats = %lld is less than the %lld floats needed "  \
                       "(mp_sgemm_pack_b_size)", MP_FN, (long long)packed_floats, (long long)(floats_needed))

#define MP_FN "mp_sgemm_pack_b_f32"
mp_status mp_sgemm_pack_b_f32(int32_t trans_b, int64_t N, int64_t K, const float* b, int64_t ldb, float* packed,
                              int64_t packed_floats) {
    MP_CHECK_POSITIVE(N);
    MP_CHECK_POSITIVE(K);
    CHECK_B();
    const mp_sgemm_family* f = active_family();
    CHECK_PACKED_BUFFER(packed_floats_needed(f, N, K));
    int64_t k_blocks, k_step;
    k_partition(f, K, &k_blocks, &k_step);
    float* data = packed + PACKED_HEADER_FLOATS;
    /* In order of address: a block's pack slack lands where the next block is written afterwards. */
    for (int64_t p = 0; p < k_blocks; p++) {
        const int64_t k0 = p * k_step;
        f->pack_b(trans_b, b, ldb, k0, min64(k_step, K - k0), 0, N, data + p * round_up(N, f->nr) * k_step);
    }
    const packed_header h = { PACKED_MAGIC, family_id(f), N, K };
    memcpy(packed, &h, sizeof h);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_sgemm_packed_f32"
mp_status mp_sgemm_packed_f32(int32_t trans_a, int64_t M, int64_t N, int64_t K, float alpha, const float* a,
                              int64_t lda, const float* packed, int64_t packed_floats, float beta, float* c,
                              int64_t ldc) {
    CHECK_A_AND_C();
    const mp_sgemm_family* f = active_family();
    CHECK_PACKED_BUFFER(PACKED_HEADER_FLOATS); /* the header first: it says what the buffer was packed for */
    packed_header h;
    memcpy(&h, packed, sizeof h);
    if (h.magic != PACKED_MAGIC)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: packed does not start with a header written by mp_sgemm_pack_b_f32",
                       MP_FN);
    if (h.N != N || h.K != K)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: packed holds a B with K = %lld, N = %lld, not K = %lld, N = %lld",
                       MP_FN, (long long)h.K, (long long)h.N, (long long)K, (long long)N);
    if (h.family != family_id(f))
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: packed was laid out for the %s kernels, but the %s kernels are "
                       "active now (mp_set_isa); pack B again", MP_FN, family_name(h.family), family_name(family_id(f)));
    CHECK_PACKED_BUFFER(packed_floats_needed(f, N, K));
    if (alpha == 0.0f) {
        scale_only(M, N, beta, c, ldc);
        return mp_ok();
    }
    const mp_fp_mode fp = mp_fp_enter();
    sgemm_job job = {0};
    job.f = f;
    job.trans_a = trans_a;
    job.packed_b = packed + PACKED_HEADER_FLOATS;
    job.packed_n = round_up(N, f->nr);
    sgemm_run(&job, M, N, K, alpha, a, lda, beta, c, ldc);
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN
