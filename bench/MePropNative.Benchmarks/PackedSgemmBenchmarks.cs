using BenchmarkDotNet.Attributes;
using MePropNative.Bindings;

namespace MePropNative.Benchmarks;

/// <summary>One time step of the tagger's LSTM (hidden 500, 100-d embeddings, 32 sentences): the gate GEMM of the forward
/// pass (z = [x, h] W^T; "gates", with 32 or, late in a batch of sorted sentences, 16 rows) and the recurrent dx of the
/// dense backward (dz W_h; "dx"), with B packed on every call
/// (mp_sgemm_f32, baseline), packed once ahead (mp_sgemm_packed_f32, as the LSTM does per sequence) and OpenBLAS.
/// Multiply-adds per call = M·N·K.</summary>
[Config(typeof(BenchConfig))]
public class PackedSgemmBenchmarks
{
    public static IEnumerable<SgemmBenchmarks.GemmShape> Shapes() =>
    [
        new("gates", false, true, 32, 2000, 600),
        new("gates", false, true, 16, 2000, 600),
        new("dx", false, false, 32, 500, 2000),
    ];

    [ParamsSource(nameof(Shapes))] public SgemmBenchmarks.GemmShape Shape;

    private float[] a = [], b = [], c = [];
    private AlignedArray<float> packed = AlignedArray<float>.Empty;

    private int Ldb => Shape.Ldb;
    private Transpose TransB => Shape.TransB ? Transpose.Yes : Transpose.No;

    [GlobalSetup]
    public void Setup()
    {
        (a, b, c) = Shape.RandomOperands();
        packed = new AlignedArray<float>((int)Kernels.SgemmPackedBSize(Shape.N, Shape.K));
        Kernels.SgemmPackB(TransB, Shape.N, Shape.K, b, Ldb, packed);
        OpenBlas.SetThreads(MePropLibrary.NumThreads);
    }

    [Benchmark(Baseline = true, Description = "mp_sgemm_f32 (packs B per call)")]
    public void Unpacked() => Kernels.Sgemm(Transpose.No, TransB, Shape.M, Shape.N, Shape.K, 1f, a, Shape.K, b, Ldb, 0f, c, Shape.N);

    [Benchmark(Description = "mp_sgemm_packed_f32 (B packed ahead)")]
    public void Packed() => Kernels.SgemmPacked(Transpose.No, Shape.M, Shape.N, Shape.K, 1f, a, Shape.K, packed, 0f, c, Shape.N);

    [Benchmark(Description = "OpenBLAS cblas_sgemm")]
    public void OpenBlasSgemm() => OpenBlas.Sgemm(false, Shape.TransB, Shape.M, Shape.N, Shape.K, 1f, a, Shape.K, b, Ldb, 0f, c, Shape.N);
}
