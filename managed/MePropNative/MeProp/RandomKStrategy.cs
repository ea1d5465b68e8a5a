using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.MeProp;

/// <summary>
/// The paper's control: k entries of dy chosen uniformly at random instead of by magnitude, per example (the draw of
/// an example depends on (seed, its position in the run's example stream)) or, when <paramref name="unified"/>, one
/// draw per step for the whole batch.
/// </summary>
public sealed class RandomKStrategy(IBackend backend, int k, ulong seed, bool unified = false) : IMePropStrategy
{
    private readonly IndexTensorCache indices = new(backend);
    private readonly TensorCache values = new(backend);
    private readonly UnifiedBuffers buffers = new(backend);

    public int K { get; } = k > 0 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "k must be >= 1.");
    public bool IsUnified => unified;
    public string Name => unified ? $"random-unified({K})" : $"random({K})";

    public void Backward(in LinearGradientRequest r)
    {
        int k = Math.Min(K, r.Outputs);
        if (unified)
        {
            var idx = indices.Get(1, k);
            r.Backend.RandomKUnified(r.Outputs, k, CounterRandom.Derive(seed, 1, (ulong)r.Context.Step), idx);
            SparseBackward.Unified(r, idx, buffers);
        }
        else
        {
            var idx = indices.Get(r.Batch, k);
            var val = values.Get(r.Batch, k);
            r.Backend.RandomKRows(r.Outputs, k, seed, r.Context.FirstExample, idx);
            r.Backend.GatherColumnsPerRow(r.Dy, idx, val);
            SparseBackward.PerRow(r, idx, val);
        }
    }

    public IReadOnlyList<Tensor> State => [];
    public void RestoreState(IReadOnlyList<Tensor> state) { }
    public void OnOutputsResized() { }
}
