using MePropNative.Tensors;

namespace MePropNative.MeProp;

/// <summary>Unified meProp (Sun et al., 2017, section 2.2): one top-k pattern for the whole mini-batch, the k columns of
/// dy with the largest summed |value|; the backward becomes two small dense GEMMs over the compacted k columns.</summary>
public sealed class UnifiedTopKStrategy(Backends.IBackend backend, int k) : IMePropStrategy
{
    private readonly IndexTensorCache indices = new(backend);
    private readonly UnifiedBuffers buffers = new(backend);

    public int K { get; } = k > 0 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "k must be >= 1.");
    public string Name => $"unified({K})";

    public void Backward(in LinearGradientRequest r)
    {
        int k = Math.Min(K, r.Outputs);
        var idx = indices.Get(1, k);
        r.Backend.TopKAbsUnified(r.Dy, k, idx);
        SparseBackward.Unified(r, idx, buffers);
    }

    public IReadOnlyList<Tensor> State => [];
    public void RestoreState(IReadOnlyList<Tensor> state) { }
    public void OnOutputsResized() { }
}
