using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Serialization;
using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Tensors;

namespace MePropNative.MeProp;

/// <summary>
/// <c>--strategy auto</c>: the first time a layer shape is seen, every candidate back propagation is timed on that
/// step's own (x, dy) — on scratch gradients, so the real ones are untouched — and the fastest is kept for that shape
/// from then on. Choices are cached per (device, batch, n, m, k, dx computed or not) in an
/// <see cref="AutoStrategyCache"/> shared by all layers and runs of the process, so each shape is measured once.
///
/// Candidates (<see cref="AutoStrategyOptions.Candidates"/>, config key <c>auto_candidates</c>): <c>dense</c>,
/// <c>topk</c> (per-example meProp; on a backend with several sparse algorithms, one candidate per algorithm,
/// e.g. topk/ell, topk/ell-atomic, topk/cusparse), <c>topk/ALGORITHM</c>, <c>unified</c>. They do not all compute the
/// same gradient: dense is exact, topk keeps k entries per example, unified k columns per batch. auto picks the fastest
/// of what it is given; restrict the list (e.g. <c>topk</c>) to fix the semantics and let it choose only the kernel.
/// Timing uses the backend's own clock (<see cref="ITimedBackend"/>: CUDA events on the CUDA backend) or a stopwatch
/// around a synchronized backend (the CPU), through <see cref="AutoStrategyOptions.TimerFactory"/> (tests inject a
/// fake one).
/// </summary>
public sealed class AutoStrategy : IMePropStrategy
{
    private readonly IBackend backend;
    private readonly AutoStrategyOptions options;
    private readonly Dictionary<string, IMePropStrategy> instances = [];
    private readonly List<AutoChoice> used = [];

    public AutoStrategy(IBackend backend, int k, AutoStrategyOptions? options = null)
    {
        this.backend = backend;
        K = k > 0 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "k must be >= 1.");
        this.options = options ?? AutoStrategyOptions.Default;
        Candidates = Expand(backend, this.options.Candidates);
    }

    public int K { get; }

    /// <summary>The expanded candidate names, in measuring order.</summary>
    public IReadOnlyList<string> Candidates { get; }

    /// <summary>"auto(20)" before the first choice, then "auto(20): topk/ell" (the last shape's choice).</summary>
    public string Name => used.Count == 0 ? $"auto({K})" : $"auto({K}): {used[^1].Chosen}";

    /// <summary>The choices this layer has used, one per shape, in order of first use.</summary>
    public IReadOnlyList<AutoChoice> Choices => used;

    public void Backward(in LinearGradientRequest r)
    {
        int k = Math.Min(K, r.Outputs);
        var key = new AutoKey(backend.Name, r.Batch, r.Outputs, r.X.Cols, k, r.Dx is not null);
        var request = r;
        var choice = options.Cache.GetOrAdd(key, () => Measure(request, key));
        if (!used.Contains(choice)) used.Add(choice);
        Run(choice.Chosen, r);
    }

    /// <summary>Times every candidate on scratch gradients and returns the fastest.</summary>
    private AutoChoice Measure(in LinearGradientRequest r, AutoKey key)
    {
        var weight = new Parameter(r.Weight.Name + ".auto", r.Weight.Value);
        var bias = r.Bias is null ? null : new Parameter(r.Bias.Name + ".auto", r.Bias.Value);
        var dx = r.Dx is null ? null : backend.Allocate(r.Dx.Rows, r.Dx.Cols);
        var statistics = new SelectionStatistics(backend, r.Outputs);
        var scratch = new LinearGradientRequest(backend, r.X, r.Dy, dx, weight, bias, statistics, r.Context);
        var timer = options.TimerFactory(backend);
        var seconds = new Dictionary<string, double>();
        try
        {
            foreach (string name in Candidates)
                for (int i = 0; i < options.Warmup; i++) Run(name, scratch);
            // Rounds interleave the candidates (a slow moment of a shared machine hits them all) and the minimum
            // over rounds is kept (the least disturbed estimate of each).
            for (int round = 0; round < options.Rounds; round++)
                foreach (string name in Candidates)
                {
                    double s = timer.SecondsPerRun(() => Run(name, scratch), options.Repetitions);
                    seconds[name] = round == 0 ? s : Math.Min(seconds[name], s);
                }
        }
        finally
        {
            backend.Synchronize();
            weight.Gradient.Buffer.Dispose();
            bias?.Gradient.Buffer.Dispose();
            dx?.Buffer.Dispose();
            statistics.UnitCounts?.Buffer.Dispose();
        }
        string best = Candidates.MinBy(c => seconds[c])!;
        return new AutoChoice(key, best, seconds);
    }

    private void Run(string name, in LinearGradientRequest r)
    {
        if (!instances.TryGetValue(name, out var strategy)) instances[name] = strategy = Create(name);
        int slash = name.IndexOf('/');
        if (slash < 0 || backend is not ISparseBackwardAlgorithms s) { strategy.Backward(r); return; }
        var previous = s.SparseAlgorithm;
        s.SparseAlgorithm = SparseBackwardAlgorithms.Parse(name[(slash + 1)..]);
        try { strategy.Backward(r); }
        finally { s.SparseAlgorithm = previous; }
    }

    private IMePropStrategy Create(string name)
    {
        string kind = name.Split('/')[0];
        return kind switch
        {
            "dense" => new DenseStrategy(),
            "topk" => new TopKStrategy(backend, K),
            "unified" => new UnifiedTopKStrategy(backend, K),
            _ => throw new ArgumentException($"unknown auto candidate '{name}'."),
        };
    }

    /// <summary>Candidate names for a backend: "topk" becomes one candidate per sparse algorithm the backend has.</summary>
    public static IReadOnlyList<string> Expand(IBackend backend, IEnumerable<string> candidates)
    {
        var result = new List<string>();
        foreach (string raw in candidates)
        {
            string c = raw.Trim().ToLowerInvariant();
            if (c.Length == 0) continue;
            string kind = c.Split('/')[0];
            if (kind is not ("dense" or "topk" or "unified"))
                throw new ArgumentException($"unknown auto candidate '{raw}'; valid: dense, topk, topk/ALGORITHM, unified.");
            if (c.Contains('/'))
            {
                if (kind != "topk") throw new ArgumentException($"auto candidate '{raw}': only topk takes a sparse algorithm.");
                var algorithm = SparseBackwardAlgorithms.Parse(c[(c.IndexOf('/') + 1)..]);
                if (backend is not ISparseBackwardAlgorithms s || !s.SupportedSparseAlgorithms.Contains(algorithm))
                    throw new ArgumentException($"auto candidate '{raw}': the {backend.Name} backend has no sparse algorithm '{algorithm.ToName()}'.");
                result.Add($"topk/{algorithm.ToName()}");
            }
            else if (kind == "topk" && backend is ISparseBackwardAlgorithms s && s.SupportedSparseAlgorithms.Count > 0)
                result.AddRange(s.SupportedSparseAlgorithms.Select(a => $"topk/{a.ToName()}"));
            else result.Add(kind);
        }
        var distinct = result.Distinct().ToList();
        if (distinct.Count == 0) throw new ArgumentException("auto needs at least one candidate.");
        return distinct;
    }

    /// <summary>Every choice made by the auto strategies among <paramref name="strategies"/>, without repeats.</summary>
    public static List<AutoChoice> ChoicesOf(IEnumerable<IMePropStrategy> strategies) =>
        strategies.OfType<AutoStrategy>().SelectMany(a => a.Choices).Distinct().ToList();

    public IReadOnlyList<Tensor> State => [];
    public void RestoreState(IReadOnlyList<Tensor> state) { }
    public void OnOutputsResized() { }
}

/// <summary>What an auto choice depends on: the device (backend name) and the layer shape.</summary>
public readonly record struct AutoKey(string Device, int Batch, int N, int M, int K, bool InputGradient)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Device} batch {Batch} n {N} m {M} k {K}{(InputGradient ? "" : " (no dx)")}");
}

/// <summary>One measured choice: the shape, the winner and every candidate's seconds per backward (results.json
/// "auto_choices").</summary>
public sealed record AutoChoice
{
    public AutoChoice(AutoKey key, string chosen, IReadOnlyDictionary<string, double> seconds)
        : this(key.Device, key.Batch, key.N, key.M, key.K, key.InputGradient, chosen, seconds) { }

    [JsonConstructor]
    public AutoChoice(string device, int batch, int n, int m, int k, bool inputGradient, string chosen, IReadOnlyDictionary<string, double> seconds)
    {
        Device = device; Batch = batch; N = n; M = m; K = k; InputGradient = inputGradient; Chosen = chosen; Seconds = seconds;
    }

    [JsonPropertyName("device")] public string Device { get; }
    [JsonPropertyName("batch")] public int Batch { get; }
    [JsonPropertyName("n")] public int N { get; }
    [JsonPropertyName("m")] public int M { get; }
    [JsonPropertyName("k")] public int K { get; }
    [JsonPropertyName("input_gradient")] public bool InputGradient { get; }
    [JsonPropertyName("chosen")] public string Chosen { get; }
    /// <summary>Seconds per backward of every candidate.</summary>
    [JsonPropertyName("seconds")] public IReadOnlyDictionary<string, double> Seconds { get; }

    [JsonIgnore] public AutoKey Key => new(Device, Batch, N, M, K, InputGradient);

    public override string ToString() =>
        $"{Key}: {Chosen} (" + string.Join(", ", Seconds.OrderBy(p => p.Value)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value * 1e6:F1} us"))) + ")";
}

/// <summary>Process-wide memory of auto choices (thread-safe); each key is measured once.</summary>
public sealed class AutoStrategyCache
{
    private readonly ConcurrentDictionary<AutoKey, Lazy<AutoChoice>> choices = new();

    public static AutoStrategyCache Shared { get; } = new();

    public AutoChoice GetOrAdd(AutoKey key, Func<AutoChoice> measure) =>
        choices.GetOrAdd(key, _ => new Lazy<AutoChoice>(measure)).Value;

    public bool TryGet(AutoKey key, out AutoChoice? choice)
    {
        choice = choices.TryGetValue(key, out var lazy) && lazy.IsValueCreated ? lazy.Value : null;
        return choice is not null;
    }

    public int Count => choices.Count;

    public void Clear() => choices.Clear();
}

/// <summary>How <see cref="AutoStrategy"/> measures. <see cref="Default"/> is what <see cref="StrategyFactory"/> uses
/// (set from the config key auto_candidates by `meprop train`).</summary>
public sealed record AutoStrategyOptions
{
    public static readonly IReadOnlyList<string> DefaultCandidates = ["dense", "topk", "unified"];

    public IReadOnlyList<string> Candidates { get; init; } = DefaultCandidates;
    public int Warmup { get; init; } = 2;
    /// <summary>Runs per timing.</summary>
    public int Repetitions { get; init; } = 5;
    /// <summary>Timings per candidate (interleaved); the fastest counts.</summary>
    public int Rounds { get; init; } = 3;
    public AutoStrategyCache Cache { get; init; } = AutoStrategyCache.Shared;
    public Func<IBackend, IOperationTimer> TimerFactory { get; init; } = StopwatchTimer.For;

    public static AutoStrategyOptions Default { get; set; } = new();

    /// <summary>"dense,topk,unified" -> the list.</summary>
    public static IReadOnlyList<string> ParseCandidates(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
