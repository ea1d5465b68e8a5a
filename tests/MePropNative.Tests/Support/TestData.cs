using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.Tests.Support;

/// <summary>Small host data for the managed tests: seeded random matrices, integer-valued ones (exact float sums), uploads.</summary>
internal static class TestData
{
    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var rng = new System.Random(seed);
        var a = new float[count];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Distinct-magnitude small integers in [-range, range] (no ties in |x| within a row is not guaranteed):
    /// products and sums of these are exact in float32, whatever the summation order.</summary>
    public static float[] Integers(int count, int seed, int range = 8)
    {
        var rng = new System.Random(seed);
        var a = new float[count];
        for (int i = 0; i < a.Length; i++) a[i] = rng.Next(-range, range + 1);
        return a;
    }

    public static Tensor Tensor(IBackend b, float[] data, int rows, int cols)
    {
        var t = b.Allocate(rows, cols);
        b.Upload(data, t);
        return t;
    }

    public static float[] Host(IBackend b, Tensor t)
    {
        var a = new float[t.Length];
        b.Download(t, a);
        return a;
    }

    public static int[] Host(IBackend b, IndexTensor t)
    {
        var a = new int[t.Length];
        b.Download(t, a);
        return a;
    }

    public static void Close(float[] expected, float[] actual, float tolerance, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i].Equals(actual[i])) continue;   // the same value, infinities and NaN included
            float diff = MathF.Abs(expected[i] - actual[i]);
            float scale = Math.Max(1f, MathF.Abs(expected[i]));
            if (!(diff <= tolerance * scale))   // a NaN where a number is expected (or the reverse) fails too
                Assert.Fail($"{what}[{i}]: expected {expected[i]}, got {actual[i]} (diff {diff}, tolerance {tolerance * scale})");
        }
    }
}
