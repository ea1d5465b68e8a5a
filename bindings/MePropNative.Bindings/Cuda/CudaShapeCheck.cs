namespace MePropNative.Bindings.Cuda;

/// <summary>Checks that device variables hold the matrices a launch will touch, before anything is queued
/// (the kernels cannot check their buffers' sizes themselves). Pure: unit-tested without a GPU.</summary>
public static class CudaShapeCheck
{
    public static void Positive(long value, string name) => ShapeCheck.Positive(value, name);

    public static void K(long k, long n, string nName = "n") => ShapeCheck.K(k, n, nName);

    /// <summary>A rows x cols row-major matrix with leading dimension ld must fit in <paramref name="length"/> elements.</summary>
    public static void Fits(long length, long rows, long cols, long ld, string name) => ShapeCheck.Matrix(length, rows, cols, ld, name);

    /// <summary>The same, for a matrix that starts <paramref name="offset"/> elements into the variable.</summary>
    public static void FitsAt(long length, long offset, long rows, long cols, long ld, string name) =>
        ShapeCheck.MatrixAt(length, offset, rows, cols, ld, name);

    public static void Length(long length, long needed, string name) => ShapeCheck.Length(length, needed, name);

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
