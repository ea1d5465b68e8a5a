using BenchmarkDotNet.Attributes;
using MePropNative.Bindings;

namespace MePropNative.Benchmarks;

/// <summary>
/// The whole backward of a linear layer y = x·W^T + b (dx, dW, db) from dy: dense through our SGEMM (the baseline),
/// meProp per-example top-k (selection + sparse kernels) and unified top-k (selection + compaction + small GEMMs +
/// scatter). Selection is included: it is part of what meProp costs. One more row times the per-example products
/// alone (dx, dW, db from a selection made in the setup), the part that replaces the dense GEMMs. Buffers are 64-byte
/// aligned like the CPU backend's (<see cref="AlignedArray{T}"/>).
/// </summary>
[Config(typeof(BenchConfig))]
public class BackwardBenchmarks
{
    public static IEnumerable<LayerShape> Shapes() => LayerShape.MePropSweep();

    [ParamsSource(nameof(Shapes))] public LayerShape Shape;

    private AlignedArray<float> dy = AlignedArray<float>.Empty, w = AlignedArray<float>.Empty, x = AlignedArray<float>.Empty,
        dx = AlignedArray<float>.Empty, dw = AlignedArray<float>.Empty, db = AlignedArray<float>.Empty;
    private AlignedArray<int> indices = AlignedArray<int>.Empty, fixedIndices = AlignedArray<int>.Empty;
    private AlignedArray<float> fixedValues = AlignedArray<float>.Empty, values = AlignedArray<float>.Empty,
        dyCompact = AlignedArray<float>.Empty, wCompact = AlignedArray<float>.Empty, dwCompact = AlignedArray<float>.Empty;
    private AlignedArray<byte> workspace = AlignedArray<byte>.Empty;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2);
        AlignedArray<float> Random(int length)
        {
            var data = new AlignedArray<float>(length);
            for (int i = 0; i < length; i++) data.Span[i] = (float)(random.NextDouble() * 2 - 1);
            return data;
        }
        (int b, int n, int m, int k) = (Shape.Batch, Shape.N, Shape.M, Shape.K);
        dy = Random(b * n); w = Random(n * m); x = Random(b * m);
        dx = new(b * m); dw = new(n * m); db = new(n);
        indices = new(b * k); values = new(b * k);
        dyCompact = new(b * k); wCompact = new(k * m); dwCompact = new(k * m);
        workspace = new((int)Math.Max(Kernels.TopKAbsRowsWorkspaceSize(n, k), Kernels.TopKAbsUnifiedWorkspaceSize(b, n, k)));
        fixedIndices = new(b * k); fixedValues = new(b * k);
        Kernels.TopKAbsRows(dy, b, n, n, k, fixedIndices, k, fixedValues, k, workspace);
    }

    [Benchmark(Baseline = true, Description = "dense (SGEMM)")]
    public void Dense()
    {
        (int b, int n, int m) = (Shape.Batch, Shape.N, Shape.M);
        Kernels.Sgemm(Transpose.No, Transpose.No, b, m, n, 1f, dy, n, w, m, 0f, dx, m);
        Kernels.Sgemm(Transpose.Yes, Transpose.No, n, m, b, 1f, dy, n, x, m, 1f, dw, m);
        Kernels.ColumnSums(dy, b, n, n, db, accumulate: true);
    }

    [Benchmark(Description = "top-k per example")]
    public void PerExample()
    {
        (int b, int n, int m, int k) = (Shape.Batch, Shape.N, Shape.M, Shape.K);
        Kernels.TopKAbsRows(dy, b, n, n, k, indices, k, values, k, workspace);
        Kernels.SparseBackward(b, n, m, k, indices, k, values, k, w, m, dx, m, x, m, dw, m);
        Kernels.ColumnSums(dy, b, n, n, db, accumulate: true);
    }

    [Benchmark(Description = "per-example products only")]
    public void PerExampleProducts()
    {
        (int b, int n, int m, int k) = (Shape.Batch, Shape.N, Shape.M, Shape.K);
        Kernels.SparseBackward(b, n, m, k, fixedIndices, k, fixedValues, k, w, m, dx, m, x, m, dw, m);
        Kernels.ColumnSums(dy, b, n, n, db, accumulate: true);
    }

    [Benchmark(Description = "unified top-k")]
    public void Unified()
    {
        (int b, int n, int m, int k) = (Shape.Batch, Shape.N, Shape.M, Shape.K);
        Kernels.TopKAbsUnified(dy, b, n, n, k, indices, default, workspace);
        Kernels.GatherColumns(dy, b, n, n, indices, k, dyCompact, k);
        Kernels.GatherRows(w, n, m, m, indices, k, wCompact, m);
        Kernels.Sgemm(Transpose.No, Transpose.No, b, m, k, 1f, dyCompact, k, wCompact, m, 0f, dx, m);
        Kernels.Sgemm(Transpose.Yes, Transpose.No, k, m, b, 1f, dyCompact, k, x, m, 0f, dwCompact, m);
        Kernels.ScatterAddRows(dwCompact, k, m, m, indices, 1f, dw, n, m);
        Kernels.ColumnSums(dy, b, n, n, db, accumulate: true);
    }
}
