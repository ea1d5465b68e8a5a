/* The fused LSTM cell of the GPU backend, forward and backward: one thread per (row, hidden unit), which reads and
 * writes that unit's four gates. Mirrors CpuBackend.LstmCellForward/Backward (CpuBackend.Sequence.cs). */
#include "map2d.cuh"

using namespace mpcuda;

namespace {

__device__ __forceinline__ float sigmoid_clamped(float x) { return 1.0f / (1.0f + expf(-fminf(fmaxf(x, -30.0f), 30.0f))); }
__device__ __forceinline__ float tanh_clamped(float x) { return tanhf(fminf(fmaxf(x, -15.0f), 15.0f)); }

struct LstmForwardOp {
    float* gates; int64_t ldg; int64_t hidden; const float* c_prev; int64_t ldp;
    float* c; int64_t ldc; float* tanh_c; int64_t ldt; float* h; int64_t ldh;
    __device__ void operator()(int64_t r, int64_t j) const {
        float* z = gates + r * ldg;
        const float i = sigmoid_clamped(z[j]);
        const float f = sigmoid_clamped(z[hidden + j]);
        const float g = tanh_clamped(z[2 * hidden + j]);
        const float o = sigmoid_clamped(z[3 * hidden + j]);
        z[j] = i;
        z[hidden + j] = f;
        z[2 * hidden + j] = g;
        z[3 * hidden + j] = o;
        const float cv = i * g + (c_prev == nullptr ? 0.0f : f * c_prev[r * ldp + j]);
        const float t = tanhf(cv);
        c[r * ldc + j] = cv;
        tanh_c[r * ldt + j] = t;
        h[r * ldh + j] = o * t;
    }
};

struct LstmBackwardOp {
    const float* gates; int64_t ldg; int64_t hidden; const float* c_prev; int64_t ldp;
    const float* tanh_c; int64_t ldt; const float* dh; int64_t lddh; const float* dh_carry; int64_t ldhc;
    int64_t carried_rows; float* dc; int64_t lddc; float* d_gates; int64_t lddg;
    __device__ void operator()(int64_t r, int64_t j) const {
        const float* a = gates + r * ldg;
        float* d = d_gates + r * lddg;
        const bool carried = r < carried_rows;
        const float vh = dh[r * lddh + j] + (carried && dh_carry != nullptr ? dh_carry[r * ldhc + j] : 0.0f);
        const float vt = tanh_c[r * ldt + j];
        const float vi = a[j], vf = a[hidden + j], vg = a[2 * hidden + j], vo = a[3 * hidden + j];
        const float vc = vh * vo * (1.0f - vt * vt) + (carried ? dc[r * lddc + j] : 0.0f);
        d[j] = vc * vg * vi * (1.0f - vi);
        d[hidden + j] = c_prev == nullptr ? 0.0f : vc * c_prev[r * ldp + j] * vf * (1.0f - vf);
        d[2 * hidden + j] = vc * vi * (1.0f - vg * vg);
        d[3 * hidden + j] = vh * vt * vo * (1.0f - vo);
        dc[r * lddc + j] = vc * vf;
    }
};

} // namespace

extern "C" {

mp_status mp_cuda_lstm_cell_forward_f32(float* gates, int64_t rows, int64_t hidden, int64_t ldg, const float* c_prev,
                                        int64_t ldp, float* c, int64_t ldc, float* tanh_c, int64_t ldt, float* h,
                                        int64_t ldh, void* stream) {
#define MP_FN "mp_cuda_lstm_cell_forward_f32"
    MP_CHECK_PTR(gates);
    MP_CHECK_PTR(c);
    MP_CHECK_PTR(tanh_c);
    MP_CHECK_PTR(h);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(hidden);
    MP_CHECK_LD(ldg, 4 * hidden);
    if (c_prev != NULL) MP_CHECK_LD(ldp, hidden);
    MP_CHECK_LD(ldc, hidden);
    MP_CHECK_LD(ldt, hidden);
    MP_CHECK_LD(ldh, hidden);
    return launch_map2d(MP_FN, rows, hidden, LstmForwardOp{gates, ldg, hidden, c_prev, ldp, c, ldc, tanh_c, ldt, h, ldh},
                        stream);
#undef MP_FN
}

mp_status mp_cuda_lstm_cell_backward_f32(const float* gates, int64_t rows, int64_t hidden, int64_t ldg,
                                         const float* c_prev, int64_t ldp, const float* tanh_c, int64_t ldt,
                                         const float* dh, int64_t lddh, const float* dh_carry, int64_t ldhc,
                                         int64_t carried_rows, float* dc, int64_t lddc, float* d_gates, int64_t lddg,
                                         void* stream) {
#define MP_FN "mp_cuda_lstm_cell_backward_f32"
    MP_CHECK_PTR(gates);
    MP_CHECK_PTR(tanh_c);
    MP_CHECK_PTR(dh);
    MP_CHECK_PTR(dc);
    MP_CHECK_PTR(d_gates);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(hidden);
    MP_CHECK_LD(ldg, 4 * hidden);
    if (c_prev != NULL) MP_CHECK_LD(ldp, hidden);
    MP_CHECK_LD(ldt, hidden);
    MP_CHECK_LD(lddh, hidden);
    if (dh_carry != NULL) MP_CHECK_LD(ldhc, hidden);
    MP_CHECK_LD(lddc, hidden);
    MP_CHECK_LD(lddg, 4 * hidden);
    if (carried_rows < 0 || carried_rows > rows)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: carried_rows = %lld is outside [0, rows = %lld]", MP_FN,
                       (long long)carried_rows, (long long)rows);
    return launch_map2d(MP_FN, rows, hidden,
                        LstmBackwardOp{gates, ldg, hidden, c_prev, ldp, tanh_c, ldt, dh, lddh, dh_carry, ldhc,
                                       carried_rows, dc, lddc, d_gates, lddg},
                        stream);
#undef MP_FN
}

} /* extern "C" */
