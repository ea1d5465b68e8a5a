/* im2col and col2im over channels-last (NHWC) images (the CUDA backend's Im2Col / Col2Im). im2col is a copy, one
 * thread per element of the column matrix; col2im is written as a gather, one thread per input element summing
 * the column entries copied from it in a fixed order (the CPU backend's order: output positions ascending), so it
 * needs no atomics and is deterministic (bitwise the CPU backend's result). */
#include "conv_geometry.cuh"
#include "map2d.cuh"

using namespace mpcuda;

namespace {

/* cols[r, kk] for r = n * P + p, kk = (kh * KW + kw) * Cin + ci: x[n, ih, iw, ci], or 0 in the padding. */
struct Im2ColOp {
    mp_conv_geometry g;
    const float* x;
    int64_t ldx;
    float* cols;
    int64_t ldc;
    __device__ void operator()(int64_t r, int64_t kk) const {
        const int64_t P = (int64_t)g.out_h * g.out_w;
        const int64_t n = r / P;
        const int p = (int)(r - n * P), oh = p / g.out_w, ow = p - oh * g.out_w;
        const PatchColumn pc = patch_column(g, (int)kk);
        const int ih = oh * g.stride - g.pad_top + pc.kh, iw = ow * g.stride - g.pad_left + pc.kw;
        float v = 0.0f;
        if (ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w) v = x[n * ldx + ((int64_t)ih * g.in_w + iw) * g.in_c + pc.ci];
        cols[r * ldc + kk] = v;
    }
};

/* x[n, e] for e = (ih * W + iw) * Cin + ci: the sum, from +0, of the column entries of every window that covers
 * the pixel, output positions (oh, ow) ascending - kh and kw walk down, since oh = (ih + pad_top - kh) / stride. */
struct Col2ImOp {
    mp_conv_geometry g;
    const float* cols;
    int64_t ldc;
    float* x;
    int64_t ldx;
    __device__ void operator()(int64_t n, int64_t e) const {
        const int ci = (int)(e % g.in_c), pixel = (int)(e / g.in_c);
        const int ih = pixel / g.in_w, iw = pixel - ih * g.in_w;
        const int64_t row0 = n * ((int64_t)g.out_h * g.out_w);
        float s = 0.0f;
        for (int kh = g.kernel_h - 1; kh >= 0; --kh) {
            const int th = ih + g.pad_top - kh;
            if (th < 0 || th % g.stride != 0) continue;
            const int oh = th / g.stride;
            if (oh >= g.out_h) break; /* oh only grows as kh goes down */
            for (int kw = g.kernel_w - 1; kw >= 0; --kw) {
                const int tw = iw + g.pad_left - kw;
                if (tw < 0 || tw % g.stride != 0) continue;
                const int ow = tw / g.stride;
                if (ow >= g.out_w) break;
                s += cols[(row0 + (int64_t)oh * g.out_w + ow) * ldc + ((int64_t)kh * g.kernel_w + kw) * g.in_c + ci];
            }
        }
        x[n * ldx + e] = s;
    }
};

} // namespace

extern "C" {

mp_status mp_cuda_im2col_f32(const mp_conv_geometry* geometry, int64_t batch, const float* x, int64_t ldx, float* cols,
                             int64_t ldc, void* stream) {
#define MP_FN "mp_cuda_im2col_f32"
    const mp_status st = mp_check_conv_geometry(MP_FN, geometry, batch);
    if (st != MP_OK) return st;
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(cols);
    const mp_conv_geometry g = *geometry;
    const int64_t image = mp_conv_image_size(&g), K = mp_conv_patch_size(&g);
    MP_CHECK_LD(ldx, image);
    MP_CHECK_LD(ldc, K);
    return launch_map2d(MP_FN, batch * g.out_h * g.out_w, K, Im2ColOp{g, x, ldx, cols, ldc}, stream);
#undef MP_FN
}

mp_status mp_cuda_col2im_f32(const mp_conv_geometry* geometry, int64_t batch, const float* cols, int64_t ldc, float* x,
                             int64_t ldx, void* stream) {
#define MP_FN "mp_cuda_col2im_f32"
    const mp_status st = mp_check_conv_geometry(MP_FN, geometry, batch);
    if (st != MP_OK) return st;
    MP_CHECK_PTR(cols);
    MP_CHECK_PTR(x);
    const mp_conv_geometry g = *geometry;
    const int64_t image = mp_conv_image_size(&g), K = mp_conv_patch_size(&g);
    MP_CHECK_LD(ldc, K);
    MP_CHECK_LD(ldx, image);
    return launch_map2d(MP_FN, batch, image, Col2ImOp{g, cols, ldc, x, ldx}, stream);
#undef MP_FN
}

} /* extern "C" */
