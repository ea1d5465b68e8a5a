using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MePropNative.Backends;

/// <summary>
/// Vector loads and stores at an index of a span, without bounds checks: the element-wise loops of the CPU backend run
/// i from 0 while i + Vector&lt;float&gt;.Count &lt;= length, with every operand's length checked against the shape first.
/// (<c>new Vector&lt;float&gt;(span.Slice(i))</c> and <c>CopyTo(span.Slice(i))</c> check bounds on every vector and were
/// not always inlined, which made those loops several times slower.)
/// </summary>
internal static class VectorSpan
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> LoadAt(ReadOnlySpan<float> span, int i)
    {
        Debug.Assert(i >= 0 && i + Vector<float>.Count <= span.Length);
        return Vector.LoadUnsafe(ref MemoryMarshal.GetReference(span), (nuint)i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreAt(this Vector<float> value, Span<float> span, int i)
    {
        Debug.Assert(i >= 0 && i + Vector<float>.Count <= span.Length);
        value.StoreUnsafe(ref MemoryMarshal.GetReference(span), (nuint)i);
    }
}
