using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.MeProp;

/// <summary>
/// What a linear layer's backward passes propagated: how many (example, output row) pairs were selected out of how
/// many there were (the backprop ratio: 1 for dense, k/n for top-k), and, when <see cref="CountUnits"/> is on (meSimp),
/// how often each output unit was selected, per example, on the backend.
/// </summary>
public sealed class SelectionStatistics
{
    private readonly IBackend backend;

    public SelectionStatistics(IBackend backend, int units)
    {
        this.backend = backend;
        Units = units;
    }

    /// <summary>Output units of the layer (rows of W).</summary>
    public int Units { get; private set; }

    public long SelectedRows;
    public long TotalRows;

    /// <summary>Selected fraction of the weight rows a dense backward would touch, since the last reset.</summary>
    public double BackpropRatio => TotalRows == 0 ? 1.0 : (double)SelectedRows / TotalRows;

    public bool CountUnits { get; set; }

    /// <summary>1 x Units selection counts (allocated when counting is first used).</summary>
    public Tensor? UnitCounts { get; private set; }

    /// <summary>Examples whose selections went into <see cref="UnitCounts"/> since the last <see cref="ResetCounts"/>.</summary>
    public long CountedExamples { get; set; }

    /// <summary>Records one backward pass over <paramref name="examples"/> rows that selected <paramref name="k"/> units
    /// each: per row (indices examples x k) or one pattern for the batch (indices 1 x k).</summary>
    public void Record(int examples, int k, IndexTensor? indices, bool perRow)
    {
        SelectedRows += (long)examples * k;
        TotalRows += (long)examples * Units;
        if (!CountUnits || indices is null) return;
        UnitCounts ??= backend.Allocate(1, Units);
        backend.IndexAdd(indices, null, perRow ? 1f : examples, UnitCounts);
        CountedExamples += examples;
    }

    /// <summary>Restores counts saved in a checkpoint.</summary>
    public void RestoreCounts(ReadOnlySpan<float> counts, long countedExamples)
    {
        UnitCounts ??= backend.Allocate(1, Units);
        backend.Upload(counts, UnitCounts);
        CountedExamples = countedExamples;
    }

    public void ResetRatio() => SelectedRows = TotalRows = 0;

    public void ResetCounts()
    {
        if (UnitCounts is not null) backend.Fill(UnitCounts, 0f);
        CountedExamples = 0;
    }

    /// <summary>After the layer's outputs were pruned to <paramref name="units"/>: counts restart.</summary>
    public void Resize(int units)
    {
        Units = units;
        UnitCounts = null;
        CountedExamples = 0;
    }
}
