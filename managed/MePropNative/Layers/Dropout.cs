using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.Layers;

/// <summary>Inverted dropout: in training each element is zeroed with probability <see cref="Rate"/> and the rest scaled
/// by 1 / (1 - rate); at inference it is the identity. The mask of a step is a pure function of (seed, step).</summary>
public sealed class Dropout : ILayer
{
    private readonly IBackend backend;
    private readonly ulong seed;
    private readonly TensorCache mask;
    private readonly TensorCache output;
    private readonly TensorCache inputGradient;
    private bool active;

    public Dropout(IBackend backend, float rate, ulong seed, string name = "dropout")
    {
        CounterRandom.CheckDropoutRate(rate);
        this.backend = backend;
        this.seed = seed;
        Rate = rate;
        Name = name;
        mask = new TensorCache(backend);
        output = new TensorCache(backend);
        inputGradient = new TensorCache(backend);
    }

    public string Name { get; }
    public float Rate { get; }
    public IReadOnlyList<Parameter> Parameters => [];

    public Tensor Forward(Tensor input, in StepContext context)
    {
        active = context.Training && Rate > 0;
        if (!active) return input;
        var m = mask.Get(input.Rows, input.Cols);
        var y = output.Get(input.Rows, input.Cols);
        backend.DropoutForward(input, m, y, Rate, seed, (ulong)context.Step);
        return y;
    }

    public Tensor? Backward(Tensor outputGradient)
    {
        if (!active) return outputGradient;
        var m = mask.Current ?? throw new InvalidOperationException($"{Name}: Backward without a training Forward.");
        var dx = inputGradient.Get(m.Rows, m.Cols);
        backend.Multiply(outputGradient, m, dx);
        return dx;
    }
}
