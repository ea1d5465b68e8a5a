using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.MeProp;

/// <summary>
/// Memorized sparse back propagation (MSBP; Zhang, Yang, Ren, Su and Sun, arXiv 1905.10194): the part of dy that
/// top-k leaves unpropagated is kept in a per-layer memory and added back before the next selection:
/// <code>
///   g  = dy + M                      (M: the memory, batch x n, zero at the start)
///   S  = top-k(|g|) per row          (the selection, as in meProp)
///   propagate g on S                 (dx, dW, db from the selected entries of g)
///   M  = ratio * (g - g on S)        (what was not propagated, scaled by the memory ratio)
/// </code>
/// Row r of the memory belongs to the r-th example position of the mini-batch. With ratio = 0 this is exactly top-k.
/// See docs/design.md for why this rule was chosen where the paper's text is not available here.
/// </summary>
public sealed class MemorizedTopKStrategy(Backends.IBackend backend, int k, float memoryRatio) : IMePropStrategy
{
    private readonly Backends.IBackend backend = backend;
    private readonly IndexTensorCache indices = new(backend);
    private readonly TensorCache values = new(backend);
    private readonly TensorCache augmented = new(backend);
    private Tensor? memory;

    public int K { get; } = k > 0 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "k must be >= 1.");
    public float MemoryRatio { get; } = memoryRatio is >= 0 and <= 1
        ? memoryRatio : throw new ArgumentOutOfRangeException(nameof(memoryRatio), memoryRatio, "the memory ratio must be in [0, 1].");
    public string Name => $"msbp({K}, {MemoryRatio:0.###})";

    public void Backward(in LinearGradientRequest r)
    {
        var b = r.Backend;
        int k = Math.Min(K, r.Outputs);
        var mem = MemoryFor(r.Batch, r.Outputs);
        var g = augmented.Get(r.Batch, r.Outputs);
        b.Add(r.Dy, mem, g);
        var idx = indices.Get(r.Batch, k);
        var val = values.Get(r.Batch, k);
        b.TopKAbsRows(g, k, idx, val);
        b.Copy(g, mem);
        b.ZeroSelected(mem, idx, perRow: true);
        b.Scale(mem, MemoryRatio);
        SparseBackward.PerRow(r, idx, val);
    }

    private Tensor MemoryFor(int rows, int n)
    {
        if (memory is null || memory.Cols != n || memory.Rows < rows)
        {
            var grown = backend.Allocate(rows, n);
            if (memory is not null && memory.Cols == n) backend.Copy(memory, grown.RowSlice(0, memory.Rows));
            memory = grown;
        }
        return memory.Rows == rows ? memory : memory.RowSlice(0, rows);
    }

    public IReadOnlyList<Tensor> State => memory is null ? [] : [memory];

    public void RestoreState(IReadOnlyList<Tensor> state) => memory = state.Count == 0 ? null : state[0];

    public void OnOutputsResized() => memory = null;
}
