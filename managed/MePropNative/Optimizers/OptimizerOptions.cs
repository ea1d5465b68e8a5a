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
}
