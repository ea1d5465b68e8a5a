using System.Runtime.Intrinsics;

namespace MePropNative.Benchmarks;

/// <summary>One streaming AVX2-width pass that only sums |x|: the floor any top-k over the same data must read.</summary>
internal static class AbsSumPass
{
    public static float Sum(ReadOnlySpan<float> data)
    {
        var mask = Vector256.Create(0x7fffffff).AsSingle();
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        ref float start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(data);
        for (; i + 32 <= data.Length; i += 32)
        {
            a0 += Vector256.LoadUnsafe(ref start, (nuint)i) & mask;
            a1 += Vector256.LoadUnsafe(ref start, (nuint)(i + 8)) & mask;
            a2 += Vector256.LoadUnsafe(ref start, (nuint)(i + 16)) & mask;
            a3 += Vector256.LoadUnsafe(ref start, (nuint)(i + 24)) & mask;
        }
        float sum = Vector256.Sum(a0 + a1 + a2 + a3);
        for (; i < data.Length; i++) sum += MathF.Abs(data[i]);
        return sum;
    }
}
