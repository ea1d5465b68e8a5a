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

    /// <summary>The same pass over a rows x n matrix, its rows split into <paramref name="partial"/>.Length
    /// contiguous blocks summed in parallel (Parallel.For), as a multi-threaded top-k splits them.</summary>
    public static float SumRows(float[] data, int rows, int n, float[] partial)
    {
        int threads = partial.Length;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int r0 = (int)((long)rows * t / threads), r1 = (int)((long)rows * (t + 1) / threads);
            partial[t] = Sum(data.AsSpan(r0 * n, (r1 - r0) * n));
        });
        float sum = 0;
        foreach (float p in partial) sum += p;
        return sum;
    }
}
