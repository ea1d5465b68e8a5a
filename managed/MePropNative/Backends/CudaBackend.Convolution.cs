using MePropNative.Bindings.Cuda;
using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// The convolutional-network family on the CUDA backend. Row sums run on the GPU (libmeprop's row-sum kernel); the
/// image operations (im2col/col2im, per-feature-map top-k and the sparse convolution backward, 2 x 2 max pooling,
/// batch normalization) have no GPU kernels yet and throw <see cref="NotSupportedException"/> naming the operation:
/// the CPU backend (<c>--device cpu</c>) supports them all, and `meprop train cnn` runs there.
/// </summary>
public sealed partial class CudaBackend
{
    public void Im2Col(Tensor input, in ConvGeometry geometry, Tensor columns) => throw Unsupported(nameof(Im2Col));

    public void Col2Im(Tensor columns, in ConvGeometry geometry, Tensor input) => throw Unsupported(nameof(Col2Im));

    public void TopKPerMap(Tensor dy, int channels, int k, Tensor? running, float decay, Tensor scores, IndexTensor mapIndices,
        IndexTensor indices, Tensor values) => throw Unsupported(nameof(TopKPerMap));

    public void ConvSparseBackwardInput(IndexTensor indices, Tensor values, int k, Tensor weights, in ConvGeometry geometry, Tensor input) =>
        throw Unsupported(nameof(ConvSparseBackwardInput));

    public void ConvSparseBackwardWeights(IndexTensor indices, Tensor values, int k, Tensor input, in ConvGeometry geometry,
        Tensor weightGradient, bool accumulate) => throw Unsupported(nameof(ConvSparseBackwardWeights));

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

    public void MaxPool2x2(Tensor x, int height, int width, int channels, Tensor y) => throw Unsupported(nameof(MaxPool2x2));

    public void MaxPool2x2Backward(Tensor x, Tensor y, Tensor dy, int height, int width, int channels, Tensor dx) =>
        throw Unsupported(nameof(MaxPool2x2Backward));

    public void BatchNormForwardTraining(Tensor x, int channels, Tensor gamma, Tensor beta, float epsilon, float momentum,
        Tensor runningMean, Tensor runningVariance, Tensor xhat, Tensor invStd, Tensor y) => throw Unsupported(nameof(BatchNormForwardTraining));

    public void BatchNormForwardInference(Tensor x, int channels, Tensor gamma, Tensor beta, float epsilon,
        Tensor runningMean, Tensor runningVariance, Tensor y) => throw Unsupported(nameof(BatchNormForwardInference));

    public void BatchNormBackward(Tensor dy, Tensor xhat, int channels, Tensor gamma, Tensor invStd, Tensor dgamma, Tensor dbeta,
        bool accumulate, Tensor dx) => throw Unsupported(nameof(BatchNormBackward));

    /// <summary>The exception of an operation this backend does not implement (yet).</summary>
    internal static NotSupportedException Unsupported(string operation) =>
        new($"IBackend.{operation} is not implemented on the CUDA backend yet (no GPU kernel); the CPU backend supports it: use --device cpu.");
}
