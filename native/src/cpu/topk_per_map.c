/* Per-map top-k of a channels-last conv gradient (meProp-CNN): entry points, the scalar reference kernels, the
 * per-map driver and the running-gradient update.
 *
 * Per example (one task slot of workspace per thread): its maps are laid out as rows, eight channels at a time
 * (8 x 8 transposes into an L1-sized block; with decay the score). Plain selection then left-packs each map's
 * positions whose key is not 0 (behind ReLU and max-pooling most of a conv gradient is exactly 0, and the row
 * top-k is slow on rows full of equal keys): if at most k are left, the selection is all of them plus the lowest
 * zero positions; else the row top-k runs on the packed values and its indices are mapped back. Packing keeps
 * index order, so ties still go to the lower position and the selection is exactly the row top-k of the whole
 * map. Decay scores are rarely 0, so their maps go to the row top-k unpacked. */
#include "kernels.h"

#include <math.h>
#include <string.h>

/* Up to TASKS_PER_THREAD tasks (workspace slots) per thread, claimed dynamically: on a machine shared with other
 * jobs a descheduled thread then holds back less of the work. */
enum { PARALLEL_MIN_ELEMENTS = 1 << 15, TASKS_PER_THREAD = 4 };

static int64_t round64(int64_t bytes) { return (bytes + 63) / 64 * 64; }

/* Maps are built MAP_BLOCK channels at a time (an L1-sized block); the update tasks use the area for C sums. */
enum { MAP_BLOCK = 8 };

static int64_t maps_bytes(int64_t P, int64_t C) { return round64((MAP_BLOCK * P > C ? MAP_BLOCK * P : C) * 4); }

static int64_t slot_bytes(int64_t P, int64_t C) {
    return maps_bytes(P, C) + 2 * round64((P + 8) * 4) + mp_topk_row_workspace_bytes(P) + 64;
}

static uint32_t key_of(float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits & 0x7fffffffu;
}

void mp_maps_from_nhwc_scalar(const float* src, int64_t P, int64_t C, int64_t c0, int64_t c1, const float* running,
                              float keep, float fresh, float* maps) {
    for (int64_t c = c0; c < c1; c++)
        for (int64_t p = 0; p < P; p++) {
            const float v = src[p * C + c];
            maps[(c - c0) * P + p] = running != NULL ? keep * running[c * P + p] + fresh * fabsf(v) : v;
        }
}

int64_t mp_compact_nonzero_scalar(const float* x, int64_t n, float* vals, int32_t* pos) {
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (key_of(x[i]) != 0) {
            vals[m] = x[i];
            pos[m] = (int32_t)i;
            m++;
        }
    return m;
}

typedef struct {
    int avx2;
    const float* dy;
    int64_t batch, P, C, lddy, k;
    const float* running; /* NULL: plain top-k */
    float keep, fresh;
    int32_t* idx;
    int64_t ldi;
    float* val;
    int64_t ldv;
    char* ws;
    int64_t slot, slots;
    float decay;
    float* update; /* running, for the update tasks */
} per_map_job;

/* One example: a block of maps at a time, then per map the packed top-k, written channel-major. */
static void select_example(const per_map_job* j, int64_t n, char* slot) {
    const int64_t P = j->P, C = j->C, k = j->k;
    float* maps = (float*)(((uintptr_t)slot + 63) & ~(uintptr_t)63);
    float* vals = (float*)((char*)maps + maps_bytes(P, C));
    int32_t* pos = (int32_t*)((char*)vals + round64((P + 8) * 4));
    void* row_ws = (char*)pos + round64((P + 8) * 4);
    const float* src = j->dy + n * j->lddy;
    const int32_t base = (int32_t)(n * P);
    for (int64_t c0 = 0; c0 < C; c0 += MAP_BLOCK) {
        const int64_t c1 = c0 + MAP_BLOCK < C ? c0 + MAP_BLOCK : C;
        if (j->avx2) mp_maps_from_nhwc_avx2(src, P, C, c0, c1, j->running, j->keep, j->fresh, maps);
        else mp_maps_from_nhwc_scalar(src, P, C, c0, c1, j->running, j->keep, j->fresh, maps);
        for (int64_t c = c0; c < c1; c++) {
            int32_t* out = j->idx + c * j->ldi + n * k;
            float* outv = j->val + c * j->ldv + n * k;
            const float* map = maps + (c - c0) * P;
            if (j->running != NULL) {
                /* decay scores are rarely 0 (the running gradient rarely is): no packing */
                if (j->avx2) mp_topk_row_avx2(map, P, k, out, NULL, row_ws, NULL);
                else mp_topk_row_scalar(map, P, k, out, NULL, row_ws);
                for (int64_t t = 0; t < k; t++) {
                    outv[t] = src[out[t] * C + c];
                    out[t] += base;
                }
                continue;
            }
            const int64_t m = j->avx2 ? mp_compact_nonzero_avx2(map, P, vals, pos) : mp_compact_nonzero_scalar(map, P, vals, pos);
            if (m <= k) {
                /* every non-zero key, and the lowest zero positions for the rest, in position order */
                int64_t quota = k - m, t = 0, q = 0;
                for (int64_t p = 0; t < k; p++) {
                    if (q < m && pos[q] == p) {
                        out[t++] = (int32_t)p;
                        q++;
                    } else if (quota > 0) {
                        out[t++] = (int32_t)p;
                        quota--;
                    } else {
                        p = pos[q] - 1; /* no zero left to take: jump to the next non-zero */
                    }
                }
            } else if (j->avx2) {
                mp_topk_row_avx2(vals, m, k, out, NULL, row_ws, NULL);
                for (int64_t t = 0; t < k; t++) out[t] = pos[out[t]];
            } else {
                mp_topk_row_scalar(vals, m, k, out, NULL, row_ws);
                for (int64_t t = 0; t < k; t++) out[t] = pos[out[t]];
            }
            for (int64_t t = 0; t < k; t++) {
                outv[t] = src[out[t] * C + c];
                out[t] += base;
            }
        }
    }
}

static void select_task(int64_t task, void* p) {
    const per_map_job* j = (const per_map_job*)p;
    char* slot = j->ws + task * j->slot;
    for (int64_t n = task; n < j->batch; n += j->slots) select_example(j, n, slot);
}

/* running[c*P + p] for p in the task's range: decay * running + share * sum_n |dy|, the sum from +0 in order of n.
 * A block of B positions at a time: their B * C sums (laid out like dy, position-major) through the slot's map
 * area, accumulated over contiguous runs of each example's row, then written channel by channel. */
static void update_task(int64_t task, void* p) {
    const per_map_job* j = (const per_map_job*)p;
    const int64_t P = j->P, C = j->C, chunk = (P + j->slots - 1) / j->slots;
    const int64_t p0 = task * chunk, p1 = p0 + chunk < P ? p0 + chunk : P;
    float* sum = (float*)(((uintptr_t)(j->ws + task * j->slot) + 63) & ~(uintptr_t)63);
    const int64_t B = maps_bytes(P, C) / 4 / C; /* >= 1 */
    const float decay = j->decay, share = (1.0f - decay) / (float)j->batch;
    for (int64_t q0 = p0; q0 < p1; q0 += B) {
        const int64_t q1 = q0 + B < p1 ? q0 + B : p1, len = (q1 - q0) * C;
        for (int64_t i = 0; i < len; i++) sum[i] = 0.0f;
        for (int64_t n = 0; n < j->batch; n++) {
            const float* row = j->dy + n * j->lddy + q0 * C;
            for (int64_t i = 0; i < len; i++) sum[i] += fabsf(row[i]);
        }
        for (int64_t c = 0; c < C; c++) {
            float* r = j->update + c * P;
            for (int64_t q = q0; q < q1; q++) r[q] = decay * r[q] + share * sum[(q - q0) * C + c];
        }
    }
}

static mp_status check_shape(const char* fn, int64_t batch, int64_t positions, int64_t channels, int64_t k) {
#define MP_FN fn
    MP_CHECK_POSITIVE(batch);
    MP_CHECK_POSITIVE(positions);
    MP_CHECK_POSITIVE(channels);
    MP_CHECK_K(k, positions);
    const int64_t map_values = positions * channels, rows = batch * positions;
    MP_CHECK_INT32_RANGE(map_values);
    MP_CHECK_INT32_RANGE(rows);
#undef MP_FN
    return MP_OK;
}

#define MP_FN "mp_topk_abs_per_map_workspace_size"
mp_status mp_topk_abs_per_map_workspace_size(int64_t batch, int64_t positions, int64_t channels, int64_t k,
                                             int64_t* bytes) {
    MP_CHECK_PTR(bytes);
    const mp_status st = check_shape(MP_FN, batch, positions, channels, k);
    if (st != MP_OK) return st;
    const int64_t threads = mp_get_num_threads();
    const int64_t slots = TASKS_PER_THREAD * threads < batch ? TASKS_PER_THREAD * threads : batch;
    *bytes = slots * slot_bytes(positions, channels);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_topk_abs_per_map_f32"
mp_status mp_topk_abs_per_map_f32(const float* dy, int64_t batch, int64_t positions, int64_t channels, int64_t lddy,
                                  int64_t k, float* running, float decay, int32_t* idx, int64_t ldi, float* val,
                                  int64_t ldv, void* workspace, int64_t workspace_bytes) {
    MP_CHECK_PTR(dy);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(val);
    const mp_status st = check_shape(MP_FN, batch, positions, channels, k);
    if (st != MP_OK) return st;
    const int64_t map_values = positions * channels, selected = batch * k;
    MP_CHECK_LD(lddy, map_values);
    MP_CHECK_LD(ldi, selected);
    MP_CHECK_LD(ldv, selected);
    MP_CHECK_UNIT_INTERVAL(decay);
    if (decay > 0.0f) MP_CHECK_PTR(running);
    const int64_t slot = slot_bytes(positions, channels);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, slot);

    const int64_t threads = mp_get_num_threads();
    int64_t slots = workspace_bytes / slot;
    if (slots > TASKS_PER_THREAD * threads) slots = TASKS_PER_THREAD * threads;
    if (slots > batch) slots = batch;
    if (threads <= 1 || batch * map_values < PARALLEL_MIN_ELEMENTS) slots = 1;
    const mp_fp_mode fp = mp_fp_enter();
    per_map_job job = {mp_use_avx2(), dy, batch, positions, channels, lddy, k, decay > 0.0f ? running : NULL,
                       decay, 1.0f - decay, idx, ldi, val, ldv, (char*)workspace, slot, slots, decay, running};
    if (slots > 1) mp_parallel_for(slots, select_task, &job);
    else select_task(0, &job);
    if (decay > 0.0f) {
        if (slots > 1) mp_parallel_for(slots, update_task, &job);
        else update_task(0, &job);
    }
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN
