using MePropNative.Bindings;

namespace MePropNative.Tests.Bindings;

public class CompactionTests
{
    [Fact]
    public void GatherColumnsThenScatterColumnsRestoresTheSelectedEntries()
    {
        var random = new Random(1);
        const int rows = 6, cols = 11, k = 4;
        float[] src = Reference.RandomMatrix(random, rows * cols);
        int[] idx = [0, 3, 7, 10];
        float[] packed = Reference.Filled(rows * (k + 1), float.NaN);
        Kernels.GatherColumns(src, rows, cols, cols, idx, k, packed, k + 1);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++) Assert.Equal(src[r * cols + idx[j]], packed[r * (k + 1) + j]);

        float[] dense = Reference.Filled(rows * cols, float.NaN);
        Kernels.ScatterColumns(packed, rows, k, k + 1, idx, dense, cols, cols);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                Assert.Equal(idx.Contains(c) ? src[r * cols + c] : 0f, dense[r * cols + c]);
    }

    [Fact]
    public void GatherColumnsPerRowUsesEachRowsPattern()
    {
        float[] src = [1, 2, 3, 4, 5, 6];
        int[] idx = [2, 0, 1, 1];
        float[] dst = new float[4];
        Kernels.GatherColumnsPerRow(src, 2, 3, 3, idx, 2, 2, dst, 2);
        Assert.Equal([3f, 1f, 5f, 5f], dst);
    }

    [Fact]
    public void GatherRowsAndScatterAddRowsAreInverseOnDistinctRows()
    {
        var random = new Random(2);
        const int n = 9, m = 13, k = 3;
        float[] w = Reference.RandomMatrix(random, n * m);
        int[] idx = [1, 4, 8];
        float[] rowsOut = new float[k * m];
        Kernels.GatherRows(w, n, m, m, idx, k, rowsOut, m);
        float[] acc = new float[n * m];
        Kernels.ScatterAddRows(rowsOut, k, m, m, idx, 2f, acc, n, m);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < m; c++)
                Assert.Equal(idx.Contains(r) ? 2f * w[r * m + c] : 0f, acc[r * m + c]);
    }

    [Fact]
    public void AnIndexOutOfRangeIsANativeErrorNamingIt()
    {
        var e = Assert.Throws<MePropNativeException>(() =>
            Kernels.GatherRows(new float[12], 3, 4, 4, [0, 3], 2, new float[8], 4));
        Assert.Equal(MePropStatus.InvalidArgument, e.Status);
        Assert.Contains("3", e.Message);
    }

    [Fact]
    public void ColumnSumsAccumulateOnRequest()
    {
        float[] x = [1, -2, 3, 4, 5, -6];
        float[] sums = [10, 10, 10];
        Kernels.ColumnSums(x, 2, 3, 3, sums, accumulate: true);
        Assert.Equal([15f, 13f, 7f], sums);
        Kernels.ColumnSums(x, 2, 3, 3, sums, accumulate: false);
        Assert.Equal([5f, 3f, -3f], sums);
        float[] abs = new float[3];
        Kernels.ColumnAbsSums(x, 2, 3, 3, abs);
        Assert.Equal([5f, 7f, 9f], abs);
    }
}
