namespace MePropNative.Bindings;

/// <summary>
/// Checks that buffers hold the matrices a kernel will touch, before any native code runs (host spans here, device
/// variables through <see cref="Cuda.CudaShapeCheck"/>). The checks run on every kernel call, so a message is built
/// only when a check fails: the success path allocates nothing.
/// </summary>
internal static class ShapeCheck
{
    public static void Positive(long value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"{name} = {value} must be >= 1.");
    }

    public static void K(long k, long n, string nName = "n")
    {
        if (k < 1 || k > n)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k = {k} is out of range [1, {nName} = {n}].");
    }

    /// <summary>A rows x cols matrix with leading dimension ld must fit in a buffer of <paramref name="length"/> elements.</summary>
    public static void Matrix(long length, long rows, long cols, long ld, string name) => MatrixAt(length, 0, rows, cols, ld, name);

    /// <summary>The same, for a matrix that starts <paramref name="offset"/> elements into the buffer.</summary>
    public static void MatrixAt(long length, long offset, long rows, long cols, long ld, string name)
    {
        if (rows < 1) Positive(rows, $"{name} rows");
        if (cols < 1) Positive(cols, $"{name} cols");
        if (ld < cols)
            throw new ArgumentOutOfRangeException(name, ld, $"{name}: ld = {ld} is less than cols = {cols}.");
        if (offset < 0) throw new ArgumentOutOfRangeException(name, offset, $"{name}: offset {offset} is negative.");
        long needed = offset + (rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException(
                $"{name} has {length} elements but a {rows} x {cols} matrix with ld = {ld}" +
                (offset > 0 ? $" at offset {offset}" : "") + $" needs {needed}.", name);
    }

    /// <summary>An optimizer step's parameter (not empty) and its gradient: of the same length, not overlapping.</summary>
    public static void ParameterAndGradient(ReadOnlySpan<float> w, ReadOnlySpan<float> g)
    {
        if (w.IsEmpty) throw new ArgumentException("the parameter has no elements.", nameof(w));
        if (g.Length != w.Length) throw new ArgumentException($"g has {g.Length} elements but the parameter has {w.Length}.", nameof(g));
        if (w.Overlaps(g)) throw new ArgumentException("the parameter overlaps its gradient.", nameof(g));
    }

    /// <summary>One optimizer state array: of the parameter's length, overlapping neither it, its gradient nor
    /// <paramref name="otherState"/>.</summary>
    public static void OptimizerState(ReadOnlySpan<float> w, ReadOnlySpan<float> g, ReadOnlySpan<float> state, string name,
        ReadOnlySpan<float> otherState = default)
    {
        if (state.Length != w.Length) throw new ArgumentException($"{name} has {state.Length} elements but the parameter has {w.Length}.", name);
        if (state.Overlaps(w) || state.Overlaps(g) || state.Overlaps(otherState))
            throw new ArgumentException($"{name} overlaps the parameter, its gradient or another state array.", name);
    }

    public static void Length(long length, long needed, string name)
    {
        if (length < needed)
            throw new ArgumentException($"{name} has {length} elements but {needed} are needed.", name);
    }
}
