/* Batch normalization over the rows of a contiguous rows x C matrix (channels-last activations: the statistics of
 * channel c are taken over every example and position), the CUDA backend's BatchNormForwardTraining /
 * ForwardInference / Backward. Same arithmetic as the CPU backend (CpuBackend.Convolution.cs): sums in double, the
 * variance from the deviations (two passes), the running variance from the unbiased batch variance.
 *
 * Deterministic: a block owns kBnTile channels and does everything for them. Its kBnTile x kBnLanes threads each
 * sum a strided subset of the rows in a fixed order (lane ty: rows ty, ty + kBnLanes, ...), the kBnLanes partial
 * sums of a channel are added in a fixed order, then the block normalizes (or backpropagates through) its channels.
 * No atomics, no workspace, one launch. A warp reads 32 consecutive channels of a row (coalesced when C >= 32). */
#include "map2d.cuh"

using namespace mpcuda;

namespace {

constexpr int kBnTile = 32;
constexpr int kBnLanes = 16;

/* Adds the kBnLanes partial sums of each channel of the tile in a fixed order; thread (tx, 0) gets its channel's
 * total. Every thread of the block must call it. */
__device__ __forceinline__ double tile_sum(double s, double (*part)[kBnTile + 1]) {
    part[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    double t = 0.0;
    if (threadIdx.y == 0)
        for (int i = 0; i < kBnLanes; ++i) t += part[i][threadIdx.x];
    __syncthreads(); /* part is free again */
    return t;
}

__global__ void __launch_bounds__(kBnTile * kBnLanes)
bn_training_kernel(const float* __restrict__ x, int64_t rows, int64_t C, const float* __restrict__ gamma,
                   const float* __restrict__ beta, float epsilon, float momentum, float* __restrict__ running_mean,
                   float* __restrict__ running_var, float* xhat, float* __restrict__ inv_std, float* y) {
    __shared__ double part[kBnLanes][kBnTile + 1];
    __shared__ float s_mean[kBnTile], s_inv[kBnTile];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int64_t c = (int64_t)blockIdx.x * kBnTile + tx;
    const bool active = c < C;

    double s = 0.0;
    if (active)
        for (int64_t r = ty; r < rows; r += kBnLanes) s += (double)x[r * C + c];
    const double total = tile_sum(s, part);
    if (ty == 0) s_mean[tx] = (float)(total / (double)rows);
    __syncthreads();
    const float mean = s_mean[tx];

    s = 0.0;
    if (active)
        for (int64_t r = ty; r < rows; r += kBnLanes) {
            const double d = (double)(x[r * C + c] - mean);
            s += d * d;
        }
    const double squares = tile_sum(s, part);
    if (ty == 0 && active) {
        const double variance = squares / (double)rows;
        const double unbias = rows > 1 ? (double)rows / (double)(rows - 1) : 1.0;
        const float inv = (float)(1.0 / sqrt(variance + (double)epsilon));
        inv_std[c] = inv;
        s_inv[tx] = inv;
        const float keep = 1.0f - momentum;
        running_mean[c] = __fadd_rn(__fmul_rn(keep, running_mean[c]), __fmul_rn(momentum, mean));
        running_var[c] = (float)((double)__fmul_rn(keep, running_var[c]) + (double)momentum * variance * unbias);
    }
    __syncthreads();
    if (!active) return;
    const float inv = s_inv[tx], g = gamma[c], b = beta[c];
    for (int64_t r = ty; r < rows; r += kBnLanes) {
        const float xh = __fmul_rn(x[r * C + c] - mean, inv);
        xhat[r * C + c] = xh;
        y[r * C + c] = fmaf(xh, g, b);
    }
}

__global__ void __launch_bounds__(kBnTile * kBnLanes)
bn_backward_kernel(const float* dy, const float* __restrict__ xhat, int64_t rows, int64_t C,
                   const float* __restrict__ gamma, const float* __restrict__ inv_std, float* __restrict__ dgamma,
                   float* __restrict__ dbeta, int accumulate, float* dx) {
    __shared__ double part[kBnLanes][kBnTile + 1];
    __shared__ float s_mdy[kBnTile], s_mdyx[kBnTile], s_scale[kBnTile];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int64_t c = (int64_t)blockIdx.x * kBnTile + tx;
    const bool active = c < C;

    double a = 0.0, b = 0.0;
    if (active)
        for (int64_t r = ty; r < rows; r += kBnLanes) {
            const double g = (double)dy[r * C + c];
            a += g;
            b += g * (double)xhat[r * C + c];
        }
    const double sum_dy = tile_sum(a, part);
    const double sum_dyx = tile_sum(b, part);
    if (ty == 0 && active) {
        dbeta[c] = accumulate ? dbeta[c] + (float)sum_dy : (float)sum_dy;
        dgamma[c] = accumulate ? dgamma[c] + (float)sum_dyx : (float)sum_dyx;
        s_mdy[tx] = (float)(sum_dy / (double)rows);
        s_mdyx[tx] = (float)(sum_dyx / (double)rows);
        s_scale[tx] = __fmul_rn(gamma[c], inv_std[c]);
    }
    __syncthreads();
    if (!active) return;
    const float mdy = s_mdy[tx], mdyx = s_mdyx[tx], scale = s_scale[tx];
    for (int64_t r = ty; r < rows; r += kBnLanes) {
        const float v = dy[r * C + c] - mdy - xhat[r * C + c] * mdyx;
        dx[r * C + c] = v * scale;
    }
}

/* y = x * scale + shift with scale = gamma / sqrt(running_var + eps) (in double, as the CPU backend), shift = beta -
 * running_mean * scale. */
struct BnInferenceOp {
    const float* x;
    int64_t C;
    const float* gamma;
    const float* beta;
    float epsilon;
    const float* running_mean;
    const float* running_var;
    float* y;
    __device__ void operator()(int64_t, int64_t e) const { /* e = r * C + c */
        const int64_t c = e % C;
        const float scale = (float)((double)gamma[c] / sqrt((double)running_var[c] + (double)epsilon));
        const float shift = __fsub_rn(beta[c], __fmul_rn(running_mean[c], scale));
        y[e] = fmaf(x[e], scale, shift);
    }
};

inline dim3 bn_grid(int64_t C) { return dim3((unsigned)ceil_div(C, kBnTile)); }

} // namespace

extern "C" {

mp_status mp_cuda_batchnorm_forward_training_f32(const float* x, int64_t rows, int64_t channels, const float* gamma,
                                                 const float* beta, float epsilon, float momentum,
                                                 float* running_mean, float* running_var, float* xhat, float* inv_std,
                                                 float* y, void* stream) {
#define MP_FN "mp_cuda_batchnorm_forward_training_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(gamma);
    MP_CHECK_PTR(beta);
    MP_CHECK_PTR(running_mean);
    MP_CHECK_PTR(running_var);
    MP_CHECK_PTR(xhat);
    MP_CHECK_PTR(inv_std);
    MP_CHECK_PTR(y);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(channels);
    MP_CHECK_INT32_RANGE(ceil_div(channels, kBnTile));
    clear_stale_error();
    bn_training_kernel<<<bn_grid(channels), dim3(kBnTile, kBnLanes), 0, as_stream(stream)>>>(
        x, rows, channels, gamma, beta, epsilon, momentum, running_mean, running_var, xhat, inv_std, y);
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_batchnorm_forward_inference_f32(const float* x, int64_t rows, int64_t channels, const float* gamma,
                                                  const float* beta, float epsilon, const float* running_mean,
                                                  const float* running_var, float* y, void* stream) {
#define MP_FN "mp_cuda_batchnorm_forward_inference_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(gamma);
    MP_CHECK_PTR(beta);
    MP_CHECK_PTR(running_mean);
    MP_CHECK_PTR(running_var);
    MP_CHECK_PTR(y);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(channels);
    return launch_map2d(MP_FN, 1, rows * channels, /* flat: full blocks whatever C */
                        BnInferenceOp{x, channels, gamma, beta, epsilon, running_mean, running_var, y}, stream);
#undef MP_FN
}

mp_status mp_cuda_batchnorm_backward_f32(const float* dy, const float* xhat, int64_t rows, int64_t channels,
                                         const float* gamma, const float* inv_std, float* dgamma, float* dbeta,
                                         int32_t accumulate, float* dx, void* stream) {
#define MP_FN "mp_cuda_batchnorm_backward_f32"
    MP_CHECK_PTR(dy);
    MP_CHECK_PTR(xhat);
    MP_CHECK_PTR(gamma);
    MP_CHECK_PTR(inv_std);
    MP_CHECK_PTR(dgamma);
    MP_CHECK_PTR(dbeta);
    MP_CHECK_PTR(dx);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(channels);
    MP_CHECK_INT32_RANGE(ceil_div(channels, kBnTile));
    clear_stale_error();
    bn_backward_kernel<<<bn_grid(channels), dim3(kBnTile, kBnLanes), 0, as_stream(stream)>>>(
        dy, xhat, rows, channels, gamma, inv_std, dgamma, dbeta, accumulate != 0, dx);
    return check_launch(MP_FN);
#undef MP_FN
}

} /* extern "C" */
