namespace MePropNative.Benchmarks;

/// <summary>A linear layer's backward shape: batch rows, n outputs (rows of W), m inputs, k kept per row.</summary>
public readonly record struct LayerShape(int Batch, int N, int M, int K)
{
    public override string ToString() => $"b{Batch} n{N} m{M} k{K}";

    public static IEnumerable<LayerShape> MePropSweep()
    {
        foreach (int k in new[] { 5, 10, 20, 40, 80, 160 }) yield return new LayerShape(100, 500, 784, k);
        foreach (int n in new[] { 2048, 8192 })
            foreach (int k in new[] { n / 100, n / 50, n / 10 }) yield return new LayerShape(100, n, 784, k);
    }
}
