using MePropNative.Bindings.Cuda;

namespace MePropNative.Tests.Cuda;

/// <summary>The row-major -> column-major cuBLAS mapping, checked without a GPU by running the mapped call through a
/// plain column-major SGEMM written here (the semantics of cublasSgemm).</summary>
public class RowMajorGemmMappingTests
{
    [Fact]
    public void PlainProductSwapsTheOperandsAndTheOuterSizes()
    {
        ColumnMajorGemm g = ColumnMajorGemm.FromRowMajor(false, false, m: 3, n: 5, k: 4, lda: 4, ldb: 5, ldc: 5);
        Assert.Equal(new ColumnMajorGemm(BlasOperation.NonTranspose, BlasOperation.NonTranspose, 5, 3, 4, true, 5, 4, 5), g);
    }

    [Fact]
    public void TransposeFlagsFollowTheirOperands()
    {
        ColumnMajorGemm g = ColumnMajorGemm.FromRowMajor(transA: true, transB: false, m: 3, n: 5, k: 4, lda: 3, ldb: 5, ldc: 5);
        Assert.Equal(BlasOperation.NonTranspose, g.OpFirst); // B
        Assert.Equal(BlasOperation.Transpose, g.OpSecond);   // A
        g = ColumnMajorGemm.FromRowMajor(transA: false, transB: true, m: 3, n: 5, k: 4, lda: 4, ldb: 4, ldc: 5);
        Assert.Equal(BlasOperation.Transpose, g.OpFirst);
        Assert.Equal(BlasOperation.NonTranspose, g.OpSecond);
    }

    [Fact]
    public void LeadingDimensionsAreValidatedAgainstTheRowMajorShapes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ColumnMajorGemm.FromRowMajor(false, false, 3, 5, 4, lda: 3, ldb: 5, ldc: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ColumnMajorGemm.FromRowMajor(true, false, 3, 5, 4, lda: 2, ldb: 5, ldc: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ColumnMajorGemm.FromRowMajor(false, true, 3, 5, 4, lda: 4, ldb: 3, ldc: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ColumnMajorGemm.FromRowMajor(false, false, 3, 5, 4, lda: 4, ldb: 5, ldc: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => ColumnMajorGemm.FromRowMajor(false, false, 0, 5, 4, 4, 5, 5));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void TheMappedColumnMajorCallComputesTheRowMajorProduct(bool transA, bool transB)
    {
        const int m = 7, n = 5, k = 6;
        var random = new Random(transA ? 3 : 1 + (transB ? 10 : 0));
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + 2, ldb = bCols + 1, ldc = n + 3;
        float[] a = RandomArray(random, aRows * lda), b = RandomArray(random, bRows * ldb), c = RandomArray(random, m * ldc);
        float[] c0 = (float[])c.Clone();
        const float alpha = 1.5f, beta = -0.5f;

        ColumnMajorGemm g = ColumnMajorGemm.FromRowMajor(transA, transB, m, n, k, lda, ldb, ldc);
        Assert.True(g.FirstIsB);
        ColumnMajorSgemm(g.OpFirst, g.OpSecond, g.M, g.N, g.K, alpha, b, g.LdFirst, a, g.LdSecond, beta, c, g.Ldc);

        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                if (j >= n)
                {
                    Assert.Equal(c0[i * ldc + j], c[i * ldc + j]); // padding untouched
                    continue;
                }
                double sum = 0;
                for (int p = 0; p < k; p++)
                    sum += (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                double want = alpha * sum + beta * c0[i * ldc + j];
                Assert.True(Math.Abs(c[i * ldc + j] - want) <= 1e-4 * (1 + Math.Abs(want)), $"C[{i},{j}] = {c[i * ldc + j]}, want {want}");
            }
    }

    /// <summary>cublasSgemm's definition: C = alpha op(A) op(B) + beta C, all column-major.</summary>
    private static void ColumnMajorSgemm(BlasOperation opA, BlasOperation opB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = opA == BlasOperation.NonTranspose ? a[i + p * lda] : a[p + i * lda];
                    float bv = opB == BlasOperation.NonTranspose ? b[p + j * ldb] : b[j + p * ldb];
                    sum += (double)av * bv;
                }
                c[i + j * ldc] = (float)(alpha * sum + beta * c[i + j * ldc]);
            }
    }

    private static float[] RandomArray(Random random, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        return x;
    }
}
