namespace MePropNative.Tests.Bindings;

/// <summary>Plain C# references for the kernel contracts, written independently of the native code.</summary>
internal static class Reference
{
    /// <summary>Top-k of one row by |x|: NaN first, then larger magnitude, then lower index; returned ascending.</summary>
    public static int[] TopKAbs(ReadOnlySpan<float> row, int k)
    {
        var order = Enumerable.Range(0, row.Length).ToArray();
        float[] magnitudes = row.ToArray().Select(MathF.Abs).ToArray();
        Array.Sort(order, (a, b) =>
        {
            bool nanA = float.IsNaN(magnitudes[a]), nanB = float.IsNaN(magnitudes[b]);
            if (nanA != nanB) return nanA ? -1 : 1;
            if (!nanA && magnitudes[a] != magnitudes[b]) return magnitudes[b].CompareTo(magnitudes[a]);
            return a.CompareTo(b);
        });
        int[] chosen = order[..k];
        Array.Sort(chosen);
        return chosen;
    }

    public static float[] ColumnAbsSums(float[] x, int rows, int cols)
    {
        var sums = new float[cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) sums[c] += MathF.Abs(x[r * cols + c]);
        return sums;
    }

    /// <summary>C = op(A)·op(B) in double precision.</summary>
    public static double[] Gemm(bool transA, bool transB, int m, int n, int k, float[] a, float[] b)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                    sum += (double)(transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] = sum;
            }
        return c;
    }

    public static float[] RandomMatrix(Random random, int length, float scale = 1f)
    {
        var data = new float[length];
        for (int i = 0; i < length; i++) data[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return data;
    }

    public static float[] Filled(int length, float value) => Enumerable.Repeat(value, length).ToArray();
}
