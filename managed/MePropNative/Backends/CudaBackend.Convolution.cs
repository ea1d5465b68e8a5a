using MePropNative.Bindings.Cuda;
using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// The convolutional-network family on the CUDA backend, every operation a libmeprop kernel (native/src/cuda:
/// conv_im2col.cu, topk_per_map.cu, conv_sparse.cu, pool.cu, batchnorm.cu; contracts in meprop.h) with the CPU
/// backend's shape checks and semantics: im2col (a copy) and col2im (a gather in the CPU's order), per-feature-map
/// top-k (the CPU's selection, layout and running-gradient update, bitwise), the sparse convolution backward (dW from
/// the input images in a fixed order; dx with atomic adds, so the order of its additions - hence the last bits - is
/// not fixed), row sums, 2 x 2 max pooling (the CPU's NaN and tie rules) and batch norm (fixed-order per-channel sums
/// in double). Everything except the sparse dx is deterministic run to run. The kernels were checked under the CPU
/// emulation (tests/native/cuda_emu) and compiled with nvcc; see docs/gpu.md.
/// </summary>
public sealed partial class CudaBackend
{
    // ---- im2col / col2im ------------------------------------------------------------------------------------------------

    public void Im2Col(Tensor input, in ConvGeometry geometry, Tensor columns)
    {
        var g = geometry;
        int n = input.Rows;
        ConvolutionShapes.Im2Col("im2col", input, g, columns);
        if (n == 0) return;
        CudaLaunch.Im2Col(g.Native, n, P(input), input.Stride, P(columns), columns.Stride, Stream);
    }

    public void Col2Im(Tensor columns, in ConvGeometry geometry, Tensor input)
    {
        var g = geometry;
        int n = input.Rows;
        ConvolutionShapes.Im2Col("col2im", input, g, columns);
        if (n == 0) return;
        CudaLaunch.Col2Im(g.Native, n, P(columns), columns.Stride, P(input), input.Stride, Stream);
    }

    // ---- per-map top-k and the sparse convolution backward ------------------------------------------------------------------

    /// <summary>libmeprop's per-map kernel: the scores go through <paramref name="scores"/> and the per-map selection
    /// through <paramref name="mapIndices"/> (both device workspace here), then the channel-major regrouping and, with
    /// decay, the running-gradient update.</summary>
    public void TopKPerMap(Tensor dy, int channels, int k, Tensor? running, float decay, Tensor scores, IndexTensor mapIndices,
        IndexTensor indices, Tensor values)
    {
        int N = dy.Rows, C = channels;
        int positions = ConvolutionShapes.TopKPerMap(dy, channels, k, running, decay, scores, mapIndices, indices, values);
        if (N == 0) return;
        bool useDecay = running is not null && decay > 0;
        CudaLaunch.TopKAbsPerMap(P(dy), N, positions, C, dy.Stride, k, useDecay ? P(running!) : 0, useDecay ? decay : 0f, P(indices), N * k,
            P(values), values.Stride, P(scores), P(mapIndices), k, Stream);
    }

    public void ConvSparseBackwardInput(IndexTensor indices, Tensor values, int k, Tensor weights, in ConvGeometry geometry, Tensor input)
    {
        var g = geometry;
        int N = input.Rows, C = weights.Rows, nk = N * k;
        ConvolutionShapes.SparseInput(indices, values, k, weights, g, input);
        if (N == 0) return;
        if (C == 0) { Fill(input, 0); return; }
        CudaLaunch.ConvSparseInputGradient(g.Native, N, C, k, P(indices), nk, P(values), values.Stride, P(weights), weights.Stride,
            P(input), input.Stride, Stream);
    }

    public void ConvSparseBackwardWeights(IndexTensor indices, Tensor values, int k, Tensor input, in ConvGeometry geometry,
        Tensor weightGradient, bool accumulate)
    {
        var g = geometry;
        int N = input.Rows, C = weightGradient.Rows, nk = N * k;
        ConvolutionShapes.SparseWeights(indices, values, k, input, g, weightGradient);
        if (N == 0 || C == 0) return;
        CudaLaunch.ConvSparseWeightGradient(g.Native, N, C, k, P(indices), nk, P(values), values.Stride, P(input), input.Stride,
            P(weightGradient), weightGradient.Stride, accumulate, Stream);
    }

    private TensorCache? columnsGradientScratch;

    /// <summary>The per-example sparse "dx" product with the channels as rows and the im2col rows as weight rows, which
    /// the backend has; accumulating goes through a scratch Cout x K tensor and an axpy.</summary>
    public void ConvSparseBackwardWeightsFromColumns(IndexTensor indices, Tensor values, Tensor columns, Tensor weightGradient, bool accumulate)
    {
        if (!accumulate) { SparseBackwardDx(indices, values, columns, weightGradient); return; }
        columnsGradientScratch ??= new TensorCache(this);
        var scratch = columnsGradientScratch.Get(weightGradient.Rows, weightGradient.Cols);
        SparseBackwardDx(indices, values, columns, scratch);
        Axpy(1f, scratch, weightGradient);
    }

    public void RowSums(Tensor x, Tensor output, bool accumulate)
    {
        if (output.Length != x.Rows) throw new ArgumentException($"output has {output.Length} elements, x has {x.Rows} rows.");
        if (!output.IsContiguous) throw new ArgumentException("output must be contiguous.");
        if (x.Rows == 0) return;
        if (x.Cols == 0) { if (!accumulate) Fill(output, 0); return; }
        CudaLaunch.RowSums(P(x), x.Rows, x.Cols, x.Stride, P(output), accumulate, Stream);
    }

    // ---- max pooling ------------------------------------------------------------------------------------------------------

    public void MaxPool2x2(Tensor x, int height, int width, int channels, Tensor y)
    {
        ConvolutionShapes.Pool(x, y, height, width, channels);
        if (x.Rows == 0) return;
        CudaLaunch.MaxPool2x2(P(x), x.Rows, height, width, channels, x.Stride, P(y), y.Stride, Stream);
    }

    public void MaxPool2x2Backward(Tensor x, Tensor y, Tensor dy, int height, int width, int channels, Tensor dx)
    {
        ConvolutionShapes.PoolBackward(x, y, dy, height, width, channels, dx);
        if (x.Rows == 0) return;
        CudaLaunch.MaxPool2x2Backward(P(x), x.Stride, P(y), y.Stride, P(dy), dy.Stride, x.Rows, height, width, channels, P(dx), dx.Stride,
            Stream);
    }

    // ---- batch normalization ------------------------------------------------------------------------------------------------------

    public void BatchNormForwardTraining(Tensor x, int channels, Tensor gamma, Tensor beta, float epsilon, float momentum,
        Tensor runningMean, Tensor runningVariance, Tensor xhat, Tensor invStd, Tensor y)
    {
        long m = ConvolutionShapes.BatchNormTraining(x, channels, gamma, beta, runningMean, runningVariance, xhat, invStd, y);
        Own(x);
        CudaLaunch.BatchNormForwardTraining(P(x), m, channels, P(gamma), P(beta), epsilon, momentum, P(runningMean), P(runningVariance),
            P(xhat), P(invStd), P(y), Stream);
    }

    public void BatchNormForwardInference(Tensor x, int channels, Tensor gamma, Tensor beta, float epsilon,
        Tensor runningMean, Tensor runningVariance, Tensor y)
    {
        long m = ConvolutionShapes.BatchNormInference(x, channels, gamma, beta, runningMean, runningVariance, y);
        Own(x);
        if (m == 0) return;
        CudaLaunch.BatchNormForwardInference(P(x), m, channels, P(gamma), P(beta), epsilon, P(runningMean), P(runningVariance), P(y), Stream);
    }

    public void BatchNormBackward(Tensor dy, Tensor xhat, int channels, Tensor gamma, Tensor invStd, Tensor dgamma, Tensor dbeta,
        bool accumulate, Tensor dx)
    {
        int C = channels;
        long m = ConvolutionShapes.BatchNormBackward(dy, xhat, C, gamma, invStd, dgamma, dbeta, dx);
        if (m == 0) return;
        CudaLaunch.BatchNormBackward(P(dy), P(xhat), m, C, P(gamma), P(invStd), P(dgamma), P(dbeta), accumulate, P(dx), Stream);
    }

}
