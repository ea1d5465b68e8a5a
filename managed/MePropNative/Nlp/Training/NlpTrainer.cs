using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Optimizers;
using MePropNative.Tensors;
using MePropNative.Training;

namespace MePropNative.Nlp.Training;

/// <summary>One dev/test evaluation of an NLP run (percent): the tagger's per-word accuracy, or the parser's UAS (and LAS).</summary>
public sealed record NlpEvaluation(
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("point")] int Point,
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("dev_accuracy")] double DevAccuracy,
    [property: JsonPropertyName("dev_las")] double? DevLas,
    [property: JsonPropertyName("test_accuracy")] double TestAccuracy,
    [property: JsonPropertyName("test_las")] double? TestLas,
    [property: JsonPropertyName("layer_sizes")] int[] LayerSizes)
{
    public EvaluationRecord ToCommon() => new(Epoch, Point, Step, DevAccuracy, 0, TestAccuracy, LayerSizes);
}

/// <summary>What an NLP epoch records beyond <see cref="EpochRecord"/>.</summary>
public sealed record NlpEpochExtras
{
    [JsonPropertyName("dev_las")] public double? DevLas { get; init; }
    [JsonPropertyName("test_las")] public double? TestLas { get; init; }
    /// <summary>Backward time inside the meProp'd linear transformations (LSTM gates through time / the parser's hidden layer).</summary>
    [JsonPropertyName("sparsified_backward_s")] public double SparsifiedBackwardSeconds { get; init; }
    /// <summary>Backward time inside the output layer (dense unless output_k).</summary>
    [JsonPropertyName("output_backward_s")] public double OutputBackwardSeconds { get; init; }
    [JsonPropertyName("train_rows")] public long TrainRows { get; init; }
    [JsonPropertyName("evaluations")] public List<NlpEvaluation> Evaluations { get; init; } = [];
}

/// <summary>The outcome of an NLP run: the common <see cref="RunResult"/> (what `train mlp` writes; accuracy = UAS for
/// the parser) and the NLP extras, written together as one results.json.</summary>
public sealed record NlpRunResult(string Task, RunResult Common, IReadOnlyList<NlpEpochExtras> EpochExtras, NlpEvaluation? Reported, JsonObject Data)
{
    public double? DevLas => Reported?.DevLas;
    public double? TestLas => Reported?.TestLas;

    /// <summary>results.json: the RunResult's fields, plus "task", "data", "dev_las"/"test_las" and per-epoch extras.</summary>
    public JsonObject ToJson()
    {
        var o = JsonSerializer.SerializeToNode(Common, ResultsWriter.Json)!.AsObject();
        o["task"] = Task;
        o["data"] = Data.DeepClone();
        o["dev_las"] = DevLas is { } d ? Math.Round(d, 4) : null;
        o["test_las"] = TestLas is { } t ? Math.Round(t, 4) : null;
        var epochs = o["epochs"]!.AsArray();
        for (int i = 0; i < epochs.Count && i < EpochExtras.Count; i++)
        {
            var extra = JsonSerializer.SerializeToNode(EpochExtras[i])!.AsObject();
            foreach (var (k, v) in extra) epochs[i]![k] = v?.DeepClone();
        }
        return o;
    }

    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        WriteAtomic(Path.Combine(folder, "results.json"), ToJson().ToJsonString(ResultsWriter.Json));
        var csv = ResultsWriter.Csv(Common).TrimEnd('\n', '\r').Split('\n');
        var sb = new System.Text.StringBuilder();
        sb.Append(csv[0].TrimEnd('\r')).Append(",dev_las,test_las,sparsified_backward_s,output_backward_s,train_rows\n");
        for (int i = 1; i < csv.Length; i++)
        {
            var x = i - 1 < EpochExtras.Count ? EpochExtras[i - 1] : new NlpEpochExtras();
            sb.Append(csv[i].TrimEnd('\r')).Append(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $",{x.DevLas:0.####},{x.TestLas:0.####},{x.SparsifiedBackwardSeconds:0.######},{x.OutputBackwardSeconds:0.######},{x.TrainRows}\n"));
        }
        WriteAtomic(Path.Combine(folder, "results.csv"), sb.ToString());
    }

    public static NlpRunResult Read(string path)
    {
        var node = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path} holds no results.");
        var common = node.Deserialize<RunResult>() ?? throw new InvalidDataException($"{path} holds no results.");
        var extras = node["epochs"]?.AsArray().Select(e => e.Deserialize<NlpEpochExtras>()!).ToList() ?? [];
        var reported = extras.SelectMany(e => e.Evaluations).FirstOrDefault(e => e.Epoch == common.BestEpoch && e.Point == common.BestPoint);
        return new NlpRunResult(node["task"]?.GetValue<string>() ?? "", common, extras, reported, node["data"]?.AsObject() ?? []);
    }

    private static void WriteAtomic(string path, string text)
    {
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}

/// <summary>
/// Trains the tagger or the parser (<see cref="INlpTask"/>) the way <see cref="Trainer"/> trains the MLP: epochs of
/// mini-batches (forward + loss, backward, update, each timed), dev and test evaluations, the best dev evaluation, early
/// stopping, meSimp cycles, and a checkpoint after every epoch that a resumed run continues from exactly.
/// </summary>
public sealed class NlpTrainer
{
    private readonly NlpConfig config;
    private readonly IBackend backend;
    private readonly ITrainingObserver observer;
    private readonly SoftmaxCrossEntropyLoss loss;
    private int epochsDone;
    private long step;
    private long examplesSeen;
    private readonly List<EpochRecord> history = [];
    private readonly List<NlpEpochExtras> extras = [];
    private NlpEvaluation? best, last;
    private int epochsWithoutImprovement;
    private int resumedFrom;
    private readonly ReportedModel reportedModel;

    /// <param name="createTask">builds the task; gets the layer sizes of a checkpoint being resumed (meSimp may have
    /// pruned), or null for the configured sizes.</param>
    public NlpTrainer(NlpConfig config, IBackend backend, Func<int[]?, INlpTask> createTask, ITrainingObserver? observer = null)
    {
        config.Validate();
        OutputFolders.Prepare(config.Common.Out);
        OutputFolders.PrepareFile("checkpoint", config.Common.CheckpointPath());
        this.config = config;
        this.backend = backend;
        this.observer = observer ?? SilentObserver.Instance;
        reportedModel = new ReportedModel(backend, config.Common.SelectBy, keep: config.Common.Out is not null || config.Common.CheckpointPath() is not null);
        var checkpoint = config.Common.Resume ? ReadCheckpointIfAny() : null;
        Task = createTask(checkpoint?.Header.IntArray("layer_sizes", min: 1));
        Optimizer = OptimizerBase.Create(config.Common.ToOptimizerOptions());
        loss = new SoftmaxCrossEntropyLoss(backend);
        if (checkpoint is not null) Restore(checkpoint.Value.Header, checkpoint.Value.Tensors);
    }

    public INlpTask Task { get; }
    public IOptimizer Optimizer { get; }

    public NlpRunResult Run(CancellationToken cancellation = default)
    {
        var c = config.Common;
        int steps = Task.BatchesPerEpoch;
        observer.OnStart(Task.Description, epochsDone, c.Epochs, steps);
        bool stoppedEarly = false;
        var loop = new EpochSteps(backend, Optimizer, loss, observer);
        for (int epoch = epochsDone; epoch < c.Epochs; epoch++)
        {
            if (c.Patience > 0 && epochsWithoutImprovement >= c.Patience) { stoppedEarly = true; break; }
            cancellation.ThrowIfCancellationRequested();
            bool prune = BeginMeSimpCycle(epoch);
            Task.BeginEpoch(epoch);
            Task.SparsifiedTimings.Reset();
            Task.DenseTimings.Reset();
            foreach (var l in Task.LinearLayers) l.Statistics.ResetRatio();
            var evaluations = new List<NlpEvaluation>();
            double bestBefore = best?.DevAccuracy ?? double.NegativeInfinity;
            long examplesBefore = examplesSeen;
            int epochIndex = epoch;
            var functions = new StepFunctions(
                Forward: (s, context) => Task.Forward(s, context),
                Backward: Task.Backward,
                Parameters: () => Task.Parameters,
                Evaluate: point =>
                {
                    if (prune) foreach (var m in Task.PruneSeldomSelected(c.MeSimpThreshold)) observer.OnMessage(m);
                    evaluations.Add(Evaluate(epochIndex, point));
                });
            var times = loop.Run(epoch, steps, c.EvalsPerEpoch, c.LearningRateDecay, functions, ref step, ref examplesSeen);
            long selected = 0, total = 0;
            foreach (var l in Task.LinearLayers) { selected += l.Statistics.SelectedRows * l.Inputs; total += l.Statistics.TotalRows * l.Inputs; }
            double sparsified = Task.SparsifiedTimings.LinearBackwardSeconds, output = Task.DenseTimings.LinearBackwardSeconds;
            var record = times with
            {
                DevAccuracy = evaluations[^1].DevAccuracy,
                TestAccuracy = evaluations[^1].TestAccuracy,
                LinearBackwardSeconds = sparsified + output,
                BackpropRatio = total == 0 ? 1 : (double)selected / total,
                LayerBackpropRatios = Task.LinearLayers.Select(l => Math.Round(l.Statistics.BackpropRatio, 6)).ToArray(),
                LayerSizes = Task.Sizes,
                SubnormalValues = Parameter.CountSubnormals(backend, Task.Parameters),
                Evaluations = evaluations.Select(e => e.ToCommon()).ToList(),
            };
            history.Add(record);
            extras.Add(new NlpEpochExtras
            {
                DevLas = evaluations[^1].DevLas,
                TestLas = evaluations[^1].TestLas,
                SparsifiedBackwardSeconds = sparsified,
                OutputBackwardSeconds = output,
                TrainRows = examplesSeen - examplesBefore,
                Evaluations = evaluations,
            });
            epochsDone = epoch + 1;
            epochsWithoutImprovement = (best?.DevAccuracy ?? double.NegativeInfinity) > bestBefore ? 0 : epochsWithoutImprovement + 1;
            observer.OnEpoch(record);
            if (c.CheckpointPath() is { } path) SaveCheckpoint(path);
        }
        return Finish(stoppedEarly);
    }

    private NlpEvaluation Evaluate(int epoch, int point)
    {
        var dev = Task.DevSentences > 0 ? Task.Evaluate("dev") : new NlpScores(0, null, 0);
        var test = Task.Evaluate("test");
        var ev = new NlpEvaluation(epoch + 1, point + 1, step, dev.Accuracy, dev.Las, test.Accuracy, test.Las, Task.Sizes);
        bool improved = best is null || ev.DevAccuracy > best.DevAccuracy;
        if (improved) best = ev;
        last = ev;
        reportedModel.Evaluated(improved, Task.ModelContents);
        var common = ev.ToCommon();
        observer.OnEvaluation(common);
        if (ev.TestLas is not null) observer.OnMessage((ev.DevLas is { } devLas ? $"    LAS: dev {devLas:F2}%  " : "    LAS: ") + $"test {ev.TestLas:F2}%");
        return ev;
    }

    /// <summary>meSimp cycles as in <see cref="Trainer"/>: cycles of mesimp_cycle epochs, optimizer state reset at each
    /// cycle start, selections counted (and seldom-selected units pruned at each evaluation) in even cycles.</summary>
    private bool BeginMeSimpCycle(int epoch)
    {
        var c = config.Common;
        if (!c.MeSimp) return false;
        if (epoch > 0 && epoch % c.MeSimpCycle == 0)
        {
            Optimizer.Reset(Task.Parameters);
            observer.OnMessage($"meSimp: cycle {epoch / c.MeSimpCycle + 1} starts, optimizer state reset");
        }
        bool prune = epoch / c.MeSimpCycle % 2 == 0;
        Task.CountSelections(prune);
        return prune;
    }

    private NlpRunResult Finish(bool stoppedEarly)
    {
        var c = config.Common;
        var reported = c.SelectBy == "last" ? last : best;
        string? exported = c.Out is null ? null : reportedModel.Export(c.Out, Task.ModelContents, observer.OnMessage);
        var common = RunResult.Create(config.RunName(), config.ToJson(), Task.Description, backend.Name,
            (Task.TrainSentences, Task.DevSentences, Task.TestSentences), reported?.ToCommon(), last?.TestAccuracy ?? 0, Task.Sizes, resumedFrom, history) with
        {
            StoppedEarly = stoppedEarly,
            ExportedModel = exported,
        };
        var result = new NlpRunResult(Task.Name, common, [.. extras], reported, Task.DataSummary);
        if (c.Out is not null) result.Write(c.Out);
        return result;
    }

    // ---- checkpoints ----------------------------------------------------------------------------------------------------

    private static readonly HashSet<string> ResumableKeys = ["epochs", "patience", "out", "checkpoint", "resume", "threads", "eval_batch_size",
        "data_dir", "train_file", "dev_file", "test_file"];

    private void SaveCheckpoint(string path)
    {
        var linears = Task.LinearLayers;
        var header = TrainingCheckpoint.Header("meprop-nlp-checkpoint", config.ToJson(),
            new TrainingProgress(epochsDone, step, examplesSeen, Optimizer.Steps, epochsWithoutImprovement), best, last, history);
        header["task"] = Task.Name;
        header["layer_sizes"] = new JsonArray(Task.Sizes.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
        header["extras"] = JsonSerializer.SerializeToNode(extras);
        header["counted_examples"] = new JsonArray(linears.Select(l => (JsonNode?)JsonValue.Create(l.Statistics.CountedExamples)).ToArray());
        var tensors = new List<(string, Tensor)>();
        TrainingCheckpoint.AddParameters(tensors, Task.Parameters);
        foreach (var s in Task.StrategyStates)
            for (int i = 0; i < s.Tensors.Count; i++) tensors.Add(($"{s.Name}.strategy{i}", s.Tensors[i]));
        foreach (var l in linears)
            if (l.Statistics.UnitCounts is { } counts) tensors.Add(($"{l.Name}.counts", counts));
        reportedModel.AddTo(header, tensors);
        TensorFile.Write(path, header, tensors);
    }

    private (TensorFileHeader Header, Dictionary<string, TensorFile.Entry> Tensors)? ReadCheckpointIfAny() =>
        TrainingCheckpoint.ReadIfPresent(config.Common.CheckpointPath()!, "meprop-nlp-checkpoint", "tagger/parser training", config.ToJson(),
            ResumableKeys, observer.OnMessage);

    private void Restore(TensorFileHeader header, Dictionary<string, TensorFile.Entry> tensors)
    {
        TrainingCheckpoint.RestoreParameters(backend, header.Path, Task.Parameters, tensors);
        foreach (var s in Task.StrategyStates) s.Restore(TrainingCheckpoint.Numbered(backend, header.Path, tensors, $"{s.Name}.strategy"));
        TrainingCheckpoint.RestoreSelectionCounts(header, Task.LinearLayers, tensors);
        (epochsDone, step, examplesSeen, long optimizerSteps, epochsWithoutImprovement) = TrainingCheckpoint.Progress(header);
        Optimizer.Steps = optimizerSteps;
        (best, last, var saved) = TrainingCheckpoint.Records<NlpEvaluation>(header);
        history.AddRange(saved);
        reportedModel.Restore(header, tensors);
        extras.AddRange(header.Deserialize<List<NlpEpochExtras>>("extras")!);
        resumedFrom = epochsDone;
        observer.OnMessage($"resumed from {config.Common.CheckpointPath()} after epoch {epochsDone}");
    }

}
