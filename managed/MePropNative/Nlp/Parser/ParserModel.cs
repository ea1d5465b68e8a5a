using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Tensors;

namespace MePropNative.Nlp.Parser;

/// <summary>Shape and back propagation of a <see cref="ParserModel"/>.</summary>
public sealed record ParserOptions
{
    public int EmbeddingRows { get; init; }
    public int Transitions { get; init; }
    public int EmbeddingSize { get; init; } = 50;
    public int Hidden { get; init; } = 500;
    /// <summary>"cube" or "relu".</summary>
    public string Activation { get; init; } = "cube";
    public float Dropout { get; init; }
    public StrategyKind Strategy { get; init; } = StrategyKind.Dense;
    /// <summary>k of the hidden layer (null: dense).</summary>
    public int? K { get; init; }
    public int? OutputK { get; init; }
    public float MemoryRatio { get; init; } = 0.8f;
    public ulong Seed { get; init; } = 1;
    public int Inputs => ParserFeatures.Count * EmbeddingSize;

    /// <summary>The widest per-state work tensor: the gathered feature embeddings, the hidden layer's outputs or the
    /// transition scores.</summary>
    public Models.WidestRow WidestRow() => Models.WidestRow.Of([new("the feature embeddings", (long)ParserFeatures.Count * EmbeddingSize),
        new("the hidden layer's outputs", Hidden), new("the transition scores", Transitions)]);
}

/// <summary>
/// Chen and Manning's (2014) neural transition classifier: the 48 feature embeddings (one gather from one table)
/// concatenated (48 x 50 = 2400 inputs), a hidden layer (cube activation, or ReLU), a softmax over the transitions.
/// meProp applies to the hidden layer's backward (its strategy), as in the MLP; the output layer stays dense.
/// </summary>
public sealed class ParserModel
{
    private readonly IBackend backend;
    private readonly Sequential network;
    private readonly TensorCache inputs;
    private IndexTensor? ids;

    public ParserModel(IBackend backend, ParserOptions options, LayerTimings? sparsified = null, LayerTimings? dense = null)
    {
        this.backend = backend;
        Options = options;
        Embedding = new Parameter("embedding", backend.Allocate(options.EmbeddingRows, options.EmbeddingSize));
        int? k = options.K is { } kk && kk < options.Hidden ? kk : null;
        Hidden = new Linear(backend, options.Inputs, options.Hidden,
            StrategyFactory.Create(backend, options.Strategy, k, CounterRandom.Derive(options.Seed, 201), options.MemoryRatio), "hidden")
        { Timings = sparsified };
        int? ok = options.OutputK is { } o && o < options.Transitions ? o : null;
        Output = new Linear(backend, options.Hidden, options.Transitions,
            StrategyFactory.Create(backend, ok is null ? StrategyKind.Dense : options.Strategy, ok, CounterRandom.Derive(options.Seed, 202), options.MemoryRatio), "output")
        { Timings = dense };
        var layers = new List<ILayer> { Hidden };
        ulong dropoutSeed = CounterRandom.Derive(options.Seed, 203);
        if (options.Activation == "relu" && options.Dropout > 0) layers.Add(new ReluDropout(backend, options.Dropout, dropoutSeed, "relu_dropout"));
        else
        {
            layers.Add(options.Activation == "relu" ? new Relu(backend, "relu") : new Cube(backend, "cube"));
            if (options.Dropout > 0) layers.Add(new Dropout(backend, options.Dropout, dropoutSeed, "dropout"));
        }
        layers.Add(Output);
        network = new Sequential("parser", layers);
        inputs = new TensorCache(backend);
        Initialize(options.Seed);
    }

    public ParserOptions Options { get; }
    public Parameter Embedding { get; }
    public Linear Hidden { get; }
    public Linear Output { get; }
    public IReadOnlyList<Parameter> Parameters => [Embedding, .. Hidden.Parameters, .. Output.Parameters];
    public IReadOnlyList<Linear> LinearLayers => [Hidden, Output];
    public int[] Sizes => [Options.Inputs, Hidden.Outputs, Output.Outputs];

    public string Description => $"MLP parser (Chen and Manning 2014): {ParserFeatures.Count} features x {Options.EmbeddingSize} = {Options.Inputs} inputs, " +
        $"hidden {Hidden.Outputs} ({Options.Activation}), {Output.Outputs} transitions; hidden {Hidden.Strategy.Name}, output {Output.Strategy.Name}" +
        (Options.Dropout > 0 ? $", dropout {Options.Dropout}" : "");

    /// <summary>Embeddings U(-0.5, 0.5) (a scale at which the cube's gradient does not vanish), weights Glorot-uniform, biases 0.</summary>
    public void Initialize(ulong seed)
    {
        Uniform(Embedding.Value, 0.5f, seed, 1);
        Uniform(Hidden.Weight.Value, MathF.Sqrt(6f / (Hidden.Inputs + Hidden.Outputs)), seed, 2);
        Uniform(Output.Weight.Value, MathF.Sqrt(6f / (Output.Inputs + Output.Outputs)), seed, 3);
        backend.Fill(Hidden.Bias!.Value, 0f);
        backend.Fill(Output.Bias!.Value, 0f);
    }

    private void Uniform(Tensor t, float a, ulong seed, ulong stream)
    {
        var w = new float[t.Length];
        for (int i = 0; i < w.Length; i++) w[i] = (2f * CounterRandom.Uniform(seed, 800 + stream, (ulong)i) - 1f) * a;
        backend.Upload(w, t);
    }

    /// <summary>Transition scores (rows x transitions) for feature rows (1 x rows*48 embedding row ids).</summary>
    public Tensor Forward(IndexTensor featureRows, int rows, in StepContext context)
    {
        int e = Options.EmbeddingSize;
        var x = inputs.Get(rows * ParserFeatures.Count, e);
        backend.GatherRows(Embedding.Value, featureRows, x);
        ids = featureRows;
        return network.Forward(x.Reshape(rows, Options.Inputs), context);
    }

    /// <summary>Back propagates dL/dscores into the layers and, by a scatter-add of rows, into the embedding table.</summary>
    public void Backward(Tensor scoresGradient)
    {
        var dx = network.Backward(scoresGradient) ?? throw new InvalidOperationException("the hidden layer returned no input gradient.");
        backend.ScatterAddRows(dx.Reshape(dx.Rows * ParserFeatures.Count, Options.EmbeddingSize), ids!, 1f, Embedding.Gradient);
        Embedding.GradientIsZero = false;
    }

    /// <summary>meSimp: keeps hidden units <paramref name="keep"/> (ascending) — rows of the hidden layer, columns of the output layer.</summary>
    public void KeepHiddenUnits(ReadOnlySpan<int> keep)
    {
        var idx = backend.AllocateIndices(1, keep.Length);
        backend.Upload(keep, idx);
        Hidden.KeepOutputs(idx);
        Output.KeepInputs(idx);
    }
}
