using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MePropNative.Backends;
using MePropNative.Data;
using MePropNative.Layers;
using MePropNative.Models;
using MePropNative.Optimizers;
using MePropNative.Tensors;

namespace MePropNative.Training;

/// <summary>
/// Trains a <see cref="Cnn"/> the way <see cref="Trainer"/> trains the MLP: epochs of shuffled mini-batches (forward,
/// loss, backward, update, each timed, plus each layer's backward time), dev and test evaluations, the test accuracy
/// of the best dev evaluation, results.json/results.csv in the same format, and a checkpoint after every epoch that a
/// resumed run continues from exactly. Shuffling and dropout are pure functions of (seed, epoch or step).
/// </summary>
public sealed class CnnTrainer
{
    private readonly CnnConfig config;
    private readonly IBackend backend;
    private readonly DatasetSplits data;
    private readonly ITrainingObserver observer;
    private readonly SoftmaxCrossEntropyLoss loss;
    private readonly ImageClassifierData images;

    private int epochsDone;
    private long step;
    private long examplesSeen;
    private readonly List<EpochRecord> history = [];
    private EvaluationRecord? best;
    private EvaluationRecord? last;
    private int resumedFrom;
    private readonly ReportedModel reportedModel;

    public CnnTrainer(CnnConfig config, IBackend backend, DatasetSplits data, ITrainingObserver? observer = null)
    {
        config.Validate();
        ImageClassifierData.Require(data, needsDev: DevSetRule.NeedsDev(config.SelectBy, patience: 0));
        OutputFolders.Prepare(config.Out);
        OutputFolders.PrepareFile("checkpoint", config.CheckpointPath());
        if (data.Train.FeatureCount != 28 * 28) throw new ConfigException($"the CNN expects 28 x 28 images, the data has {data.Train.FeatureCount} features.");
        this.config = config;
        this.backend = backend;
        this.data = data;
        this.observer = observer ?? SilentObserver.Instance;
        reportedModel = new ReportedModel(backend, config.SelectBy, keep: config.Out is not null || config.CheckpointPath() is not null);
        var options = config.ToCnnOptions();
        ImageClassifierData.RequireBatchesFit(data, config.BatchSize, config.EvalBatchSize, options.WidestRow());
        Model = new Cnn(backend, options);
        Optimizer = OptimizerBase.Create(config.ToOptimizerOptions());
        loss = new SoftmaxCrossEntropyLoss(backend);
        images = new ImageClassifierData(backend, data, (ulong)config.Seed, config.BatchSize, config.EvalBatchSize);
        if (config.Resume) TryResume();
    }

    public Cnn Model { get; }
    public IOptimizer Optimizer { get; }
    public IReadOnlyList<EpochRecord> History => history;
    public int StepsPerEpoch => images.StepsPerEpoch;

    public RunResult Run(CancellationToken cancellation = default)
    {
        int steps = StepsPerEpoch;
        observer.OnStart(Model.Description, epochsDone, config.Epochs, steps);
        var loop = new EpochSteps(backend, Optimizer, loss, observer);
        for (int epoch = epochsDone; epoch < config.Epochs; epoch++)
        {
            cancellation.ThrowIfCancellationRequested();
            images.Shuffle(epoch);
            Model.ResetTimings();
            var evaluations = new List<EvaluationRecord>();
            int epochIndex = epoch;
            var functions = new StepFunctions(
                Forward: (s, context) => images.Forward(Model, s, context),
                Backward: Model.Backward,
                Parameters: () => Model.Parameters,
                Evaluate: point => evaluations.Add(Evaluate(epochIndex, point)));
            var times = loop.Run(epoch, steps, config.EvalsPerEpoch, config.LrDecay, functions, ref step, ref examplesSeen);
            var layerSeconds = Model.BackwardTicks.ToDictionary(p => p.Layer, p => Seconds(p.Ticks));
            var record = times with
            {
                DevAccuracy = evaluations[^1].DevAccuracy,
                TestAccuracy = evaluations[^1].TestAccuracy,
                LinearBackwardSeconds = Model.LinearLayers.Sum(l => layerSeconds[l.Name]),
                BackpropRatio = Model.BackpropRatio(),
                LayerBackpropRatios = Model.LayerBackpropRatios().Select(r => Math.Round(r, 6)).ToArray(),
                LayerSizes = Model.Sizes,
                LayerBackwardSeconds = layerSeconds,
                Evaluations = evaluations,
            };
            history.Add(record);
            epochsDone = epoch + 1;
            observer.OnEpoch(record);
            if (config.CheckpointPath() is { } path) SaveCheckpoint(path);
        }
        return Finish();
    }

    /// <summary>Seconds spent in the backward passes of the conv layers over the given epochs.</summary>
    public static double ConvBackwardSeconds(EpochRecord e) =>
        e.LayerBackwardSeconds?.Where(p => p.Key.StartsWith("conv", StringComparison.Ordinal)).Sum(p => p.Value) ?? 0;


    private EvaluationRecord Evaluate(int epoch, int point)
    {
        var ev = images.Evaluate(Model, epoch, point, step, Model.Sizes);
        bool improved = best is null || ev.DevAccuracy > best.DevAccuracy;
        if (improved) best = ev;
        last = ev;
        reportedModel.Evaluated(improved, () => CnnModelFile.Contents(Model));
        observer.OnEvaluation(ev);
        return ev;
    }

    private RunResult Finish()
    {
        var reported = config.SelectBy == "last" ? last : best;
        string? exported = null;
        double? exportedAccuracy = null;
        if (config.Out is not null)
        {
            exported = reportedModel.Export(config.Out, () => CnnModelFile.Contents(Model), observer.OnMessage);
            exportedAccuracy = images.TestAccuracy(CnnModelFile.Load(backend, exported));
        }
        var result = RunResult.Create(config.RunName(), config.ToJson(), Model.Description, backend.Name,
            (data.Train.Count, data.Dev.Count, data.Test.Count), reported, last?.TestAccuracy ?? 0, Model.Sizes, resumedFrom, history) with
        {
            ExportedModel = exported,
            ExportedModelTestAccuracy = exportedAccuracy,
        };
        if (config.Out is not null) ResultsWriter.Write(result, config.Out);
        return result;
    }

    // ---- checkpoints ----------------------------------------------------------------------------------------------------

    /// <summary>The tensors a resumed run needs besides the parameters and their Adam moments: BatchNorm running
    /// estimates and the decay-selection running gradients.</summary>
    private List<(string Name, Tensor Tensor)> RunningTensors()
    {
        var list = new List<(string, Tensor)>();
        foreach (var bn in Model.BatchNorms)
        {
            list.Add(($"{bn.Name}.running_mean", bn.RunningMean));
            list.Add(($"{bn.Name}.running_variance", bn.RunningVariance));
        }
        foreach (var c in Model.ConvLayers)
            if (c.Selection?.Running is { } r) list.Add(($"{c.Name}.run_grad", r));
        return list;
    }

    private static readonly HashSet<string> ResumableKeys = ["epochs", .. CnnConfig.RunIndependentKeys];

    private void SaveCheckpoint(string path)
    {
        var header = TrainingCheckpoint.Header("meprop-cnn-checkpoint", config.ToJson(), new TrainingProgress(epochsDone, step, examplesSeen, Optimizer.Steps, 0),
            best, last, history);
        var tensors = new List<(string, Tensor)>();
        TrainingCheckpoint.AddParameters(tensors, Model.Parameters);
        tensors.AddRange(RunningTensors());
        reportedModel.AddTo(header, tensors);
        TensorFile.Write(path, header, tensors);
    }

    private void TryResume()
    {
        string path = config.CheckpointPath()!;
        if (TrainingCheckpoint.ReadIfPresent(path, "meprop-cnn-checkpoint", "CNN training", config.ToJson(), ResumableKeys, observer.OnMessage,
                CnnConfig.Saved) is not { } checkpoint)
            return;
        var (header, tensors) = checkpoint;
        TrainingCheckpoint.RestoreParameters(backend, path, Model.Parameters, tensors);
        foreach (var c in Model.ConvLayers)
            if (c.Selection is { Decay: > 0 } s && tensors.TryGetValue($"{c.Name}.run_grad", out var e))
                s.RestoreRunning(TrainingCheckpoint.Upload(backend, path, e));
        foreach (var (name, t) in RunningTensors())
        {
            if (!tensors.TryGetValue(name, out var e) || e.Data.Length != t.Length)
                throw new InvalidDataException($"{path}: checkpoint tensor {name} is missing or has the wrong size.");
            backend.Upload(e.Data, t);
        }
        (epochsDone, step, examplesSeen, long optimizerSteps, _) = TrainingCheckpoint.Progress(header);
        Optimizer.Steps = optimizerSteps;
        (best, last, var saved) = TrainingCheckpoint.Records<EvaluationRecord>(header);
        history.AddRange(saved);
        reportedModel.Restore(header, tensors);
        resumedFrom = epochsDone;
        observer.OnMessage($"resumed from {path} after epoch {epochsDone}");
    }

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
}
