/* The argument check of an mp_conv_geometry and its batch, shared by the CPU sparse convolution kernels
 * (src/cpu/conv_sparse.c) and the CUDA convolution kernels (src/cuda/conv_geometry.cuh), so both report the same
 * messages: positive extents, paddings in [0, kernel), outputs whose last window starts inside the input, and the products the kernels index with int32 (image, K) or
 * int64 (batch * P) in range. Not installed. */
#ifndef MEPROP_CONV_GEOMETRY_CHECK_H
#define MEPROP_CONV_GEOMETRY_CHECK_H

#include "internal.h"

/* Floats of one input image (in_h * in_w * in_c) and of one im2col row (K = kernel_h * kernel_w * in_c). */
static inline int64_t mp_conv_image_size(const mp_conv_geometry* g) { return (int64_t)g->in_h * g->in_w * g->in_c; }
static inline int64_t mp_conv_patch_size(const mp_conv_geometry* g) { return (int64_t)g->kernel_h * g->kernel_w * g->in_c; }

static inline mp_status mp_check_conv_geometry(const char* fn, const mp_conv_geometry* geometry, int64_t batch) {
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
    /* The last window must start inside the input ((out - 1) * stride - pad < in): a larger output would be read
     * from padding alone and come out as zeros. */
    const int64_t max_h = ((int64_t)g.in_h + g.pad_top + g.stride - 1) / g.stride;
    const int64_t max_w = ((int64_t)g.in_w + g.pad_left + g.stride - 1) / g.stride;
    if (g.out_h > max_h)
        return mp_fail(MP_ERR_INVALID_ARGUMENT,
                       "%s: g.out_h = %d exceeds the %lld windows that start inside the input (in_h = %d, pad_top = %d, stride = %d)",
                       fn, g.out_h, (long long)max_h, g.in_h, g.pad_top, g.stride);
    if (g.out_w > max_w)
        return mp_fail(MP_ERR_INVALID_ARGUMENT,
                       "%s: g.out_w = %d exceeds the %lld windows that start inside the input (in_w = %d, pad_left = %d, stride = %d)",
                       fn, g.out_w, (long long)max_w, g.in_w, g.pad_left, g.stride);
    MP_CHECK_POSITIVE(batch);
    const int64_t rows = batch * g.out_h * g.out_w, image = mp_conv_image_size(&g), K = mp_conv_patch_size(&g);
    MP_CHECK_INT32_RANGE(rows);
    MP_CHECK_INT32_RANGE(image);
    MP_CHECK_INT32_RANGE(K);
#undef MP_FN
    return MP_OK;
}

#endif
