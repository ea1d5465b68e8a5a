using MePropNative.Tensors;

namespace MePropNative.Layers;

/// <summary>Layers applied in order; backward runs them in reverse.</summary>
public sealed class Sequential(string name, IEnumerable<ILayer> layers) : ILayer
{
    private readonly List<ILayer> layers = layers.ToList();
    private IReadOnlyList<Parameter>? parameters;

    public string Name => name;
    public IReadOnlyList<ILayer> Layers => layers;
    /// <summary>The layers' parameters (the list is built once; the Parameter objects survive pruning).</summary>
    public IReadOnlyList<Parameter> Parameters => parameters ??= layers.SelectMany(l => l.Parameters).ToList();

    public Tensor Forward(Tensor input, in StepContext context)
    {
        var x = input;
        foreach (var layer in layers) x = layer.Forward(x, context);
        return x;
    }

    public Tensor? Backward(Tensor outputGradient)
    {
        Tensor? g = outputGradient;
        for (int i = layers.Count - 1; i >= 0 && g is not null; i--) g = layers[i].Backward(g);
        return g;
    }
}
