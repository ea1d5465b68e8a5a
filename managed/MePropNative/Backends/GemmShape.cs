using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>The sizes of C = op(A) · op(B) checked against each other, as every backend's Gemm needs them.</summary>
internal static class GemmShape
{
    /// <summary>(M, N, K) with C M x N, op(A) M x K and op(B) K x N; throws naming all three shapes when they do not fit.</summary>
    public static (int M, int N, int K) Of(bool transposeA, bool transposeB, Tensor a, Tensor b, Tensor c)
    {
        int m = c.Rows, n = c.Cols;
        int am = transposeA ? a.Cols : a.Rows, k = transposeA ? a.Rows : a.Cols;
        int bk = transposeB ? b.Cols : b.Rows, bn = transposeB ? b.Rows : b.Cols;
        if (am != m || bn != n || bk != k)
            throw new ArgumentException($"GEMM shapes do not match: op(A) is {am} x {k}, op(B) is {bk} x {bn}, C is {m} x {n}.");
        return (m, n, k);
    }
}
