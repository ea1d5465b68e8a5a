using MePropNative.Backends;

namespace MePropNative.Tensors;

/// <summary>
/// An int32 row-major matrix on a backend: selected indices (rows x k, or 1 x k for a batch-wide pattern),
/// labels (1 x batch) and gather lists. Element data is reachable only through the owning <see cref="IBackend"/>.
/// </summary>
public sealed class IndexTensor
{
    public IndexTensor(DeviceBuffer buffer, int rows, int cols) : this(buffer, 0, rows, cols) { }

    private IndexTensor(DeviceBuffer buffer, long offset, int rows, int cols)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"a {rows} x {cols} index tensor has a negative size.");
        if (offset + (long)rows * cols > buffer.Length)
            throw new ArgumentException($"a {rows} x {cols} index view at offset {offset} does not fit in {buffer.Length} elements.");
        Buffer = buffer;
        Offset = offset;
        Rows = rows;
        Cols = cols;
    }

    public DeviceBuffer Buffer { get; }
    public IBackend Backend => Buffer.Backend;
    public long Offset { get; }
    public int Rows { get; }
    public int Cols { get; }
    public long Length => (long)Rows * Cols;

    /// <summary>Rows [start, start + count) as a view.</summary>
    public IndexTensor RowSlice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows)
            throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {start + count}) are outside [0, {Rows}).");
        return new IndexTensor(Buffer, Offset + (long)start * Cols, count, Cols);
    }

    /// <summary>The same elements as a rows x cols matrix (rows * cols must equal Length).</summary>
    public IndexTensor Reshape(int rows, int cols)
    {
        if ((long)rows * cols != Length) throw new ArgumentException($"cannot view {Length} indices as {rows} x {cols}.");
        return new IndexTensor(Buffer, Offset, rows, cols);
    }

    public override string ToString() => $"IndexTensor[{Rows}, {Cols}] on {Backend.Name}";
}
