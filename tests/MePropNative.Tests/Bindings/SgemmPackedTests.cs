using System.Runtime.InteropServices;
using MePropNative.Backends;
using MePropNative.Bindings;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Bindings;

/// <summary>B packed ahead (<see cref="Kernels.SgemmPackB"/>, <see cref="IBackend.PackGemmB"/>): the same bits as the
/// unpacked product, and clear refusals.</summary>
public unsafe class SgemmPackedTests
{
    /// <summary>A 64-byte aligned float buffer (native memory), freed on dispose.</summary>
    private sealed class Aligned : IDisposable
    {
        private readonly float* p;
        public Aligned(long n) { Length = (int)n; p = (float*)NativeMemory.AlignedAlloc((nuint)(n * sizeof(float)), 64); }
        public int Length { get; }
        public Span<float> Span => new(p, Length);
        public void Dispose() => NativeMemory.AlignedFree(p);
    }

    [Theory]
    [InlineData(false, true, 32, 2000, 600)]
    [InlineData(false, false, 32, 500, 2000)]
    [InlineData(true, false, 7, 37, 513)]
    [InlineData(false, true, 1, 1, 1)]
    public void PackedProductHasTheBitsOfSgemm(bool transA, bool transB, int m, int n, int k)
    {
        var random = new Random(m + n + k);
        float[] a = Reference.RandomMatrix(random, m * k), b = Reference.RandomMatrix(random, k * n), c0 = Reference.RandomMatrix(random, m * n);
        var ta = transA ? Transpose.Yes : Transpose.No;
        var tb = transB ? Transpose.Yes : Transpose.No;
        float[] expected = (float[])c0.Clone(), got = (float[])c0.Clone();
        Kernels.Sgemm(ta, tb, m, n, k, 0.75f, a, transA ? m : k, b, transB ? k : n, 0.5f, expected, n);
        using var packed = new Aligned(Kernels.SgemmPackedBSize(n, k));
        Kernels.SgemmPackB(tb, n, k, b, transB ? k : n, packed.Span);
        Kernels.SgemmPacked(ta, m, n, k, 0.75f, a, transA ? m : k, packed.Span, 0.5f, got, n);
        Assert.Equal(expected, got);
    }

    [Fact]
    public void APackedBufferForOtherSizesIsRefusedWithTheReason()
    {
        using var packed = new Aligned(Kernels.SgemmPackedBSize(20, 30));
        Kernels.SgemmPackB(Transpose.No, 20, 30, new float[600], 20, packed.Span);
        var c = new float[4 * 21];
        var e = Assert.Throws<MePropNativeException>(() =>
            Kernels.SgemmPacked(Transpose.No, 4, 21, 30, 1f, new float[120], 30, packed.Span, 0f, c, 21));
        Assert.Contains("K = 30, N = 20, not K = 30, N = 21", e.Message);
        Assert.All(c, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void TheCpuBackendsPackedGemmEqualsItsGemm()
    {
        using var backend = new CpuBackend();
        var random = new Random(5);
        var x = TestData.Tensor(backend, Reference.RandomMatrix(random, 13 * 60), 13, 60);
        var w = TestData.Tensor(backend, Reference.RandomMatrix(random, 200 * 60), 200, 60);
        var expected = backend.Allocate(13, 200);
        var got = backend.Allocate(13, 200);
        backend.Gemm(false, true, 1f, x, w, 0f, expected);
        var packed = new PackedGemmB();
        backend.PackGemmB(true, w, packed);
        backend.Gemm(false, 1f, x, packed, 0f, got);
        Assert.Equal(TestData.Host(backend, expected), TestData.Host(backend, got));
        // a column slice (the LSTM's recurrent weights) through the interface's packing
        var slice = w.ColumnSlice(10, 50);
        var dz = TestData.Tensor(backend, Reference.RandomMatrix(random, 13 * 200), 13, 200);
        var dxExpected = backend.Allocate(13, 50);
        var dx = backend.Allocate(13, 50);
        backend.Gemm(false, false, 1f, dz, slice, 0f, dxExpected);
        backend.PackGemmB(false, slice, packed);
        backend.Gemm(false, 1f, dz, packed, 0f, dx);
        Assert.Equal(TestData.Host(backend, dxExpected), TestData.Host(backend, dx));
        Assert.Throws<ArgumentException>(() => backend.Gemm(false, 1f, x, packed, 0f, got));
    }
}
