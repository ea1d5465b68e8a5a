using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MePropNative.Backends;
using MePropNative.Data;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Optimizers;
using MePropNative.Tensors;
using MePropNative.Training;

namespace MePropNative.Experiments;

/// <summary>
/// Backward time of the MNIST MLP, dense against the meProp strategies, measured in one process on the same batches and
/// the same weights: every repetition runs forward, loss and backward (no update, so the weights stay the same), the
/// models taking turns of several batches (<see cref="TurnSchedule"/>), so a change of machine load hits all of them alike. Reported per model: medians over repetitions of
/// the backward pass, its linear-layer part, the GEMM and sparse-kernel time inside it, and the ratio to dense. A
/// second loop trains the dense model (with its Adam update) and reports the share of a training step spent in GEMM.
/// </summary>
public static class MlpBackwardBenchmark
{
    public sealed record Settings
    {
        public int BatchSize { get; init; } = 100;
        public int Repetitions { get; init; } = 100;
        public int Warmup { get; init; } = 10;
        /// <summary>Measured steps per model turn (see <see cref="TurnSchedule"/>).</summary>
        public int TurnLength { get; init; } = TurnSchedule.DefaultTurnLength;
        public int[] Hidden { get; init; } = [500, 500];
        public ulong Seed { get; init; } = 1;
    }

    public sealed record Row(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("forward_ms")] double ForwardMs,
        [property: JsonPropertyName("backward_ms")] double BackwardMs,
        [property: JsonPropertyName("linear_backward_ms")] double LinearBackwardMs,
        [property: JsonPropertyName("gemm_in_backward_ms")] double GemmInBackwardMs,
        [property: JsonPropertyName("sparse_kernels_ms")] double SparseKernelsMs,
        [property: JsonPropertyName("selection_ms")] double SelectionMs,
        [property: JsonPropertyName("backward_speedup")] double BackwardSpeedup,
        [property: JsonPropertyName("linear_backward_speedup")] double LinearBackwardSpeedup);

    public sealed record Report(
        [property: JsonPropertyName("batch_size")] int BatchSize,
        [property: JsonPropertyName("repetitions")] int Repetitions,
        [property: JsonPropertyName("data")] string Data,
        [property: JsonPropertyName("rows")] List<Row> Rows,
        [property: JsonPropertyName("dense_step_ms")] double DenseStepMs,
        [property: JsonPropertyName("dense_step_gemm_share")] double DenseStepGemmShare,
        [property: JsonPropertyName("dense_step_update_ms")] double DenseStepUpdateMs,
        [property: JsonPropertyName("turn_length")] int? TurnLength = null)
    {
        public Row? Find(string name) => Rows.FirstOrDefault(r => r.Name == name);

        public string ToMarkdown()
        {
            var inv = CultureInfo.InvariantCulture;
            var sb = new StringBuilder();
            sb.AppendLine($"Batch {BatchSize}, {Repetitions} repetitions (medians), {Data}; all models share the initial weights and see the same batches, " +
                (TurnLength is { } turn ? $"taking turns of {turn} batches (each turn after one unmeasured warm-up step)." : "in turn, batch by batch."));
            sb.AppendLine();
            sb.AppendLine("| backward | forward ms | backward ms | linear layers ms | GEMM in backward ms | sparse kernels ms | selection ms | backward speed-up | linear speed-up |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in Rows)
                sb.AppendLine(string.Create(inv, $"| {r.Name} | {r.ForwardMs:F3} | {r.BackwardMs:F3} | {r.LinearBackwardMs:F3} | {r.GemmInBackwardMs:F3} | {r.SparseKernelsMs:F3} | {r.SelectionMs:F3} | {r.BackwardSpeedup:F1}x | {r.LinearBackwardSpeedup:F1}x |"));
            sb.AppendLine();
            sb.AppendLine(string.Create(inv, $"A dense training step (forward, backward, Adam update) takes {DenseStepMs:F3} ms (median), of which {100 * DenseStepGemmShare:F0}% is inside SGEMM; the update alone is {DenseStepUpdateMs:F3} ms."));
            return sb.ToString();
        }

        public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });

        public static Report? Read(string path) => File.Exists(path) ? SavedJson.Read<Report>(path, "backward benchmark report") : null;
    }

    /// <summary>The strategies measured: name, kind, k.</summary>
    public static readonly (string Name, StrategyKind Kind, int? K)[] Models =
    [
        ("dense", StrategyKind.Dense, null),
        ("top-80", StrategyKind.TopK, 80),
        ("top-20", StrategyKind.TopK, 20),
        ("top-5", StrategyKind.TopK, 5),
        ("unified top-20", StrategyKind.Unified, 20),
        ("MSBP top-20", StrategyKind.Msbp, 20),
    ];

    /// <param name="images">MNIST training images, or null for random ones.</param>
    public static Report Run(IBackend backend, Settings s, LabeledImages? images, Action<string>? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(s.BatchSize, 1, "batch size");
        ArgumentOutOfRangeException.ThrowIfLessThan(s.Repetitions, 1, "repetitions");
        ArgumentOutOfRangeException.ThrowIfLessThan(s.TurnLength, 1, "turn length");
        ArgumentOutOfRangeException.ThrowIfNegative(s.Warmup, "warm-up steps");
        if (images is not null && BenchmarkImages.Problem(images, minimumCount: s.BatchSize) is { } problem) throw new ArgumentException(problem, nameof(images));
        int features = BenchmarkImages.Pixels, classes = 10, batch = s.BatchSize;
        var timings = Models.Select(_ => new LayerTimings()).ToArray();
        var models = Models.Select((m, i) => new Mlp(backend, new MlpOptions
        {
            Inputs = features, Hidden = s.Hidden, Classes = classes, Strategy = m.Kind, HiddenK = m.K is null ? [] : [m.K], Seed = s.Seed,
        }, timings[i])).ToArray();
        var loss = new SoftmaxCrossEntropyLoss(backend);
        var x = backend.Allocate(batch, features);
        var y = backend.AllocateIndices(batch, 1);
        var hostX = new float[batch * features];
        var hostY = new int[batch];
        void LoadBatch(int r)
        {
            if (images is not null)
            {
                int start = (r * batch) % Math.Max(1, images.Count - batch);
                images.Features.AsSpan(start * features, batch * features).CopyTo(hostX);
                images.Labels.AsSpan(start, batch).CopyTo(hostY);
            }
            else
            {
                for (int i = 0; i < hostX.Length; i++) hostX[i] = CounterRandom.Uniform(s.Seed, 7, (ulong)(r * hostX.Length + i));
                for (int i = 0; i < batch; i++) hostY[i] = (int)(CounterRandom.Hash(s.Seed, 8, (ulong)(r * batch + i)) % (ulong)classes);
            }
            backend.Upload(hostX, x);
            backend.Upload(hostY, y);
        }

        int n = models.Length;
        var forward = new List<double>[n]; var backward = new List<double>[n]; var linear = new List<double>[n];
        var gemm = new List<double>[n]; var sparse = new List<double>[n]; var selection = new List<double>[n];
        for (int i = 0; i < n; i++) { forward[i] = []; backward[i] = []; linear[i] = []; gemm[i] = []; sparse[i] = []; selection[i] = []; }
        double Ms(long ticks) => 1000.0 * ticks / Stopwatch.Frequency;

        foreach (var (i, r, timed) in TurnSchedule.Create(n, s.Warmup + s.Repetitions, s.TurnLength))
        {
            LoadBatch(r);
            var ctx = StepContext.TrainingStep(r, (long)r * batch);
            long t0 = Stopwatch.GetTimestamp();
            var g = loss.Forward(models[i].Forward(x, ctx), y, computeGradient: true)!;
            long t1 = Stopwatch.GetTimestamp();
            timings[i].Reset();
            long gemm0 = backend.Counters.GemmTicks, sparse0 = backend.Counters.SparseTicks, selection0 = backend.Counters.SelectionTicks;
            models[i].Backward(g);
            backend.Synchronize();
            long t2 = Stopwatch.GetTimestamp();
            if (timed && r >= s.Warmup)
            {
                forward[i].Add(Ms(t1 - t0));
                backward[i].Add(Ms(t2 - t1));
                linear[i].Add(Ms(timings[i].LinearBackwardTicks));
                gemm[i].Add(Ms(backend.Counters.GemmTicks - gemm0));
                sparse[i].Add(Ms(backend.Counters.SparseTicks - sparse0));
                selection[i].Add(Ms(backend.Counters.SelectionTicks - selection0));
            }
            foreach (var p in models[i].Parameters) p.ZeroGradient();
            loss.ReadAndReset();
        }
        double dense = Median(backward[0]), denseLinear = Median(linear[0]);
        var rows = Enumerable.Range(0, n).Select(i => new Row(Models[i].Name, Median(forward[i]), Median(backward[i]), Median(linear[i]), Median(gemm[i]),
            Median(sparse[i]), Median(selection[i]), dense / Median(backward[i]), denseLinear / Median(linear[i]))).ToList();

        // a dense training step, with its update: the GEMM share
        var trained = new Mlp(backend, new MlpOptions { Inputs = features, Hidden = s.Hidden, Classes = classes, Strategy = StrategyKind.Dense, Seed = s.Seed });
        var adam = new Adam(new OptimizerOptions());
        var steps = new List<double>(); var shares = new List<double>(); var updates = new List<double>();
        for (int r = 0; r < s.Warmup + s.Repetitions; r++)
        {
            LoadBatch(r);
            long gemm0 = backend.Counters.GemmTicks;
            long t0 = Stopwatch.GetTimestamp();
            trained.Backward(loss.Forward(trained.Forward(x, StepContext.TrainingStep(r, (long)r * batch)), y, true)!);
            long t1 = Stopwatch.GetTimestamp();
            adam.Step(trained.Parameters);
            backend.Synchronize();
            long t2 = Stopwatch.GetTimestamp();
            if (r >= s.Warmup)
            {
                steps.Add(Ms(t2 - t0));
                updates.Add(Ms(t2 - t1));
                shares.Add((double)(backend.Counters.GemmTicks - gemm0) / (t2 - t0));
            }
        }
        loss.ReadAndReset();
        var report = new Report(batch, s.Repetitions, images is null ? "random images" : "MNIST training images", rows, Median(steps), Median(shares), Median(updates), s.TurnLength);
        log?.Invoke(report.ToMarkdown());
        return report;
    }

    private static double Median(List<double> v)
    {
        if (v.Count == 0) return 0;
        var a = v.OrderBy(t => t).ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }
}
