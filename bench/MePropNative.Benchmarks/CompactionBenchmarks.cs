using BenchmarkDotNet.Attributes;
using MePropNative.Bindings;

namespace MePropNative.Benchmarks;

/// <summary>The unified strategy's data movement: gather k columns of dy, gather k rows of W, scatter-add k rows
/// into dW; baseline is a plain copy of the bytes the gathers produce (memcpy speed). Buffers are 64-byte aligned.</summary>
[Config(typeof(BenchConfig))]
public class CompactionBenchmarks
{
    public static IEnumerable<LayerShape> Shapes() => LayerShape.MePropSweep().Where(s => s.K is 20 or 160 || s.N > 500);

    [ParamsSource(nameof(Shapes))] public LayerShape Shape;

    private AlignedArray<float> dy = AlignedArray<float>.Empty, w = AlignedArray<float>.Empty, dw = AlignedArray<float>.Empty,
        dyCompact = AlignedArray<float>.Empty, wCompact = AlignedArray<float>.Empty;
    private int[] indices = [];

    [GlobalSetup]
    public void Setup()
    {
        (int b, int n, int m, int k) = (Shape.Batch, Shape.N, Shape.M, Shape.K);
        dy = new(b * n); w = new(n * m); dw = new(n * m);
        dyCompact = new(b * k); wCompact = new(k * m);
        indices = Enumerable.Range(0, n).OrderBy(i => (i * 7919) % n).Take(k).Order().ToArray();
    }

    [Benchmark(Baseline = true, Description = "copy k rows of W (memcpy)")]
    public void CopyRows() => w.Span[..(Shape.K * Shape.M)].CopyTo(wCompact);

    [Benchmark(Description = "gather k rows of W")]
    public void GatherRows() => Kernels.GatherRows(w, Shape.N, Shape.M, Shape.M, indices, Shape.K, wCompact, Shape.M);

    [Benchmark(Description = "gather k columns of dy")]
    public void GatherColumns() => Kernels.GatherColumns(dy, Shape.Batch, Shape.N, Shape.N, indices, Shape.K, dyCompact, Shape.K);

    [Benchmark(Description = "scatter-add k rows into dW")]
    public void ScatterAddRows() => Kernels.ScatterAddRows(wCompact, Shape.K, Shape.M, Shape.M, indices, 1f, dw, Shape.N, Shape.M);
}
