using System.Runtime.CompilerServices;

namespace MePropNative.Benchmarks;

/// <summary>
/// An array whose first element is 64-byte aligned, as the CPU backend's buffers are (a .NET array's data is only
/// 8-byte aligned, and a row kernel's 32-byte loads then straddle cache lines: the sparse backward runs about 1.3x slower
/// on such buffers, SGEMM, which packs its operands, does not). Pinned, so the alignment holds; converts to a span.
/// </summary>
public sealed class AlignedArray<T> where T : unmanaged
{
    private const int Alignment = 64;
    private readonly T[] array;
    private readonly int offset;

    public unsafe AlignedArray(int length)
    {
        array = GC.AllocateArray<T>(length + Alignment / sizeof(T), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref array[0]);
        offset = (int)((Alignment - address % Alignment) % Alignment) / sizeof(T);
        Length = length;
    }

    public int Length { get; }

    public Span<T> Span => array.AsSpan(offset, Length);

    public static implicit operator Span<T>(AlignedArray<T> a) => a.Span;
    public static implicit operator ReadOnlySpan<T>(AlignedArray<T> a) => a.Span;

    public static AlignedArray<T> Empty { get; } = new(0);
}
