using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.Layers;

/// <summary>
/// A trainable tensor with its gradient and its optimizer state. The optimizer state lives here (not in the
/// optimizer) so that everything that reshapes or saves a parameter — meSimp pruning, checkpoints — sees all of it.
/// <see cref="GradientIsZero"/> is true while the gradient is known to be all zeros (after allocation, after an
/// optimizer step consumed it): a dense backward then writes the gradient with beta = 0 instead of accumulating.
/// </summary>
public sealed class Parameter
{
    public Parameter(string name, Tensor value)
    {
        Name = name;
        Value = value;
        Gradient = value.Backend.Allocate(value.Shape.ToArray());
    }

    public string Name { get; }
    public Tensor Value { get; private set; }
    public Tensor Gradient { get; private set; }
    public IBackend Backend => Value.Backend;
    public bool GradientIsZero { get; set; } = true;

    /// <summary>Per-element optimizer state, each of <see cref="Value"/>'s shape (Adam: first and second moments).</summary>
    public Tensor[] OptimizerState { get; set; } = [];

    public int Rows => Value.Rows;
    public int Cols => Value.Cols;
    public long Length => Value.Length;

    /// <summary>Zeroes the gradient (only when it is not known to be zero already).</summary>
    public void ZeroGradient()
    {
        if (GradientIsZero) return;
        Backend.Fill(Gradient, 0f);
        GradientIsZero = true;
    }

    /// <summary>Replaces value, gradient and state by reshaped versions (meSimp pruning) through <paramref name="reshape"/>,
    /// which maps an old tensor to a new one of the new shape.</summary>
    public void Reshape(Func<Tensor, Tensor> reshape)
    {
        Value = reshape(Value);
        Gradient = reshape(Gradient);
        for (int i = 0; i < OptimizerState.Length; i++) OptimizerState[i] = reshape(OptimizerState[i]);
    }

    public override string ToString() => $"{Name}{Value.ShapeString}";

    /// <summary>How many subnormal floats the parameters' values and optimizer states hold (the trainers report it per
    /// epoch: flush-to-zero keeps it at 0).</summary>
    public static long CountSubnormals(IBackend backend, IEnumerable<Parameter> parameters)
    {
        long n = 0;
        foreach (var p in parameters)
        {
            n += backend.CountSubnormals(p.Value);
            foreach (var s in p.OptimizerState) n += backend.CountSubnormals(s);
        }
        return n;
    }
}
