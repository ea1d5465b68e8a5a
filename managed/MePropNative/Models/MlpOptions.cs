using MePropNative.MeProp;

namespace MePropNative.Models;

/// <summary>
/// The shape and back propagation of an MLP: inputs -> hidden[0] -> ... -> classes with ReLU (and optional dropout)
/// after each hidden layer. <see cref="HiddenK"/> gives k per hidden layer (null entries, or k >= the width, mean dense);
/// <see cref="OutputK"/> is k for the output layer (null: dense, the paper's setting).
/// </summary>
public sealed record MlpOptions
{
    public int Inputs { get; init; } = 784;
    public int[] Hidden { get; init; } = [500, 500];
    public int Classes { get; init; } = 10;
    public float Dropout { get; init; }
    public StrategyKind Strategy { get; init; } = StrategyKind.Dense;
    public int?[] HiddenK { get; init; } = [];
    public int? OutputK { get; init; }
    public float MemoryRatio { get; init; } = 0.8f;
    public ulong Seed { get; init; } = 1;

    /// <summary>k of hidden layer <paramref name="layer"/>: HiddenK[layer], or the last entry when the list is shorter.</summary>
    public int? KForHidden(int layer) => HiddenK.Length == 0 ? null : HiddenK[Math.Min(layer, HiddenK.Length - 1)];
}
