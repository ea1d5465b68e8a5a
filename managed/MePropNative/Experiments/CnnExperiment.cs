using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MePropNative.Backends;
using MePropNative.Bindings;
using MePropNative.Data;
using MePropNative.Training;

namespace MePropNative.Experiments;

/// <summary>How `meprop experiment cnn` runs.</summary>
public sealed record CnnExperimentSettings
{
    public string OutDir { get; init; } = "docs/results/cnn";
    public string DataDir { get; init; } = "data/mnist";
    /// <summary>Epochs of the accuracy-target runs (the paper's setup: batch 10).</summary>
    public int TargetEpochs { get; init; } = 3;
    /// <summary>Epochs of the accuracy-target runs at the paper's constant learning rate (batch-10 Adam at a constant
    /// rate needs more epochs to settle than with the decay).</summary>
    public int ConstantLrEpochs { get; init; } = 6;
    /// <summary>Per-epoch learning-rate decay of the target and table runs (1: the paper's constant rate; see the report).</summary>
    public float LrDecay { get; init; } = 0.5f;
    /// <summary>Epochs and batch size of the Table 2 / Table 3 runs (a larger batch keeps the 14 runs affordable on 2 cores).</summary>
    public int SweepEpochs { get; init; } = 1;
    public int SweepBatchSize { get; init; } = 50;
    public int TrainLimit { get; init; }
    public long Seed { get; init; } = 1;
    public int BenchRepetitions { get; init; } = 100;
    public string[]? Groups { get; init; }
}

/// <summary>
/// The meProp-CNN paper's MNIST experiments, regenerated: the accuracy-target runs (batch 10: dense, top 5% with decay
/// 0.6, and the same with BatchNorm), Table 2 (no BatchNorm) and Table 3 (BatchNorm) over dense and per-map top
/// 5/8/10% with decay 0 and 0.6, and the conv backward benchmark. Each run goes to OUT/runs/NAME and is not run again
/// while its results.json matches its configuration; an interrupted run resumes from its checkpoint.
/// </summary>
public sealed class CnnExperiment(CnnExperimentSettings settings, Func<CnnConfig, string, RunResult> train)
{
    public static readonly string[] Groups = ["targets", "targets-constant-lr", "table2", "table3", "fc1", "bench"];
    public static readonly float[] Ratios = [0.05f, 0.08f, 0.10f];
    public static readonly float[] Decays = [0f, 0.6f];

    /// <summary>The three accuracy targets (BatchNorm, ratio, decay) with the paper's numbers (its Tables 2 and 3).</summary>
    public static readonly (bool BatchNorm, float Ratio, float Decay, double Paper, double Target)[] Targets =
    [
        (false, 1f, 0f, 99.02, 99.0),
        (false, 0.05f, 0.6f, 99.27, 99.0),
        (true, 0.05f, 0.6f, 99.39, 99.2),
    ];

    public sealed record Run(string Group, string Name, CnnConfig Config);

    public List<Run> Plan()
    {
        var runs = new List<Run>();
        CnnConfig Base(int batch, int epochs, bool bn, float ratio, float decay) => new()
        {
            LrDecay = settings.LrDecay,
            DataDir = settings.DataDir,
            BatchSize = batch,
            Epochs = epochs,
            BatchNorm = bn,
            TopKRatio = ratio,
            Decay = decay,
            TrainLimit = settings.TrainLimit,
            Seed = settings.Seed,
            Source = "meprop experiment cnn",
        };
        void Add(string group, string prefix, CnnConfig c) => runs.Add(new Run(group, $"{prefix}-{c.RunName()}", c));

        foreach (var (group, lrDecay, epochs) in new[] { ("targets", settings.LrDecay, settings.TargetEpochs), ("targets-constant-lr", 1f, settings.ConstantLrEpochs) })
            foreach (var t in Targets)
            {
                var c = Base(10, epochs, t.BatchNorm, t.Ratio, t.Decay);
                c.EvalsPerEpoch = 2;
                c.LrDecay = lrDecay;
                Add(group, "target", c);
            }
        foreach (var (group, bn) in new[] { ("table2", false), ("table3", true) })
        {
            Add(group, "table", Base(settings.SweepBatchSize, settings.SweepEpochs, bn, 1f, 0f));
            foreach (float decay in Decays)
                foreach (float r in Ratios)
                    Add(group, "table", Base(settings.SweepBatchSize, settings.SweepEpochs, bn, r, decay));
        }
        // fc1 sparsified as well (per-example top-k of its 1024 outputs), the paper's "all but the last fc layer"
        foreach (bool bn in new[] { false, true })
        {
            var c = Base(settings.SweepBatchSize, settings.SweepEpochs, bn, 0.05f, 0.6f);
            c.SparseLayers = ["conv1", "conv2", "fc1"];
            Add("fc1", "table", c);
        }
        return runs;
    }

    private bool Selected(string group) => settings.Groups is null || settings.Groups.Contains(group, StringComparer.OrdinalIgnoreCase);

    public string RunDirectory(Run run) => Path.Combine(settings.OutDir, "runs", run.Name);

    public void RunAll(bool force, Action<string> log)
    {
        var plan = Plan().Where(r => Selected(r.Group)).ToList();
        bool bench = Selected("bench");
        PlanCheck.Validate(plan.Select(r => (r.Name, (IReadOnlyList<string>)r.Config.Problems()))
            .Append(("bench", bench ? BenchProblems() : [])));
        // the benchmark's images are read and checked before the first run, not after hours of training
        var benchImages = bench ? BenchmarkImages.Load(settings.DataDir, minimumCount: 1) : null;
        for (int i = 0; i < plan.Count; i++)
        {
            var run = plan[i];
            var config = run.Config.Clone();
            config.Out = RunDirectory(run);
            config.Source = run.Config.Source;
            string results = Path.Combine(config.Out, "results.json");
            if (!force && Cached(results, config) is not null) { log($"[{i + 1}/{plan.Count}] {run.Name}: cached"); continue; }
            if (force && File.Exists(config.CheckpointPath())) File.Delete(config.CheckpointPath()!);
            config.Resume = true;
            log($"[{i + 1}/{plan.Count}] {run.Name} ({run.Group})");
            var r = train(config, $"[{i + 1}/{plan.Count}] {run.Name}");
            log(string.Create(CultureInfo.InvariantCulture, $"[{i + 1}/{plan.Count}] {run.Name}: dev {r.DevAccuracy:F2}% test {r.TestAccuracy:F2}% (epoch {r.BestEpoch})"));
            File.Delete(config.CheckpointPath()!); // only for resuming; the model (about 13 MB at the default shape) is not kept either
            File.Delete(Path.Combine(config.Out, "model.bin"));
        }
        if (bench)
        {
            using var backend = new CpuBackend();
            int threads = MePropLibrary.NumThreads;
            foreach (var (bn, single) in BenchVariants)
            {
                MePropLibrary.NumThreads = single ? 1 : threads;
                log($"backward benchmark, batch 10, {(bn ? "with" : "without")} BatchNorm, libmeprop threads {MePropLibrary.NumThreads}");
                var report = ConvBackwardBenchmark.Run(backend, new ConvBackwardBenchmark.Settings { BatchNorm = bn, Repetitions = settings.BenchRepetitions }, benchImages, log);
                Directory.CreateDirectory(settings.OutDir);
                File.WriteAllText(BenchPath(bn, single), report.ToMarkdown());
                log(report.ToMarkdown());
            }
            MePropLibrary.NumThreads = threads;
        }
    }

    /// <summary>The problems of the benchmark's settings (its other settings are fixed), checked with the runs'.</summary>
    private List<string> BenchProblems() =>
        settings.BenchRepetitions < 1 ? [$"--bench-repetitions {settings.BenchRepetitions} must be >= 1."] : [];

    /// <summary>The benchmark's variants: without BatchNorm on the library's threads and on one thread, with BatchNorm.</summary>
    private static readonly (bool BatchNorm, bool SingleThread)[] BenchVariants = [(false, false), (false, true), (true, false)];

    private string BenchPath(bool bn, bool single) =>
        Path.Combine(settings.OutDir, "bench-backward" + (bn ? "-bn" : "") + (single ? "-1thread" : "") + ".md");

    private static RunResult? Cached(string path, CnnConfig config)
    {
        if (!File.Exists(path)) return null;
        RunResult r;
        try { r = ResultsWriter.Read(path); }
        catch (InvalidDataException) { return null; }
        foreach (var (key, value) in config.ToJson())
            if (!CnnConfig.RunIndependentKeys.Contains(key) && !JsonNode.DeepEquals(value, CnnConfig.Saved(r.Config, key))) return null;
        return r.Epochs.Count >= config.Epochs ? r : null;
    }

    public Dictionary<string, RunResult> LoadCached()
    {
        var d = new Dictionary<string, RunResult>();
        foreach (var run in Plan())
        {
            var c = run.Config.Clone();
            c.Out = RunDirectory(run);
            if (Cached(Path.Combine(c.Out, "results.json"), c) is { } r) d[run.Name] = r;
        }
        return d;
    }

    // ---- report ------------------------------------------------------------------------------------------------------------

    public string WriteReport(Action<string>? log = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var plan = Plan();
        var results = LoadCached();
        var sb = new StringBuilder();
        sb.AppendLine("# meProp-CNN on MNIST");
        sb.AppendLine();
        sb.AppendLine("Generated by `meprop experiment cnn` (see [docs/cnn.md](../../cnn.md)). Network: the paper's Table 1 — conv 5x5x32 (same) - " +
            "max-pool 2x2 - conv 5x5x64 (same) - max-pool 2x2 - fc 1024 - fc 10, ReLU, Adam (lr 0.001, beta1 0.9, beta2 0.999, eps 1e-8). " +
            "meProp-CNN keeps k = ceil(ratio * H * W) positions of every feature map of conv1 and conv2 (per example); the fc layers are dense " +
            "except in the last table, where fc1 keeps k = ceil(ratio * 1024) outputs per example. Data: 55,000 training images, the first 5,000 of the training file as dev set, " +
            "the 10,000 test images; the test accuracy is that of the epoch with the best dev accuracy.");
        sb.AppendLine();
        sb.AppendLine($"Machine: {Environment.ProcessorCount} CPU cores shared with other jobs; native: {MePropLibrary.BuildInfo}. Times are wall-clock seconds per epoch " +
            "(training only, evaluation excluded); backward times are the layers' own timers.");
        sb.AppendLine();

        // targets
        sb.AppendLine("## Accuracy targets (batch 10, the paper's setup)");
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"Batch 10, two dev/test evaluations per epoch, trained two ways: the first rows decay the learning rate continuously by " +
            $"{settings.LrDecay:0.##} per epoch (lr 0.001 * {settings.LrDecay:0.##}^(step / steps per epoch)) for {settings.TargetEpochs} epochs; the last rows keep the " +
            $"paper's constant rate for {settings.ConstantLrEpochs} epochs. At a constant rate the dev accuracy of batch-10 Adam swings by up to a point between " +
            $"evaluations, so it takes more epochs before the best dev evaluation is also a good test one."));
        sb.AppendLine();
        sb.AppendLine("| run | lr | epochs | dev % | test % | best epoch | paper % | target % | met | conv backward s/epoch | backward s/epoch | epoch s |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|");
        foreach (var run in plan.Where(p => p.Group.StartsWith("targets", StringComparison.Ordinal)))
        {
            var t = Targets.First(t => t.BatchNorm == run.Config.BatchNorm && t.Ratio == run.Config.TopKRatio);
            string lr = run.Config.LrDecay == 1f ? "constant" : string.Create(inv, $"x{run.Config.LrDecay:0.##}/epoch");
            if (!results.TryGetValue(run.Name, out var r)) { sb.AppendLine(string.Create(inv, $"| {run.Name} | {lr} | {run.Config.Epochs} | not run | | | {t.Paper:F2} | {t.Target:F1} | | | | |")); continue; }
            sb.AppendLine(string.Create(inv, $"| {run.Name} | {lr} | {run.Config.Epochs} | {r.DevAccuracy:F2} | {r.TestAccuracy:F2} | {r.BestEpoch} | {t.Paper:F2} | {t.Target:F1} | " +
                $"{(r.TestAccuracy >= t.Target ? "yes" : "**no**")} | {Avg(r, CnnTrainer.ConvBackwardSeconds):F1} | {Avg(r, e => e.BackwardSeconds):F1} | {Avg(r, e => e.TrainWallSeconds):F1} |"));
        }
        sb.AppendLine();
        sb.AppendLine("Per evaluation (dev / test %):");
        sb.AppendLine();
        foreach (var run in plan.Where(p => p.Group.StartsWith("targets", StringComparison.Ordinal)))
            if (results.TryGetValue(run.Name, out var r))
                sb.AppendLine($"- {run.Name}: " + string.Join(", ", r.Epochs.SelectMany(e => e.Evaluations).Select(e => string.Create(inv, $"{e.Epoch}.{e.Point} {e.DevAccuracy:F2}/{e.TestAccuracy:F2}"))));
        sb.AppendLine();

        foreach (var (group, title) in new[] { ("table2", "Table 2: meProp-CNN without BatchNorm"), ("table3", "Table 3: meProp-CNN with BatchNorm") })
        {
            var rows = plan.Where(p => p.Group == group).ToList();
            var first = rows[0].Config;
            sb.AppendLine(string.Create(inv, $"## {title} (batch {first.BatchSize}, {first.Epochs} epoch{(first.Epochs == 1 ? "" : "s")}, lr decay {first.LrDecay:0.##}/epoch)"));
            sb.AppendLine();
            sb.AppendLine("| backprop | decay | dev % | test % | best epoch | backprop ratio | forward s/epoch | conv backward s/epoch | conv backward / forward | conv backward speedup | backward s/epoch | backward speedup | epoch s | epoch speedup |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            results.TryGetValue(rows[0].Name, out var dense);
            foreach (var run in rows)
            {
                string label = run.Config.IsDense ? "baseline (dense)" : string.Create(inv, $"top {run.Config.TopKRatio * 100:0.#}%");
                string decay = run.Config.IsDense ? "-" : run.Config.Decay.ToString("0.##", inv);
                if (!results.TryGetValue(run.Name, out var r)) { sb.AppendLine($"| {label} | {decay} | not run | | | | | | | | | | | |"); continue; }
                double fwd = Avg(r, e => e.ForwardSeconds), conv = Avg(r, CnnTrainer.ConvBackwardSeconds), bwd = Avg(r, e => e.BackwardSeconds), wall = Avg(r, e => e.TrainWallSeconds);
                // the forward pass is the same dense work in every run, so time / forward time cancels the machine's load
                string Speedup(Func<RunResult, double> f, double mine) =>
                    dense is null ? "" : string.Create(inv, $"{f(dense) / Avg(dense, e => e.ForwardSeconds) / (mine / fwd):F2}x");
                sb.AppendLine(string.Create(inv, $"| {label} | {decay} | {r.DevAccuracy:F2} | {r.TestAccuracy:F2} | {r.BestEpoch} | {r.Sums.BackpropRatio:F3} | {fwd:F1} | {conv:F1} | {conv / fwd:F3} | ") +
                    Speedup(d => Avg(d, CnnTrainer.ConvBackwardSeconds), conv) + string.Create(inv, $" | {bwd:F1} | ") + Speedup(d => Avg(d, e => e.BackwardSeconds), bwd) +
                    string.Create(inv, $" | {wall:F1} | ") + Speedup(d => Avg(d, e => e.TrainWallSeconds), wall) + " |");
            }
            sb.AppendLine();
            sb.AppendLine("The runs of a table ran one after another while other jobs came and went, so their seconds are not comparable " +
                "with each other; the speedups are therefore normalized by each run's forward time (the same dense work in every " +
                "run): speedup = (dense time / dense forward time) / (time / forward time). The backprop ratio counts the " +
                "output-gradient entries that went back, weighted by their weight-gradient work, over all layers (the fc layers " +
                "are dense here). Like-for-like timings are in the benchmark below.");
            sb.AppendLine();
        }

        {
            var rows = plan.Where(p => p.Group == "fc1").ToList();
            var first = rows[0].Config;
            sb.AppendLine(string.Create(inv, $"## fc1 sparsified too (top {first.TopKRatio * 100:0.#}% per example of fc1's outputs, decay {first.Decay:0.##} on the conv maps; batch {first.BatchSize}, {first.Epochs} epoch{(first.Epochs == 1 ? "" : "s")}, lr decay {first.LrDecay:0.##}/epoch)"));
            sb.AppendLine();
            sb.AppendLine("| BatchNorm | dev % | test % | best epoch | backprop ratio | train loss (last epoch) | backward s/epoch | epoch s |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var run in rows)
            {
                string label = run.Config.BatchNorm ? "yes" : "no";
                if (!results.TryGetValue(run.Name, out var r)) { sb.AppendLine($"| {label} | not run | | | | | | |"); continue; }
                sb.AppendLine(string.Create(inv, $"| {label} | {r.DevAccuracy:F2} | {r.TestAccuracy:F2} | {r.BestEpoch} | {r.Sums.BackpropRatio:F3} | {r.Epochs[^1].TrainLoss:F3} | {Avg(r, e => e.BackwardSeconds):F1} | {Avg(r, e => e.TrainWallSeconds):F1} |"));
            }
            sb.AppendLine();
        }

        sb.AppendLine("## Conv backward benchmark (one process, same weights and batches)");
        sb.AppendLine();
        sb.AppendLine("`meprop bench cnn`: every repetition runs a training step (no update) of each configuration on the same MNIST batch of 10; " +
            "the median per layer. conv1 has no input gradient (first layer). The selection (libmeprop's per-map top-k; with decay also the running-gradient update) is included in the sparse times.");
        sb.AppendLine();
        sb.AppendLine("How to read it: the machine (2 cores of an AMD EPYC, Zen 5) is shared with other jobs (the training runs above saw load averages up to " +
            "about 15; the committed benchmark was run while no other job was running), so a step can be descheduled part-way. The **medians** are what training sees on this machine; the **minima** are the least disturbed " +
            "repetitions. Dense and sparse use the same threads: libmeprop's pool for the dense SGEMMs and for the whole sparse backward " +
            "(per-map top-k per example, sparse dW per channel, sparse dx per example), as many .NET threads for the managed kernels " +
            "(im2col, col2im, pooling, BatchNorm); the second table runs everything on one " +
            "thread. The fc layers are dense in every row (only conv1 and conv2 are sparsified), so the whole-backward speedup is " +
            "bounded by fc1's dense backward.");
        sb.AppendLine();
        foreach (var (bn, single) in BenchVariants)
        {
            sb.AppendLine($"### {(bn ? "With" : "Without")} BatchNorm, {(single ? "everything on one thread" : "libmeprop's default threads")}");
            sb.AppendLine();
            sb.AppendLine(File.Exists(BenchPath(bn, single)) ? File.ReadAllText(BenchPath(bn, single)) : "not run");
            sb.AppendLine();
        }

        sb.AppendLine("## Reproduce");
        sb.AppendLine();
        sb.AppendLine("```");
        sb.AppendLine("./build.sh data && ./build.sh");
        sb.AppendLine(string.Create(inv, $"meprop experiment cnn --epochs {settings.TargetEpochs} --constant-lr-epochs {settings.ConstantLrEpochs} --lr-decay {settings.LrDecay:0.##} --sweep-epochs {settings.SweepEpochs} --sweep-batch-size {settings.SweepBatchSize}"));
        sb.AppendLine("# single runs, e.g. the BatchNorm target:");
        sb.AppendLine(string.Create(inv, $"meprop train cnn --topk-ratio 0.05 --decay 0.6 --batchnorm --epochs {settings.TargetEpochs} --lr-decay {settings.LrDecay:0.##} --evals-per-epoch 2 --out runs/cnn-bn"));
        sb.AppendLine("meprop bench cnn");
        sb.AppendLine("```");
        Directory.CreateDirectory(settings.OutDir);
        string path = Path.Combine(settings.OutDir, "report.md");
        File.WriteAllText(path, sb.ToString());
        log?.Invoke($"{results.Count} of {plan.Count} runs in the report");
        return path;
    }

    private static double Avg(RunResult r, Func<EpochRecord, double> f) => r.Epochs.Count == 0 ? 0 : r.Epochs.Average(f);
}
