using System.Text.Json.Nodes;
using MePropNative.Bindings;
using System.Text.Json.Serialization;

namespace MePropNative.Training;

/// <summary>The outcome of a run: what results.json holds (accuracies in percent, times in seconds).</summary>
public sealed record RunResult
{
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("config")] public JsonObject Config { get; init; } = [];
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    [JsonPropertyName("backend")] public string Backend { get; init; } = "";
    [JsonPropertyName("native")] public string Native { get; init; } = "";
    [JsonPropertyName("threads")] public int Threads { get; init; }
    [JsonPropertyName("train_examples")] public int TrainExamples { get; init; }
    [JsonPropertyName("dev_examples")] public int DevExamples { get; init; }
    [JsonPropertyName("test_examples")] public int TestExamples { get; init; }
    [JsonPropertyName("dev_accuracy")] public double DevAccuracy { get; init; }
    [JsonPropertyName("test_accuracy")] public double TestAccuracy { get; init; }
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    [JsonPropertyName("best_point")] public int BestPoint { get; init; }
    [JsonPropertyName("final_test_accuracy")] public double FinalTestAccuracy { get; init; }
    [JsonPropertyName("final_layer_sizes")] public int[] FinalLayerSizes { get; init; } = [];

    /// <summary>The layer sizes at the reported evaluation (meSimp may prune after it), which are the exported model's;
    /// the final sizes when the history does not hold that evaluation.</summary>
    [JsonIgnore]
    public int[] ReportedLayerSizes =>
        Epochs.FirstOrDefault(e => e.Epoch == BestEpoch)?.Evaluations.FirstOrDefault(v => v.Point == BestPoint)?.LayerSizes ?? FinalLayerSizes;
    [JsonPropertyName("stopped_early")] public bool StoppedEarly { get; init; }
    [JsonPropertyName("resumed_from_epoch")] public int ResumedFromEpoch { get; init; }
    [JsonPropertyName("epochs")] public List<EpochRecord> Epochs { get; init; } = [];
    [JsonPropertyName("totals")] public Totals Sums { get; init; } = new();
    [JsonPropertyName("exported_model")] public string? ExportedModel { get; init; }
    [JsonPropertyName("exported_model_test_accuracy")] public double? ExportedModelTestAccuracy { get; init; }
    /// <summary>strategy auto: the choice made for each layer shape, with every candidate's seconds per backward.</summary>
    [JsonPropertyName("auto_choices"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<MeProp.AutoChoice>? AutoChoices { get; init; }

    /// <summary>The part every trainer fills the same way: identity, environment, example counts, the reported
    /// evaluation (the best on dev, or the last), the final test accuracy and sizes, the epochs and their totals. Trainers
    /// add what is their own with <c>with</c>.</summary>
    public static RunResult Create(string name, JsonObject config, string model, string backend, (int Train, int Dev, int Test) examples,
        EvaluationRecord? reported, double finalTestAccuracy, int[] finalLayerSizes, int resumedFromEpoch, IReadOnlyList<EpochRecord> epochs) => new()
    {
        Name = name,
        Config = config,
        Model = model,
        Backend = backend,
        Native = MePropLibrary.BuildInfo,
        Threads = MePropLibrary.NumThreads,
        TrainExamples = examples.Train,
        DevExamples = examples.Dev,
        TestExamples = examples.Test,
        DevAccuracy = reported?.DevAccuracy ?? 0,
        TestAccuracy = reported?.TestAccuracy ?? 0,
        BestEpoch = reported?.Epoch ?? 0,
        BestPoint = reported?.Point ?? 0,
        FinalTestAccuracy = finalTestAccuracy,
        FinalLayerSizes = finalLayerSizes,
        ResumedFromEpoch = resumedFromEpoch,
        Epochs = [.. epochs],
        Sums = Sum(epochs),
    };

    public sealed record Totals
    {
        [JsonPropertyName("forward_s")] public double ForwardSeconds { get; init; }
        [JsonPropertyName("backward_s")] public double BackwardSeconds { get; init; }
        [JsonPropertyName("linear_backward_s")] public double LinearBackwardSeconds { get; init; }
        [JsonPropertyName("update_s")] public double UpdateSeconds { get; init; }
        [JsonPropertyName("train_wall_s")] public double TrainWallSeconds { get; init; }
        [JsonPropertyName("gemm_s")] public double GemmSeconds { get; init; }
        [JsonPropertyName("gemm_fraction")] public double GemmFraction { get; init; }
        [JsonPropertyName("backprop_ratio")] public double BackpropRatio { get; init; }
    }

    public static Totals Sum(IReadOnlyList<EpochRecord> epochs)
    {
        double wall = epochs.Sum(e => e.TrainWallSeconds), gemm = epochs.Sum(e => e.GemmSeconds);
        return new Totals
        {
            ForwardSeconds = epochs.Sum(e => e.ForwardSeconds),
            BackwardSeconds = epochs.Sum(e => e.BackwardSeconds),
            LinearBackwardSeconds = epochs.Sum(e => e.LinearBackwardSeconds),
            UpdateSeconds = epochs.Sum(e => e.UpdateSeconds),
            TrainWallSeconds = wall,
            GemmSeconds = gemm,
            GemmFraction = wall > 0 ? gemm / wall : 0,
            BackpropRatio = epochs.Count > 0 ? epochs.Average(e => e.BackpropRatio) : 0,
        };
    }
}
