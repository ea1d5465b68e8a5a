using System.Diagnostics;
using System.Globalization;
using System.Text;
using MePropNative.Backends;
using MePropNative.Data;
using MePropNative.Layers;
using MePropNative.Models;
using MePropNative.Tensors;

namespace MePropNative.Experiments;

/// <summary>
/// Backward time of the CNN's layers, dense against meProp-CNN, measured in one process on the same batches: one model
/// per configuration, all with the same weights; every repetition runs a full training step (forward, loss, backward,
/// no update, so every repetition sees the same weights) of each model in turn, and each layer's backward time is
/// taken from its own timer (<see cref="Conv2d.BackwardTicks"/>, the fc layers' timings). Reported: the median over
/// repetitions per layer, and the ratio to dense.
/// </summary>
public sealed class ConvBackwardBenchmark
{
    public sealed record Settings
    {
        public int BatchSize { get; init; } = 10;
        public int Repetitions { get; init; } = 100;
        public int Warmup { get; init; } = 5;
        public float[] Ratios { get; init; } = [0.05f, 0.08f, 0.10f];
        public float Decay { get; init; } = 0.6f;
        public bool BatchNorm { get; init; }
        public ulong Seed { get; init; } = 1;
    }

    /// <summary>One configuration's medians (milliseconds per step), and the minima of the conv layers' time and of the
    /// whole backward (on a machine shared with other jobs the minimum is the least disturbed repetition).</summary>
    public sealed record Row(string Name, float Ratio, IReadOnlyDictionary<string, double> LayerMs, double ConvMs, double BackwardMs, double ForwardMs,
        IReadOnlyDictionary<string, double> PhaseMs, double ConvMinMs, double BackwardMinMs);

    public sealed record Report(Settings Settings, string Device, IReadOnlyList<Row> Rows, string DataSource, string Threads)
    {
        public Row Dense => Rows[0];

        public string ToMarkdown()
        {
            var inv = CultureInfo.InvariantCulture;
            var layers = Dense.LayerMs.Keys.ToList();
            var sb = new StringBuilder();
            sb.AppendLine($"Batch {Settings.BatchSize}, {(Settings.BatchNorm ? "with" : "without")} BatchNorm, {Settings.Repetitions} repetitions (medians, and minima where marked, after {Settings.Warmup} warm-up), {DataSource}, {Device}, {Threads}.");
            sb.AppendLine();
            sb.AppendLine("| backward | " + string.Join(" | ", layers.Select(l => $"{l} ms")) +
                " | conv layers ms | conv speedup | conv layers min ms | conv speedup (min) | whole backward ms | backward speedup | whole backward min ms | backward speedup (min) | forward ms |");
            sb.AppendLine("|---|" + string.Concat(layers.Select(_ => "---:|")) + "---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in Rows)
                sb.AppendLine(string.Create(inv, $"| {r.Name} | ") + string.Join(" | ", layers.Select(l => r.LayerMs[l].ToString("F3", inv))) +
                    string.Create(inv, $" | {r.ConvMs:F3} | {Dense.ConvMs / r.ConvMs:F2}x | {r.ConvMinMs:F3} | {Dense.ConvMinMs / r.ConvMinMs:F2}x") +
                    string.Create(inv, $" | {r.BackwardMs:F3} | {Dense.BackwardMs / r.BackwardMs:F2}x | {r.BackwardMinMs:F3} | {Dense.BackwardMinMs / r.BackwardMinMs:F2}x | {r.ForwardMs:F3} |"));
            var phases = Dense.PhaseMs.Keys.ToList();
            sb.AppendLine();
            sb.AppendLine("Where the conv backward time goes (median ms; selection = libmeprop's per-map top-k, with decay including the running-gradient update; dW includes db):");
            sb.AppendLine();
            sb.AppendLine("| backward | " + string.Join(" | ", phases) + " |");
            sb.AppendLine("|---|" + string.Concat(phases.Select(_ => "---:|")));
            foreach (var r in Rows)
                sb.AppendLine($"| {r.Name} | " + string.Join(" | ", phases.Select(p => r.PhaseMs[p].ToString("F3", inv))) + " |");
            return sb.ToString();
        }
    }

    /// <summary>Runs the benchmark; <paramref name="data"/> supplies real images (null: uniform random pixels).</summary>
    public static Report Run(IBackend backend, Settings s, LabeledImages? data, Action<string>? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(s.BatchSize, 1, "batch size");
        ArgumentOutOfRangeException.ThrowIfLessThan(s.Repetitions, 1, "repetitions");
        ArgumentOutOfRangeException.ThrowIfNegative(s.Warmup, "warm-up steps");
        if (s.BatchNorm && s.BatchSize < 2) throw new ArgumentOutOfRangeException("batch size", s.BatchSize, "BatchNorm needs a batch size >= 2.");
        if (data is not null && BenchmarkImages.Problem(data, minimumCount: 1) is { } problem) throw new ArgumentException(problem, nameof(data));
        var configs = new List<(string Name, float Ratio)> { ("dense", 1f) };
        foreach (var r in s.Ratios)
        {
            configs.Add(($"top {r * 100:0.#}%", r));
            if (s.Decay > 0) configs.Add(($"top {r * 100:0.#}%, decay {s.Decay:0.##}", -r));
        }
        var models = configs.Select(c => new Cnn(backend, new CnnOptions
        {
            BatchNorm = s.BatchNorm,
            TopKRatio = Math.Abs(c.Ratio),
            Decay = c.Ratio < 0 ? s.Decay : 0f,
            Seed = s.Seed,
        })).ToList();
        var loss = new SoftmaxCrossEntropyLoss(backend);
        int b = s.BatchSize, features = models[0].Inputs;
        var x = backend.Allocate(b, features);
        var labels = backend.AllocateIndices(b, 1);
        var hostX = new float[b * features];
        var hostY = new int[b];
        var times = configs.Select(_ => new Dictionary<string, List<double>>()).ToList();
        var phases = configs.Select(_ => new Dictionary<string, List<double>>()).ToList();
        var forward = configs.Select(_ => new List<double>()).ToList();
        var backward = configs.Select(_ => new List<double>()).ToList();

        for (int rep = 0; rep < s.Warmup + s.Repetitions; rep++)
        {
            // a new batch each repetition (real images when given), the same for every model
            for (int i = 0; i < b; i++)
            {
                int e = data is null ? 0 : (int)(CounterRandom.Hash(s.Seed, 700, (ulong)(rep * b + i)) % (ulong)data.Count);
                if (data is null)
                    for (int j = 0; j < features; j++) hostX[i * features + j] = CounterRandom.Uniform(s.Seed, 701, (ulong)((rep * b + i) * features + j));
                else
                    data.Features.AsSpan(e * features, features).CopyTo(hostX.AsSpan(i * features));
                hostY[i] = data is null ? (rep * b + i) % 10 : data.Labels[e];
            }
            backend.Upload(hostX, x);
            backend.Upload(hostY, labels);
            for (int m = 0; m < models.Count; m++)
            {
                var model = models[m];
                model.ResetTimings();
                backend.Synchronize();
                long t0 = Stopwatch.GetTimestamp();
                var logits = model.Forward(x, StepContext.TrainingStep(rep, (long)rep * b));
                var g = loss.Forward(logits, labels, computeGradient: true)!;
                backend.Synchronize();
                long t1 = Stopwatch.GetTimestamp();
                model.Backward(g);
                backend.Synchronize();
                long t2 = Stopwatch.GetTimestamp();
                foreach (var p in model.Parameters) p.ZeroGradient();
                if (rep < s.Warmup) continue;
                forward[m].Add(Ms(t1 - t0));
                backward[m].Add(Ms(t2 - t1));
                foreach (var (layer, ticks) in model.BackwardTicks) Add(times[m], layer, Ms(ticks));
                foreach (var c in model.ConvLayers)
                {
                    Add(phases[m], $"{c.Name} selection", Ms(c.SelectionTicks));
                    Add(phases[m], $"{c.Name} dW", Ms(c.WeightGradientTicks));
                    if (c.ComputeInputGradient) Add(phases[m], $"{c.Name} dx", Ms(c.InputGradientTicks));
                }
            }
            loss.ReadAndReset();
            if (log is not null && (rep + 1) % 20 == 0) log($"  {rep + 1}/{s.Warmup + s.Repetitions} repetitions");
        }

        var rows = new List<Row>();
        for (int m = 0; m < configs.Count; m++)
        {
            var layerMs = times[m].ToDictionary(p => p.Key, p => Median(p.Value));
            // the conv layers' time per step: median of the per-step sums (not the sum of medians)
            var convPerStep = Enumerable.Range(0, s.Repetitions).Select(i => times[m].Where(p => p.Key.StartsWith("conv", StringComparison.Ordinal)).Sum(p => p.Value[i])).ToList();
            rows.Add(new Row(configs[m].Name, Math.Abs(configs[m].Ratio), layerMs, Median(convPerStep), Median(backward[m]), Median(forward[m]),
                phases[m].ToDictionary(p => p.Key, p => Median(p.Value)), convPerStep.Min(), backward[m].Min()));
        }
        return new Report(s, backend.Name, rows, data is null ? "random images" : "MNIST training images",
            $"libmeprop threads {MePropNative.Bindings.MePropLibrary.NumThreads}, managed kernel threads {CpuBackend.ManagedKernelThreads}");
    }

    private static void Add(Dictionary<string, List<double>> d, string key, double v)
    {
        if (!d.TryGetValue(key, out var list)) d[key] = list = [];
        list.Add(v);
    }

    private static double Ms(long ticks) => 1000.0 * ticks / Stopwatch.Frequency;

    private static double Median(List<double> v)
    {
        var a = v.Order().ToArray();
        return a.Length == 0 ? 0 : a.Length % 2 == 1 ? a[a.Length / 2] : 0.5 * (a[a.Length / 2 - 1] + a[a.Length / 2]);
    }
}
