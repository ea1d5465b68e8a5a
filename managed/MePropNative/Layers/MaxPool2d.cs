using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.Layers;

/// <summary>2 x 2 max pooling with stride 2 over channels-last images (H x W x C -> H/2 x W/2 x C, floor). Backward routes
/// each window's gradient to its arg-max (the first of equal maxima), recomputed from the kept input and output.</summary>
public sealed class MaxPool2d : ILayer
{
    private readonly IBackend backend;
    private readonly TensorCache output;
    private readonly TensorCache inputGradient;
    private Tensor? savedInput, savedOutput;

    public MaxPool2d(IBackend backend, int height, int width, int channels, string name = "pool")
    {
        if (height < 2 || width < 2 || channels < 1) throw new ArgumentOutOfRangeException(nameof(height), $"2 x 2 pooling needs at least a 2 x 2 image, not {height} x {width} x {channels}.");
        this.backend = backend;
        Height = height;
        Width = width;
        Channels = channels;
        Name = name;
        output = new TensorCache(backend);
        inputGradient = new TensorCache(backend);
    }

    public string Name { get; }
    public int Height { get; }
    public int Width { get; }
    public int Channels { get; }
    public int OutputHeight => Height / 2;
    public int OutputWidth => Width / 2;
    public int OutputSize => OutputHeight * OutputWidth * Channels;
    public IReadOnlyList<Parameter> Parameters => [];

    public Tensor Forward(Tensor input, in StepContext context)
    {
        var y = output.Get(input.Rows, OutputSize);
        backend.MaxPool2x2(input, Height, Width, Channels, y);
        savedInput = context.Training ? input : null;
        savedOutput = context.Training ? y : null;
        return y;
    }

    public Tensor? Backward(Tensor outputGradient)
    {
        var x = savedInput ?? throw new InvalidOperationException($"{Name}: Backward without a training Forward.");
        var dx = inputGradient.Get(x.Rows, x.Cols);
        backend.MaxPool2x2Backward(x, savedOutput!, outputGradient, Height, Width, Channels, dx);
        return dx;
    }
}
