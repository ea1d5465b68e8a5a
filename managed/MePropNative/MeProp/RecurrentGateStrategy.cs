using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Tensors;

namespace MePropNative.MeProp;

/// <summary>
/// meProp for the gate transform of an LSTM, z_t = [x_t, h_{t-1}] W^T + b with W of 4H rows (the input, forget, cell
/// and output gates stacked), through back propagation through time. At each step, from the last to the first, the
/// gradient dz_t of the gate pre-activations is known only after step t+1 was back propagated, so selection and dx_t
/// (which carries dh_{t-1} to the previous step) happen step by step; the weight gradient is accumulated once for the
/// whole sequence at the end (one GEMM over all tokens for dense, one sparse dW call over every selected entry for
/// the per-row strategies) — the same sums as step-by-step accumulation, with far fewer passes over dW.
///
/// The strategies are those of <see cref="StrategyKind"/>, applied to dz_t as meProp applies them to a linear layer's
/// dy: <c>topk</c> keeps the k largest |dz| per row, <c>random</c> k random entries, <c>msbp</c> top-k with memory,
/// <c>unified</c> / <c>random-unified</c> one pattern per step. With <see cref="Groups"/> = 4 (per gate, the default:
/// each gate is its own linear transformation, as in the paper) k entries are chosen within each gate, 4k per row;
/// with 1 (whole) 4k entries are chosen over all 4H columns at once. Either way a row propagates 4k of its 4H gate
/// gradients. Only dW and dx are sparsified; the bias gradient is the column sums of the whole dz (as
/// <see cref="SparseBackward"/> does for a linear layer).
/// </summary>
public sealed class RecurrentGateStrategy
{
    private readonly IBackend backend;
    private readonly ulong seed;
    private readonly IndexTensorCache allIndices;
    private readonly TensorCache allValues;
    private readonly IndexTensorCache groupIndices;
    private readonly UnifiedBuffers unified;
    private readonly PackedGemmB packedRecurrent = new();
    private Tensor? memory;

    public RecurrentGateStrategy(IBackend backend, StrategyKind kind, int? kPerGroup, int groups, ulong seed, float memoryRatio)
    {
        if (groups is not (1 or 4)) throw new ArgumentOutOfRangeException(nameof(groups), groups, "groups must be 4 (per gate) or 1 (whole).");
        if (kind != StrategyKind.Dense && kPerGroup is null) throw new ArgumentException($"strategy {kind.ToName()} needs k.");
        if (kPerGroup is < 1) throw new ArgumentOutOfRangeException(nameof(kPerGroup), kPerGroup, "k must be >= 1.");
        if (kind is not (StrategyKind.Dense or StrategyKind.TopK or StrategyKind.Unified or StrategyKind.Random or StrategyKind.RandomUnified or StrategyKind.Msbp))
            throw new ArgumentException($"strategy {kind.ToName()} is not available for an LSTM (dense, topk, unified, random, random-unified, msbp).");
        if (memoryRatio is not (>= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(memoryRatio), memoryRatio, "the memory ratio must be in [0, 1].");
        this.backend = backend;
        this.seed = seed;
        Kind = kPerGroup is null ? StrategyKind.Dense : kind;
        K = kPerGroup ?? 0;
        Groups = groups;
        MemoryRatio = memoryRatio;
        allIndices = new IndexTensorCache(backend);
        allValues = new TensorCache(backend);
        groupIndices = new IndexTensorCache(backend);
        unified = new UnifiedBuffers(backend);
    }

    public StrategyKind Kind { get; }
    /// <summary>k per gate (per group).</summary>
    public int K { get; }
    public int Groups { get; }
    public float MemoryRatio { get; }

    public string Name => Kind == StrategyKind.Dense ? "dense"
        : $"{Kind.ToName()}({K}{(Groups == 4 ? " per gate" : $" x 4 over all gates")}{(Kind == StrategyKind.Msbp ? $", {MemoryRatio:0.###}" : "")})";

    private bool PerRow => Kind is StrategyKind.TopK or StrategyKind.Random or StrategyKind.Msbp;

    /// <summary>Starts the backward pass of a sequence of <paramref name="totalRows"/> token rows whose recurrent
    /// inputs start at column <paramref name="recurrentFrom"/>.</summary>
    public void Begin(Linear gates, int totalRows, int recurrentFrom)
    {
        if (Kind == StrategyKind.Dense)
        {
            // every step multiplies by the same recurrent columns of W: prepare them once
            backend.PackGemmB(false, gates.Weight.Value.ColumnSlice(recurrentFrom, gates.Inputs - recurrentFrom), packedRecurrent);
            return;
        }
        if (!PerRow) return;
        int kk = SelectedPerRow(gates);
        allIndices.Get(totalRows, kk);
        allValues.Get(totalRows, kk);
    }

    /// <summary>Entries of dz propagated per row (4k, or 4H for dense).</summary>
    public int SelectedPerRow(Linear gates) => Kind == StrategyKind.Dense ? gates.Outputs : 4 * Math.Min(K, gates.Outputs / 4);

    /// <summary>
    /// Step t, for the step's rows x_t = [x, h_prev] (n x m) and dz_t (n x 4H), which start at row
    /// <paramref name="rowOffset"/> of the sequence: writes the recurrent part of dx_t = (selected dz_t) W — columns
    /// <paramref name="recurrentFrom"/>.. of <paramref name="dx"/>, dL/dh_prev, which the previous step needs at once.
    /// The input part (columns before it, dL/dx) is left to <see cref="FinishInputGradient"/>, one pass over all rows,
    /// except for the unified strategies, whose pattern changes from step to step (they write all of dx_t here).
    /// dz_t may be modified (MSBP adds its memory into it).
    /// </summary>
    public void Step(Linear gates, Tensor x, Tensor dz, Tensor dx, int recurrentFrom, int rowOffset, in StepContext context)
    {
        int n = dz.Rows, width = gates.Outputs / 4, k = Math.Min(K, width), kk = 4 * k;
        int m = gates.Inputs, recurrent = m - recurrentFrom;
        var wRecurrent = gates.Weight.Value.ColumnSlice(recurrentFrom, recurrent);
        var dxRecurrent = dx.ColumnSlice(recurrentFrom, recurrent);
        switch (Kind)
        {
            case StrategyKind.Dense:
                backend.Gemm(false, 1f, dz, packedRecurrent, 0f, dxRecurrent);
                return;
            case StrategyKind.Unified:
            case StrategyKind.RandomUnified:
            {
                var pattern = groupIndices.Get(1, kk);
                var one = Scratch(1, Groups == 4 ? k : kk);
                for (int g = 0; g < Groups; g++)
                {
                    int w = Groups == 4 ? width : 4 * width;
                    var slice = dz.ColumnSlice(g * w, w);
                    if (Kind == StrategyKind.Unified) backend.TopKAbsUnified(slice, one.Cols, one);
                    else backend.RandomKUnified(w, one.Cols, CounterRandom.Derive(seed, 1 + (ulong)g, (ulong)context.Step * 4096 + (ulong)rowOffset), one);
                    backend.PlaceIndexColumns(one, pattern, g * one.Cols, g * w);
                }
                SparseBackward.Unified(new LinearGradientRequest(backend, x, dz, dx, gates.Weight, gates.Bias, gates.Statistics, context), pattern, unified);
                return;
            }
        }
        // per-row strategies: select into the sequence-wide index/value tensors, dx now, dW at Finish
        var idx = allIndices.Current!.RowSlice(rowOffset, n);
        var val = allValues.Current!.RowSlice(rowOffset, n);
        if (Kind == StrategyKind.Msbp)
        {
            var mem = MemoryFor(n, gates.Outputs);
            backend.Add(dz, mem, dz);
            Select(dz, k, idx, val);
            backend.Copy(dz, mem);
            backend.ZeroSelected(mem, idx, perRow: true);
            backend.Scale(mem, MemoryRatio);
        }
        else if (Kind == StrategyKind.TopK) Select(dz, k, idx, val);
        else
        {
            // random: row r of the run's token stream draws from (seed, group, token number)
            if (Groups == 1) backend.RandomKRows(gates.Outputs, kk, seed, context.FirstExample + rowOffset, idx);
            else
            {
                var one = ScratchRows(n, k);
                for (int g = 0; g < 4; g++)
                {
                    backend.RandomKRows(width, k, CounterRandom.Derive(seed, 10 + (ulong)g), context.FirstExample + rowOffset, one);
                    backend.PlaceIndexColumns(one, idx, g * k, g * width);
                }
            }
            backend.GatherColumnsPerRow(dz, idx, val);
        }
        backend.SparseBackwardDx(idx, val, wRecurrent, dxRecurrent);
    }

    /// <summary>After the last step: the input part of dx for every row (dx: all rows x recurrentFrom, a column view),
    /// one GEMM (dense) or one sparse call (per-row strategies) over the whole sequence.</summary>
    public void FinishInputGradient(Linear gates, Tensor dz, Tensor dx, int recurrentFrom)
    {
        var wInput = gates.Weight.Value.ColumnSlice(0, recurrentFrom);
        if (Kind == StrategyKind.Dense) backend.Gemm(false, false, 1f, dz, wInput, 0f, dx);
        else if (PerRow) backend.SparseBackwardDx(allIndices.Current!, allValues.Current!, wInput, dx);
    }

    /// <summary>Ends the backward pass: dW and db from every step (x: all rows x m, dz: all rows x 4H, as the steps left them).</summary>
    public void Finish(Linear gates, Tensor x, Tensor dz)
    {
        var w = gates.Weight;
        var b = gates.Bias;
        if (Kind == StrategyKind.Dense)
        {
            backend.Gemm(true, false, 1f, dz, x, w.GradientIsZero ? 0f : 1f, w.Gradient);
            w.GradientIsZero = false;
            if (b is not null)
            {
                backend.ColumnSums(dz, b.Gradient, accumulate: !b.GradientIsZero);
                b.GradientIsZero = false;
            }
            gates.Statistics.Record(dz.Rows, gates.Outputs, null, perRow: true);
            return;
        }
        if (!PerRow) return; // unified patterns were applied step by step
        var idx = allIndices.Current!;
        var val = allValues.Current!;
        // per gate, the selected indices all fall in the gate's rows of W: dW is updated one gate slice at a time
        if (Groups == 4) backend.SparseBackwardDwGrouped(idx, val, 4, x, w.Gradient);
        else backend.SparseBackwardDw(idx, val, x, w.Gradient);
        w.GradientIsZero = false;
        if (b is not null)
        {
            // the bias gradient is the column sums of the whole dz, as in SparseBackward (and the paper's reference code)
            backend.ColumnSums(dz, b.Gradient, accumulate: !b.GradientIsZero);
            b.GradientIsZero = false;
        }
        gates.Statistics.Record(idx.Rows, idx.Cols, idx, perRow: true);
    }

    private void Select(Tensor dz, int k, IndexTensor idx, Tensor val)
    {
        if (Groups == 4) backend.TopKAbsRowsGrouped(dz, 4, k, idx, val);
        else backend.TopKAbsRows(dz, 4 * k, idx, val);
    }

    private IndexTensor? scratchOne;
    private IndexTensor Scratch(int rows, int cols)
    {
        if (scratchOne is null || scratchOne.Rows != rows || scratchOne.Cols != cols) scratchOne = backend.AllocateIndices(rows, cols);
        return scratchOne;
    }

    private IndexTensor? scratchRows;
    private IndexTensor ScratchRows(int rows, int cols)
    {
        if (scratchRows is null || scratchRows.Cols != cols || scratchRows.Rows < rows)
            scratchRows = backend.AllocateIndices(Math.Max(rows, scratchRows?.Rows ?? 0), cols);
        return scratchRows.Rows == rows ? scratchRows : scratchRows.RowSlice(0, rows);
    }

    /// <summary>MSBP memory: row r belongs to batch slot r (the r-th longest sentence of the batch), shared by all steps.</summary>
    private Tensor MemoryFor(int rows, int n)
    {
        if (memory is null || memory.Cols != n || memory.Rows < rows)
        {
            var grown = backend.Allocate(Math.Max(rows, memory?.Rows ?? 0), n);
            if (memory is not null && memory.Cols == n) backend.Copy(memory, grown.RowSlice(0, memory.Rows));
            memory = grown;
        }
        return memory.Rows == rows ? memory : memory.RowSlice(0, rows);
    }

    public IReadOnlyList<Tensor> State => memory is null ? [] : [memory];

    public void RestoreState(IReadOnlyList<Tensor> state) => memory = state.Count == 0 ? null : state[0];

    /// <summary>The gate rows were pruned (meSimp): the memory, shaped by the old width, is dropped.</summary>
    public void OnOutputsResized() => memory = null;
}
