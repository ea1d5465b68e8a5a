using System.Runtime.InteropServices;

namespace MePropNative.Benchmarks;

/// <summary>OpenBLAS's cblas_sgemm (Debian libopenblas0), the external baseline for our SGEMM. Benchmark-only.</summary>
internal static unsafe partial class OpenBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;
    private const string Library = "libopenblas.so.0";

    [LibraryImport(Library)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Library)] private static partial void openblas_set_num_threads(int threads);
    [LibraryImport(Library)] private static partial byte* openblas_get_corename();

    public static bool IsAvailable => NativeLibrary.TryLoad(Library, out _);

    public static string CoreName => Marshal.PtrToStringUTF8((IntPtr)openblas_get_corename()) ?? "?";

    public static void SetThreads(int threads) => openblas_set_num_threads(threads);

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda,
        float[] b, int ldb, float beta, float[] c, int ldc)
    {
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            cblas_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, pa, lda, pb, ldb,
                beta, pc, ldc);
    }
}
