using MePropNative.Backends;

namespace MePropNative.Tensors;

/// <summary>
/// A float32 row-major matrix view over a backend buffer: <see cref="Rows"/> x <see cref="Cols"/> elements, row r
/// starting at <see cref="Offset"/> + r * <see cref="Stride"/>. Higher-rank data (an N x C x H x W image batch, a
/// T x B x H sequence) is a matrix whose <see cref="Shape"/> keeps the logical dimensions: Rows = Shape[0] and Cols is
/// the product of the rest. Views (row ranges, column ranges) share the buffer and never copy.
/// The element data is reachable only through the owning <see cref="IBackend"/>.
/// </summary>
public sealed class Tensor
{
    private readonly int[] shape;

    public Tensor(DeviceBuffer buffer, int rows, int cols) : this(buffer, 0, rows, cols, cols, [rows, cols]) { }

    private Tensor(DeviceBuffer buffer, long offset, int rows, int cols, int stride, int[] shape)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"a {rows} x {cols} tensor has a negative size.");
        if (stride < cols) throw new ArgumentOutOfRangeException(nameof(stride), $"stride {stride} is less than cols {cols}.");
        long needed = rows == 0 || cols == 0 ? 0 : offset + (long)(rows - 1) * stride + cols;
        if (needed > buffer.Length)
            throw new ArgumentException($"a {rows} x {cols} view (stride {stride}, offset {offset}) needs {needed} elements; the buffer has {buffer.Length}.");
        Buffer = buffer;
        Offset = offset;
        Rows = rows;
        Cols = cols;
        Stride = stride;
        this.shape = shape;
    }

    /// <summary>A tensor of the given logical shape over a buffer, starting at element 0 (rank 1: one row).</summary>
    public static Tensor Create(DeviceBuffer buffer, ReadOnlySpan<int> shape)
    {
        if (shape.Length == 0) throw new ArgumentException("a tensor needs at least one dimension.", nameof(shape));
        foreach (int d in shape) if (d < 0) throw new ArgumentOutOfRangeException(nameof(shape), $"dimension {d} is negative.");
        int rows = shape.Length == 1 ? 1 : shape[0];
        long cols = 1;
        for (int i = shape.Length == 1 ? 0 : 1; i < shape.Length; i++) cols *= shape[i];
        if (cols > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(shape), "a row is longer than int.MaxValue elements.");
        return new Tensor(buffer, 0, rows, (int)cols, (int)cols, shape.ToArray());
    }

    public DeviceBuffer Buffer { get; }
    public IBackend Backend => Buffer.Backend;
    public long Offset { get; }
    public int Rows { get; }
    public int Cols { get; }
    /// <summary>Elements between the starts of consecutive rows (the leading dimension, >= Cols).</summary>
    public int Stride { get; }
    public ReadOnlySpan<int> Shape => shape;
    public long Length => (long)Rows * Cols;
    public bool IsContiguous => Stride == Cols || Rows <= 1;

    /// <summary>Whether the two views may share elements: the same buffer and intersecting ranges from first to last
    /// element (conservative for strided views whose rows interleave).</summary>
    public bool Overlaps(Tensor other)
    {
        if (!ReferenceEquals(Buffer, other.Buffer) || Length == 0 || other.Length == 0) return false;
        long end = Offset + (long)(Rows - 1) * Stride + Cols, otherEnd = other.Offset + (long)(other.Rows - 1) * other.Stride + other.Cols;
        return Offset < otherEnd && other.Offset < end;
    }

    /// <summary>Rows [start, start + count) as a view.</summary>
    public Tensor RowSlice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows)
            throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {start + count}) are outside [0, {Rows}).");
        int[] s = (int[])shape.Clone();
        if (s.Length == 1) { if (count != 1) throw new ArgumentException("a rank-1 tensor has one row."); }
        else s[0] = count;
        return new Tensor(Buffer, Offset + (long)start * Stride, count, Cols, Stride, s);
    }

    /// <summary>Columns [start, start + count) of every row as a view (stride unchanged), e.g. one LSTM gate.</summary>
    public Tensor ColumnSlice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Cols)
            throw new ArgumentOutOfRangeException(nameof(start), $"columns [{start}, {start + count}) are outside [0, {Cols}).");
        return new Tensor(Buffer, Offset + start, Rows, count, Stride, [Rows, count]);
    }

    /// <summary>The same contiguous elements seen as another shape of equal length.</summary>
    public Tensor Reshape(params int[] newShape)
    {
        if (!IsContiguous) throw new InvalidOperationException("only a contiguous tensor can be reshaped.");
        var t = Create(Buffer, newShape);
        if (t.Length != Length)
            throw new ArgumentException($"cannot reshape {ShapeString} ({Length} elements) to [{string.Join(", ", newShape)}].");
        return new Tensor(Buffer, Offset, t.Rows, t.Cols, t.Cols, newShape.ToArray());
    }

    public bool SameShape(Tensor other) => Rows == other.Rows && Cols == other.Cols;

    public string ShapeString => $"[{string.Join(", ", shape)}]";

    public override string ToString() => $"Tensor{ShapeString} on {Backend.Name}";
}
