using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Tensors;

namespace MePropNative.Models;

/// <summary>
/// A multilayer perceptron (the meProp paper's MNIST model is 784-500-500-10): Linear and ReLU (fused with dropout when
/// there is dropout) per hidden layer, then a Linear to the class logits. Weights are Glorot-uniform initialised from
/// the seed, biases zero.
/// </summary>
public sealed class Mlp : IClassifier
{
    private readonly IBackend backend;
    private readonly Linear[] linears;
    private readonly Sequential network;

    public Mlp(IBackend backend, MlpOptions options, LayerTimings? timings = null)
    {
        options.Check();
        this.backend = backend;
        Options = options;
        var layers = new List<ILayer>();
        linears = new Linear[options.Hidden.Length + 1];
        int inputs = options.Inputs;
        for (int h = 0; h <= options.Hidden.Length; h++)
        {
            bool output = h == options.Hidden.Length;
            int outputs = output ? options.Classes : options.Hidden[h];
            int? k = output ? options.OutputK : options.KForHidden(h);
            if (k >= outputs) k = null;
            var strategy = StrategyFactory.Create(backend, options.Strategy, k, CounterRandom.Derive(options.Seed, 100, (ulong)h), options.MemoryRatio);
            var linear = new Linear(backend, inputs, outputs, strategy, output ? "output" : $"hidden{h + 1}")
            {
                ComputeInputGradient = h > 0,
                Timings = timings,
            };
            linears[h] = linear;
            layers.Add(linear);
            if (!output)
            {
                layers.Add(options.Dropout > 0
                    ? new ReluDropout(backend, options.Dropout, CounterRandom.Derive(options.Seed, 200, (ulong)h), $"relu_dropout{h + 1}")
                    : new Relu(backend, $"relu{h + 1}"));
            }
            inputs = outputs;
        }
        network = new Sequential("mlp", layers);
        Initialize(options.Seed);
    }

    public MlpOptions Options { get; }
    public int Inputs => Options.Inputs;
    public int Classes => Options.Classes;
    public IReadOnlyList<Parameter> Parameters => network.Parameters;
    public IReadOnlyList<Linear> LinearLayers => linears;

    /// <summary>Layer widths, input to output (changes when meSimp prunes).</summary>
    public int[] Sizes => [Inputs, .. linears.Select(l => l.Outputs)];

    public string Description => $"MLP {string.Join("-", Sizes)}, " +
        string.Join(", ", linears.Select(l => $"{l.Name} {l.Strategy.Name}").Distinct()) +
        (Options.Dropout > 0 ? $", dropout {Options.Dropout}" : "");

    public Tensor Forward(Tensor input, in StepContext context) => network.Forward(input, context);

    public void Backward(Tensor logitsGradient) => network.Backward(logitsGradient);

    /// <summary>Glorot-uniform weights U(-a, a), a = sqrt(6 / (inputs + outputs)), zero biases; a pure function of the seed.</summary>
    public void Initialize(ulong seed)
    {
        for (int h = 0; h < linears.Length; h++)
        {
            var l = linears[h];
            float a = MathF.Sqrt(6f / (l.Inputs + l.Outputs));
            var w = new float[l.Weight.Length];
            for (int i = 0; i < w.Length; i++) w[i] = (2f * CounterRandom.Uniform(seed, 300 + (ulong)h, (ulong)i) - 1f) * a;
            backend.Upload(w, l.Weight.Value);
            if (l.Bias is not null) backend.Fill(l.Bias.Value, 0f);
        }
    }

    /// <summary>meSimp: keeps only units <paramref name="keep"/> (ascending) of hidden layer <paramref name="hiddenLayer"/>,
    /// shrinking that layer's W rows and b and the next layer's W columns (with gradients and optimizer state).</summary>
    public void KeepHiddenUnits(int hiddenLayer, ReadOnlySpan<int> keep)
    {
        if (hiddenLayer < 0 || hiddenLayer >= linears.Length - 1) throw new ArgumentOutOfRangeException(nameof(hiddenLayer));
        int n = linears[hiddenLayer].Outputs;
        if (keep.Length < 1) throw new ArgumentException("at least one unit must be kept.");
        for (int i = 0; i < keep.Length; i++)
            if (keep[i] < 0 || keep[i] >= n || (i > 0 && keep[i] <= keep[i - 1]))
                throw new ArgumentException($"kept units must be ascending indices in [0, {n}).");
        var idx = backend.AllocateIndices(1, keep.Length);
        backend.Upload(keep, idx);
        linears[hiddenLayer].KeepOutputs(idx);
        linears[hiddenLayer + 1].KeepInputs(idx);
        idx.Buffer.Dispose();
    }

    /// <summary>Zeroes the units of a hidden layer that are not in <paramref name="keep"/> (their W rows and b entries):
    /// the masked network that meSimp's compacted one must equal.</summary>
    public void MaskHiddenUnits(int hiddenLayer, ReadOnlySpan<int> keep)
    {
        var l = linears[hiddenLayer];
        var keepSet = new HashSet<int>(keep.ToArray());
        var w = new float[l.Weight.Length];
        backend.Download(l.Weight.Value, w);
        var b = new float[l.Outputs];
        if (l.Bias is not null) backend.Download(l.Bias.Value, b);
        for (int j = 0; j < l.Outputs; j++)
        {
            if (keepSet.Contains(j)) continue;
            Array.Clear(w, j * l.Inputs, l.Inputs);
            b[j] = 0;
        }
        backend.Upload(w, l.Weight.Value);
        if (l.Bias is not null) backend.Upload(b, l.Bias.Value);
    }
}
