/* Per-feature-map top-k of a channels-last conv gradient (meProp-CNN), the CUDA version of mp_topk_abs_per_map_f32
 * (same contract, meprop.h). Four launches on the stream:
 *   1. scores: the maps as rows of a (batch * channels) x positions matrix (row n * C + c): dy itself, or with
 *      decay the score decay * running + (1 - decay) * |dy| (two products and a sum, rounded one by one: no FMA,
 *      bitwise the CPU's score);
 *   2. the row top-k of select.cuh on those rows by abs_key (|x|, NaN highest, ties to the lower position,
 *      positions ascending): map_idx, (batch * channels) x k;
 *   3. the channel-major regrouping: idx[c, n k + t] = n P + p_t, val[c, n k + t] = dy[n, p_t, c];
 *   4. with decay, the running-gradient update: running = decay * running + ((1 - decay) / batch) * sum_n |dy|,
 *      one thread per (p, c) summing over n in order from +0 (bitwise the CPU's update).
 * scores and map_idx are the caller's device workspace. Deterministic: no atomics. */
#include "map2d.cuh"
#include "select.cuh"

using namespace mpcuda;

namespace {

/* scores[(n * C + c) * P + p] from dy[n, p * C + c], one thread per element of dy in its order (coalesced reads). */
struct PerMapScoresOp {
    const float* dy;
    int64_t lddy, P, C;
    const float* running; /* NULL: plain |dy| selection */
    float keep, fresh;
    float* scores;
    __device__ void operator()(int64_t, int64_t e) const {
        const int64_t r = e / C, c = e - r * C, n = r / P, p = r - n * P;
        const float v = dy[n * lddy + p * C + c];
        scores[(n * C + c) * P + p] =
            running != nullptr ? __fadd_rn(__fmul_rn(keep, running[c * P + p]), __fmul_rn(fresh, fabsf(v))) : v;
    }
};

struct ScoreKeys {
    const float* scores;
    int64_t P;
    __device__ __forceinline__ uint32_t operator()(int64_t row, int64_t i) const { return abs_key(scores[row * P + i]); }
};

/* Element e = (n * C + c) * k + t of map_idx -> entry n * k + t of channel c. */
struct PerMapRegroupOp {
    const int32_t* map_idx;
    int64_t ldm, P, C, k;
    const float* dy;
    int64_t lddy;
    int32_t* idx;
    int64_t ldi;
    float* val;
    int64_t ldv;
    __device__ void operator()(int64_t, int64_t e) const {
        const int64_t row = e / k, t = e - row * k, n = row / C, c = row - n * C;
        const int32_t p = map_idx[row * ldm + t];
        idx[c * ldi + n * k + t] = (int32_t)(n * P + p);
        val[c * ldv + n * k + t] = dy[n * lddy + (int64_t)p * C + c];
    }
};

/* running[c * P + p] for e = p * C + c: decay * running + share * (sum over n in order of |dy[n, p, c]|). */
struct RunningUpdateOp {
    const float* dy;
    int64_t lddy, batch, P, C;
    float decay, share;
    float* running;
    __device__ void operator()(int64_t, int64_t e) const {
        const int64_t p = e / C, c = e - p * C;
        float sum = 0.0f;
        for (int64_t n = 0; n < batch; ++n) sum = __fadd_rn(sum, fabsf(dy[n * lddy + p * C + c]));
        float* r = running + c * P + p;
        *r = __fadd_rn(__fmul_rn(decay, *r), __fmul_rn(share, sum));
    }
};

} // namespace

extern "C" {

mp_status mp_cuda_topk_abs_per_map_f32(const float* dy, int64_t batch, int64_t positions, int64_t channels, int64_t lddy,
                                       int64_t k, float* running, float decay, int32_t* idx, int64_t ldi, float* val,
                                       int64_t ldv, float* scores, int32_t* map_idx, int64_t ldm, void* stream) {
#define MP_FN "mp_cuda_topk_abs_per_map_f32"
    MP_CHECK_PTR(dy);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(val);
    MP_CHECK_PTR(scores);
    MP_CHECK_PTR(map_idx);
    MP_CHECK_POSITIVE(batch);
    MP_CHECK_POSITIVE(positions);
    MP_CHECK_POSITIVE(channels);
    MP_CHECK_K(k, positions);
    const int64_t map_values = positions * channels, rows = batch * positions, maps = batch * channels,
                  selected = batch * k;
    MP_CHECK_INT32_RANGE(map_values);
    MP_CHECK_INT32_RANGE(rows);
    MP_CHECK_INT32_RANGE(maps);
    MP_CHECK_LD(lddy, map_values);
    MP_CHECK_LD(ldi, selected);
    MP_CHECK_LD(ldv, selected);
    MP_CHECK_LD(ldm, k);
    MP_CHECK_UNIT_INTERVAL(decay);
    const bool use_decay = decay > 0.0f;
    if (use_decay) MP_CHECK_PTR(running);

    /* flat launches (one row of all elements): full blocks whatever the number of channels */
    mp_status st = launch_map2d(MP_FN, 1, rows * channels,
                                PerMapScoresOp{dy, lddy, positions, channels, use_decay ? running : nullptr, decay,
                                               1.0f - decay, scores},
                                stream);
    if (st != MP_OK) return st;
    clear_stale_error();
    launch_topk_rows(ScoreKeys{scores, positions}, maps, positions, k, map_idx, ldm, static_cast<float*>(nullptr), 1,
                     static_cast<const float*>(nullptr), 0, as_stream(stream));
    st = check_launch(MP_FN);
    if (st != MP_OK) return st;
    st = launch_map2d(MP_FN, 1, maps * k,
                      PerMapRegroupOp{map_idx, ldm, positions, channels, k, dy, lddy, idx, ldi, val, ldv}, stream);
    if (st != MP_OK || !use_decay) return st;
    return launch_map2d(MP_FN, 1, map_values,
                        RunningUpdateOp{dy, lddy, batch, positions, channels, decay, (1.0f - decay) / (float)batch,
                                        running},
                        stream);
#undef MP_FN
}

} /* extern "C" */
