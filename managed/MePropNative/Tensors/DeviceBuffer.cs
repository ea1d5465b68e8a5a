using MePropNative.Backends;

namespace MePropNative.Tensors;

/// <summary>
/// Storage owned by a backend: host memory for <see cref="CpuBackend"/>, device memory for a GPU backend. Only the
/// backend that allocated a buffer reads or writes its elements; everyone else goes through tensor views and the
/// backend's operations.
/// </summary>
public abstract class DeviceBuffer : IDisposable
{
    protected DeviceBuffer(IBackend backend, long length)
    {
        Backend = backend;
        Length = length;
    }

    public IBackend Backend { get; }

    /// <summary>Capacity in elements.</summary>
    public long Length { get; }

    public bool IsDisposed { get; private set; }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    protected abstract void Release();
}
