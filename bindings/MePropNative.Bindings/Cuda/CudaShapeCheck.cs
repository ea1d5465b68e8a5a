namespace MePropNative.Bindings.Cuda;

/// <summary>Checks that device variables hold the matrices a launch will touch, before anything is queued
/// (the kernels cannot check their buffers' sizes themselves). Pure: unit-tested without a GPU.</summary>
public static class CudaShapeCheck
{
    public static void Positive(long value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"{name} = {value} must be >= 1.");
    }

    public static void K(long k, long n, string nName = "n")
    {
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k = {k} is out of range [1, {nName} = {n}].");
    }

    /// <summary>A rows x cols row-major matrix with leading dimension ld must fit in <paramref name="length"/> elements.</summary>
    public static void Fits(long length, long rows, long cols, long ld, string name) => FitsAt(length, 0, rows, cols, ld, name);

    /// <summary>The same, for a matrix that starts <paramref name="offset"/> elements into the variable.</summary>
    public static void FitsAt(long length, long offset, long rows, long cols, long ld, string name)
    {
        Positive(rows, $"{name} rows");
        Positive(cols, $"{name} cols");
        if (ld < cols) throw new ArgumentOutOfRangeException(name, ld, $"{name}: ld = {ld} is less than cols = {cols}.");
        if (offset < 0) throw new ArgumentOutOfRangeException(name, offset, $"{name}: offset {offset} is negative.");
        long needed = offset + (rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException(
                $"{name} has {length} elements but a {rows} x {cols} matrix with ld = {ld}" +
                (offset > 0 ? $" at offset {offset}" : "") + $" needs {needed}.", name);
    }

    public static void Length(long length, long needed, string name)
    {
        if (length < needed) throw new ArgumentException($"{name} has {length} elements but {needed} are needed.", name);
    }

    /// <summary>A workspace of <paramref name="needed"/> bytes: null is fine when none is needed.</summary>
    public static void Workspace(long? length, long needed, string what)
    {
        if (needed <= 0) return;
        if (length is null)
            throw new ArgumentException($"{what} needs a device workspace of {needed} bytes (ask its *WorkspaceSize).", "workspace");
        if (length < needed)
            throw new ArgumentException($"{what}: the workspace has {length} bytes but {needed} are needed.", "workspace");
    }
}
