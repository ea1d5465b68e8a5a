using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Tensors;

namespace MePropNative.Nlp;

/// <summary>Shape and back propagation of an <see cref="LstmTagger"/>.</summary>
public sealed record TaggerOptions
{
    public int Words { get; init; }
    public int Tags { get; init; }
    public int EmbeddingSize { get; init; } = 100;
    /// <summary>Hidden size of the forward LSTM (and of the backward one, unless <see cref="BackwardHidden"/> says otherwise after meSimp).</summary>
    public int Hidden { get; init; } = 500;
    public int? BackwardHidden { get; init; }
    public bool Bidirectional { get; init; } = true;
    public float Dropout { get; init; }
    public StrategyKind Strategy { get; init; } = StrategyKind.Dense;
    /// <summary>k per gate (null: dense).</summary>
    public int? K { get; init; }
    /// <summary>4: top-k within each gate; 1: 4k over the whole gate vector.</summary>
    public int Groups { get; init; } = 4;
    public int? OutputK { get; init; }
    public float MemoryRatio { get; init; } = 0.8f;
    public ulong Seed { get; init; } = 1;

    /// <summary>The widest per-token work tensor: an LSTM's [x, h] rows or gates, the concatenated hidden states of both
    /// directions, or the tag scores.</summary>
    public Models.WidestRow WidestRow()
    {
        var rows = new List<Models.WidestRow> { new("lstm_fw's [x, h] rows", (long)EmbeddingSize + Hidden), new("lstm_fw's gates", 4L * Hidden),
            new("the tag scores", Tags) };
        if (Bidirectional)
        {
            int backward = BackwardHidden ?? Hidden;
            rows.AddRange([new("lstm_bw's [x, h] rows", (long)EmbeddingSize + backward), new("lstm_bw's gates", 4L * backward),
                new("the concatenated hidden states", (long)Hidden + backward)]);
        }
        return Models.WidestRow.Of(rows);
    }
}

/// <summary>
/// The POS tagger: word embeddings (trained from scratch) feed an LSTM — two, one per reading direction, when
/// bidirectional — whose hidden states (concatenated) go through a linear layer to a softmax over the XPOS tags.
/// meProp applies to the LSTMs' gate transforms through back propagation through time (<see cref="RecurrentGateStrategy"/>);
/// the output layer is dense unless output_k is set (the paper keeps it dense).
/// </summary>
public sealed class LstmTagger
{
    private readonly IBackend backend;
    private readonly Dropout? dropout;
    private readonly TensorCache concat, backwardGradient;
    private readonly IndexTensorCache forwardIds, reverseIds, reverseRows;
    private TaggerBatch? batch;
    private StepContext context;

    public LstmTagger(IBackend backend, TaggerOptions options, LayerTimings? sparsified = null, LayerTimings? dense = null)
    {
        if (options.Words < 1 || options.Tags < 2) throw new ArgumentException("a tagger needs >= 1 word and >= 2 tags.");
        this.backend = backend;
        Options = options;
        Embedding = new Parameter("embedding", backend.Allocate(options.Words, options.EmbeddingSize));
        RecurrentGateStrategy Strat(ulong purpose) =>
            new(backend, options.Strategy, options.K, options.Groups, CounterRandom.Derive(options.Seed, purpose), options.MemoryRatio);
        ForwardLstm = new Lstm(backend, options.EmbeddingSize, options.Hidden, Strat(101), "lstm_fw") { Timings = sparsified };
        if (options.Bidirectional)
            BackwardLstm = new Lstm(backend, options.EmbeddingSize, options.BackwardHidden ?? options.Hidden, Strat(102), "lstm_bw") { Timings = sparsified };
        int outInputs = ForwardLstm.HiddenSize + (BackwardLstm?.HiddenSize ?? 0);
        int? ok = options.OutputK is { } k && k < options.Tags ? k : null;
        var outStrategy = StrategyFactory.Create(backend, ok is null ? StrategyKind.Dense : options.Strategy, ok, CounterRandom.Derive(options.Seed, 103), options.MemoryRatio);
        Output = new Linear(backend, outInputs, options.Tags, outStrategy, "output") { Timings = dense };
        if (options.Dropout > 0) dropout = new Dropout(backend, options.Dropout, CounterRandom.Derive(options.Seed, 104), "dropout");
        concat = new TensorCache(backend);
        backwardGradient = new TensorCache(backend);
        forwardIds = new IndexTensorCache(backend);
        reverseIds = new IndexTensorCache(backend);
        reverseRows = new IndexTensorCache(backend);
        Initialize(options.Seed);
    }

    public TaggerOptions Options { get; }
    public Parameter Embedding { get; }
    public Lstm ForwardLstm { get; }
    public Lstm? BackwardLstm { get; }
    public Linear Output { get; }

    public IEnumerable<Lstm> Lstms => BackwardLstm is null ? [ForwardLstm] : [ForwardLstm, BackwardLstm];
    public IReadOnlyList<Parameter> Parameters => [Embedding, .. Lstms.SelectMany(l => l.Parameters), .. Output.Parameters];
    public IReadOnlyList<Linear> LinearLayers => [.. Lstms.Select(l => l.Gates), Output];

    /// <summary>[embedding, hidden fw, (hidden bw), tags].</summary>
    public int[] Sizes => [Options.EmbeddingSize, .. Lstms.Select(l => l.HiddenSize), Options.Tags];

    public string Description =>
        $"{(BackwardLstm is null ? "LSTM" : "BiLSTM")} tagger: embedding {Options.Words} x {Options.EmbeddingSize}, hidden {string.Join("+", Lstms.Select(l => l.HiddenSize))}, " +
        $"{Options.Tags} tags; gates {ForwardLstm.Strategy.Name}, output {Output.Strategy.Name}" + (Options.Dropout > 0 ? $", dropout {Options.Dropout}" : "");

    /// <summary>Embeddings U(-0.5, 0.5); LSTM weights U(-1/sqrt(H), 1/sqrt(H)) with forget-gate bias 1; output Glorot-uniform, bias 0.</summary>
    public void Initialize(ulong seed)
    {
        Uniform(Embedding.Value, 0.5f, seed, 1);
        ulong purpose = 2;
        foreach (var l in Lstms)
        {
            Uniform(l.Gates.Weight.Value, 1f / MathF.Sqrt(l.HiddenSize), seed, purpose++);
            var b = new float[l.Gates.Outputs];
            for (int j = l.HiddenSize; j < 2 * l.HiddenSize; j++) b[j] = 1f;
            backend.Upload(b, l.Gates.Bias!.Value);
        }
        Uniform(Output.Weight.Value, MathF.Sqrt(6f / (Output.Inputs + Output.Outputs)), seed, 10);
        backend.Fill(Output.Bias!.Value, 0f);
    }

    private void Uniform(Tensor t, float a, ulong seed, ulong stream)
    {
        var w = new float[t.Length];
        for (int i = 0; i < w.Length; i++) w[i] = (2f * CounterRandom.Uniform(seed, 700 + stream, (ulong)i) - 1f) * a;
        backend.Upload(w, t);
    }

    /// <summary>Tag scores (N x tags, rows in the batch's forward row order).</summary>
    public Tensor Forward(TaggerBatch b, in StepContext ctx)
    {
        batch = b;
        context = ctx;
        var p = b.Layout;
        var fwIds = forwardIds.Get(1, p.Tokens);
        backend.Upload(b.ForwardWords, fwIds);
        backend.GatherRows(Embedding.Value, fwIds, ForwardLstm.Inputs(p));
        var hf = ForwardLstm.Forward(ctx);
        Tensor features = hf;
        if (BackwardLstm is not null)
        {
            var bwIds = reverseIds.Get(1, p.Tokens);
            backend.Upload(b.ReverseWords, bwIds);
            backend.GatherRows(Embedding.Value, bwIds, BackwardLstm.Inputs(p));
            var hb = BackwardLstm.Forward(ctx);
            int h1 = ForwardLstm.HiddenSize, h2 = BackwardLstm.HiddenSize;
            var cat = concat.Get(p.Tokens, h1 + h2);
            backend.Copy(hf, cat.ColumnSlice(0, h1));
            var rows = reverseRows.Get(1, p.Tokens);
            backend.Upload(b.ReverseRows, rows);
            backend.GatherRows(hb, rows, cat.ColumnSlice(h1, h2));
            features = cat;
        }
        if (dropout is not null) features = dropout.Forward(features, ctx);
        return Output.Forward(features, ctx);
    }

    /// <summary>Back propagates dL/dscores through the output layer, the LSTMs (through time) and into the embeddings.</summary>
    public void Backward(Tensor scoresGradient)
    {
        var b = batch ?? throw new InvalidOperationException("Backward before Forward.");
        var p = b.Layout;
        int e = Options.EmbeddingSize, h1 = ForwardLstm.HiddenSize;
        var d = Output.Backward(scoresGradient)!;
        if (dropout is not null) d = dropout.Backward(d)!;
        var dxf = ForwardLstm.Backward(d.ColumnSlice(0, h1), context);
        backend.ScatterAddRows(dxf.ColumnSlice(0, e), forwardIds.Current!, 1f, Embedding.Gradient);
        if (BackwardLstm is not null)
        {
            int h2 = BackwardLstm.HiddenSize;
            var dhb = backwardGradient.Get(p.Tokens, h2);
            backend.Fill(dhb, 0f);
            backend.ScatterAddRows(d.ColumnSlice(h1, h2), reverseRows.Current!, 1f, dhb);
            var dxb = BackwardLstm.Backward(dhb, context);
            backend.ScatterAddRows(dxb.ColumnSlice(0, e), reverseIds.Current!, 1f, Embedding.Gradient);
        }
        Embedding.GradientIsZero = false;
    }

    /// <summary>meSimp: keeps the given hidden units of each LSTM (ascending indices; null keeps all) and the output
    /// layer's matching input columns.</summary>
    public void KeepHiddenUnits(int[]? keepForward, int[]? keepBackward)
    {
        int h1 = ForwardLstm.HiddenSize;
        var cols = new List<int>();
        cols.AddRange(keepForward ?? Enumerable.Range(0, h1));
        if (BackwardLstm is not null) cols.AddRange((keepBackward ?? Enumerable.Range(0, BackwardLstm.HiddenSize)).Select(j => h1 + j));
        if (keepForward is not null) ForwardLstm.KeepHiddenUnits(keepForward);
        if (keepBackward is not null) BackwardLstm?.KeepHiddenUnits(keepBackward);
        var idx = backend.AllocateIndices(1, cols.Count);
        backend.Upload(cols.ToArray(), idx);
        Output.KeepInputs(idx);
    }
}
