using MePropNative.Bindings.Cuda;
using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>Device storage of the CUDA backend: a <see cref="CudaDeviceVariable{T}"/> (cuMemAlloc) owned by one
/// <see cref="CudaBackend"/>. Release waits for the backend's stream first, so memory is never freed under a queued
/// kernel.</summary>
internal sealed class CudaBuffer<T> : DeviceBuffer where T : unmanaged
{
    private readonly CudaBackend owner;

    public CudaBuffer(CudaBackend backend, long length) : base(backend, length)
    {
        owner = backend;
        Variable = new CudaDeviceVariable<T>(backend.Context, Math.Max(1, length));
        Variable.Memset(0, backend.Stream);
        Address = Variable.DevicePointer;
    }

    public CudaDeviceVariable<T> Variable { get; }

    /// <summary>The device address of element 0.</summary>
    public ulong Address { get; }

    protected override void Release()
    {
        if (!owner.IsDisposed) owner.Stream.Synchronize();
        Variable.Dispose();
    }
}
