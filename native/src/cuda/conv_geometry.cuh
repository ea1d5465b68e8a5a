/* Shared by the CUDA convolution kernels (conv_im2col.cu, conv_sparse.cu): the host-side check of an
 * mp_conv_geometry (the CPU's, from src/common/conv_geometry_check.h) and the device-side decoding of an
 * im2col column into its (kh, kw, ci). Not installed. */
#ifndef MEPROP_CUDA_CONV_GEOMETRY_CUH
#define MEPROP_CUDA_CONV_GEOMETRY_CUH

#include "conv_geometry_check.h"
#include "cuda_common.cuh"

namespace mpcuda {

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
