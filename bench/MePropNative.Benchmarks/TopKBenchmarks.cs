using BenchmarkDotNet.Attributes;
using MePropNative.Bindings;

namespace MePropNative.Benchmarks;

/// <summary>Per-row top-k by |x| over a batch: our AVX2 and scalar kernels against the binary min-heap, and against
/// one streaming pass that only sums |x| (the memory-bound floor).</summary>
[Config(typeof(BenchConfig))]
public class TopKBenchmarks
{
    public static IEnumerable<LayerShape> Shapes() => LayerShape.MePropSweep()
        .Where(s => s.N != 2048 || s.K == 2048 / 50)
        .Append(new LayerShape(100, 8192, 784, 4096));

    [ParamsSource(nameof(Shapes))] public LayerShape Shape;

    private float[] dy = [];
    private int[] indices = [];
    private float[] values = [];
    private float[] heapKeys = [];
    private byte[] workspace = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        dy = new float[Shape.Batch * Shape.N];
        for (int i = 0; i < dy.Length; i++) dy[i] = (float)(random.NextDouble() * 2 - 1);
        indices = new int[Shape.Batch * Shape.K];
        values = new float[Shape.Batch * Shape.K];
        heapKeys = new float[Shape.K];
        workspace = new byte[Kernels.TopKAbsRowsWorkspaceSize(Shape.N, Shape.K)];
    }

    [Benchmark(Baseline = true, Description = "binary min-heap (C#)")]
    public void MinHeap()
    {
        for (int r = 0; r < Shape.Batch; r++)
            BinaryMinHeapTopK.SelectRow(dy.AsSpan(r * Shape.N, Shape.N), Shape.K, indices.AsSpan(r * Shape.K, Shape.K), heapKeys);
    }

    [Benchmark(Description = "libmeprop scalar")]
    public void Scalar()
    {
        MePropLibrary.Isa = Isa.Scalar;
        Kernels.TopKAbsRows(dy, Shape.Batch, Shape.N, Shape.N, Shape.K, indices, Shape.K, values, Shape.K, workspace);
        MePropLibrary.Isa = Isa.Auto;
    }

    [Benchmark(Description = "libmeprop AVX2")]
    public void Avx2() =>
        Kernels.TopKAbsRows(dy, Shape.Batch, Shape.N, Shape.N, Shape.K, indices, Shape.K, values, Shape.K, workspace);

    [Benchmark(Description = "abs-sum pass (floor)")]
    public float StreamingAbsSum() => AbsSumPass.Sum(dy);
}
