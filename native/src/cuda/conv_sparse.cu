/* Sparse backward of a convolution (meProp-CNN) from the channel-major selection of mp_cuda_topk_abs_per_map_f32,
 * the CUDA versions of mp_conv_sparse_dw_f32 / mp_conv_sparse_dx_f32 (same contracts, meprop.h, except that the
 * indices live on the device and are not checked on the host: an entry whose index is not a position of its
 * example is skipped, like an entry whose value is exactly 0).
 *  dW: deterministic. A block owns one output channel and kConvBlock columns of its dW row (one thread per column
 *      (kh, kw, ci)); it walks the channel's entries in order (staged kConvBlock at a time in shared memory: value,
 *      image offset, window origin) and each thread accumulates value * x at its column's pixel, so every dW element
 *      is one fixed-order sum, the CPU's order.
 *  dx: zeroed, then one block per entry (grid-stride) adds value * W[c, :] onto its window's input pixels with
 *      atomicAdd. Windows of different entries overlap, so the ORDER of the additions onto a pixel is not fixed:
 *      results agree with the CPU to rounding but may differ in the last bits from run to run. */
#include "conv_geometry.cuh"
#include "map2d.cuh"

using namespace mpcuda;

namespace {

constexpr int kConvBlock = 128;
constexpr int64_t kMaxEntryBlocks = 65535;

__global__ void __launch_bounds__(kConvBlock)
conv_dw_kernel(mp_conv_geometry g, int64_t channels, int64_t k, int64_t nk, const int32_t* __restrict__ idx,
               int64_t ldi, const float* __restrict__ val, int64_t ldv, const float* __restrict__ x, int64_t ldx,
               float* __restrict__ dw, int64_t lddw, int accumulate) {
    __shared__ float s_v[kConvBlock];
    __shared__ int64_t s_image[kConvBlock];
    __shared__ int s_ih0[kConvBlock], s_iw0[kConvBlock];
    const int tid = threadIdx.x;
    const int K = g.kernel_h * g.kernel_w * g.in_c, P = g.out_h * g.out_w;
    const int kk = blockIdx.x * kConvBlock + tid;
    const bool active = kk < K;
    const PatchColumn pc = patch_column(g, active ? kk : 0);
    const int pixel_offset = pc.kh * g.in_w * g.in_c + pc.kw * g.in_c + pc.ci;
    for (int64_t c = blockIdx.y; c < channels; c += gridDim.y) { /* uniform over the block */
        float acc = active && accumulate ? dw[c * lddw + kk] : 0.0f;
        for (int64_t j0 = 0; j0 < nk; j0 += kConvBlock) {
            const int64_t j = j0 + tid;
            float v = 0.0f;
            int64_t image = 0;
            int ih0 = 0, iw0 = 0;
            if (j < nk) {
                const int64_t n = j / k, p = (int64_t)idx[c * ldi + j] - n * P;
                if (p >= 0 && p < P) {
                    v = val[c * ldv + j];
                    const int oh = (int)p / g.out_w, ow = (int)p - oh * g.out_w;
                    ih0 = oh * g.stride - g.pad_top;
                    iw0 = ow * g.stride - g.pad_left;
                    image = n * ldx + ((int64_t)ih0 * g.in_w + iw0) * g.in_c;
                }
            }
            s_v[tid] = v;
            s_image[tid] = image;
            s_ih0[tid] = ih0;
            s_iw0[tid] = iw0;
            __syncthreads();
            if (active) {
                const int count = nk - j0 < kConvBlock ? (int)(nk - j0) : kConvBlock;
                for (int t = 0; t < count; ++t) {
                    const float vt = s_v[t];
                    if (vt == 0.0f) continue;
                    const int ih = s_ih0[t] + pc.kh, iw = s_iw0[t] + pc.kw;
                    if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
                    acc = fmaf(vt, x[s_image[t] + pixel_offset], acc);
                }
            }
            __syncthreads(); /* the stage is read: the next one may overwrite it */
        }
        if (active) dw[c * lddw + kk] = acc;
    }
}

__global__ void __launch_bounds__(kConvBlock)
conv_dx_kernel(mp_conv_geometry g, int64_t k, int64_t nk, int64_t entries, const int32_t* __restrict__ idx, int64_t ldi,
               const float* __restrict__ val, int64_t ldv, const float* __restrict__ w, int64_t ldw, float* dx,
               int64_t lddx) {
    const int K = g.kernel_h * g.kernel_w * g.in_c, P = g.out_h * g.out_w;
    for (int64_t e = blockIdx.x; e < entries; e += gridDim.x) {
        const int64_t c = e / nk, j = e - c * nk, n = j / k;
        const float v = val[c * ldv + j];
        const int64_t p = (int64_t)idx[c * ldi + j] - n * P;
        if (v == 0.0f || p < 0 || p >= P) continue; /* uniform over the block */
        const int oh = (int)p / g.out_w, ow = (int)p - oh * g.out_w;
        const int ih0 = oh * g.stride - g.pad_top, iw0 = ow * g.stride - g.pad_left;
        for (int kk = threadIdx.x; kk < K; kk += kConvBlock) {
            const PatchColumn pc = patch_column(g, kk);
            const int ih = ih0 + pc.kh, iw = iw0 + pc.kw;
            if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
            atomicAdd(&dx[n * lddx + ((int64_t)ih * g.in_w + iw) * g.in_c + pc.ci], v * w[c * ldw + kk]);
        }
    }
}

struct ZeroOp {
    float* x;
    int64_t ldx;
    __device__ void operator()(int64_t r, int64_t c) const { x[r * ldx + c] = 0.0f; }
};

/* The CPU's check_conv without the index scan (the indices are on the device). */
mp_status check_sparse(const char* fn, const mp_conv_geometry* geometry, int64_t batch, int64_t channels, int64_t k,
                       const int32_t* idx, int64_t ldi, const float* val, int64_t ldv) {
    const mp_status st = mp_check_conv_geometry(fn, geometry, batch);
    if (st != MP_OK) return st;
#define MP_FN fn
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(val);
    MP_CHECK_POSITIVE(channels);
    const int64_t P = (int64_t)geometry->out_h * geometry->out_w, selected = batch * k;
    MP_CHECK_K(k, P);
    MP_CHECK_LD(ldi, selected);
    MP_CHECK_LD(ldv, selected);
#undef MP_FN
    return MP_OK;
}

} // namespace

extern "C" {

mp_status mp_cuda_conv_sparse_dw_f32(const mp_conv_geometry* geometry, int64_t batch, int64_t channels, int64_t k,
                                     const int32_t* idx, int64_t ldi, const float* val, int64_t ldv, const float* x,
                                     int64_t ldx, float* dw, int64_t lddw, int32_t accumulate, void* stream) {
#define MP_FN "mp_cuda_conv_sparse_dw_f32"
    const mp_status st = check_sparse(MP_FN, geometry, batch, channels, k, idx, ldi, val, ldv);
    if (st != MP_OK) return st;
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(dw);
    const mp_conv_geometry g = *geometry;
    const int64_t image = mp_conv_image_size(&g), K = mp_conv_patch_size(&g);
    MP_CHECK_LD(ldx, image);
    MP_CHECK_LD(lddw, K);
    clear_stale_error();
    const dim3 grid((unsigned)ceil_div(K, kConvBlock), grid_y(channels));
    conv_dw_kernel<<<grid, kConvBlock, 0, as_stream(stream)>>>(g, channels, k, batch * k, idx, ldi, val, ldv, x, ldx,
                                                                dw, lddw, accumulate != 0);
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_conv_sparse_dx_f32(const mp_conv_geometry* geometry, int64_t batch, int64_t channels, int64_t k,
                                     const int32_t* idx, int64_t ldi, const float* val, int64_t ldv, const float* w,
                                     int64_t ldw, float* dx, int64_t lddx, void* stream) {
#define MP_FN "mp_cuda_conv_sparse_dx_f32"
    const mp_status st0 = check_sparse(MP_FN, geometry, batch, channels, k, idx, ldi, val, ldv);
    if (st0 != MP_OK) return st0;
    MP_CHECK_PTR(w);
    MP_CHECK_PTR(dx);
    const mp_conv_geometry g = *geometry;
    const int64_t image = mp_conv_image_size(&g), K = mp_conv_patch_size(&g);
    MP_CHECK_LD(ldw, K);
    MP_CHECK_LD(lddx, image);
    const mp_status st = launch_map2d(MP_FN, batch, image, ZeroOp{dx, lddx}, stream);
    if (st != MP_OK) return st;
    const int64_t entries = channels * batch * k;
    clear_stale_error();
    const unsigned blocks = (unsigned)(entries < kMaxEntryBlocks ? entries : kMaxEntryBlocks);
    conv_dx_kernel<<<blocks, kConvBlock, 0, as_stream(stream)>>>(g, k, batch * k, entries, idx, ldi, val, ldv, w, ldw,
                                                                 dx, lddx);
    return check_launch(MP_FN);
#undef MP_FN
}

} /* extern "C" */
