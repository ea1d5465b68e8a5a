using MePropNative.Tensors;

namespace MePropNative.MeProp;

/// <summary>
/// The two shapes of sparse backward every selection strategy ends in. Only dW and dx are sparsified: the bias gradient
/// is the column sums of the full dy, as in both reference implementations of the paper (lancopku/meProp, C# and
/// PyTorch) — it costs O(batch x n), nothing next to the O(batch x k x m) of the sparse products.
/// </summary>
public static class SparseBackward
{
    /// <summary>db += column sums of dy (the whole dy, not the selection).</summary>
    public static void DenseBiasGradient(in LinearGradientRequest r)
    {
        if (r.Bias is null) return;
        r.Backend.ColumnSums(r.Dy, r.Bias.Gradient, accumulate: !r.Bias.GradientIsZero);
        r.Bias.GradientIsZero = false;
    }

    /// <summary>Per-example pattern (indices and values batch x k): the libmeprop sparse kernels touch k rows of W per
    /// example, for dW, db and dx.</summary>
    public static void PerRow(in LinearGradientRequest r, IndexTensor indices, Tensor values)
    {
        r.Backend.SparseBackward(indices, values, r.X, r.Weight.Gradient, r.Weight.Value, r.Dx);
        r.Weight.GradientIsZero = false;
        DenseBiasGradient(r);
        r.Statistics.Record(r.Batch, indices.Cols, indices, perRow: true);
    }

    /// <summary>One pattern for the batch (indices 1 x k): compact dy to its k columns and W to its k rows, run two small
    /// dense GEMMs, scatter the k gradient rows back.</summary>
    public static void Unified(in LinearGradientRequest r, IndexTensor indices, UnifiedBuffers buffers)
    {
        var b = r.Backend;
        int k = (int)indices.Length, batch = r.Batch, m = r.X.Cols;
        var dyC = buffers.CompactDy.Get(batch, k);
        b.GatherColumns(r.Dy, indices, dyC);
        var dwC = buffers.CompactDw.Get(k, m);
        b.Gemm(true, false, 1f, dyC, r.X, 0f, dwC);
        b.ScatterAddRows(dwC, indices, 1f, r.Weight.Gradient);
        r.Weight.GradientIsZero = false;
        DenseBiasGradient(r);
        if (r.Dx is not null)
        {
            var wC = buffers.CompactW.Get(k, m);
            b.GatherRows(r.Weight.Value, indices, wC);
            b.Gemm(false, false, 1f, dyC, wC, 0f, r.Dx);
        }
        r.Statistics.Record(batch, k, indices, perRow: false);
    }
}

/// <summary>Work buffers of the unified (batch-wide pattern) backward.</summary>
public sealed class UnifiedBuffers(Backends.IBackend backend)
{
    public TensorCache CompactDy { get; } = new(backend);
    public TensorCache CompactDw { get; } = new(backend);
    public TensorCache CompactW { get; } = new(backend);
}
