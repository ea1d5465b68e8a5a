using MePropNative.MeProp;

namespace MePropNative.Models;

/// <summary>
/// The shape and back propagation of an MLP: inputs -> hidden[0] -> ... -> classes with ReLU (and optional dropout)
/// after each hidden layer. <see cref="HiddenK"/> gives k per hidden layer (null entries, or k >= the width, mean dense);
/// <see cref="OutputK"/> is k for the output layer (null: dense, the paper's setting). No hidden layers is a softmax
/// regression (one linear layer). A k at or above its layer's width is dense back propagation: meSimp shrinks trained
/// layers below their k (the configs refuse a k above the initial width).
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

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first property out of its range.</summary>
    public void Check()
    {
        if (Inputs < 1) throw new ArgumentOutOfRangeException(nameof(Inputs), Inputs, "MlpOptions.Inputs must be >= 1.");
        if (Hidden.Any(h => h < 1)) throw new ArgumentException($"MlpOptions.Hidden sizes must be >= 1 (got [{string.Join(", ", Hidden)}]).", nameof(Hidden));
        if (Classes < 2) throw new ArgumentOutOfRangeException(nameof(Classes), Classes, "MlpOptions.Classes must be >= 2.");
        if (Dropout is not (>= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "MlpOptions.Dropout must be in [0, 1).");
        if (HiddenK.Length > Math.Max(1, Hidden.Length))
            throw new ArgumentException($"MlpOptions.HiddenK lists {HiddenK.Length} values for {Hidden.Length} hidden layers (one value, or one per hidden layer).", nameof(HiddenK));
        if (HiddenK.Any(k => k < 1)) throw new ArgumentException($"MlpOptions.HiddenK values must be >= 1 (null: dense; got [{string.Join(", ", HiddenK)}]).", nameof(HiddenK));
        if (OutputK < 1) throw new ArgumentOutOfRangeException(nameof(OutputK), OutputK, "MlpOptions.OutputK must be >= 1 (null: dense).");
        if (MemoryRatio is not (>= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(MemoryRatio), MemoryRatio, "MlpOptions.MemoryRatio must be in [0, 1].");
    }

    /// <summary>The widest per-example work tensor: the input rows, a hidden layer's outputs (and their gradient and
    /// dropout factors) or the output layer's.</summary>
    public WidestRow WidestRow() => Models.WidestRow.Of([new("the input", Inputs), .. Hidden.Select((h, i) => new WidestRow($"hidden{i + 1}'s outputs", h)),
        new("the output layer's outputs", Classes)]);

    /// <summary>k of hidden layer <paramref name="layer"/>: HiddenK[layer], or the last entry when the list is shorter.</summary>
    public int? KForHidden(int layer) => HiddenK.Length == 0 ? null : HiddenK[Math.Min(layer, HiddenK.Length - 1)];
}
