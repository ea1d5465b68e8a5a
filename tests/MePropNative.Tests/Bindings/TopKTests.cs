using MePropNative.Bindings;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Bindings;

[Collection(nameof(ThreadCountCollection))]
public class TopKTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 7, 7 }, { 3, 9, 1 }, { 100, 500, 20 }, { 5, 1000, 1000 }, { 2, 8193, 80 }, { 7, 13, 5 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PerRowMatchesTheReference(int rows, int n, int k)
    {
        var random = new Random(rows * 7919 + n * 31 + k);
        float[] x = Reference.RandomMatrix(random, rows * n);
        int ldi = k + 3, ldv = k + 2;
        int[] idx = Enumerable.Repeat(-77, rows * ldi).ToArray();
        float[] val = Reference.Filled(rows * ldv, float.NaN);

        Kernels.TopKAbsRows(x, rows, n, n, k, idx, ldi, val, ldv);

        for (int r = 0; r < rows; r++)
        {
            int[] expected = Reference.TopKAbs(x.AsSpan(r * n, n), k);
            Assert.Equal(expected, idx.AsSpan(r * ldi, k).ToArray());
            for (int t = 0; t < k; t++) Assert.Equal(x[r * n + expected[t]], val[r * ldv + t]);
            for (int pad = k; pad < ldi; pad++) Assert.Equal(-77, idx[r * ldi + pad]);
        }
    }

    [Theory]
    [InlineData(100, 500, 20)]
    [InlineData(9, 8192, 160)]
    public void RowsSplitOverTwoThreadsGiveTheSameResultAsOne(int rows, int n, int k)
    {
        var random = new Random(n + k);
        float[] x = Reference.RandomMatrix(random, rows * n);
        int before = MePropLibrary.NumThreads;
        try
        {
            int[] idxOne = new int[rows * k], idxTwo = new int[rows * k];
            float[] valOne = new float[rows * k], valTwo = new float[rows * k];
            MePropLibrary.NumThreads = 1;
            long oneThreadBytes = Kernels.TopKAbsRowsWorkspaceSize(n, k);
            Kernels.TopKAbsRows(x, rows, n, n, k, idxOne, k, valOne, k);
            MePropLibrary.NumThreads = 2;
            Assert.Equal(2 * oneThreadBytes, Kernels.TopKAbsRowsWorkspaceSize(n, k)); // one row workspace per thread
            Kernels.TopKAbsRows(x, rows, n, n, k, idxTwo, k, valTwo, k);
            Assert.Equal(idxOne, idxTwo);
            Assert.Equal(valOne, valTwo);
        }
        finally { MePropLibrary.NumThreads = before; }
    }

    [Fact]
    public void TiesGoToTheLowerIndexAndNaNRanksFirst()
    {
        float[] x = [1f, -2f, 2f, float.NaN, float.NegativeInfinity, -2f, 0f, float.NaN];
        int[] idx = new int[4];
        Kernels.TopKAbsRows(x, 1, x.Length, x.Length, 4, idx, 4, default, 0);
        Assert.Equal([1, 3, 4, 7], idx);
    }

    [Fact]
    public void UnifiedPicksTheColumnsWithTheLargestAbsoluteSums()
    {
        var random = new Random(5);
        const int rows = 32, n = 300, k = 17;
        float[] x = Reference.RandomMatrix(random, rows * n);
        int[] idx = new int[k];
        float[] sums = new float[n];
        Kernels.TopKAbsUnified(x, rows, n, n, k, idx, sums);

        float[] expectedSums = Reference.ColumnAbsSums(x, rows, n);
        for (int c = 0; c < n; c++) Assert.Equal(expectedSums[c], sums[c], 1e-4f);
        Assert.Equal(Reference.TopKAbs(expectedSums, k), idx);
    }

    [Fact]
    public void UnifiedWithOneRowEqualsPerRow()
    {
        float[] x = Reference.RandomMatrix(new Random(9), 257);
        int[] unified = new int[10], perRow = new int[10];
        Kernels.TopKAbsUnified(x, 1, 257, 257, 10, unified);
        Kernels.TopKAbsRows(x, 1, 257, 257, 10, perRow, 10, default, 0);
        Assert.Equal(perRow, unified);
    }

    [Fact]
    public void ScalarAndAvx2PathsAgree()
    {
        if (!MePropLibrary.CpuFeatures.HasFlag(CpuFeatures.Avx2 | CpuFeatures.Fma))
            Assert.Skip("this CPU has no AVX2+FMA, so only the scalar path exists");
        float[] x = Reference.RandomMatrix(new Random(11), 64 * 999);
        int[] fast = new int[64 * 33], scalar = new int[64 * 33];
        try
        {
            MePropLibrary.Isa = Isa.Avx2;
            Kernels.TopKAbsRows(x, 64, 999, 999, 33, fast, 33, default, 0);
            MePropLibrary.Isa = Isa.Scalar;
            Kernels.TopKAbsRows(x, 64, 999, 999, 33, scalar, 33, default, 0);
        }
        finally { MePropLibrary.Isa = Isa.Auto; }
        Assert.Equal(scalar, fast);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public void KOutOfRangeIsRejectedBeforeNativeCode(int k)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Kernels.TopKAbsRows(new float[10], 1, 10, 10, k, new int[11], 11, default, 0));
        Assert.Contains($"k = {k} is out of range [1, n = 10]", e.Message);
    }

    [Fact]
    public void ASpanTooShortForTheShapeIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Kernels.TopKAbsRows(new float[99], 10, 10, 10, 2, new int[20], 2, default, 0));
        Assert.Contains("x has 99 elements but a 10 x 10 matrix with ld = 10 needs 100", e.Message);
    }

    [Fact]
    public void TooSmallWorkspaceIsANativeErrorNamingTheSizes()
    {
        long needed = Kernels.TopKAbsRowsWorkspaceSize(4096, 64);
        if (needed <= 1) Assert.Skip("top-k needs no workspace at this shape, so there is no too-small case to test");
        var e = Assert.Throws<MePropNativeException>(() =>
            Kernels.TopKAbsRows(new float[4096], 1, 4096, 4096, 64, new int[64], 64, default, 0, new byte[1]));
        Assert.Equal(MePropStatus.WorkspaceTooSmall, e.Status);
        Assert.Contains("workspace_bytes = 1", e.Message);
    }
}
