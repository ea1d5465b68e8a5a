namespace MePropNative.Bindings;

/// <summary>
/// A per-thread, grow-only scratch buffer for the kernels that take workspace, so callers that do not manage
/// workspace themselves still allocate only when a larger size is first needed.
/// </summary>
internal static class Workspace
{
    [ThreadStatic] private static byte[]? buffer;

    public static Span<byte> Get(long bytes)
    {
        if (bytes > Array.MaxLength) throw new OutOfMemoryException($"workspace of {bytes} bytes is too large.");
        if (buffer is null || buffer.Length < bytes) buffer = GC.AllocateUninitializedArray<byte>((int)Math.Max(bytes, 4096), pinned: true);
        return buffer.AsSpan(0, (int)bytes);
    }
}
