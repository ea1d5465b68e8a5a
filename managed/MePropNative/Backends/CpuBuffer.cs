using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>Host storage of the CPU backend: a pinned array (never moved by the GC, so kernels get stable pointers).</summary>
internal sealed class CpuBuffer<T> : DeviceBuffer where T : unmanaged
{
    public CpuBuffer(IBackend backend, long length) : base(backend, length)
    {
        if (length > Array.MaxLength) throw new OutOfMemoryException($"a CPU buffer of {length} elements is too large.");
        Data = GC.AllocateArray<T>((int)length, pinned: true);
    }

    public T[] Data { get; private set; }

    protected override void Release() => Data = [];
}
