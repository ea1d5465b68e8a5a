using MePropNative.Backends;
using MePropNative.Layers;

namespace MePropNative.Optimizers;

/// <summary>AdaGrad (Duchi et al., 2011): w -= lr * g / sqrt(sum of g^2 + eps).</summary>
public sealed class AdaGrad(OptimizerOptions options) : OptimizerBase(options, OptimizerKind.AdaGrad)
{
    public override string Name => $"adagrad(lr {Options.LearningRate})";
    protected override int StateCount => 1;

    protected override void Update(Parameter p, in GradientTransform transform) =>
        p.Backend.AdaGradStep(p.Value, p.Gradient, p.OptimizerState[0],
            new AdaGradStepArguments(Options.LearningRate * LearningRateScale, Options.AdaGradEpsilon, transform));
}
