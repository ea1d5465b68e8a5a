namespace MePropNative.Backends;

/// <summary>
/// A per-example sparse pattern (every row of dy keeps exactly k entries: indices and values batch x k, the ELL form
/// the top-k kernels write) is a CSR matrix without any conversion: row b's entries start at b * k, the column indices
/// are the indices, the values are the values. cuSPARSE needs only the row offsets; this is their definition (the
/// CUDA backend fills them with mp_cuda_iota_i32) and the host form for tests and tools.
/// </summary>
public static class EllCsr
{
    /// <summary>The batch + 1 CSR row offsets of a batch x k ELL pattern: b * k.</summary>
    public static int[] RowOffsets(int batch, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if ((long)batch * k > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(batch), $"{batch} x {k} entries exceed the int32 CSR range.");
        var offsets = new int[batch + 1];
        for (int b = 0; b <= batch; b++) offsets[b] = b * k;
        return offsets;
    }

    /// <summary>
    /// The CSR form (row offsets, column indices, values) of a batch x n matrix whose row b holds values[b * ldv + t]
    /// at column indices[b * ldi + t], t &lt; k. Column indices must be ascending and distinct within a row (what the
    /// top-k and random-k kernels return) and inside [0, n): CSR consumers (cuSPARSE) assume sorted rows.
    /// </summary>
    public static (int[] RowOffsets, int[] Columns, float[] Values) FromEll(ReadOnlySpan<int> indices, int ldi,
        ReadOnlySpan<float> values, int ldv, int batch, int k, int n)
    {
        if (ldi < k || ldv < k) throw new ArgumentException($"ldi = {ldi} and ldv = {ldv} must be >= k = {k}.");
        if (batch > 0 && (indices.Length < (batch - 1) * ldi + k || values.Length < (batch - 1) * ldv + k))
            throw new ArgumentException("indices or values are too short for the pattern.");
        var offsets = RowOffsets(batch, k);
        var cols = new int[batch * k];
        var vals = new float[batch * k];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < k; t++)
            {
                int c = indices[b * ldi + t];
                if ((uint)c >= (uint)n) throw new ArgumentOutOfRangeException(nameof(indices), c, $"row {b}: column {c} is outside [0, {n}).");
                if (t > 0 && c <= cols[b * k + t - 1])
                    throw new ArgumentException($"row {b}: columns must be ascending and distinct ({cols[b * k + t - 1]} then {c}).");
                cols[b * k + t] = c;
                vals[b * k + t] = values[b * ldv + t];
            }
        return (offsets, cols, vals);
    }

    /// <summary>The dense batch x n matrix of a CSR pattern (for references in tests).</summary>
    public static float[] ToDense(ReadOnlySpan<int> rowOffsets, ReadOnlySpan<int> columns, ReadOnlySpan<float> values, int n)
    {
        int batch = rowOffsets.Length - 1;
        var dense = new float[batch * n];
        for (int b = 0; b < batch; b++)
            for (int e = rowOffsets[b]; e < rowOffsets[b + 1]; e++) dense[b * n + columns[e]] += values[e];
        return dense;
    }
}
