using System.Diagnostics;
using MePropNative.Backends;
using MePropNative.MeProp;
using MePropNative.Tensors;

namespace MePropNative.Layers;

/// <summary>
/// y = x W^T + b with W of shape outputs x inputs (row j of W produces output j, so meProp's "k rows of W" are the k
/// selected outputs). The forward pass is dense; the backward pass asks <see cref="Strategy"/> what to do with dy.
/// </summary>
public sealed class Linear : ILayer
{
    private readonly IBackend backend;
    private readonly TensorCache output;
    private readonly TensorCache inputGradient;
    private Tensor? savedInput;
    private StepContext savedContext;

    public Linear(IBackend backend, int inputs, int outputs, IMePropStrategy strategy, string name = "linear", bool bias = true)
    {
        if (inputs < 1 || outputs < 1) throw new ArgumentOutOfRangeException(nameof(inputs), $"a linear layer needs >= 1 inputs and outputs, not {inputs} -> {outputs}.");
        this.backend = backend;
        Name = name;
        Weight = new Parameter($"{name}.weight", backend.Allocate(outputs, inputs));
        Bias = bias ? new Parameter($"{name}.bias", backend.Allocate(1, outputs)) : null;
        Strategy = strategy;
        Statistics = new SelectionStatistics(backend, outputs);
        output = new TensorCache(backend);
        inputGradient = new TensorCache(backend);
    }

    public string Name { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }
    public IMePropStrategy Strategy { get; set; }
    public SelectionStatistics Statistics { get; }

    /// <summary>False for a network's first layer: its dx would be thrown away, so it is not computed.</summary>
    public bool ComputeInputGradient { get; set; } = true;

    /// <summary>Where backward time is added up; null to not time.</summary>
    public LayerTimings? Timings { get; set; }

    public int Inputs => Weight.Cols;
    public int Outputs => Weight.Rows;
    public IReadOnlyList<Parameter> Parameters => Bias is null ? [Weight] : [Weight, Bias];

    /// <summary>y = x W^T + b into <paramref name="y"/> (batch x outputs).</summary>
    public void Forward(Tensor x, Tensor y)
    {
        backend.Gemm(false, true, 1f, x, Weight.Value, 0f, y);
        if (Bias is not null) backend.AddRowVector(y, Bias.Value);
    }

    /// <summary>Prepares W for many <see cref="Forward(Tensor, Tensor, PackedGemmB)"/> calls until W changes.</summary>
    public void PackWeight(PackedGemmB into) => backend.PackGemmB(true, Weight.Value, into);

    /// <summary>y = x W^T + b with W prepared by <see cref="PackWeight"/>: the same numbers as the other overload.</summary>
    public void Forward(Tensor x, Tensor y, PackedGemmB packedWeight)
    {
        backend.Gemm(false, 1f, x, packedWeight, 0f, y);
        if (Bias is not null) backend.AddRowVector(y, Bias.Value);
    }

    /// <summary>Accumulates dW, db from (x, dy) and writes dx when not null, as the strategy decides.</summary>
    public void Backward(Tensor x, Tensor dy, Tensor? dx, in StepContext context)
    {
        long t0 = 0;
        if (Timings is not null)
        {
            if (Timings.Synchronize) backend.Synchronize();
            t0 = Stopwatch.GetTimestamp();
        }
        Strategy.Backward(new LinearGradientRequest(backend, x, dy, dx, Weight, Bias, Statistics, context));
        if (Timings is not null)
        {
            if (Timings.Synchronize) backend.Synchronize();
            Timings.LinearBackwardTicks += Stopwatch.GetTimestamp() - t0;
        }
    }

    public Tensor Forward(Tensor input, in StepContext context)
    {
        if (input.Cols != Inputs) throw new ArgumentException($"{Name} expects {Inputs} inputs, got {input.Cols}.");
        var y = output.Get(input.Rows, Outputs);
        Forward(input, y);
        savedInput = context.Training ? input : null;
        savedContext = context;
        return y;
    }

    public Tensor? Backward(Tensor outputGradient)
    {
        var x = savedInput ?? throw new InvalidOperationException($"{Name}: Backward without a training Forward.");
        var dx = ComputeInputGradient ? inputGradient.Get(x.Rows, Inputs) : null;
        Backward(x, outputGradient, dx, savedContext);
        return dx;
    }

    /// <summary>Keeps only the output units <paramref name="keep"/> (ascending indices on the backend): rows of W and
    /// entries of b, with their gradients and optimizer state (meSimp).</summary>
    public void KeepOutputs(IndexTensor keep)
    {
        int n = (int)keep.Length;
        Weight.Reshape(t => { var s = backend.Allocate(n, t.Cols); backend.GatherRows(t, keep, s); return s; });
        Bias?.Reshape(t => { var s = backend.Allocate(1, n); backend.GatherColumns(t, keep, s); return s; });
        Statistics.Resize(n);
        Strategy.OnOutputsResized();
    }

    /// <summary>Keeps only the input features <paramref name="keep"/>: columns of W (meSimp, the layer after a pruned one).</summary>
    public void KeepInputs(IndexTensor keep)
    {
        int m = (int)keep.Length;
        Weight.Reshape(t => { var s = backend.Allocate(t.Rows, m); backend.GatherColumns(t, keep, s); return s; });
    }

    public override string ToString() => $"{Name}: {Inputs} -> {Outputs}, {Strategy.Name}";
}
