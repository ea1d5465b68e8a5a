using BenchmarkDotNet.Attributes;
using MePropNative.Bindings;

namespace MePropNative.Benchmarks;

/// <summary>One GEMM of the meProp MLP (batch 100, 784-500-500-10) or the 2048³ square: ours vs OpenBLAS cblas_sgemm
/// (baseline), both on the same thread count. Flops per call = 2·M·N·K.</summary>
[Config(typeof(BenchConfig))]
public class SgemmBenchmarks
{
    public readonly record struct GemmShape(string Name, bool TransA, bool TransB, int M, int N, int K)
    {
        public override string ToString() => $"{Name} {(TransA ? "T" : "N")}{(TransB ? "T" : "N")} {M}x{N}x{K}";
    }

    public static IEnumerable<GemmShape> Shapes() =>
    [
        new("fc1 fwd", false, true, 100, 500, 784),
        new("fc1 dW", true, false, 500, 784, 100),
        new("fc2 fwd", false, true, 100, 500, 500),
        new("fc2 dx", false, false, 100, 500, 500),
        new("fc2 dW", true, false, 500, 500, 100),
        new("fc3 fwd", false, true, 100, 10, 500),
        new("fc3 dx", false, false, 100, 500, 10),
        new("fc3 dW", true, false, 10, 500, 100),
        new("square", false, false, 2048, 2048, 2048),
    ];

    [ParamsSource(nameof(Shapes))] public GemmShape Shape;

    private float[] a = [], b = [], c = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        a = Enumerable.Range(0, Shape.M * Shape.K).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        b = Enumerable.Range(0, Shape.K * Shape.N).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        c = new float[Shape.M * Shape.N];
        OpenBlas.SetThreads(MePropLibrary.NumThreads);
    }

    private int Lda => Shape.TransA ? Shape.M : Shape.K;
    private int Ldb => Shape.TransB ? Shape.K : Shape.N;

    [Benchmark(Baseline = true, Description = "OpenBLAS cblas_sgemm")]
    public void OpenBlasSgemm() =>
        OpenBlas.Sgemm(Shape.TransA, Shape.TransB, Shape.M, Shape.N, Shape.K, 1f, a, Lda, b, Ldb, 0f, c, Shape.N);

    [Benchmark(Description = "libmeprop mp_sgemm_f32")]
    public void MePropSgemm() =>
        Kernels.Sgemm(Shape.TransA ? Transpose.Yes : Transpose.No, Shape.TransB ? Transpose.Yes : Transpose.No,
            Shape.M, Shape.N, Shape.K, 1f, a, Lda, b, Ldb, 0f, c, Shape.N);
}
