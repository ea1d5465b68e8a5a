using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// Convolutional-network operations (meProp-CNN). Images are channels-last (NHWC): a batch is an N x (H * W * C)
/// tensor, so a per-position feature vector is C contiguous floats and a conv layer is a GEMM over the im2col matrix
/// (see <see cref="ConvGeometry"/>). Per-channel reductions (BatchNorm) view such a tensor as (N * H * W) x C.
/// </summary>
public partial interface IBackend
{
    // ---- im2col ---------------------------------------------------------------------------------------------------

    /// <summary>columns[(n * P + p), (kh * KW + kw) * Cin + ci] = input[n, ih, iw, ci] (0 in the padding), where
    /// p = oh * OW + ow, ih = oh * stride - padTop + kh, iw = ow * stride - padLeft + kw. input: N x (H * W * Cin);
    /// columns: (N * P) x K.</summary>
    void Im2Col(Tensor input, in ConvGeometry geometry, Tensor columns);

    /// <summary>The adjoint of <see cref="Im2Col"/>: input = 0, then every column entry is added back onto the pixel
    /// it was copied from (the input gradient of a dense conv from dcols = dY W).</summary>
    void Col2Im(Tensor columns, in ConvGeometry geometry, Tensor input);

    // ---- meProp-CNN: per-feature-map selection and the sparse backward -----------------------------------------------

    /// <summary>
    /// Per feature map (example n, channel c) of dy (N x (P * C), channels-last), the k positions with the largest
    /// score, where score = |dy[n, p, c]| (decay = 0 or running = null) or, with decay selection,
    /// score = decay * running[c, p] + (1 - decay) * |dy[n, p, c]|; after the selection running (C x P) becomes
    /// decay * running + (1 - decay) * mean_n |dy[n, :, c]|.
    /// Writes, channel-major for the sparse backward: indices (C x N k): row c holds for n = 0..N-1 in turn the k
    /// selected rows n * P + p of the im2col matrix, p ascending; values (C x N k): dy at those entries (signed).
    /// Ties: lower position wins; NaN ranks highest. scores ((N * C) x P) and mapIndices ((N * C) x k) are workspace
    /// (the CPU backend, whose libmeprop kernel has its own, leaves them untouched).
    /// </summary>
    void TopKPerMap(Tensor dy, int channels, int k, Tensor? running, float decay, Tensor scores, IndexTensor mapIndices,
        IndexTensor indices, Tensor values);

    /// <summary>
    /// The input gradient of a convolution from a sparse output gradient, without forming dcols: input = 0, then for
    /// every selected entry (c, row n * P + p, value v) of <see cref="TopKPerMap"/>'s layout (k entries per example
    /// and channel), input[n, ih, iw, :] += v * weights[c, (kh, kw), :] over the window of p. weights: Cout x K.
    /// </summary>
    void ConvSparseBackwardInput(IndexTensor indices, Tensor values, int k, Tensor weights, in ConvGeometry geometry, Tensor input);

    /// <summary>
    /// The weight gradient of a convolution from a sparse output gradient, read straight from the input images (an
    /// implicit im2col): dW = 0 unless accumulate, then for every selected entry (c, row n * P + p, value v) of
    /// <see cref="TopKPerMap"/>'s layout, dW[c, (kh, kw), :] += v * input[n, ih, iw, :] over the window of p. Each
    /// window row is one contiguous run of KW * Cin floats in both, and the images of a batch stay in cache, where the
    /// im2col matrix of a whole batch does not. dW: Cout x K.
    /// </summary>
    void ConvSparseBackwardWeights(IndexTensor indices, Tensor values, int k, Tensor input, in ConvGeometry geometry, Tensor weightGradient, bool accumulate);

    /// <summary>
    /// The same weight gradient from the im2col rows: dW[c, :] = (accumulate ? dW[c, :] : 0) + sum over channel c's
    /// selected entries (row, v) of v * columns[row, :] (for layers whose window rows are too short to read from the
    /// images, e.g. one input channel). columns: (N * P) x K; dW: Cout x K.
    /// </summary>
    void ConvSparseBackwardWeightsFromColumns(IndexTensor indices, Tensor values, Tensor columns, Tensor weightGradient, bool accumulate);

    /// <summary>output[r] = (accumulate ? output[r] : 0) + sum_j x[r, j] (output is 1 x rows).</summary>
    void RowSums(Tensor x, Tensor output, bool accumulate);

    // ---- max pooling ------------------------------------------------------------------------------------------------------

    /// <summary>2 x 2 max pooling, stride 2, channels-last: x N x (H * W * C) -> y N x ((H / 2) * (W / 2) * C); an odd
    /// last row or column is dropped (floor).</summary>
    void MaxPool2x2(Tensor x, int height, int width, int channels, Tensor y);

    /// <summary>dx = dy routed to the arg-max of each window (the first of equal maxima in the order (0,0), (0,1),
    /// (1,0), (1,1)), 0 elsewhere; recomputed from the forward input x and output y.</summary>
    void MaxPool2x2Backward(Tensor x, Tensor y, Tensor dy, int height, int width, int channels, Tensor dx);

    // ---- batch normalization over the rows of a (rows x C) view ---------------------------------------------------------------

    /// <summary>
    /// Training-mode BatchNorm of x viewed as (Length / C) x C (channels-last: statistics per channel over examples and
    /// positions): mean and biased variance of each column, xhat = (x - mean) / sqrt(var + eps), y = gamma * xhat + beta;
    /// keeps xhat and invStd (1 x C) for the backward pass; running = (1 - momentum) * running + momentum * batch
    /// statistic, the running variance from the unbiased batch variance (m / (m - 1) * var).
    /// </summary>
    void BatchNormForwardTraining(Tensor x, int channels, Tensor gamma, Tensor beta, float epsilon, float momentum,
        Tensor runningMean, Tensor runningVariance, Tensor xhat, Tensor invStd, Tensor y);

    /// <summary>Inference-mode BatchNorm: y = gamma * (x - runningMean) / sqrt(runningVariance + eps) + beta.</summary>
    void BatchNormForwardInference(Tensor x, int channels, Tensor gamma, Tensor beta, float epsilon,
        Tensor runningMean, Tensor runningVariance, Tensor y);

    /// <summary>BatchNorm backward: dbeta += sum dy, dgamma += sum dy * xhat (per channel; overwritten when not
    /// accumulate), dx = gamma * invStd / m * (m * dy - sum dy - xhat * sum(dy * xhat)).</summary>
    void BatchNormBackward(Tensor dy, Tensor xhat, int channels, Tensor gamma, Tensor invStd, Tensor dgamma, Tensor dbeta,
        bool accumulate, Tensor dx);
}
