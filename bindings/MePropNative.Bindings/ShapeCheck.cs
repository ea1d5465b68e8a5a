namespace MePropNative.Bindings;

/// <summary>Checks that spans hold the matrices the kernels will touch, before any native code runs.</summary>
internal static class ShapeCheck
{
    public static void Positive(long value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"{name} = {value} must be >= 1.");
    }

    public static void K(int k, int n, string nName = "n")
    {
        if (k < 1 || k > n)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k = {k} is out of range [1, {nName} = {n}].");
    }

    /// <summary>A rows x cols matrix with leading dimension ld must fit in a span of <paramref name="length"/>.</summary>
    public static void Matrix(int length, long rows, long cols, long ld, string name)
    {
        Positive(rows, $"{name} rows");
        Positive(cols, $"{name} cols");
        if (ld < cols)
            throw new ArgumentOutOfRangeException(name, ld, $"{name}: ld = {ld} is less than cols = {cols}.");
        long needed = (rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException(
                $"{name} has {length} elements but a {rows} x {cols} matrix with ld = {ld} needs {needed}.", name);
    }

    public static void Length(int length, long needed, string name)
    {
        if (length < needed)
            throw new ArgumentException($"{name} has {length} elements but {needed} are needed.", name);
    }
}
