using MePropNative.Bindings;

namespace MePropNative.Tests.Bindings;

public class SgemmTests
{
    [Theory]
    [InlineData(false, false, 1, 1, 1)]
    [InlineData(false, true, 100, 500, 784)]
    [InlineData(true, false, 37, 23, 41)]
    [InlineData(true, true, 17, 9, 13)]
    [InlineData(false, false, 100, 784, 500)]
    public void MatchesADoublePrecisionReference(bool transA, bool transB, int m, int n, int k)
    {
        var random = new Random(m * n + k);
        float[] a = Reference.RandomMatrix(random, m * k);
        float[] b = Reference.RandomMatrix(random, k * n);
        float[] c = Reference.RandomMatrix(random, m * n);
        float[] c0 = (float[])c.Clone();
        Kernels.Sgemm(transA ? Transpose.Yes : Transpose.No, transB ? Transpose.Yes : Transpose.No, m, n, k,
            0.5f, a, transA ? m : k, b, transB ? k : n, 2f, c, n);
        double[] expected = Reference.Gemm(transA, transB, m, n, k, a, b);
        for (int i = 0; i < c.Length; i++) Assert.Equal(0.5 * expected[i] + 2 * c0[i], c[i], 2e-3);
    }

    [Fact]
    public void BetaZeroIgnoresNaNInC()
    {
        float[] c = Reference.Filled(4, float.NaN);
        Kernels.Sgemm(Transpose.No, Transpose.No, 2, 2, 1, 1f, [1, 2], 1, [3, 4], 2, 0f, c, 2);
        Assert.Equal([3f, 4f, 6f, 8f], c);
    }

    [Fact]
    public void AnOperandTooSmallForItsTransposedShapeIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Kernels.Sgemm(Transpose.Yes, Transpose.No, 4, 2, 3, 1f, new float[11], 4, new float[6], 2, 0f, new float[8], 2));
        Assert.Contains("a has 11 elements but a 3 x 4 matrix", e.Message);
    }
}
