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

        /// <summary>Row strides of the row-major A (M x K, K x M when TransA) and B (K x N, N x K when TransB).</summary>
        public int Lda => TransA ? M : K;
        public int Ldb => TransB ? K : N;

        /// <summary>A and B uniform in [-0.5, 0.5) from a fixed seed, and a zeroed C (M x N).</summary>
        public (float[] A, float[] B, float[] C) RandomOperands()
        {
            var random = new Random(3);
            var a = Enumerable.Range(0, M * K).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            var b = Enumerable.Range(0, K * N).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            return (a, b, new float[M * N]);
        }
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
        (a, b, c) = Shape.RandomOperands();
        OpenBlas.SetThreads(MePropLibrary.NumThreads);
    }

    private int Lda => Shape.Lda;
    private int Ldb => Shape.Ldb;

    [Benchmark(Baseline = true, Description = "OpenBLAS cblas_sgemm")]
    public void OpenBlasSgemm() =>
        OpenBlas.Sgemm(Shape.TransA, Shape.TransB, Shape.M, Shape.N, Shape.K, 1f, a, Lda, b, Ldb, 0f, c, Shape.N);

    [Benchmark(Description = "libmeprop mp_sgemm_f32")]
    public void MePropSgemm() =>
        Kernels.Sgemm(Shape.TransA ? Transpose.Yes : Transpose.No, Shape.TransB ? Transpose.Yes : Transpose.No,
            Shape.M, Shape.N, Shape.K, 1f, a, Lda, b, Ldb, 0f, c, Shape.N);
}
