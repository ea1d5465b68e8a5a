/* Shared by the CUDA convolution kernels (conv_im2col.cu, conv_sparse.cu): the host-side check of an
 * mp_conv_geometry (the same rules and messages as the CPU's conv_sparse.c) and the device-side decoding of an
 * im2col column into its (kh, kw, ci). Not installed. */
#ifndef MEPROP_CUDA_CONV_GEOMETRY_CUH
#define MEPROP_CUDA_CONV_GEOMETRY_CUH

#include "cuda_common.cuh"

namespace mpcuda {

/* The geometry's sizes: positive extents, paddings in [0, kernel), and the products the kernels index with int32
 * (image, K) or int64 (batch * P) in range. */
inline mp_status check_conv_geometry(const char* fn, const mp_conv_geometry* geometry, int64_t batch) {
#define MP_FN fn
    MP_CHECK_PTR(geometry);
    const mp_conv_geometry g = *geometry;
    MP_CHECK_POSITIVE(g.in_h);
    MP_CHECK_POSITIVE(g.in_w);
    MP_CHECK_POSITIVE(g.in_c);
    MP_CHECK_POSITIVE(g.kernel_h);
    MP_CHECK_POSITIVE(g.kernel_w);
    MP_CHECK_POSITIVE(g.stride);
    MP_CHECK_POSITIVE(g.out_h);
    MP_CHECK_POSITIVE(g.out_w);
    if (g.pad_top < 0 || g.pad_top >= g.kernel_h)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: g.pad_top = %d must be in [0, kernel_h = %d)", fn, g.pad_top, g.kernel_h);
    if (g.pad_left < 0 || g.pad_left >= g.kernel_w)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: g.pad_left = %d must be in [0, kernel_w = %d)", fn, g.pad_left, g.kernel_w);
    MP_CHECK_POSITIVE(batch);
    const int64_t P = (int64_t)g.out_h * g.out_w, image = (int64_t)g.in_h * g.in_w * g.in_c,
                  K = (int64_t)g.kernel_h * g.kernel_w * g.in_c, rows = batch * P;
    MP_CHECK_INT32_RANGE(rows);
    MP_CHECK_INT32_RANGE(image);
    MP_CHECK_INT32_RANGE(K);
#undef MP_FN
    return MP_OK;
}

/* An im2col column kk = (kh * kernel_w + kw) * in_c + ci, decoded once per thread. */
struct PatchColumn {
    int kh, kw, ci;
};

__device__ __forceinline__ PatchColumn patch_column(const mp_conv_geometry& g, int kk) {
    const int run = g.kernel_w * g.in_c;
    const int kh = kk / run, rest = kk - kh * run;
    const int kw = rest / g.in_c;
    return PatchColumn{kh, kw, rest - kw * g.in_c};
}

} // namespace mpcuda

#endif
