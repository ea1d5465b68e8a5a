/* Softmax cross-entropy with its statistics, and the row arg-max. One thread per row (the class count is small:
 * 10 for MNIST, tens for the NLP label sets); the statistics are reduced in double in a fixed order. */
#include "map2d.cuh"

using namespace mpcuda;

namespace {

constexpr int kLossBlock = 256;

/* Per block: the sum of its rows' losses and its number of correct rows, into partial[blockIdx.x]. */
struct LossPartial {
    double loss;
    double correct;
};

__global__ void __launch_bounds__(kLossBlock)
softmax_xent_kernel(const float* __restrict__ logits, int64_t rows, int64_t classes, int64_t ldl,
                    const int32_t* __restrict__ labels, float* __restrict__ grad, int64_t ldg, float grad_scale,
                    LossPartial* __restrict__ partial) {
    __shared__ double s_loss[kLossBlock];
    __shared__ double s_correct[kLossBlock];
    const int64_t r = (int64_t)blockIdx.x * kLossBlock + threadIdx.x;
    double loss = 0.0, correct = 0.0;
    if (r < rows) {
        const float* z = logits + r * ldl;
        const int32_t label = labels[r];
        float max = z[0];
        int64_t arg = 0;
        for (int64_t c = 1; c < classes; ++c)
            if (z[c] > max) { max = z[c]; arg = c; }
        if (label < 0 || label >= classes) {
            loss = __int_as_float(0x7fc00000);
            if (grad != nullptr)
                for (int64_t c = 0; c < classes; ++c) grad[r * ldg + c] = __int_as_float(0x7fc00000);
        } else {
            double sum = 0.0;
            for (int64_t c = 0; c < classes; ++c) sum += exp((double)z[c] - (double)max);
            loss = log(sum) - ((double)z[label] - (double)max);
            correct = arg == label ? 1.0 : 0.0;
            if (grad != nullptr) {
                const double inv = 1.0 / sum;
                for (int64_t c = 0; c < classes; ++c) {
                    float p = (float)(exp((double)z[c] - (double)max) * inv);
                    if (p < kSmallestNormal) p = 0.0f;
                    grad[r * ldg + c] = (c == label ? p - 1.0f : p) * grad_scale;
                }
            }
        }
    }
    s_loss[threadIdx.x] = loss;
    s_correct[threadIdx.x] = correct;
    __syncthreads();
    for (int half = kLossBlock / 2; half > 0; half >>= 1) {
        if ((int)threadIdx.x < half) {
            s_loss[threadIdx.x] += s_loss[threadIdx.x + half];
            s_correct[threadIdx.x] += s_correct[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) partial[blockIdx.x] = LossPartial{s_loss[0], s_correct[0]};
}

/* One thread adds the block partials in order and accumulates them into stats (as float, like the CPU). */
__global__ void softmax_xent_finish_kernel(const LossPartial* __restrict__ partial, int64_t blocks, float* stats) {
    if (threadIdx.x != 0 || blockIdx.x != 0) return;
    double loss = 0.0, correct = 0.0;
    for (int64_t b = 0; b < blocks; ++b) { loss += partial[b].loss; correct += partial[b].correct; }
    stats[0] += (float)loss;
    stats[1] += (float)correct;
}

__global__ void __launch_bounds__(kLossBlock)
argmax_rows_kernel(const float* __restrict__ x, int64_t rows, int64_t cols, int64_t ldx, int32_t* __restrict__ out) {
    const int64_t r = (int64_t)blockIdx.x * kLossBlock + threadIdx.x;
    if (r >= rows) return;
    const float* z = x + r * ldx;
    int64_t arg = 0;
    for (int64_t c = 1; c < cols; ++c)
        if (z[c] > z[arg]) arg = c;
    out[r] = (int32_t)arg;
}

int64_t loss_blocks(int64_t rows) { return ceil_div(rows, kLossBlock); }

} // namespace

extern "C" {

mp_status mp_cuda_softmax_xent_workspace_size(int64_t rows, int64_t* bytes) {
#define MP_FN "mp_cuda_softmax_xent_workspace_size"
    MP_CHECK_PTR(bytes);
    MP_CHECK_POSITIVE(rows);
    *bytes = loss_blocks(rows) * (int64_t)sizeof(LossPartial);
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_softmax_xent_f32(const float* logits, int64_t rows, int64_t classes, int64_t ldl,
                                   const int32_t* labels, float* grad, int64_t ldg, float grad_scale, float* stats,
                                   void* workspace, int64_t workspace_bytes, void* stream) {
#define MP_FN "mp_cuda_softmax_xent_f32"
    MP_CHECK_PTR(logits);
    MP_CHECK_PTR(labels);
    MP_CHECK_PTR(stats);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(classes);
    MP_CHECK_LD(ldl, classes);
    if (grad != NULL) MP_CHECK_LD(ldg, classes);
    MP_CHECK_INT32_RANGE(loss_blocks(rows));
    const int64_t need = loss_blocks(rows) * (int64_t)sizeof(LossPartial);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, need);
    clear_stale_error();
    LossPartial* partial = static_cast<LossPartial*>(workspace);
    softmax_xent_kernel<<<(unsigned)loss_blocks(rows), kLossBlock, 0, as_stream(stream)>>>(
        logits, rows, classes, ldl, labels, grad, ldg, grad_scale, partial);
    softmax_xent_finish_kernel<<<1, 32, 0, as_stream(stream)>>>(partial, loss_blocks(rows), stats);
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_argmax_rows_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, int32_t* out, void* stream) {
#define MP_FN "mp_cuda_argmax_rows_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(out);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(ldx, cols);
    MP_CHECK_INT32_RANGE(cols);
    MP_CHECK_INT32_RANGE(loss_blocks(rows));
    clear_stale_error();
    argmax_rows_kernel<<<(unsigned)loss_blocks(rows), kLossBlock, 0, as_stream(stream)>>>(x, rows, cols, ldx, out);
    return check_launch(MP_FN);
#undef MP_FN
}

} /* extern "C" */
