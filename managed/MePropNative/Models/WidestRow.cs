namespace MePropNative.Models;

/// <summary>The widest of the work tensors a model sizes by its batch (activations, their gradients, im2col rows), as
/// the values one batch row (an example, a token, a parser state) takes in it: a batch of n rows needs n times
/// <see cref="Values"/> in that one tensor.</summary>
public readonly record struct WidestRow(string Tensor, long Values)
{
    /// <summary>The widest of <paramref name="rows"/>.</summary>
    public static WidestRow Of(IEnumerable<WidestRow> rows) => rows.MaxBy(r => r.Values);
}
