using MePropNative.Backends;
using MePropNative.Layers;

namespace MePropNative.Optimizers;

/// <summary>The shared parts: state allocation, global-norm clipping, and the gradient transform every step applies.</summary>
public abstract class OptimizerBase(OptimizerOptions options, OptimizerKind kind) : IOptimizer
{
    public abstract string Name { get; }
    public OptimizerOptions Options { get; } = options.Kind == kind ? options.Checked()
        : throw new ArgumentException($"OptimizerOptions.Kind is {options.Kind}, but this optimizer is {kind}: set Kind = {kind}, or make the optimizer with OptimizerBase.Create.", nameof(options));
    public long Steps { get; set; }
    public float LearningRateScale { get; set; } = 1f;

    /// <summary>Number of state tensors per parameter.</summary>
    protected abstract int StateCount { get; }

    public void Step(IReadOnlyList<Parameter> parameters)
    {
        Steps++;
        float scale = 1f;
        if (Options.ClipNorm > 0)
        {
            double sum = 0;
            for (int i = 0; i < parameters.Count; i++)
                if (!parameters[i].GradientIsZero) sum += parameters[i].Backend.SumOfSquares(parameters[i].Gradient);
            double norm = Math.Sqrt(sum);
            if (norm > Options.ClipNorm) scale = (float)(Options.ClipNorm / norm);
        }
        var transform = new GradientTransform(scale, Options.L2, Options.ClipValue);
        for (int i = 0; i < parameters.Count; i++) // (an index loop: no boxed enumerator in the hot loop)
        {
            var p = parameters[i];
            EnsureState(p);
            Update(p, transform);
            p.GradientIsZero = true;
        }
    }

    protected abstract void Update(Parameter p, in GradientTransform transform);

    public void Reset(IReadOnlyList<Parameter> parameters)
    {
        Steps = 0;
        foreach (var p in parameters)
            foreach (var s in p.OptimizerState) p.Backend.Fill(s, 0f);
    }

    private void EnsureState(Parameter p)
    {
        if (p.OptimizerState.Length == StateCount && (StateCount == 0 || p.OptimizerState[0].SameShape(p.Value))) return;
        var state = new Tensors.Tensor[StateCount];
        for (int i = 0; i < StateCount; i++) state[i] = p.Backend.Allocate(p.Value.Shape.ToArray());
        p.OptimizerState = state;
    }

    public static IOptimizer Create(OptimizerOptions options) => options.Kind switch
    {
        OptimizerKind.Adam => new Adam(options),
        OptimizerKind.AdaGrad => new AdaGrad(options),
        OptimizerKind.Sgd => new Sgd(options),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, null),
    };
}
