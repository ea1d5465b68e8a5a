using MePropNative.Tensors;

namespace MePropNative.MeProp;

/// <summary>meProp (Sun et al., 2017): per example, keep the k entries of dy with the largest |value| and propagate only
/// those: k rows of W per example for dx and dW.</summary>
public sealed class TopKStrategy(Backends.IBackend backend, int k) : IMePropStrategy
{
    private readonly IndexTensorCache indices = new(backend);
    private readonly TensorCache values = new(backend);

    public int K { get; } = k > 0 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "k must be >= 1.");
    public string Name => $"topk({K})";

    public void Backward(in LinearGradientRequest r)
    {
        int k = Math.Min(K, r.Outputs);
        var idx = indices.Get(r.Batch, k);
        var val = values.Get(r.Batch, k);
        r.Backend.TopKAbsRows(r.Dy, k, idx, val);
        SparseBackward.PerRow(r, idx, val);
    }

    public IReadOnlyList<Tensor> State => [];
    public void RestoreState(IReadOnlyList<Tensor> state) { }
    public void OnOutputsResized() { }
}
