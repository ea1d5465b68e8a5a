using BenchmarkDotNet.Attributes;
using MePropNative.Bindings;

namespace MePropNative.Benchmarks;

/// <summary>Per-row top-k by |x| over a batch: our AVX2 kernel (on the library's threads, rows split over them, and
/// on 1 thread) and scalar kernel against the binary min-heap (single-threaded C#), and against one streaming pass
/// that only sums |x| (the memory-bound floor) on 1 thread and on as many threads as the library uses.</summary>
[Config(typeof(BenchConfig))]
public class TopKBenchmarks
{
    /// <summary>n = 500 with the meProp k sweep; n = 2048 at k = 2%; n = 8192 with k = 20, 80, 160 from the same
    /// sweep and the larger 10% and 50% as extra rows.</summary>
    public static IEnumerable<LayerShape> Shapes() =>
        new[] { 5, 10, 20, 40, 80, 160 }.Select(k => new LayerShape(100, 500, 784, k))
            .Append(new LayerShape(100, 2048, 784, 40))
            .Concat(new[] { 20, 80, 160, 819, 4096 }.Select(k => new LayerShape(100, 8192, 784, k)));

    [ParamsSource(nameof(Shapes))] public LayerShape Shape;

    private float[] dy = [];
    private int[] indices = [];
    private float[] values = [];
    private float[] heapKeys = [];
    private float[] partialSums = [];
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
        partialSums = new float[MePropLibrary.NumThreads];
        workspace = new byte[Kernels.TopKAbsRowsWorkspaceSize(Shape.N, Shape.K)];
    }

    [Benchmark(Baseline = true, Description = "binary min-heap (C# 1 thread)")]
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

    [Benchmark(Description = "libmeprop AVX2 (1 thread)")]
    public void Avx2OneThread()
    {
        int threads = MePropLibrary.NumThreads;
        MePropLibrary.NumThreads = 1;
        Kernels.TopKAbsRows(dy, Shape.Batch, Shape.N, Shape.N, Shape.K, indices, Shape.K, values, Shape.K, workspace);
        MePropLibrary.NumThreads = threads;
    }

    [Benchmark(Description = "libmeprop AVX2 (library threads)")]
    public void Avx2() =>
        Kernels.TopKAbsRows(dy, Shape.Batch, Shape.N, Shape.N, Shape.K, indices, Shape.K, values, Shape.K, workspace);

    [Benchmark(Description = "abs-sum pass (1 thread)")]
    public float StreamingAbsSum() => AbsSumPass.Sum(dy);

    [Benchmark(Description = "abs-sum pass (library threads)")]
    public float StreamingAbsSumThreaded() => AbsSumPass.SumRows(dy, Shape.Batch, Shape.N, partialSums);
}
