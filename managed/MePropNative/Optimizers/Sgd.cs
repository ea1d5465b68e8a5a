using MePropNative.Backends;
using MePropNative.Layers;

namespace MePropNative.Optimizers;

/// <summary>SGD with momentum (velocity form; momentum 0 is plain SGD, as in the original program).</summary>
public sealed class Sgd(OptimizerOptions options) : OptimizerBase(options, OptimizerKind.Sgd)
{
    public override string Name => Options.Momentum != 0 ? $"sgd(lr {Options.LearningRate}, momentum {Options.Momentum})" : $"sgd(lr {Options.LearningRate})";
    protected override int StateCount => Options.Momentum != 0 ? 1 : 0;

    protected override void Update(Parameter p, in GradientTransform transform) =>
        p.Backend.SgdStep(p.Value, p.Gradient, StateCount == 1 ? p.OptimizerState[0] : null,
            new SgdStepArguments(Options.LearningRate * LearningRateScale, Options.Momentum, transform));
}
