using MePropNative.Backends;
using MePropNative.Layers;

namespace MePropNative.Optimizers;

/// <summary>Adam (Kingma and Ba, 2015) with bias correction; the meProp paper's optimizer (lr 0.001, b1 0.9, b2 0.999).</summary>
public sealed class Adam(OptimizerOptions options) : OptimizerBase(options, OptimizerKind.Adam)
{
    public override string Name => $"adam(lr {Options.LearningRate})";
    protected override int StateCount => 2;

    protected override void Update(Parameter p, in GradientTransform transform)
    {
        double t = Steps;
        float stepSize = (float)(Options.LearningRate * LearningRateScale * Math.Sqrt(1 - Math.Pow(Options.Beta2, t)) / (1 - Math.Pow(Options.Beta1, t)));
        p.Backend.AdamStep(p.Value, p.Gradient, p.OptimizerState[0], p.OptimizerState[1],
            new AdamStepArguments(stepSize, Options.Beta1, Options.Beta2, Options.AdamEpsilon, transform));
    }
}
