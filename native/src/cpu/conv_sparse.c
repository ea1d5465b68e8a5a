/* Sparse backward of a convolution (meProp-CNN): entry points (argument and index checks, threading) and the
 * scalar reference kernels. The selected entries come channel-major (mp_topk_abs_per_map_f32), so dW is
 * computed per output channel (its row gathers the windows of its own entries straight from the input images:
 * no im2col matrix, k/P of the dense work) and dx per example (each entry adds value * filter onto its window's
 * input pixels: no dcols matrix and no col2im over untouched positions). */
#include "kernels.h"

#include "conv_geometry_check.h"

#include <string.h>

enum { PARALLEL_MIN_FMAS = 1 << 16 };

void mp_conv_dw_channel_scalar(const mp_conv_geometry* g, int64_t k, int64_t nk, const int32_t* idx, const float* val,
                               const float* x, int64_t ldx, float* dw, int accumulate) {
    const int64_t P = (int64_t)g->out_h * g->out_w, Cin = g->in_c, KW = g->kernel_w, run = KW * Cin;
    if (!accumulate)
        for (int64_t i = 0; i < g->kernel_h * run; i++) dw[i] = 0.0f;
    for (int64_t j = 0; j < nk; j++) {
        const float v = val[j];
        if (v == 0.0f) continue;
        const int64_t n = j / k, p = idx[j] - n * P, oh = p / g->out_w, ow = p - oh * g->out_w;
        const int64_t ih0 = oh * g->stride - g->pad_top, iw0 = ow * g->stride - g->pad_left;
        const float* xn = x + n * ldx;
        for (int64_t kh = 0; kh < g->kernel_h; kh++) {
            const int64_t ih = ih0 + kh;
            if (ih < 0 || ih >= g->in_h) continue;
            for (int64_t kw = 0; kw < KW; kw++) {
                const int64_t iw = iw0 + kw;
                if (iw < 0 || iw >= g->in_w) continue;
                const float* xp = xn + (ih * g->in_w + iw) * Cin;
                float* d = dw + kh * run + kw * Cin;
                for (int64_t ci = 0; ci < Cin; ci++) d[ci] += v * xp[ci];
            }
        }
    }
}

void mp_conv_dx_example_scalar(const mp_conv_geometry* g, int64_t n, int64_t channels, int64_t k, const int32_t* idx,
                               int64_t ldi, const float* val, int64_t ldv, const float* w, int64_t ldw, float* dxn) {
    const int64_t P = (int64_t)g->out_h * g->out_w, Cin = g->in_c, KW = g->kernel_w, run = KW * Cin;
    for (int64_t i = 0; i < (int64_t)g->in_h * g->in_w * Cin; i++) dxn[i] = 0.0f;
    for (int64_t c = 0; c < channels; c++)
        for (int64_t t = 0; t < k; t++) {
            const float v = val[c * ldv + n * k + t];
            if (v == 0.0f) continue;
            const int64_t p = idx[c * ldi + n * k + t] - n * P, oh = p / g->out_w, ow = p - oh * g->out_w;
            const int64_t ih0 = oh * g->stride - g->pad_top, iw0 = ow * g->stride - g->pad_left;
            for (int64_t kh = 0; kh < g->kernel_h; kh++) {
                const int64_t ih = ih0 + kh;
                if (ih < 0 || ih >= g->in_h) continue;
                for (int64_t kw = 0; kw < KW; kw++) {
                    const int64_t iw = iw0 + kw;
                    if (iw < 0 || iw >= g->in_w) continue;
                    const float* wr = w + c * ldw + kh * run + kw * Cin;
                    float* d = dxn + (ih * g->in_w + iw) * Cin;
                    for (int64_t ci = 0; ci < Cin; ci++) d[ci] += v * wr[ci];
                }
            }
        }
}

typedef struct {
    int avx2;
    const mp_conv_geometry* g;
    int64_t batch, channels, k;
    const int32_t* idx;
    int64_t ldi;
    const float* val;
    int64_t ldv;
    const float* mat; /* x for dW, w for dx */
    int64_t ldm;
    float* out;       /* dW or dx */
    int64_t ldo;
    int accumulate;
} conv_job;

static void dw_task(int64_t c, void* p) {
    const conv_job* j = (const conv_job*)p;
    const int64_t nk = j->batch * j->k;
    if (j->avx2) mp_conv_dw_channel_avx2(j->g, j->k, nk, j->idx + c * j->ldi, j->val + c * j->ldv, j->mat, j->ldm, j->out + c * j->ldo, j->accumulate);
    else mp_conv_dw_channel_scalar(j->g, j->k, nk, j->idx + c * j->ldi, j->val + c * j->ldv, j->mat, j->ldm, j->out + c * j->ldo, j->accumulate);
}

static void dx_task(int64_t n, void* p) {
    const conv_job* j = (const conv_job*)p;
    if (j->avx2) mp_conv_dx_example_avx2(j->g, n, j->channels, j->k, j->idx, j->ldi, j->val, j->ldv, j->mat, j->ldm, j->out + n * j->ldo);
    else mp_conv_dx_example_scalar(j->g, n, j->channels, j->k, j->idx, j->ldi, j->val, j->ldv, j->mat, j->ldm, j->out + n * j->ldo);
}

/* Geometry, sizes and the selection's indices: each idx[c*ldi + j] must be a position of example j / k. */
static mp_status check_conv(const char* fn, const mp_conv_geometry* geometry, int64_t batch, int64_t channels, int64_t k,
                            const int32_t* idx, int64_t ldi, const float* val, int64_t ldv, const float* mat,
                            const char* mat_name, int64_t ldm, int64_t ldm_min, const char* ldm_name, const float* out,
                            const char* out_name, int64_t ldo, int64_t ldo_min, const char* ldo_name) {
#define MP_FN fn
    MP_CHECK_PTR(geometry);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(val);
    if (mat == NULL) return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, mat_name);
    if (out == NULL) return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, out_name);
    const mp_status st = mp_check_conv_geometry(fn, geometry, batch);
    if (st != MP_OK) return st;
    MP_CHECK_POSITIVE(channels);
    const mp_conv_geometry g = *geometry;
    const int64_t P = (int64_t)g.out_h * g.out_w, image = mp_conv_image_size(&g), K = mp_conv_patch_size(&g),
                  selected = batch * k;
    MP_CHECK_K(k, P);
    MP_CHECK_LD(ldi, selected);
    MP_CHECK_LD(ldv, selected);
    const int64_t need_m = ldm_min == 0 ? image : K, need_o = ldo_min == 0 ? image : K;
    if (ldm < need_m)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: %s = %lld is less than %lld", fn, ldm_name, (long long)ldm, (long long)need_m);
    if (ldo < need_o)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: %s = %lld is less than %lld", fn, ldo_name, (long long)ldo, (long long)need_o);
    for (int64_t c = 0; c < channels; c++)
        for (int64_t n = 0; n < batch; n++) {
            const int32_t* row = idx + c * ldi + n * k;
            const int64_t first = n * P;
            int bad = 0;
            for (int64_t t = 0; t < k; t++) bad |= (uint64_t)((int64_t)row[t] - first) >= (uint64_t)P;
            if (bad)
                for (int64_t t = 0; t < k; t++)
                    if ((uint64_t)((int64_t)row[t] - first) >= (uint64_t)P)
                        return mp_fail(MP_ERR_INVALID_ARGUMENT,
                                       "%s: idx[%lld * ldi + %lld] = %d is not a position of example %lld (rows [%lld, %lld))",
                                       fn, (long long)c, (long long)(n * k + t), row[t], (long long)n, (long long)first,
                                       (long long)(first + P));
        }
#undef MP_FN
    return MP_OK;
}

#define MP_FN "mp_conv_sparse_dw_f32"
mp_status mp_conv_sparse_dw_f32(const mp_conv_geometry* geometry, int64_t batch, int64_t channels, int64_t k,
                                const int32_t* idx, int64_t ldi, const float* val, int64_t ldv, const float* x,
                                int64_t ldx, float* dw, int64_t lddw, int32_t accumulate) {
    const mp_status st = check_conv(MP_FN, geometry, batch, channels, k, idx, ldi, val, ldv, x, "x", ldx, 0, "ldx", dw,
                                    "dw", lddw, 1, "lddw");
    if (st != MP_OK) return st;
    const mp_fp_mode fp = mp_fp_enter();
    const conv_job job = {mp_use_avx2(), geometry, batch, channels, k, idx, ldi, val, ldv, x, ldx, dw, lddw, accumulate != 0};
    const int64_t K = (int64_t)geometry->kernel_h * geometry->kernel_w * geometry->in_c;
    if (mp_get_num_threads() > 1 && channels > 1 && channels * batch * k * K >= PARALLEL_MIN_FMAS)
        mp_parallel_for(channels, dw_task, (void*)&job);
    else
        for (int64_t c = 0; c < channels; c++) dw_task(c, (void*)&job);
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_conv_sparse_dx_f32"
mp_status mp_conv_sparse_dx_f32(const mp_conv_geometry* geometry, int64_t batch, int64_t channels, int64_t k,
                                const int32_t* idx, int64_t ldi, const float* val, int64_t ldv, const float* w,
                                int64_t ldw, float* dx, int64_t lddx) {
    const mp_status st = check_conv(MP_FN, geometry, batch, channels, k, idx, ldi, val, ldv, w, "w", ldw, 1, "ldw", dx,
                                    "dx", lddx, 0, "lddx");
    if (st != MP_OK) return st;
    const mp_fp_mode fp = mp_fp_enter();
    const conv_job job = {mp_use_avx2(), geometry, batch, channels, k, idx, ldi, val, ldv, w, ldw, dx, lddx, 0};
    const int64_t K = (int64_t)geometry->kernel_h * geometry->kernel_w * geometry->in_c;
    if (mp_get_num_threads() > 1 && batch > 1 && channels * batch * k * K >= PARALLEL_MIN_FMAS)
        mp_parallel_for(batch, dx_task, (void*)&job);
    else
        for (int64_t n = 0; n < batch; n++) dx_task(n, (void*)&job);
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN
