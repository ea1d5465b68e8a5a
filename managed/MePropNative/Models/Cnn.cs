using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Tensors;

namespace MePropNative.Models;

/// <summary>
/// A convolutional classifier over channels-last images (an MNIST batch N x 784 is N x 28 x 28 x 1 as it is):
/// per conv layer Conv2d (same padding) - [BatchNorm] - ReLU - MaxPool 2x2, then per hidden layer Linear - [BatchNorm] -
/// ReLU - [Dropout], then the classifier Linear. With meProp the conv layers select per feature map
/// (<see cref="PerMapTopK"/>, optionally with decay selection) and the hidden fully connected layers per example
/// (<see cref="TopKStrategy"/>, k = ceil(ratio * outputs)); which layers are sparsified is
/// <see cref="CnnOptions.SparseLayers"/>.
/// </summary>
public sealed class Cnn : IClassifier
{
    private readonly IBackend backend;
    private readonly Sequential network;
    private readonly List<Conv2d> convs = [];
    private readonly List<Linear> linears = [];
    private readonly List<BatchNorm> norms = [];
    private readonly List<LayerTimings> linearTimings = [];
    private readonly int flatSize;

    public Cnn(IBackend backend, CnnOptions options)
    {
        if (options.ConvChannels.Any(c => c < 1) || options.Hidden.Any(h => h < 1)) throw new ArgumentException("layer sizes must be >= 1.");
        if (options.TopKRatio is not > 0) throw new ArgumentOutOfRangeException(nameof(options), options.TopKRatio, "the top-k ratio must be > 0.");
        this.backend = backend;
        Options = options;
        var layers = new List<ILayer>();
        int h = options.Height, w = options.Width, c = options.InputChannels;
        for (int i = 0; i < options.ConvChannels.Length; i++)
        {
            string name = $"conv{i + 1}";
            var g = ConvGeometry.Same(h, w, c, options.Kernel);
            var selection = options.Sparsifies(name) ? new PerMapTopK(backend, options.TopKRatio, options.Decay) : null;
            var conv = new Conv2d(backend, g, options.ConvChannels[i], selection, name, bias: !options.BatchNorm) { ComputeInputGradient = i > 0 };
            convs.Add(conv);
            layers.Add(conv);
            c = options.ConvChannels[i];
            if (options.BatchNorm) layers.Add(Norm(c, $"bn{i + 1}"));
            layers.Add(new Relu(backend, $"relu{i + 1}"));
            var pool = new MaxPool2d(backend, g.OutputHeight, g.OutputWidth, c, $"pool{i + 1}");
            layers.Add(pool);
            h = pool.OutputHeight;
            w = pool.OutputWidth;
        }
        flatSize = h * w * c;
        int inputs = flatSize;
        for (int i = 0; i <= options.Hidden.Length; i++)
        {
            bool classifier = i == options.Hidden.Length;
            string name = $"fc{i + 1}";
            int outputs = classifier ? options.Classes : options.Hidden[i];
            IMePropStrategy strategy = new DenseStrategy();
            if (options.Sparsifies(name))
            {
                int k = Math.Clamp((int)Math.Ceiling(Math.Round((double)options.TopKRatio * outputs, 4)), 1, outputs);
                if (k < outputs) strategy = new TopKStrategy(backend, k);
            }
            var timings = new LayerTimings();
            linearTimings.Add(timings);
            var linear = new Linear(backend, inputs, outputs, strategy, name, bias: classifier || !options.BatchNorm)
            {
                ComputeInputGradient = convs.Count > 0 || i > 0,
                Timings = timings,
            };
            linears.Add(linear);
            layers.Add(linear);
            if (!classifier)
            {
                if (options.BatchNorm) layers.Add(Norm(outputs, $"bn_fc{i + 1}"));
                layers.Add(options.Dropout > 0
                    ? new ReluDropout(backend, options.Dropout, CounterRandom.Derive(options.Seed, 210, (ulong)i), $"relu_dropout_fc{i + 1}")
                    : new Relu(backend, $"relu_fc{i + 1}"));
            }
            inputs = outputs;
        }
        network = new Sequential("cnn", layers);
        Initialize(options.Seed);
    }

    private BatchNorm Norm(int channels, string name)
    {
        var bn = new BatchNorm(backend, channels, name, Options.BatchNormEpsilon, Options.BatchNormMomentum);
        norms.Add(bn);
        return bn;
    }

    public CnnOptions Options { get; }
    public int Inputs => Options.Height * Options.Width * Options.InputChannels;
    public int Classes => Options.Classes;
    public IReadOnlyList<Parameter> Parameters => network.Parameters;
    public IReadOnlyList<Linear> LinearLayers => linears;
    public IReadOnlyList<Conv2d> ConvLayers => convs;
    public IReadOnlyList<BatchNorm> BatchNorms => norms;
    public IReadOnlyList<ILayer> Layers => network.Layers;

    /// <summary>Layer sizes for the results: input, conv channels, flattened features, fc widths.</summary>
    public int[] Sizes => [Inputs, .. convs.Select(c => c.OutputChannels), flatSize, .. linears.Select(l => l.Outputs)];

    public string Description
    {
        get
        {
            var o = Options;
            string shape = string.Join("-", o.ConvChannels.Select(c => $"conv{o.Kernel}x{o.Kernel}x{c}-pool")) + "-" + string.Join("-", o.Hidden.Append(o.Classes).Select(n => $"fc{n}"));
            var parts = new List<string> { $"CNN {shape}" };
            if (o.BatchNorm) parts.Add("BatchNorm");
            if (o.Dropout > 0) parts.Add($"dropout {o.Dropout}");
            var sparse = convs.Where(c => c.Selection is not null).Select(c => c.Name).Concat(linears.Where(l => l.Strategy is not DenseStrategy).Select(l => $"{l.Name} {l.Strategy.Name}")).ToList();
            parts.Add(sparse.Count == 0 ? "dense backprop" : $"meProp-CNN top {o.TopKRatio:0.###}{(o.Decay > 0 ? $" decay {o.Decay:0.###}" : "")} on {string.Join(", ", sparse)}");
            return string.Join(", ", parts);
        }
    }

    public Tensor Forward(Tensor input, in StepContext context) => network.Forward(input, context);

    public void Backward(Tensor logitsGradient) => network.Backward(logitsGradient);

    /// <summary>Backward wall time per layer since the last <see cref="ResetTimings"/> (Stopwatch ticks), conv and fc.</summary>
    public IEnumerable<(string Layer, long Ticks)> BackwardTicks =>
        convs.Select(c => (c.Name, c.BackwardTicks)).Concat(linears.Select((l, i) => (l.Name, linearTimings[i].LinearBackwardTicks)));

    public void ResetTimings()
    {
        foreach (var c in convs)
        {
            c.BackwardTicks = c.SelectionTicks = c.WeightGradientTicks = c.InputGradientTicks = 0;
            c.Selection?.ResetCounts();
        }
        foreach (var t in linearTimings) t.Reset();
        foreach (var l in linears) l.Statistics.ResetRatio();
    }

    /// <summary>Fraction of the output-gradient entries the sparsified layers' backward passes used (selected over total,
    /// weighted by the weight-gradient work of each entry); 1 for dense.</summary>
    public double BackpropRatio()
    {
        double selected = 0, total = 0;
        foreach (var c in convs)
        {
            double work = c.Geometry.PatchSize;
            if (c.Selection is { Total: > 0 } s) { selected += s.Selected * work; total += s.Total * work; }
        }
        foreach (var l in linears)
        {
            selected += (double)l.Statistics.SelectedRows * l.Inputs;
            total += (double)l.Statistics.TotalRows * l.Inputs;
        }
        return total == 0 ? 1 : selected / total;
    }

    /// <summary>Per layer, the fraction of its output gradient that was propagated (1 for dense layers).</summary>
    public double[] LayerBackpropRatios() =>
        [.. convs.Select(c => c.Selection?.BackpropRatio ?? 1.0), .. linears.Select(l => l.Statistics.BackpropRatio)];

    /// <summary>Conv layers He-uniform, fc layers Glorot-uniform, biases 0, BatchNorm gamma 1 and beta 0; a pure function of the seed.</summary>
    public void Initialize(ulong seed)
    {
        for (int i = 0; i < convs.Count; i++) convs[i].Initialize(seed, 500 + (ulong)i);
        for (int i = 0; i < linears.Count; i++)
        {
            var l = linears[i];
            float a = MathF.Sqrt(6f / (l.Inputs + l.Outputs));
            var w = new float[l.Weight.Length];
            for (int j = 0; j < w.Length; j++) w[j] = (2f * CounterRandom.Uniform(seed, 600 + (ulong)i, (ulong)j) - 1f) * a;
            backend.Upload(w, l.Weight.Value);
            if (l.Bias is not null) backend.Fill(l.Bias.Value, 0f);
        }
    }
}
