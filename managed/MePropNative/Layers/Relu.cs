using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.Layers;

/// <summary>y = max(x, 0).</summary>
public sealed class Relu(IBackend backend, string name = "relu") : ILayer
{
    private readonly TensorCache output = new(backend);
    private readonly TensorCache inputGradient = new(backend);
    private Tensor? savedOutput;

    public string Name => name;
    public IReadOnlyList<Parameter> Parameters => [];

    public Tensor Forward(Tensor input, in StepContext context)
    {
        var y = output.Get(input.Rows, input.Cols);
        backend.Relu(input, y);
        savedOutput = context.Training ? y : null;
        return y;
    }

    public Tensor? Backward(Tensor outputGradient)
    {
        var y = savedOutput ?? throw new InvalidOperationException($"{Name}: Backward without a training Forward.");
        var dx = inputGradient.Get(y.Rows, y.Cols);
        backend.ReluBackward(y, outputGradient, dx);
        return dx;
    }
}
