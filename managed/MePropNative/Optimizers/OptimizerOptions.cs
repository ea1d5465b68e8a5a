namespace MePropNative.Optimizers;

/// <summary>
/// Optimizer settings. Gradient handling common to all: <see cref="ClipNorm"/> rescales the whole gradient when its
/// global L2 norm exceeds it; <see cref="L2"/> adds L2 * w; <see cref="ClipValue"/> clamps each element (the original
/// meProp program's ClipBound). The learning rate is multiplied by <see cref="LearningRateDecay"/> per epoch, applied
/// continuously (lr * decay^(step / steps per epoch)).
/// </summary>
public sealed record OptimizerOptions
{
    public OptimizerKind Kind { get; init; } = OptimizerKind.Adam;
    public float LearningRate { get; init; } = 0.001f;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;
    public float AdamEpsilon { get; init; } = 1e-8f;
    public float AdaGradEpsilon { get; init; } = 1e-6f;
    public float Momentum { get; init; } = 0.9f;
    public float L2 { get; init; }
    public float ClipValue { get; init; }
    public float ClipNorm { get; init; }
    public float LearningRateDecay { get; init; } = 1f;

    /// <summary>These options, or an <see cref="ArgumentOutOfRangeException"/> naming the first one out of its range
    /// (NaN and the infinities are in none).</summary>
    public OptimizerOptions Checked()
    {
        Check(LearningRate is > 0 and < float.PositiveInfinity, nameof(LearningRate), LearningRate, "a finite number > 0");
        Check(Beta1 is >= 0 and < 1, nameof(Beta1), Beta1, "in [0, 1)");
        Check(Beta2 is >= 0 and < 1, nameof(Beta2), Beta2, "in [0, 1)");
        Check(AdamEpsilon is > 0 and < float.PositiveInfinity, nameof(AdamEpsilon), AdamEpsilon, "a finite number > 0");
        Check(AdaGradEpsilon is > 0 and < float.PositiveInfinity, nameof(AdaGradEpsilon), AdaGradEpsilon, "a finite number > 0");
        Check(Momentum is >= 0 and < 1, nameof(Momentum), Momentum, "in [0, 1)");
        Check(L2 is >= 0 and < float.PositiveInfinity, nameof(L2), L2, "a finite number >= 0");
        Check(ClipValue is >= 0 and < float.PositiveInfinity, nameof(ClipValue), ClipValue, "a finite number >= 0 (0: off)");
        Check(ClipNorm is >= 0 and < float.PositiveInfinity, nameof(ClipNorm), ClipNorm, "a finite number >= 0 (0: off)");
        Check(LearningRateDecay is > 0 and <= 1, nameof(LearningRateDecay), LearningRateDecay, "in (0, 1]");
        return this;
    }

    private static void Check(bool inRange, string name, float value, string range)
    {
        if (!inRange) throw new ArgumentOutOfRangeException(name, value, $"the optimizer's {name} must be {range}.");
    }
}
