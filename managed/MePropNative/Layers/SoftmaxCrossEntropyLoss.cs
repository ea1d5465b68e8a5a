using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.Layers;

/// <summary>
/// Softmax cross-entropy over class logits, the loss averaged over the mini-batch: its gradient is
/// (softmax - onehot) / batch. (The original meProp C# program summed it, which with Adam made its top-k runs at small
/// k diverge.) The loss sum and the number of correct arg-max predictions accumulate on the backend until
/// <see cref="ReadAndReset"/>, so the training loop never waits for them.
/// </summary>
public sealed class SoftmaxCrossEntropyLoss(IBackend backend)
{
    private readonly TensorCache gradient = new(backend);
    private readonly Tensor stats = backend.Allocate(1, 2);
    private long examples;

    /// <summary>Scores a batch; returns dL/dlogits when <paramref name="computeGradient"/>, else null.</summary>
    public Tensor? Forward(Tensor logits, IndexTensor labels, bool computeGradient)
    {
        var g = computeGradient ? gradient.Get(logits.Rows, logits.Cols) : null;
        backend.SoftmaxCrossEntropy(logits, labels, g, 1f / logits.Rows, stats);
        examples += logits.Rows;
        return g;
    }

    /// <summary>(mean loss, accuracy) over the batches since the last call.</summary>
    public (double MeanLoss, double Accuracy, long Examples) ReadAndReset()
    {
        Span<float> s = stackalloc float[2];
        backend.Download(stats, s);
        backend.Fill(stats, 0f);
        long n = examples;
        examples = 0;
        return n == 0 ? (0, 0, 0) : (s[0] / n, s[1] / n, n);
    }
}
