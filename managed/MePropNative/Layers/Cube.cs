using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.Layers;

/// <summary>y = x^3, the hidden activation of Chen and Manning's (2014) parser (it models products of three input
/// features directly).</summary>
public sealed class Cube(IBackend backend, string name = "cube") : ILayer
{
    private readonly TensorCache output = new(backend);
    private readonly TensorCache inputGradient = new(backend);
    private Tensor? savedInput;

    public string Name => name;
    public IReadOnlyList<Parameter> Parameters => [];

    public Tensor Forward(Tensor input, in StepContext context)
    {
        var y = output.Get(input.Rows, input.Cols);
        backend.Cube(input, y);
        savedInput = context.Training ? input : null;
        return y;
    }

    public Tensor? Backward(Tensor outputGradient)
    {
        var x = savedInput ?? throw new InvalidOperationException($"{Name}: Backward without a training Forward.");
        var dx = inputGradient.Get(x.Rows, x.Cols);
        backend.CubeBackward(x, outputGradient, dx);
        return dx;
    }
}
