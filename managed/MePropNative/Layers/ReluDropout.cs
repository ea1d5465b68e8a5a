using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.Layers;

/// <summary>
/// ReLU followed by inverted dropout, fused: the same outputs and mask as <see cref="Relu"/> then <see cref="Dropout"/>
/// with the same seed, in one pass forward and one backward. Instead of the ReLU output and the dropout mask it keeps
/// one factor per element (the mask where the input is positive, else 0), so the backward reads dy and that factor and
/// writes dx once, where the two layers read and wrote the whole gradient twice. At inference it is a plain ReLU.
/// </summary>
public sealed class ReluDropout : ILayer
{
    private readonly IBackend backend;
    private readonly ulong seed;
    private readonly TensorCache factor;
    private readonly TensorCache output;
    private readonly TensorCache inputGradient;
    private Tensor? savedFactor;

    public ReluDropout(IBackend backend, float rate, ulong seed, string name = "relu_dropout")
    {
        CounterRandom.CheckDropoutRate(rate);
        this.backend = backend;
        this.seed = seed;
        Rate = rate;
        Name = name;
        factor = new TensorCache(backend);
        output = new TensorCache(backend);
        inputGradient = new TensorCache(backend);
    }

    public string Name { get; }
    public float Rate { get; }
    public IReadOnlyList<Parameter> Parameters => [];

    public Tensor Forward(Tensor input, in StepContext context)
    {
        var y = output.Get(input.Rows, input.Cols);
        if (!context.Training)
        {
            backend.Relu(input, y);
            savedFactor = null;
            return y;
        }
        var f = factor.Get(input.Rows, input.Cols);
        backend.ReluDropoutForward(input, f, y, Rate, seed, (ulong)context.Step);
        savedFactor = f;
        return y;
    }

    public Tensor? Backward(Tensor outputGradient)
    {
        var f = savedFactor ?? throw new InvalidOperationException($"{Name}: Backward without a training Forward.");
        var dx = inputGradient.Get(f.Rows, f.Cols);
        backend.ReluDropoutBackward(f, outputGradient, dx);
        return dx;
    }
}
