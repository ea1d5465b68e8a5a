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

    /// <summary>The options out of their range (NaN and the infinities are in none), each with its property name and
    /// its range in words; the configs report these under their own keys.</summary>
    public IEnumerable<(string Option, float Value, string Range)> OutOfRange()
    {
        (string, float, bool, string)[] rules =
        [
            (nameof(LearningRate), LearningRate, LearningRate is > 0 and < float.PositiveInfinity, "a finite number > 0"),
            (nameof(Beta1), Beta1, Beta1 is >= 0 and < 1, "in [0, 1)"),
            (nameof(Beta2), Beta2, Beta2 is >= 0 and < 1, "in [0, 1)"),
            (nameof(AdamEpsilon), AdamEpsilon, AdamEpsilon is > 0 and < float.PositiveInfinity, "a finite number > 0"),
            (nameof(AdaGradEpsilon), AdaGradEpsilon, AdaGradEpsilon is > 0 and < float.PositiveInfinity, "a finite number > 0"),
            (nameof(Momentum), Momentum, Momentum is >= 0 and < 1, "in [0, 1)"),
            (nameof(L2), L2, L2 is >= 0 and < float.PositiveInfinity, "a finite number >= 0"),
            (nameof(ClipValue), ClipValue, ClipValue is >= 0 and < float.PositiveInfinity, "a finite number >= 0 (0: off)"),
            (nameof(ClipNorm), ClipNorm, ClipNorm is >= 0 and < float.PositiveInfinity, "a finite number >= 0 (0: off)"),
            (nameof(LearningRateDecay), LearningRateDecay, LearningRateDecay is > 0 and <= 1, "in (0, 1]"),
        ];
        return rules.Where(r => !r.Item3).Select(r => (r.Item1, r.Item2, r.Item4));
    }

    /// <summary>These options, or an <see cref="ArgumentOutOfRangeException"/> naming the first one out of its range.</summary>
    public OptimizerOptions Checked()
    {
        foreach (var (option, value, range) in OutOfRange())
            throw new ArgumentOutOfRangeException(option, value, $"the optimizer's {option} must be {range}.");
        return this;
    }
}
