using MePropNative.Bindings;

namespace MePropNative.Tests.Bindings;

public class RandomKTests
{
    [Fact]
    public void RowsAreDistinctAscendingInRangeAndReproducible()
    {
        const int rows = 50, n = 97, k = 13;
        int[] first = new int[rows * k], second = new int[rows * k];
        Kernels.RandomKRows(rows, n, k, seed: 42, firstRow: 0, first, k);
        Kernels.RandomKRows(rows, n, k, seed: 42, firstRow: 0, second, k);
        Assert.Equal(first, second);
        for (int r = 0; r < rows; r++)
        {
            int[] row = first.AsSpan(r * k, k).ToArray();
            Assert.All(row, i => Assert.InRange(i, 0, n - 1));
            for (int t = 1; t < k; t++) Assert.True(row[t - 1] < row[t], $"row {r} is not strictly ascending");
        }
    }

    [Fact]
    public void ARowDependsOnlyOnSeedAndItsAbsoluteIndex()
    {
        int[] whole = new int[10 * 5], tail = new int[4 * 5];
        Kernels.RandomKRows(10, 40, 5, seed: 7, firstRow: 0, whole, 5);
        Kernels.RandomKRows(4, 40, 5, seed: 7, firstRow: 6, tail, 5);
        Assert.Equal(whole.AsSpan(6 * 5).ToArray(), tail);
    }

    [Fact]
    public void DifferentSeedsGiveDifferentPatternsAndAllColumnsGetPicked()
    {
        var counts = new int[20];
        int[] idx = new int[3];
        for (ulong seed = 0; seed < 400; seed++)
        {
            Kernels.RandomKUnified(20, 3, seed, idx);
            foreach (int i in idx) counts[i]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 20, 100)); // expected 60 each
    }

    [Fact]
    public void KEqualsNSelectsEveryColumn()
    {
        int[] idx = new int[9];
        Kernels.RandomKUnified(9, 9, 3, idx);
        Assert.Equal(Enumerable.Range(0, 9), idx);
    }
}
