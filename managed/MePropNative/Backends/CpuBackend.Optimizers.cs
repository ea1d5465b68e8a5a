using MePropNative.Bindings;
using MePropNative.Tensors;

namespace MePropNative.Backends;

// Optimizer steps: libmeprop's mp_*_step_f32, one pass that applies the gradient transform, updates the state and the
// parameter and zeroes the gradient (the next backward accumulates into it), on the library's threads (the pass is
// bound by the divide and square-root units as much as by memory, so the second core helps).
public sealed partial class CpuBackend
{
    public void AdamStep(Tensor weights, Tensor gradient, Tensor firstMoment, Tensor secondMoment, in AdamStepArguments args)
    {
        var t = args.Transform;
        Kernels.AdamStep(Contiguous(weights), Contiguous(gradient), Contiguous(firstMoment), Contiguous(secondMoment),
            args.StepSize, args.Beta1, args.Beta2, args.Epsilon, t.GradientScale, t.L2, t.ClipValue);
    }

    public void AdaGradStep(Tensor weights, Tensor gradient, Tensor squaredSum, in AdaGradStepArguments args)
    {
        var t = args.Transform;
        Kernels.AdaGradStep(Contiguous(weights), Contiguous(gradient), Contiguous(squaredSum), args.LearningRate, args.Epsilon,
            t.GradientScale, t.L2, t.ClipValue);
    }

    public void SgdStep(Tensor weights, Tensor gradient, Tensor? velocity, in SgdStepArguments args)
    {
        var t = args.Transform;
        bool momentum = velocity is not null && args.Momentum != 0;
        Kernels.SgdStep(Contiguous(weights), Contiguous(gradient), momentum ? Contiguous(velocity!) : default, args.LearningRate,
            args.Momentum, t.GradientScale, t.L2, t.ClipValue);
    }
}
