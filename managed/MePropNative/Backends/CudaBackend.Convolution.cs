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
        int n = input.Rows, positions = g.Positions, K = g.PatchSize;
        if (input.Cols != g.InputSize) throw new ArgumentException($"im2col: input rows have {input.Cols} values, the geometry {g} needs {g.InputSize}.");
        if (columns.Rows != n * positions || columns.Cols != K) throw new ArgumentException($"im2col: columns must be {n * positions} x {K}, not {columns.Rows} x {columns.Cols}.");
        if (n == 0) return;
        CudaLaunch.Im2Col(g.Native, n, P(input), input.Stride, P(columns), columns.Stride, Stream);
    }

    public void Col2Im(Tensor columns, in ConvGeometry geometry, Tensor input)
    {
        var g = geometry;
        int n = input.Rows, positions = g.Positions, K = g.PatchSize;
        if (input.Cols != g.InputSize) throw new ArgumentException($"col2im: input rows have {input.Cols} values, the geometry {g} needs {g.InputSize}.");
        if (columns.Rows != n * positions || columns.Cols != K) throw new ArgumentException($"col2im: columns must be {n * positions} x {K}, not {columns.Rows} x {columns.Cols}.");
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
        if (C < 1 || dy.Cols % C != 0) throw new ArgumentException($"per-map top-k: {dy.Cols} values per example are not a multiple of {C} channels.");
        int positions = dy.Cols / C;
        if (k < 1 || k > positions) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [1, {positions}] (positions per map).");
        if (decay is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(decay), decay, "decay must be in [0, 1).");
        if (scores.Rows != N * C || scores.Cols != positions || !scores.IsContiguous) throw new ArgumentException($"per-map top-k: scores must be a contiguous {N * C} x {positions} tensor.");
        if (mapIndices.Rows != N * C || mapIndices.Cols != k) throw new ArgumentException($"per-map top-k: mapIndices must be {N * C} x {k}.");
        if (indices.Rows != C || indices.Cols != N * k) throw new ArgumentException($"per-map top-k: indices must be {C} x {N * k}.");
        if (values.Rows != C || values.Cols != N * k) throw new ArgumentException($"per-map top-k: values must be {C} x {N * k}.");
        if (running is not null && (running.Length != (long)C * positions || !running.IsContiguous)) throw new ArgumentException($"per-map top-k: running must be a contiguous {C} x {positions} tensor.");
        if (N == 0) return;
        bool useDecay = running is not null && decay > 0;
        CudaLaunch.TopKAbsPerMap(P(dy), N, positions, C, dy.Stride, k, useDecay ? P(running!) : 0, useDecay ? decay : 0f, P(indices), N * k,
            P(values), values.Stride, P(scores), P(mapIndices), k, Stream);
    }

    public void ConvSparseBackwardInput(IndexTensor indices, Tensor values, int k, Tensor weights, in ConvGeometry geometry, Tensor input)
    {
        var g = geometry;
        int N = input.Rows, C = weights.Rows, nk = N * k;
        if (input.Cols != g.InputSize) throw new ArgumentException($"sparse conv dx: input rows have {input.Cols} values, the geometry {g} needs {g.InputSize}.");
        if (weights.Cols != g.PatchSize) throw new ArgumentException($"sparse conv dx: weights must have {g.PatchSize} columns, not {weights.Cols}.");
        if (indices.Rows != C || indices.Cols != nk || values.Rows != C || values.Cols != nk)
            throw new ArgumentException($"sparse conv dx: indices and values must be {C} x {nk} (k = {k} per example and channel).");
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
        if (input.Cols != g.InputSize) throw new ArgumentException($"sparse conv dW: input rows have {input.Cols} values, the geometry {g} needs {g.InputSize}.");
        if (weightGradient.Cols != g.PatchSize) throw new ArgumentException($"sparse conv dW: the gradient must have {g.PatchSize} columns, not {weightGradient.Cols}.");
        if (indices.Rows != C || indices.Cols != nk || values.Rows != C || values.Cols != nk)
            throw new ArgumentException($"sparse conv dW: indices and values must be {C} x {nk} (k = {k} per example and channel).");
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
        CheckPool(x, y, height, width, channels);
        if (x.Rows == 0) return;
        CudaLaunch.MaxPool2x2(P(x), x.Rows, height, width, channels, x.Stride, P(y), y.Stride, Stream);
    }

    public void MaxPool2x2Backward(Tensor x, Tensor y, Tensor dy, int height, int width, int channels, Tensor dx)
    {
        CheckPool(x, y, height, width, channels);
        if (!dy.SameShape(y) || !dx.SameShape(x)) throw new ArgumentException("max-pool backward: dy must have y's shape and dx x's.");
        if (x.Rows == 0) return;
        CudaLaunch.MaxPool2x2Backward(P(x), x.Stride, P(y), y.Stride, P(dy), dy.Stride, x.Rows, height, width, channels, P(dx), dx.Stride,
            Stream);
    }

    private static void CheckPool(Tensor x, Tensor y, int height, int width, int channels)
    {
        if (height < 2 || width < 2 || channels < 1) throw new ArgumentOutOfRangeException(nameof(height), $"2 x 2 pooling needs an image of at least 2 x 2, not {height} x {width} x {channels}.");
        if (x.Cols != height * width * channels) throw new ArgumentException($"max pool: input rows have {x.Cols} values, not {height} x {width} x {channels}.");
        if (y.Rows != x.Rows || y.Cols != height / 2 * (width / 2) * channels) throw new ArgumentException($"max pool: output must be {x.Rows} x {height / 2 * (width / 2) * channels}.");
    }

    // ---- batch normalization ------------------------------------------------------------------------------------------------------

    public void BatchNormForwardTraining(Tensor x, int channels, Tensor gamma, Tensor beta, float epsilon, float momentum,
        Tensor runningMean, Tensor runningVariance, Tensor xhat, Tensor invStd, Tensor y)
    {
        long m = CheckNorm(x, channels, gamma, beta, runningMean, runningVariance, invStd);
        if (!xhat.SameShape(x) || !y.SameShape(x) || !xhat.IsContiguous || !y.IsContiguous) throw new ArgumentException("batch norm: xhat and y must be contiguous with x's shape.");
        if (m < 1) throw new ArgumentException("batch norm: training needs at least one row.");
        CudaLaunch.BatchNormForwardTraining(P(x), m, channels, P(gamma), P(beta), epsilon, momentum, P(runningMean), P(runningVariance),
            P(xhat), P(invStd), P(y), Stream);
    }

    public void BatchNormForwardInference(Tensor x, int channels, Tensor gamma, Tensor beta, float epsilon,
        Tensor runningMean, Tensor runningVariance, Tensor y)
    {
        long m = CheckNorm(x, channels, gamma, beta, runningMean, runningVariance, null);
        if (!y.SameShape(x) || !y.IsContiguous) throw new ArgumentException("batch norm: y must be contiguous with x's shape.");
        if (m == 0) return;
        CudaLaunch.BatchNormForwardInference(P(x), m, channels, P(gamma), P(beta), epsilon, P(runningMean), P(runningVariance), P(y), Stream);
    }

    public void BatchNormBackward(Tensor dy, Tensor xhat, int channels, Tensor gamma, Tensor invStd, Tensor dgamma, Tensor dbeta,
        bool accumulate, Tensor dx)
    {
        int C = channels;
        if (!dy.IsContiguous || !xhat.IsContiguous || !dx.IsContiguous || !dy.SameShape(xhat) || !dx.SameShape(xhat))
            throw new ArgumentException("batch norm backward: dy, xhat and dx must be contiguous and of one shape.");
        if (C < 1 || xhat.Length % C != 0) throw new ArgumentException($"batch norm backward: {xhat.Length} values are not rows of {C} channels.");
        foreach (var t in new[] { gamma, invStd, dgamma, dbeta })
            if (t.Length != C || !t.IsContiguous) throw new ArgumentException($"batch norm backward: per-channel tensors must hold {C} values.");
        long m = xhat.Length / C;
        if (m == 0) return;
        CudaLaunch.BatchNormBackward(P(dy), P(xhat), m, C, P(gamma), P(invStd), P(dgamma), P(dbeta), accumulate, P(dx), Stream);
    }

    private long CheckNorm(Tensor x, int C, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, Tensor? invStd)
    {
        if (!x.IsContiguous) throw new ArgumentException("batch norm: x must be contiguous.");
        if (C < 1 || x.Length % C != 0) throw new ArgumentException($"batch norm: {x.Length} values are not rows of {C} channels.");
        foreach (var t in new[] { gamma, beta, runningMean, runningVariance, invStd })
            if (t is not null && (t.Length != C || !t.IsContiguous)) throw new ArgumentException($"batch norm: per-channel tensors must hold {C} values.");
        Own(x);
        return x.Length / C;
    }
}
