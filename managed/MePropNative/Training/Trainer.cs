using System.Text.Json;
using System.Text.Json.Nodes;
using MePropNative.Backends;
using MePropNative.Data;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Optimizers;
using MePropNative.Tensors;

namespace MePropNative.Training;

/// <summary>
/// Trains an MLP classifier: epochs of shuffled mini-batches (forward, loss, backward, update, each timed), dev and
/// test evaluations (several per epoch if asked), the best evaluation on dev, early stopping, meSimp pruning cycles,
/// and checkpoints after every epoch that a resumed run continues from exactly. Every random draw is a pure function
/// of (seed, epoch or step), so the same config on the CPU gives the same numbers twice.
/// </summary>
public sealed class Trainer
{
    private readonly TrainConfig config;
    private readonly IBackend backend;
    private readonly DatasetSplits data;
    private readonly ITrainingObserver observer;
    private readonly LayerTimings timings = new();
    private readonly SoftmaxCrossEntropyLoss loss;
    private readonly ImageClassifierData images;

    // progress (saved in checkpoints)
    private int epochsDone;
    private long step;
    private long examplesSeen;
    private readonly List<EpochRecord> history = [];
    private EvaluationRecord? best;
    private EvaluationRecord? last;
    private int epochsWithoutImprovement;
    private int resumedFrom;
    private readonly ReportedModel reportedModel;

    public Trainer(TrainConfig config, IBackend backend, DatasetSplits data, ITrainingObserver? observer = null)
    {
        config.Validate(data.Train.FeatureCount);
        ImageClassifierData.Require(data, needsDev: DevSetRule.NeedsDev(config.SelectBy, config.Patience));
        OutputFolders.Prepare(config.Out);
        OutputFolders.PrepareFile("checkpoint", config.CheckpointPath());
        this.config = config;
        this.backend = backend;
        this.data = data;
        this.observer = observer ?? SilentObserver.Instance;
        reportedModel = new ReportedModel(backend, config.SelectBy, keep: config.Out is not null || config.CheckpointPath() is not null);

        var checkpoint = config.Resume ? ReadCheckpointIfAny() : null;
        int[] hidden = checkpoint is { Header: var header } ? header.IntArray("layer_sizes", min: 1, length: config.Hidden.Length + 2)[1..^1] : config.Hidden;
        var options = config.ToMlpOptions(data.Train.FeatureCount) with { Hidden = hidden };
        ImageClassifierData.RequireBatchesFit(data, config.BatchSize, config.EvalBatchSize, options.WidestRow());
        Model = new Mlp(backend, options, timings);
        Optimizer = OptimizerBase.Create(config.ToOptimizerOptions());
        loss = new SoftmaxCrossEntropyLoss(backend);

        images = new ImageClassifierData(backend, data, (ulong)config.Seed, config.BatchSize, config.EvalBatchSize);

        if (checkpoint is not null) Restore(checkpoint.Value.Header, checkpoint.Value.Tensors);
    }

    public Mlp Model { get; }
    public IOptimizer Optimizer { get; }
    public IReadOnlyList<EpochRecord> History => history;
    public int StepsPerEpoch => images.StepsPerEpoch;

    /// <summary>Runs the remaining epochs and returns the results (also written to config.Out when set).</summary>
    public RunResult Run(CancellationToken cancellation = default)
    {
        int steps = StepsPerEpoch;
        observer.OnStart(Model.Description, epochsDone, config.Epochs, steps);
        bool stoppedEarly = false;
        var loop = new EpochSteps(backend, Optimizer, loss, observer);

        for (int epoch = epochsDone; epoch < config.Epochs; epoch++)
        {
            if (config.Patience > 0 && epochsWithoutImprovement >= config.Patience) { stoppedEarly = true; break; }
            cancellation.ThrowIfCancellationRequested();
            bool pruneCycle = BeginMeSimpCycle(epoch);
            images.Shuffle(epoch);
            timings.Reset();
            foreach (var l in Model.LinearLayers) l.Statistics.ResetRatio();
            var evaluations = new List<EvaluationRecord>();
            double bestDevBefore = best?.DevAccuracy ?? double.NegativeInfinity;
            int epochIndex = epoch;
            var functions = new StepFunctions(
                Forward: (s, context) => images.Forward(Model, s, context),
                Backward: Model.Backward,
                Parameters: () => Model.Parameters,
                Evaluate: point =>
                {
                    evaluations.Add(Evaluate(epochIndex, point));
                    if (pruneCycle) PruneSeldomSelectedUnits();
                });
            var times = loop.Run(epoch, steps, config.EvalsPerEpoch, config.LearningRateDecay, functions, ref step, ref examplesSeen);

            var linears = Model.LinearLayers;
            long selected = 0, total = 0;
            foreach (var l in linears) { selected += l.Statistics.SelectedRows * l.Inputs; total += l.Statistics.TotalRows * l.Inputs; }
            var record = times with
            {
                DevAccuracy = evaluations[^1].DevAccuracy,
                TestAccuracy = evaluations[^1].TestAccuracy,
                LinearBackwardSeconds = timings.LinearBackwardSeconds,
                BackpropRatio = total == 0 ? 1 : (double)selected / total,
                LayerBackpropRatios = linears.Select(l => Math.Round(l.Statistics.BackpropRatio, 6)).ToArray(),
                LayerSizes = Model.Sizes,
                SubnormalValues = Parameter.CountSubnormals(backend, Model.Parameters),
                Evaluations = evaluations,
            };
            history.Add(record);
            epochsDone = epoch + 1;
            epochsWithoutImprovement = (best?.DevAccuracy ?? double.NegativeInfinity) > bestDevBefore ? 0 : epochsWithoutImprovement + 1;
            observer.OnEpoch(record);
            if (config.CheckpointPath() is { } path) SaveCheckpoint(path);
        }

        return Finish(stoppedEarly);
    }

    // ---- evaluation ------------------------------------------------------------------------------------------------------

    private EvaluationRecord Evaluate(int epoch, int point)
    {
        var ev = images.Evaluate(Model, epoch, point, step, Model.Sizes);
        bool improved = best is null || ev.DevAccuracy > best.DevAccuracy;
        if (improved) best = ev;
        last = ev;
        reportedModel.Evaluated(improved, () => ModelFile.Contents(Model));
        observer.OnEvaluation(ev);
        return ev;
    }

    // ---- meSimp ------------------------------------------------------------------------------------------------------------

    /// <summary>meSimp's cycles (Sun et al., arXiv 1711.06528; the original program's Mnist.Run): epochs are grouped into
    /// cycles of mesimp_cycle epochs; the optimizer state is reset at each cycle start; in even cycles the hidden units'
    /// top-k selections are counted and units selected in fewer than mesimp_threshold of the back propagations are
    /// removed at every evaluation point; odd cycles train the smaller network normally (still with top-k).</summary>
    private bool BeginMeSimpCycle(int epoch)
    {
        if (!config.MeSimp) return false;
        if (epoch > 0 && epoch % config.MeSimpCycle == 0)
        {
            Optimizer.Reset(Model.Parameters);
            observer.OnMessage($"meSimp: cycle {epoch / config.MeSimpCycle + 1} starts, optimizer state reset");
        }
        bool prune = epoch / config.MeSimpCycle % 2 == 0;
        var linears = Model.LinearLayers;
        for (int h = 0; h < linears.Count - 1; h++)
        {
            var st = linears[h].Statistics;
            if (!prune && st.CountUnits) st.ResetCounts();
            st.CountUnits = prune;
        }
        return prune;
    }

    private void PruneSeldomSelectedUnits()
    {
        var linears = Model.LinearLayers;
        for (int h = 0; h < linears.Count - 1; h++)
        {
            var st = linears[h].Statistics;
            if (UnitsToKeep(backend, st, config.MeSimpThreshold) is { } keep && keep.Length < st.Units)
            {
                int before = st.Units;
                Model.KeepHiddenUnits(h, keep);
                observer.OnMessage($"meSimp: {linears[h].Name} {before} -> {keep.Length} units");
            }
        }
    }

    /// <summary>A pruning point of one layer: the units (ascending) selected in at least <paramref name="threshold"/> of
    /// the back propagations counted since the previous point, or the most selected one when none is; the counts then
    /// restart. Null when nothing was counted.</summary>
    internal static int[]? UnitsToKeep(IBackend backend, MeProp.SelectionStatistics st, float threshold)
    {
        if (st.UnitCounts is null || st.CountedExamples == 0) return null;
        var counts = new float[st.Units];
        backend.Download(st.UnitCounts, counts);
        var keep = MeSimpRule.UnitsToKeep(counts, st.CountedExamples, threshold);
        st.ResetCounts();
        return keep;
    }

    // ---- results -------------------------------------------------------------------------------------------------------------

    private RunResult Finish(bool stoppedEarly)
    {
        var reported = config.SelectBy == "last" ? last : best;
        string? exported = null;
        double? exportedAccuracy = null;
        double finalTest = last?.TestAccuracy ?? 0;
        if (config.Out is not null)
        {
            exported = reportedModel.Export(config.Out, () => ModelFile.Contents(Model), observer.OnMessage);
            var reloaded = ModelFile.Load(backend, exported);
            exportedAccuracy = images.TestAccuracy(reloaded);
            finalTest = images.TestAccuracy(Model);
        }
        var result = RunResult.Create(config.RunName(), ConfigOptions.ToJson(config), Model.Description, backend.Name,
            (data.Train.Count, data.Dev.Count, data.Test.Count), reported, finalTest, Model.Sizes, resumedFrom, history) with
        {
            StoppedEarly = stoppedEarly,
            ExportedModel = exported,
            ExportedModelTestAccuracy = exportedAccuracy,
            AutoChoices = config.Strategy == MeProp.StrategyKind.Auto ? MeProp.AutoStrategy.ChoicesOf(Model.LinearLayers.Select(l => l.Strategy)) : null,
        };
        if (config.Out is not null) ResultsWriter.Write(result, config.Out);
        return result;
    }

    // ---- checkpoints ------------------------------------------------------------------------------------------------------------

    /// <summary>Options that may differ between a checkpointed run and its resumption.</summary>
    private static readonly HashSet<string> ResumableKeys = ["epochs", "patience", "out", "checkpoint", "resume", "threads", "eval_batch_size", "data_dir",
        "train_images", "train_labels", "test_images", "test_labels"];

    private TrainingProgress Progress => new(epochsDone, step, examplesSeen, Optimizer.Steps, epochsWithoutImprovement);

    private void SaveCheckpoint(string path)
    {
        var linears = Model.LinearLayers;
        var header = TrainingCheckpoint.Header("meprop-checkpoint", ConfigOptions.ToJson(config), Progress, best, last, history);
        header["layer_sizes"] = new JsonArray(Model.Sizes.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
        header["counted_examples"] = new JsonArray(linears.Select(l => (JsonNode?)JsonValue.Create(l.Statistics.CountedExamples)).ToArray());
        var tensors = new List<(string, Tensor)>();
        TrainingCheckpoint.AddParameters(tensors, Model.Parameters);
        foreach (var l in linears)
        {
            for (int i = 0; i < l.Strategy.State.Count; i++) tensors.Add(($"{l.Name}.strategy{i}", l.Strategy.State[i]));
            if (l.Statistics.UnitCounts is { } counts) tensors.Add(($"{l.Name}.counts", counts));
        }
        reportedModel.AddTo(header, tensors);
        TensorFile.Write(path, header, tensors);
    }

    private (TensorFileHeader Header, Dictionary<string, TensorFile.Entry> Tensors)? ReadCheckpointIfAny() =>
        TrainingCheckpoint.ReadIfPresent(config.CheckpointPath()!, "meprop-checkpoint", "training", ConfigOptions.ToJson(config), ResumableKeys, observer.OnMessage,
            (saved, key) => OptionCatalog.SavedValue(saved, key, ConfigOptions.ToJson(new TrainConfig())));

    private void Restore(TensorFileHeader header, Dictionary<string, TensorFile.Entry> tensors)
    {
        TrainingCheckpoint.RestoreParameters(backend, header.Path, Model.Parameters, tensors);
        foreach (var l in Model.LinearLayers) l.Strategy.RestoreState(TrainingCheckpoint.Numbered(backend, header.Path, tensors, $"{l.Name}.strategy"));
        TrainingCheckpoint.RestoreSelectionCounts(header, Model.LinearLayers, tensors);
        (epochsDone, step, examplesSeen, long optimizerSteps, epochsWithoutImprovement) = TrainingCheckpoint.Progress(header);
        Optimizer.Steps = optimizerSteps;
        (best, last, var saved) = TrainingCheckpoint.Records<EvaluationRecord>(header);
        history.AddRange(saved);
        reportedModel.Restore(header, tensors);
        resumedFrom = epochsDone;
        observer.OnMessage($"resumed from {config.CheckpointPath()} after epoch {epochsDone}");
    }

}
