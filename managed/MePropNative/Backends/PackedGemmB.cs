using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// The right operand op(B) of many products with the same B, prepared once by <see cref="IBackend.PackGemmB"/> (an
/// LSTM's weights over its time steps, where packing B on every step costs a fifth of the GEMM time). The CPU backend
/// keeps B in its GEMM kernels' packed layout here; a backend without such a layout keeps only a reference to B. Valid
/// until B's values change: pack again after every update. Owned by one user, which reuses it from batch to batch.
/// </summary>
public sealed class PackedGemmB
{
    /// <summary>B as given to the last pack (the product reads its packed form, not B itself).</summary>
    public Tensor? Source { get; private set; }
    public bool TransposeB { get; private set; }
    /// <summary>op(B)'s rows (K) and columns (N).</summary>
    public int K { get; private set; }
    public int N { get; private set; }
    /// <summary>The backend's packed form (a 1 x floats tensor), or null when the backend multiplies from B.</summary>
    internal Tensor? Data { get; set; }

    internal void Describe(bool transposeB, Tensor b)
    {
        Source = b;
        TransposeB = transposeB;
        K = transposeB ? b.Cols : b.Rows;
        N = transposeB ? b.Rows : b.Cols;
    }

    /// <summary>Source, or a clear error when nothing was packed yet.</summary>
    internal Tensor PackedSource => Source ?? throw new InvalidOperationException("PackedGemmB used before PackGemmB.");
}
