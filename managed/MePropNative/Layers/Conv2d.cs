using System.Diagnostics;
using MePropNative.Backends;
using MePropNative.MeProp;
using MePropNative.Tensors;

namespace MePropNative.Layers;

/// <summary>
/// A 2-D convolution over channels-last images (N x (H * W * Cin) -> N x (OH * OW * Cout)), computed as im2col and one
/// SGEMM: cols ((N * P) x K) = im2col(x), y ((N * P) x Cout) = cols W^T + b, W: Cout x K with K = KH * KW * Cin.
///
/// Backward, dense (<see cref="Selection"/> null): dW = dY^T cols, db = column sums of dY, dcols = dY W, dx = col2im(dcols).
/// Backward, meProp-CNN (<see cref="Selection"/> set): per feature map (example, channel) only k positions of dY are kept
/// (<see cref="PerMapTopK"/>); the selection comes back channel-major, so
/// <list type="bullet">
/// <item>dW[c, :] = sum over the N k selected (row, value) of channel c of value * cols[row, :] (k/P of the dense GEMM's
/// work): read from the input images window row by window row when those rows are long enough to vectorize
/// (<see cref="ImplicitWeightGradientMinRun"/>), else from the im2col rows (on the CPU both through libmeprop's
/// mp_conv_sparse_dw_f32);</item>
/// <item>db[c] = sum of channel c's selected values;</item>
/// <item>dx: the selected entries add value * W[c, window] straight onto the input pixels of their windows (on the CPU
/// position by position, libmeprop's mp_conv_sparse_dx_f32) — no dcols matrix and no col2im over untouched positions
/// (k/P of the dense work).</item>
/// </list>
/// </summary>
public sealed class Conv2d : ILayer
{
    private readonly IBackend backend;
    private readonly TensorCache columns;
    private readonly TensorCache output;
    private readonly TensorCache columnGradient;
    private readonly TensorCache inputGradient;
    private readonly TensorCache weightGradient;
    private readonly TensorCache contiguousGradient;
    private Tensor? savedColumns;
    private Tensor? savedInput;
    private int savedRows;

    public Conv2d(IBackend backend, ConvGeometry geometry, int outputChannels, PerMapTopK? selection = null, string name = "conv", bool bias = true)
    {
        if (outputChannels < 1) throw new ArgumentOutOfRangeException(nameof(outputChannels), outputChannels, "a conv layer needs >= 1 output channels.");
        this.backend = backend;
        Geometry = geometry;
        Name = name;
        Weight = new Parameter($"{name}.weight", backend.Allocate(outputChannels, geometry.PatchSize));
        Bias = bias ? new Parameter($"{name}.bias", backend.Allocate(1, outputChannels)) : null;
        Selection = selection;
        columns = new TensorCache(backend);
        output = new TensorCache(backend);
        columnGradient = new TensorCache(backend);
        inputGradient = new TensorCache(backend);
        weightGradient = new TensorCache(backend);
        contiguousGradient = new TensorCache(backend);
    }

    public string Name { get; }
    public ConvGeometry Geometry { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }
    public int OutputChannels => Weight.Rows;
    public int InputSize => Geometry.InputSize;
    public int OutputSize => Geometry.Positions * OutputChannels;

    /// <summary>Per-map top-k of the output gradient (meProp-CNN), or null for ordinary back propagation.</summary>
    public PerMapTopK? Selection { get; set; }

    /// <summary>
    /// The sparse weight gradient reads the input images directly (<see cref="IBackend.ConvSparseBackwardWeights"/>) when a
    /// window row (KW * Cin floats) is at least this long, else the im2col rows through libmeprop's sparse kernel: with
    /// one input channel (conv1 on MNIST) a row is 5 floats, too short for vectors.
    /// </summary>
    public static int ImplicitWeightGradientMinRun { get; set; } = 16;

    /// <summary>False for a network's first layer: its dx would be thrown away, so it is not computed.</summary>
    public bool ComputeInputGradient { get; set; } = true;

    /// <summary>Wall time inside this layer's backward passes (selection included), Stopwatch ticks; the trainer resets it.</summary>
    public long BackwardTicks { get; set; }

    /// <summary>Where the backward time went (Stopwatch ticks): selection, weight (and bias) gradient, input gradient;
    /// reset with <see cref="BackwardTicks"/> by the caller.</summary>
    public long SelectionTicks { get; set; }
    public long WeightGradientTicks { get; set; }
    public long InputGradientTicks { get; set; }

    /// <summary>Call <see cref="IBackend.Synchronize"/> around the backward timing (device backends).</summary>
    public bool SynchronizeTimings { get; set; }

    public IReadOnlyList<Parameter> Parameters => Bias is null ? [Weight] : [Weight, Bias];

    public Tensor Forward(Tensor input, in StepContext context)
    {
        if (input.Cols != InputSize) throw new ArgumentException($"{Name} expects {InputSize} values per example ({Geometry}), got {input.Cols}.");
        int n = input.Rows, rows = n * Geometry.Positions;
        var cols = columns.Get(rows, Geometry.PatchSize);
        backend.Im2Col(input, Geometry, cols);
        var y = output.Get(n, OutputSize);
        var yMat = y.Reshape(rows, OutputChannels);
        backend.Gemm(false, true, 1f, cols, Weight.Value, 0f, yMat);
        if (Bias is not null) backend.AddRowVector(yMat, Bias.Value);
        savedColumns = context.Training ? cols : null;
        savedInput = context.Training ? input : null;
        savedRows = n;
        return y;
    }

    public Tensor? Backward(Tensor outputGradient)
    {
        var cols = savedColumns ?? throw new InvalidOperationException($"{Name}: Backward without a training Forward.");
        int n = savedRows;
        if (outputGradient.Rows != n || outputGradient.Cols != OutputSize)
            throw new ArgumentException($"{Name}: the output gradient must be {n} x {OutputSize}, not {outputGradient.Rows} x {outputGradient.Cols}.");
        if (SynchronizeTimings) backend.Synchronize();
        long t0 = Stopwatch.GetTimestamp();
        var dx = ComputeInputGradient ? inputGradient.Get(n, InputSize) : null;
        if (Selection is null) DenseBackward(outputGradient, cols, dx);
        else SparseBackward(outputGradient, cols, dx, Selection);
        if (SynchronizeTimings) backend.Synchronize();
        BackwardTicks += Stopwatch.GetTimestamp() - t0;
        return dx;
    }

    private long Stamp()
    {
        if (SynchronizeTimings) backend.Synchronize();
        return Stopwatch.GetTimestamp();
    }

    private void DenseBackward(Tensor dy, Tensor cols, Tensor? dx)
    {
        long t0 = Stamp();
        var dyMat = Matrix(dy);
        backend.Gemm(true, false, 1f, dyMat, cols, Weight.GradientIsZero ? 0f : 1f, Weight.Gradient);
        Weight.GradientIsZero = false;
        if (Bias is not null)
        {
            backend.ColumnSums(dyMat, Bias.Gradient, accumulate: !Bias.GradientIsZero);
            Bias.GradientIsZero = false;
        }
        long t1 = Stamp();
        WeightGradientTicks += t1 - t0;
        if (dx is null) return;
        var dcols = columnGradient.Get(cols.Rows, cols.Cols);
        backend.Gemm(false, false, 1f, dyMat, Weight.Value, 0f, dcols);
        backend.Col2Im(dcols, Geometry, dx);
        InputGradientTicks += Stamp() - t1;
    }

    private void SparseBackward(Tensor dy, Tensor cols, Tensor? dx, PerMapTopK selection)
    {
        long t0 = Stamp();
        if (!dy.IsContiguous) dy = Contiguous(dy);
        var (idx, val, k) = selection.Select(dy, OutputChannels);
        long t1 = Stamp();
        SelectionTicks += t1 - t0;
        if (Geometry.KernelWidth * Geometry.InputChannels >= ImplicitWeightGradientMinRun)
        {
            // dW[c, window] += val * x[window] straight from the input images (they stay in cache; cols does not)
            backend.ConvSparseBackwardWeights(idx, val, k, savedInput!, Geometry, Weight.Gradient, accumulate: !Weight.GradientIsZero);
        }
        else
        {
            // dW[c, :] = sum_j val[c, j] * cols[idx[c, j], :] from the im2col rows; the backend accumulates itself for
            // contiguous columns or rows of up to 64 floats, else (a kernel that overwrites) through a scratch tensor
            bool blocked = cols.Cols <= 64 || cols.IsContiguous;
            var target = Weight.GradientIsZero || blocked ? Weight.Gradient : weightGradient.Get(Weight.Rows, Weight.Cols);
            backend.ConvSparseBackwardWeightsFromColumns(idx, val, cols, target, accumulate: blocked && !Weight.GradientIsZero);
            if (!Weight.GradientIsZero && !blocked) backend.Axpy(1f, target, Weight.Gradient);
        }
        Weight.GradientIsZero = false;
        if (Bias is not null)
        {
            backend.RowSums(val, Bias.Gradient, accumulate: !Bias.GradientIsZero);
            Bias.GradientIsZero = false;
        }
        long t2 = Stamp();
        WeightGradientTicks += t2 - t1;
        if (dx is null) return;
        backend.ConvSparseBackwardInput(idx, val, k, Weight.Value, Geometry, dx);
        InputGradientTicks += Stamp() - t2;
    }

    private Tensor Matrix(Tensor dy) => (dy.IsContiguous ? dy : Contiguous(dy)).Reshape(dy.Rows * Geometry.Positions, OutputChannels);

    private Tensor Contiguous(Tensor t)
    {
        var c = contiguousGradient.Get(t.Rows, t.Cols);
        backend.Copy(t, c);
        return c;
    }

    /// <summary>He-uniform weights U(-a, a), a = sqrt(6 / fan_in), fan_in = KH * KW * Cin; zero bias. A pure function of
    /// (seed, stream).</summary>
    public void Initialize(ulong seed, ulong stream)
    {
        float a = MathF.Sqrt(6f / Geometry.PatchSize);
        var w = new float[Weight.Length];
        for (int i = 0; i < w.Length; i++) w[i] = (2f * CounterRandom.Uniform(seed, stream, (ulong)i) - 1f) * a;
        backend.Upload(w, Weight.Value);
        if (Bias is not null) backend.Fill(Bias.Value, 0f);
    }

    public override string ToString() => $"{Name}: {Geometry} x {OutputChannels}, {Selection?.Name ?? "dense"}";
}
