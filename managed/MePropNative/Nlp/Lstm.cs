using System.Diagnostics;
using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Tensors;

namespace MePropNative.Nlp;

/// <summary>
/// One LSTM direction over a packed batch (<see cref="PackedSequences"/>): at step t the live rows of
/// XH = [x_t, h_{t-1}] (n_t x (E + H)) go through one GEMM with the fused gate weights W (4H x (E + H), gates
/// i, f, g, o) into z_t, then the fused cell (<see cref="IBackend.LstmCellForward"/>). The forward pass is dense; the
/// backward pass (back propagation through time) hands each step's gate gradient dz_t to the
/// <see cref="RecurrentGateStrategy"/>, which is where meProp's top-k applies.
///
/// Use: write the inputs into the first E columns of <see cref="Inputs"/>, call <see cref="Forward"/>, read the
/// hidden states (N x H); for training call <see cref="Backward"/> with dL/dh and read dL/dx from the first E
/// columns of the returned tensor. Tensors returned are views into this layer's buffers, valid until its next call.
/// </summary>
public sealed class Lstm
{
    private readonly IBackend backend;
    private readonly TensorCache xh, activations, cells, tanhCells, hidden, dxh, dz, dc;
    private readonly PackedGemmB packedWeight = new();
    private PackedSequences? layout;
    private bool trained;

    public Lstm(IBackend backend, int inputSize, int hiddenSize, RecurrentGateStrategy strategy, string name)
    {
        if (inputSize < 1 || hiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(hiddenSize), "LSTM sizes must be >= 1.");
        this.backend = backend;
        InputSize = inputSize;
        Name = name;
        Strategy = strategy;
        Gates = new Linear(backend, inputSize + hiddenSize, 4 * hiddenSize, new DenseStrategy(), name + ".gates");
        xh = new TensorCache(backend); activations = new TensorCache(backend); cells = new TensorCache(backend);
        tanhCells = new TensorCache(backend); hidden = new TensorCache(backend); dxh = new TensorCache(backend);
        dz = new TensorCache(backend); dc = new TensorCache(backend);
    }

    public string Name { get; }
    public int InputSize { get; }
    public int HiddenSize => Gates.Outputs / 4;

    /// <summary>The fused gate transform: weight 4H x (E + H), bias 4H (gate-major: rows g*H .. g*H+H-1 are gate g).</summary>
    public Linear Gates { get; }
    public RecurrentGateStrategy Strategy { get; }

    /// <summary>Where the time of the gate backward (selection, dx, dW) is added up; null to not time.</summary>
    public LayerTimings? Timings { get; set; }

    public IReadOnlyList<Parameter> Parameters => Gates.Parameters;

    /// <summary>The N x (E + H) input matrix of a batch: the caller fills columns 0..E-1 (row = token row of the layout).</summary>
    public Tensor Inputs(PackedSequences batch)
    {
        layout = batch;
        return xh.Get(batch.Tokens, InputSize + HiddenSize).ColumnSlice(0, InputSize);
    }

    /// <summary>Runs the recurrence over the batch given to <see cref="Inputs"/>; returns the hidden states, N x H.</summary>
    public Tensor Forward(in StepContext context)
    {
        var p = layout ?? throw new InvalidOperationException($"{Name}: Forward before Inputs.");
        int h = HiddenSize, e = InputSize, n0 = p.StepRows(0);
        var x = xh.Current!;
        var a = activations.Get(p.Tokens, 4 * h);
        var c = cells.Get(p.Tokens, h);
        var tc = tanhCells.Get(p.Tokens, h);
        var hs = hidden.Get(p.Tokens, h);
        backend.Fill(x.RowSlice(0, n0).ColumnSlice(e, h), 0f); // h_{-1} = 0
        Gates.PackWeight(packedWeight);
        for (int t = 0; t < p.Steps; t++)
        {
            int off = p.StepOffset(t), n = p.StepRows(t);
            var zt = a.RowSlice(off, n);
            Gates.Forward(x.RowSlice(off, n), zt, packedWeight);
            var cPrev = t == 0 ? null : c.RowSlice(p.StepOffset(t - 1), n);
            var ht = hs.RowSlice(off, n);
            backend.LstmCellForward(zt, cPrev, c.RowSlice(off, n), tc.RowSlice(off, n), ht);
            if (t + 1 < p.Steps)
            {
                int next = p.StepRows(t + 1);
                backend.Copy(ht.RowSlice(0, next), x.RowSlice(p.StepOffset(t + 1), next).ColumnSlice(e, h));
            }
        }
        trained = context.Training;
        return hs;
    }

    /// <summary>
    /// Back propagation through time from dL/dh (N x H, any row stride). Accumulates the gate weight and bias
    /// gradients; returns dL/d[x, h_prev] (N x (E + H)) whose first E columns are dL/dx.
    /// </summary>
    public Tensor Backward(Tensor dh, in StepContext context)
    {
        var p = layout ?? throw new InvalidOperationException($"{Name}: Backward before Forward.");
        if (!trained) throw new InvalidOperationException($"{Name}: Backward after an inference Forward.");
        int h = HiddenSize, e = InputSize;
        if (dh.Rows != p.Tokens || dh.Cols != h) throw new ArgumentException($"{Name}: dh must be {p.Tokens} x {h}.");
        var x = xh.Current!;
        var a = activations.Current!;
        var c = cells.Current!;
        var tc = tanhCells.Current!;
        var dx = dxh.Get(p.Tokens, e + h);
        var dzAll = dz.Get(p.Tokens, 4 * h);
        var dcBuf = dc.Get(p.StepRows(0), h);
        long t0 = StartTiming();
        Strategy.Begin(Gates, p.Tokens, e);
        long gateTicks = StopTiming(t0);
        for (int t = p.Steps - 1; t >= 0; t--)
        {
            int off = p.StepOffset(t), n = p.StepRows(t);
            int carried = t + 1 < p.Steps ? p.StepRows(t + 1) : 0;
            var dhCarry = carried > 0 ? dx.RowSlice(p.StepOffset(t + 1), carried).ColumnSlice(e, h) : null;
            var cPrev = t == 0 ? null : c.RowSlice(p.StepOffset(t - 1), n);
            var dzt = dzAll.RowSlice(off, n);
            backend.LstmCellBackward(a.RowSlice(off, n), cPrev, tc.RowSlice(off, n), dh.RowSlice(off, n), dhCarry, carried,
                dcBuf.RowSlice(0, n), dzt);
            t0 = StartTiming();
            var stepContext = new StepContext(true, context.Step, context.FirstExample);
            Strategy.Step(Gates, x.RowSlice(off, n), dzt, dx.RowSlice(off, n), e, off, stepContext);
            gateTicks += StopTiming(t0);
        }
        t0 = StartTiming();
        Strategy.FinishInputGradient(Gates, dzAll, dx.ColumnSlice(0, e), e);
        Strategy.Finish(Gates, x, dzAll);
        gateTicks += StopTiming(t0);
        if (Timings is not null) Timings.LinearBackwardTicks += gateTicks;
        return dx;
    }

    private long StartTiming()
    {
        if (Timings is null) return 0;
        if (Timings.Synchronize) backend.Synchronize();
        return Stopwatch.GetTimestamp();
    }

    private long StopTiming(long t0)
    {
        if (Timings is null) return 0;
        if (Timings.Synchronize) backend.Synchronize();
        return Stopwatch.GetTimestamp() - t0;
    }

    /// <summary>
    /// meSimp: keeps hidden units <paramref name="keep"/> (ascending, in [0, H)): their four gate rows (weights, bias,
    /// gradients, optimizer state) and their recurrent input columns. The caller prunes the columns of whatever reads
    /// this layer's h.
    /// </summary>
    public void KeepHiddenUnits(ReadOnlySpan<int> keep)
    {
        int h = HiddenSize, e = InputSize;
        var rows = new int[4 * keep.Length];
        for (int g = 0; g < 4; g++)
            for (int j = 0; j < keep.Length; j++) rows[g * keep.Length + j] = g * h + keep[j];
        var cols = new int[e + keep.Length];
        for (int i = 0; i < e; i++) cols[i] = i;
        for (int j = 0; j < keep.Length; j++) cols[e + j] = e + keep[j];
        var r = backend.AllocateIndices(1, rows.Length);
        backend.Upload(rows, r);
        var cc = backend.AllocateIndices(1, cols.Length);
        backend.Upload(cols, cc);
        Gates.KeepOutputs(r);
        Gates.KeepInputs(cc);
        Strategy.OnOutputsResized();
        layout = null;
    }

    /// <summary>Per-unit selection counts (1 x H) from the gate statistics' per-row counts (1 x 4H): the four gates of a
    /// unit summed (host copy), or null when not counting.</summary>
    public float[]? UnitSelectionCounts()
    {
        var counts = Gates.Statistics.UnitCounts;
        if (counts is null) return null;
        int h = HiddenSize;
        var all = new float[4 * h];
        backend.Download(counts, all);
        var units = new float[h];
        for (int g = 0; g < 4; g++)
            for (int j = 0; j < h; j++) units[j] += all[g * h + j];
        return units;
    }
}
