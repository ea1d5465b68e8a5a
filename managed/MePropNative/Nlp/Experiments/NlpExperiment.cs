using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MePropNative.Backends;
using MePropNative.Experiments;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Nlp.Parser;
using MePropNative.Nlp.Training;
using MePropNative.Training;

namespace MePropNative.Nlp.Experiments;

public static class ExperimentDefaults
{
    public const int TaggerEpochs = 4;
    public const int ParserEpochs = 4;
}

/// <summary>How `meprop experiment nlp` runs.</summary>
public sealed record NlpExperimentSettings
{
    public string OutDir { get; init; } = "docs/results/nlp";
    public string DataDir { get; init; } = "data/ud-english-ewt";
    public int TaggerEpochs { get; init; } = ExperimentDefaults.TaggerEpochs;
    public int ParserEpochs { get; init; } = ExperimentDefaults.ParserEpochs;
    public int TrainLimit { get; init; }
    public long Seed { get; init; } = 1;
    /// <summary>Batches per strategy in the backward-speed benchmark, and rounds over them.</summary>
    public int BenchmarkBatches { get; init; } = 24;
    public int BenchmarkRounds { get; init; } = 3;
    public string[]? Groups { get; init; }
}

/// <summary>One training run of the NLP experiment.</summary>
public sealed record NlpExperimentRun(string Group, string Name, NlpConfig Config);

/// <summary>The runs behind the paper's POS-tagging and parsing rows, on UD English EWT.</summary>
public static class NlpExperimentPlan
{
    public static readonly string[] Groups = ["tagger-main", "tagger-k", "tagger-random", "tagger-mesimp", "tagger-bench",
        "parser-main", "parser-k", "parser-random", "parser-mesimp", "parser-bench"];

    public static readonly int[] TaggerK = [5, 10, 20, 50];
    public static readonly int[] ParserK = [10, 20, 50, 100];
    public const int TaggerMainK = 10, ParserMainK = 20;

    public static List<NlpExperimentRun> Create(NlpExperimentSettings s)
    {
        var runs = new List<NlpExperimentRun>();
        NlpConfig Base(string task)
        {
            var c = new NlpConfig(task) { DataDir = s.DataDir, TrainLimit = s.TrainLimit };
            c.Common.Epochs = task == "tagger" ? s.TaggerEpochs : s.ParserEpochs;
            c.Common.Seed = s.Seed;
            c.Source = "meprop experiment nlp";
            return c;
        }
        NlpConfig Dense(string task) { var c = Base(task); c.Common.Strategy = StrategyKind.Dense; c.Common.K = []; return c; }
        NlpConfig Sparse(string task, StrategyKind kind, int k) { var c = Base(task); c.Common.Strategy = kind; c.Common.K = [k]; return c; }
        void Add(string group, NlpConfig c) => runs.Add(new NlpExperimentRun(group, RunName(c), c));

        foreach (var task in new[] { "tagger", "parser" })
        {
            int mainK = task == "tagger" ? TaggerMainK : ParserMainK;
            Add($"{task}-main", Dense(task));
            Add($"{task}-main", Sparse(task, StrategyKind.TopK, mainK));
            foreach (int k in task == "tagger" ? TaggerK : ParserK) Add($"{task}-k", Sparse(task, StrategyKind.TopK, k));
            Add($"{task}-random", Sparse(task, StrategyKind.Random, mainK));
            var m = Sparse(task, StrategyKind.TopK, mainK);
            m.Common.MeSimp = true;
            m.Common.MeSimpCycle = 1;      // prune in odd epochs (cycles 1, 3, ...), train the smaller model in even ones
            m.Common.MeSimpThreshold = task == "tagger" ? 0.02f : 0.01f;
            m.Common.EvalsPerEpoch = 1;
            Add($"{task}-mesimp", m);
        }
        runs = runs.GroupBy(r => r.Name).Select(g => g.First()).OrderBy(r => r.Group.EndsWith("-main", StringComparison.Ordinal) ? 0 : 1).ToList();
        return s.Groups is null ? runs : runs.Where(r => s.Groups.Contains(r.Group) || s.Groups.Contains(r.Name.Split('-')[0])).ToList();
    }

    public static string RunName(NlpConfig c) => $"{c.RunName()}-e{c.Common.Epochs}" + (c.TrainLimit > 0 ? $"-n{c.TrainLimit}" : "");
}

/// <summary>The backward-speed benchmark of one task: per strategy, the mean time of a training step's parts over the
/// same batches, strategies interleaved in one process (so the machine's load affects all of them alike).</summary>
public sealed record BackwardBenchmark
{
    [JsonPropertyName("task")] public string Task { get; init; } = "";
    [JsonPropertyName("weights")] public string Weights { get; init; } = "";
    [JsonPropertyName("batches")] public int Batches { get; init; }
    [JsonPropertyName("rounds")] public int Rounds { get; init; }
    /// <summary>Batches per strategy turn (<see cref="TurnSchedule"/>); null in benchmarks that took turns batch by batch.</summary>
    [JsonPropertyName("turn_length")] public int? TurnLength { get; init; }
    [JsonPropertyName("rows_per_batch")] public double RowsPerBatch { get; init; }
    [JsonPropertyName("threads")] public int Threads { get; init; }
    [JsonPropertyName("started_utc")] public DateTime? StartedUtc { get; init; }
    /// <summary>The 1-minute load average when the benchmark started and ended (Linux /proc/loadavg; null elsewhere).</summary>
    [JsonPropertyName("load_average")] public double[]? LoadAverage { get; init; }
    [JsonPropertyName("entries")] public List<BenchmarkEntry> Entries { get; init; } = [];
}

public sealed record BenchmarkEntry
{
    [JsonPropertyName("strategy")] public string Strategy { get; init; } = "";
    [JsonPropertyName("k")] public int? K { get; init; }
    [JsonPropertyName("forward_ms")] public double ForwardMs { get; init; }
    [JsonPropertyName("backward_ms")] public double BackwardMs { get; init; }
    [JsonPropertyName("sparsified_ms")] public double SparsifiedMs { get; init; }
    [JsonPropertyName("output_ms")] public double OutputMs { get; init; }
    [JsonPropertyName("backward_ms_min_round")] public double BackwardMsMinRound { get; init; }
    [JsonPropertyName("backprop_ratio")] public double BackpropRatio { get; init; }
}

/// <summary>Runs the plan (cached per run under OUT/runs/NAME) and the backward-speed benchmarks (OUT/runs/bench-TASK.json).</summary>
public sealed class NlpExperimentRunner(NlpExperimentSettings settings, Func<NlpConfig, string, NlpRunResult> train)
{
    public string RunDirectory(NlpExperimentRun run) => Path.Combine(settings.OutDir, "runs", run.Name);

    public void RunAll(IReadOnlyList<NlpExperimentRun> plan, bool force, Action<string> log)
    {
        PlanCheck.Validate(plan.Select(r => (r.Name, (IReadOnlyList<string>)r.Config.Problems())));
        for (int i = 0; i < plan.Count; i++)
        {
            var run = plan[i];
            var config = run.Config.Clone();
            config.Common.Out = RunDirectory(run);
            string results = Path.Combine(config.Common.Out, "results.json");
            if (!force && Cached(results, config) is not null) { log($"[{i + 1}/{plan.Count}] {run.Name}: cached"); continue; }
            string checkpoint = Path.Combine(config.Common.Out, "checkpoint.bin");
            if (force && File.Exists(checkpoint)) File.Delete(checkpoint);
            config.Common.Resume = true;
            log($"[{i + 1}/{plan.Count}] {run.Name} ({run.Group}) [{DateTime.Now:HH:mm:ss}]");
            var r = train(config, $"[{i + 1}/{plan.Count}] {run.Name}");
            log($"[{i + 1}/{plan.Count}] {run.Name}: dev {r.Common.DevAccuracy:F2} test {r.Common.TestAccuracy:F2}" +
                (r.TestLas is { } las ? $" (LAS {las:F2})" : "") + $" at epoch {r.Common.BestEpoch}, backward {r.Common.Sums.BackwardSeconds / Math.Max(1, r.Common.Epochs.Count):F1}s/epoch");
            File.Delete(checkpoint); // only for resuming; model.bin stays (git-ignored by docs/results/nlp/.gitignore), the benchmark loads the dense ones
        }
    }

    public Dictionary<string, NlpRunResult> LoadCached(IReadOnlyList<NlpExperimentRun> plan)
    {
        var d = new Dictionary<string, NlpRunResult>();
        foreach (var run in plan)
        {
            var config = run.Config.Clone();
            config.Common.Out = RunDirectory(run);
            if (Cached(Path.Combine(config.Common.Out, "results.json"), config) is { } r) d[run.Name] = r;
        }
        return d;
    }

    private static readonly HashSet<string> Ignored = ["out", "checkpoint", "resume", "threads", "data_dir", "eval_batch_size"];

    private static NlpRunResult? Cached(string path, NlpConfig config)
    {
        if (!File.Exists(path)) return null;
        NlpRunResult r;
        try { r = NlpRunResult.Read(path); }
        catch (Exception e) when (e is JsonException or InvalidDataException) { return null; }
        foreach (var (key, value) in config.ToJson())
            if (!Ignored.Contains(key) && !OptionCatalog.SameValue(value, r.Common.Config[key])) return null;
        return r.Common.Epochs.Count > 0 ? r : null;
    }

    // ---- backward-speed benchmark ---------------------------------------------------------------------------------------------

    /// <summary>Kernel thread counts the benchmark runs with: libmeprop's default (all cores) and one thread (on a loaded
    /// machine the short sparse kernel calls lose much of their time waiting for a second thread to be scheduled).</summary>
    public static readonly int[] BenchmarkThreads = [0, 1];

    /// <summary>Key of a benchmark: "tagger", "parser" (default threads), "tagger-t1", "parser-t1".</summary>
    public static string BenchmarkKey(string task, int threads) => threads == 0 ? task : $"{task}-t{threads}";

    private string BenchmarkPath(string key) => Path.Combine(settings.OutDir, "runs", $"bench-{key}.json");

    public Dictionary<string, BackwardBenchmark> LoadBenchmarks()
    {
        var d = new Dictionary<string, BackwardBenchmark>();
        foreach (var task in new[] { "tagger", "parser" })
            foreach (var key in BenchmarkThreads.Select(t => BenchmarkKey(task, t)).Append($"{task}-loaded"))
                if (File.Exists(BenchmarkPath(key)))
                    d[key] = SavedJson.Read<BackwardBenchmark>(BenchmarkPath(key), "backward benchmark report");
        return d;
    }

    public void RunBenchmarks(IReadOnlyList<NlpExperimentRun> plan, bool force, Action<string> log)
    {
        foreach (var task in new[] { "tagger", "parser" })
            foreach (int threads in BenchmarkThreads)
            {
                if (settings.Groups is not null && !settings.Groups.Contains($"{task}-bench") && !settings.Groups.Contains(task)) continue;
                string key = BenchmarkKey(task, threads);
                if (!force && File.Exists(BenchmarkPath(key))) { log($"benchmark {key}: cached"); continue; }
                var dense = Create(settings, task).FirstOrDefault(r => r.Group == $"{task}-main" && r.Config.Common.Strategy == StrategyKind.Dense);
                string? weights = dense is null ? null : Path.Combine(RunDirectory(dense), "model.bin");
                log($"benchmark {key}: backward of dense and top-k on the same batches, interleaved [{DateTime.Now:HH:mm:ss}]");
                var b = Benchmark(task, weights is not null && File.Exists(weights) ? weights : null, log, threads);
                Directory.CreateDirectory(Path.GetDirectoryName(BenchmarkPath(key))!);
                File.WriteAllText(BenchmarkPath(key), JsonSerializer.Serialize(b, ResultsWriter.Json));
            }
    }

    private static IReadOnlyList<NlpExperimentRun> Create(NlpExperimentSettings s, string task) =>
        NlpExperimentPlan.Create(s with { Groups = null }).Where(r => r.Config.Task == task).ToList();

    /// <summary>
    /// Builds one model per strategy (dense, top-k at each k of the sweep, random-k and unified top-k at the main k), all
    /// with the same weights (the trained dense model's when given), and times forward and backward of each on the same
    /// training batches, the strategies taking turns of several batches (<see cref="TurnSchedule"/>). No update is
    /// applied, so every strategy sees the same weights throughout.
    /// </summary>
    public BackwardBenchmark Benchmark(string task, string? weights, Action<string> log, int threads = 0)
    {
        int before = Bindings.MePropLibrary.NumThreads;
        using var backend = new CpuBackend(threads);
        try { return RunBenchmark(task, weights, log, backend); }
        finally { Bindings.MePropLibrary.NumThreads = before; }
    }

    private BackwardBenchmark RunBenchmark(string task, string? weights, Action<string> log, IBackend backend)
    {
        var kinds = new List<(StrategyKind Kind, int? K)> { (StrategyKind.Dense, null) };
        kinds.AddRange((task == "tagger" ? NlpExperimentPlan.TaggerK : NlpExperimentPlan.ParserK).Select(k => (StrategyKind.TopK, (int?)k)));
        int mainK = task == "tagger" ? NlpExperimentPlan.TaggerMainK : NlpExperimentPlan.ParserMainK;
        kinds.Add((StrategyKind.Random, mainK));
        kinds.Add((StrategyKind.Unified, mainK));
        var tasks = new List<INlpTask>();
        foreach (var (kind, k) in kinds)
        {
            var c = new NlpConfig(task) { DataDir = settings.DataDir, TrainLimit = settings.TrainLimit };
            c.Common.Strategy = kind;
            c.Common.K = k is null ? [] : [k.Value];
            c.Common.Seed = settings.Seed;
            INlpTask t = task == "tagger" ? new TaggerTask(c, backend) : new ParserTask(c, backend);
            if (weights is not null) LoadWeights(t, weights, backend);
            t.BeginEpoch(0);
            tasks.Add(t);
        }
        var loss = new SoftmaxCrossEntropyLoss(backend);
        var started = DateTime.UtcNow;
        double? loadBefore = LoadAverage();
        int batches = Math.Min(settings.BenchmarkBatches, tasks[0].BatchesPerEpoch);
        int n = tasks.Count;
        var fwd = new double[n]; var bwd = new double[n]; var sparse = new double[n]; var output = new double[n];
        var roundBwd = new double[settings.BenchmarkRounds, n];
        long rows = 0;
        for (int round = 0; round < settings.BenchmarkRounds + 1; round++) // round 0 warms up (JIT, buffers) and is not counted
        {
            foreach (var (i, b, timed) in TurnSchedule.Create(n, batches))
            {
                var t = tasks[i];
                double sparse0 = t.SparsifiedTimings.LinearBackwardSeconds, output0 = t.DenseTimings.LinearBackwardSeconds;
                var ctx = StepContext.TrainingStep(b, (long)b * 100000);
                long t0 = Stopwatch.GetTimestamp();
                var (scores, labels) = t.Forward(b, ctx);
                var g = loss.Forward(scores, labels, computeGradient: true)!;
                long t1 = Stopwatch.GetTimestamp();
                t.Backward(g);
                long t2 = Stopwatch.GetTimestamp();
                foreach (var p in t.Parameters) { p.GradientIsZero = false; p.ZeroGradient(); }
                if (round == 0 || !timed) continue;
                if (i == 0) rows += scores.Rows;
                fwd[i] += Ms(t1 - t0);
                bwd[i] += Ms(t2 - t1);
                roundBwd[round - 1, i] += Ms(t2 - t1);
                sparse[i] += (t.SparsifiedTimings.LinearBackwardSeconds - sparse0) * 1000;
                output[i] += (t.DenseTimings.LinearBackwardSeconds - output0) * 1000;
            }
            if (round == 0) continue;
            log($"  round {round}: backward ms/batch " + string.Join(", ", Enumerable.Range(0, n).Select(i => $"{Label(kinds[i])} {roundBwd[round - 1, i] / batches:F1}")));
        }
        loss.ReadAndReset();
        int count = batches * settings.BenchmarkRounds;
        var result = new BackwardBenchmark
        {
            Task = task,
            Weights = weights ?? "initial (no trained dense model found)",
            Batches = batches,
            Rounds = settings.BenchmarkRounds,
            TurnLength = TurnSchedule.DefaultTurnLength,
            RowsPerBatch = (double)rows / count,
            Threads = Bindings.MePropLibrary.NumThreads,
            StartedUtc = started,
            LoadAverage = loadBefore is { } lb && LoadAverage() is { } la ? [lb, la] : null,
            Entries = Enumerable.Range(0, n).Select(i => new BenchmarkEntry
            {
                Strategy = kinds[i].Kind.ToName(),
                K = kinds[i].K,
                ForwardMs = fwd[i] / count,
                BackwardMs = bwd[i] / count,
                SparsifiedMs = sparse[i] / count,
                OutputMs = output[i] / count,
                BackwardMsMinRound = Enumerable.Range(0, settings.BenchmarkRounds).Min(r => roundBwd[r, i]) / batches,
                BackpropRatio = tasks[i].LinearLayers.Sum(l => l.Statistics.SelectedRows * (double)l.Inputs) /
                                Math.Max(1, tasks[i].LinearLayers.Sum(l => l.Statistics.TotalRows * (double)l.Inputs)),
            }).ToList(),
        };
        foreach (var e in result.Entries)
            log($"  {Label((StrategyKindFromName(e.Strategy), e.K))}: forward {e.ForwardMs:F1} ms, backward {e.BackwardMs:F1} ms (x{result.Entries[0].BackwardMs / e.BackwardMs:F1}), " +
                $"sparsified {e.SparsifiedMs:F1} ms (x{result.Entries[0].SparsifiedMs / e.SparsifiedMs:F1})");
        return result;
    }

    private static double? LoadAverage()
    {
        try
        {
            var f = File.ReadAllText("/proc/loadavg").Split(' ');
            return double.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }

    private static StrategyKind StrategyKindFromName(string s) => StrategyKinds.Parse(s);
    public static string Label((StrategyKind Kind, int? K) s) => s.K is null ? s.Kind.ToName() : $"{s.Kind.ToName()}-{s.K}";
    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    /// <summary>Copies a saved model's weights into a task's model (same vocabulary: both built from the same training file).</summary>
    private static void LoadWeights(INlpTask task, string path, IBackend backend)
    {
        var (_, tensors) = TensorFile.Read(path);
        foreach (var p in task.Parameters)
        {
            if (!tensors.TryGetValue(p.Name, out var e) || e.Data.Length != p.Length)
                throw new InvalidDataException($"{path}: tensor {p.Name} is missing or has the wrong size; delete the run's folder to train it again.");
            backend.Upload(e.Data, p.Value);
        }
    }
}
