using MePropNative.Backends;

namespace MePropNative.Tensors;

/// <summary>
/// A reusable work tensor for a layer or strategy: <see cref="Get"/> returns a rows x cols view over one buffer that
/// grows only when a larger size is first asked for, so the training loop allocates nothing once the first batches
/// of each size have run. The contents are not preserved across a size change.
/// </summary>
public sealed class TensorCache(IBackend backend)
{
    private DeviceBuffer? buffer;
    private Tensor? view;

    public Tensor Get(int rows, int cols)
    {
        if (view is not null && view.Rows == rows && view.Cols == cols) return view;
        long needed = (long)rows * cols;
        if (buffer is null || buffer.Length < needed)
        {
            buffer?.Dispose();
            buffer = backend.AllocateBuffer(Math.Max(needed, 1));
        }
        view = new Tensor(buffer, rows, cols);
        return view;
    }

    /// <summary>The last view handed out, if any.</summary>
    public Tensor? Current => view;
}

/// <summary>The int32 counterpart of <see cref="TensorCache"/>.</summary>
public sealed class IndexTensorCache(IBackend backend)
{
    private DeviceBuffer? buffer;
    private IndexTensor? view;

    public IndexTensor Get(int rows, int cols)
    {
        if (view is not null && view.Rows == rows && view.Cols == cols) return view;
        long needed = (long)rows * cols;
        if (buffer is null || buffer.Length < needed)
        {
            buffer?.Dispose();
            buffer = backend.AllocateIndexBuffer(Math.Max(needed, 1));
        }
        view = new IndexTensor(buffer, rows, cols);
        return view;
    }

    public IndexTensor? Current => view;
}
