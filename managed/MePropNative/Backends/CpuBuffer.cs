using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// Host storage of the CPU backend: a pinned array (never moved by the GC, so kernels get stable pointers) whose element
/// <see cref="Start"/> lies on a 64-byte boundary. Element 0 of the buffer is element <see cref="Start"/> of the array,
/// so rows whose byte length is a multiple of 64 (784 floats, for instance) start on a cache line and no vector load
/// of the kernels straddles two lines.
/// </summary>
internal sealed unsafe class CpuBuffer<T> : DeviceBuffer where T : unmanaged
{
    private const int Alignment = 64;

    public CpuBuffer(IBackend backend, long length) : base(backend, length)
    {
        int padding = Alignment / sizeof(T);
        if (length > Array.MaxLength - padding) throw new OutOfMemoryException($"a CPU buffer of {length} elements is too large.");
        Data = GC.AllocateArray<T>((int)length + padding, pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Data));
        Start = (int)((Alignment - address % Alignment) % Alignment / (nuint)sizeof(T));
    }

    private T[] Data { get; set; }

    /// <summary>The array index of the buffer's element 0.</summary>
    private int Start { get; }

    /// <summary>Elements [offset, offset + length) of the buffer.</summary>
    public Span<T> Span(long offset, int length) => Data.AsSpan(Start + (int)offset, length);

    /// <summary>The address of element <paramref name="offset"/> (stable: the array is pinned).</summary>
    public T* Pointer(long offset) => (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Data)) + Start + offset;

    protected override void Release() => Data = [];
}
