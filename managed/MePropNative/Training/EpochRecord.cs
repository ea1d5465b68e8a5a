using System.Text.Json.Serialization;

namespace MePropNative.Training;

/// <summary>One dev/test evaluation (accuracies in percent).</summary>
public sealed record EvaluationRecord(
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("point")] int Point,
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("dev_accuracy")] double DevAccuracy,
    [property: JsonPropertyName("dev_loss")] double DevLoss,
    [property: JsonPropertyName("test_accuracy")] double TestAccuracy,
    [property: JsonPropertyName("layer_sizes")] int[] LayerSizes);

/// <summary>What one epoch did and how long its parts took (seconds; evaluation time is not in the training wall time).</summary>
public sealed record EpochRecord
{
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    [JsonPropertyName("train_loss")] public double TrainLoss { get; init; }
    [JsonPropertyName("train_accuracy")] public double TrainAccuracy { get; init; }
    [JsonPropertyName("dev_accuracy")] public double DevAccuracy { get; init; }
    [JsonPropertyName("test_accuracy")] public double TestAccuracy { get; init; }
    [JsonPropertyName("forward_s")] public double ForwardSeconds { get; init; }
    [JsonPropertyName("backward_s")] public double BackwardSeconds { get; init; }
    [JsonPropertyName("linear_backward_s")] public double LinearBackwardSeconds { get; init; }
    [JsonPropertyName("update_s")] public double UpdateSeconds { get; init; }
    [JsonPropertyName("train_wall_s")] public double TrainWallSeconds { get; init; }
    [JsonPropertyName("gemm_s")] public double GemmSeconds { get; init; }
    [JsonPropertyName("sparse_kernel_s")] public double SparseKernelSeconds { get; init; }
    [JsonPropertyName("eval_s")] public double EvalSeconds { get; init; }
    [JsonPropertyName("backprop_ratio")] public double BackpropRatio { get; init; }
    [JsonPropertyName("layer_backprop_ratios")] public double[] LayerBackpropRatios { get; init; } = [];
    [JsonPropertyName("layer_sizes")] public int[] LayerSizes { get; init; } = [];
    [JsonPropertyName("subnormal_values")] public long SubnormalValues { get; init; }
    [JsonPropertyName("evaluations")] public List<EvaluationRecord> Evaluations { get; init; } = [];
    /// <summary>Backward wall time per named layer (the CNN's conv and fc layers); absent for models that do not record it.</summary>
    [JsonPropertyName("layer_backward_s")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, double>? LayerBackwardSeconds { get; init; }
}
