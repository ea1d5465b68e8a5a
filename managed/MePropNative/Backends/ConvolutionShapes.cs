using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// The argument checks of the convolutional-network operations (<see cref="IBackend"/>'s convolution family), shared by
/// the CPU and CUDA backends so that a wrong shape gets the same message on every device. Each throws an
/// <see cref="ArgumentException"/> naming the operation, the tensor and the shape it needs.
/// </summary>
internal static class ConvolutionShapes
{
    /// <summary>im2col and col2im ("im2col" or "col2im" as <paramref name="operation"/>): input N x InputSize, columns
    /// (N * Positions) x PatchSize.</summary>
    public static void Im2Col(string operation, Tensor input, in ConvGeometry g, Tensor columns)
    {
        int n = input.Rows, positions = g.Positions, patch = g.PatchSize;
        if (input.Cols != g.InputSize) throw new ArgumentException($"{operation}: input rows have {input.Cols} values, the geometry {g} needs {g.InputSize}.");
        if (columns.Rows != n * positions || columns.Cols != patch)
            throw new ArgumentException($"{operation}: columns must be {n * positions} x {patch}, not {columns.Rows} x {columns.Cols}.");
    }

    /// <summary>Per-map top-k; returns the positions per map.</summary>
    public static int TopKPerMap(Tensor dy, int channels, int k, Tensor? running, float decay, Tensor scores, IndexTensor mapIndices,
        IndexTensor indices, Tensor values)
    {
        int N = dy.Rows, C = channels;
        if (C < 1 || dy.Cols % C != 0) throw new ArgumentException($"per-map top-k: {dy.Cols} values per example are not a multiple of {C} channels.");
        int P = dy.Cols / C;
        if (k < 1 || k > P) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [1, {P}] (positions per map).");
        if (decay is not (>= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "decay must be in [0, 1).");
        if (scores.Rows != N * C || scores.Cols != P || !scores.IsContiguous) throw new ArgumentException($"per-map top-k: scores must be a contiguous {N * C} x {P} tensor.");
        if (mapIndices.Rows != N * C || mapIndices.Cols != k) throw new ArgumentException($"per-map top-k: mapIndices must be {N * C} x {k}.");
        if (indices.Rows != C || indices.Cols != N * k) throw new ArgumentException($"per-map top-k: indices must be {C} x {N * k}.");
        if (values.Rows != C || values.Cols != N * k) throw new ArgumentException($"per-map top-k: values must be {C} x {N * k}.");
        if (running is not null && (running.Length != (long)C * P || !running.IsContiguous)) throw new ArgumentException($"per-map top-k: running must be a contiguous {C} x {P} tensor.");
        return P;
    }

    /// <summary>The sparse input gradient: input N x InputSize, weights C x PatchSize, indices and values C x (N k).</summary>
    public static void SparseInput(IndexTensor indices, Tensor values, int k, Tensor weights, in ConvGeometry g, Tensor input)
    {
        if (input.Cols != g.InputSize) throw new ArgumentException($"sparse conv dx: input rows have {input.Cols} values, the geometry {g} needs {g.InputSize}.");
        if (weights.Cols != g.PatchSize) throw new ArgumentException($"sparse conv dx: weights must have {g.PatchSize} columns, not {weights.Cols}.");
        Selection("sparse conv dx", indices, values, weights.Rows, input.Rows * k, k);
    }

    /// <summary>The sparse weight gradient: input N x InputSize, weightGradient C x PatchSize, indices and values C x (N k).</summary>
    public static void SparseWeights(IndexTensor indices, Tensor values, int k, Tensor input, in ConvGeometry g, Tensor weightGradient)
    {
        if (input.Cols != g.InputSize) throw new ArgumentException($"sparse conv dW: input rows have {input.Cols} values, the geometry {g} needs {g.InputSize}.");
        if (weightGradient.Cols != g.PatchSize) throw new ArgumentException($"sparse conv dW: the gradient must have {g.PatchSize} columns, not {weightGradient.Cols}.");
        Selection("sparse conv dW", indices, values, weightGradient.Rows, input.Rows * k, k);
    }

    private static void Selection(string operation, IndexTensor indices, Tensor values, int channels, int perChannel, int k)
    {
        if (indices.Rows != channels || indices.Cols != perChannel || values.Rows != channels || values.Cols != perChannel)
            throw new ArgumentException($"{operation}: indices and values must be {channels} x {perChannel} (k = {k} per example and channel).");
    }

    /// <summary>2 x 2 max pooling: x N x (H * W * C), y N x ((H / 2) * (W / 2) * C).</summary>
    public static void Pool(Tensor x, Tensor y, int height, int width, int channels)
    {
        if (height < 2 || width < 2 || channels < 1) throw new ArgumentOutOfRangeException(nameof(height), $"2 x 2 pooling needs an image of at least 2 x 2, not {height} x {width} x {channels}.");
        if (x.Cols != height * width * channels) throw new ArgumentException($"max pool: input rows have {x.Cols} values, not {height} x {width} x {channels}.");
        if (y.Rows != x.Rows || y.Cols != height / 2 * (width / 2) * channels) throw new ArgumentException($"max pool: output must be {x.Rows} x {height / 2 * (width / 2) * channels}.");
    }

    /// <summary>Its backward: as <see cref="Pool"/>, dy of y's shape, dx of x's.</summary>
    public static void PoolBackward(Tensor x, Tensor y, Tensor dy, int height, int width, int channels, Tensor dx)
    {
        Pool(x, y, height, width, channels);
        if (!dy.SameShape(y) || !dx.SameShape(x)) throw new ArgumentException("max-pool backward: dy must have y's shape and dx x's.");
    }

    /// <summary>Batch normalization's forward: x contiguous rows of C channels, per-channel tensors of C values (invStd
    /// may be null); returns the rows.</summary>
    public static long BatchNorm(Tensor x, int C, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, Tensor? invStd)
    {
        if (!x.IsContiguous) throw new ArgumentException("batch norm: x must be contiguous.");
        if (C < 1 || x.Length % C != 0) throw new ArgumentException($"batch norm: {x.Length} values are not rows of {C} channels.");
        foreach (var t in new[] { gamma, beta, runningMean, runningVariance, invStd })
            if (t is not null && (t.Length != C || !t.IsContiguous)) throw new ArgumentException($"batch norm: per-channel tensors must hold {C} values.");
        return x.Length / C;
    }

    /// <summary>Training-mode forward: also xhat and y contiguous of x's shape, and at least one row; returns the rows.</summary>
    public static long BatchNormTraining(Tensor x, int C, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor xhat, Tensor invStd, Tensor y)
    {
        long m = BatchNorm(x, C, gamma, beta, runningMean, runningVariance, invStd);
        if (!xhat.SameShape(x) || !y.SameShape(x) || !xhat.IsContiguous || !y.IsContiguous) throw new ArgumentException("batch norm: xhat and y must be contiguous with x's shape.");
        if (m < 1) throw new ArgumentException("batch norm: training needs at least one row.");
        return m;
    }

    /// <summary>Inference-mode forward: also y contiguous of x's shape; returns the rows.</summary>
    public static long BatchNormInference(Tensor x, int C, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, Tensor y)
    {
        long m = BatchNorm(x, C, gamma, beta, runningMean, runningVariance, null);
        if (!y.SameShape(x) || !y.IsContiguous) throw new ArgumentException("batch norm: y must be contiguous with x's shape.");
        return m;
    }

    /// <summary>Backward: dy, xhat and dx contiguous of one shape, rows of C channels, per-channel tensors of C values;
    /// returns the rows.</summary>
    public static long BatchNormBackward(Tensor dy, Tensor xhat, int C, Tensor gamma, Tensor invStd, Tensor dgamma, Tensor dbeta, Tensor dx)
    {
        if (!dy.IsContiguous || !xhat.IsContiguous || !dx.IsContiguous || !dy.SameShape(xhat) || !dx.SameShape(xhat))
            throw new ArgumentException("batch norm backward: dy, xhat and dx must be contiguous and of one shape.");
        if (C < 1 || xhat.Length % C != 0) throw new ArgumentException($"batch norm backward: {xhat.Length} values are not rows of {C} channels.");
        foreach (var t in new[] { gamma, invStd, dgamma, dbeta })
            if (t.Length != C || !t.IsContiguous) throw new ArgumentException($"batch norm backward: per-channel tensors must hold {C} values.");
        return xhat.Length / C;
    }
}
