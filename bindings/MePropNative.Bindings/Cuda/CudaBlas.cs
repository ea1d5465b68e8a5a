using System.Runtime.InteropServices;

namespace MePropNative.Bindings.Cuda;

/// <summary>cuBLAS v2 entry points (cublas_api.h). Handles are IntPtr; alpha/beta are host pointers (the default
/// CUBLAS_POINTER_MODE_HOST); matrices are device pointers. Every function returns a cublasStatus_t.</summary>
internal static unsafe partial class CudaBlasNative
{
    private const string Lib = CudaLibraries.BlasName;

    [LibraryImport(Lib)] internal static partial int cublasCreate_v2(out IntPtr handle);
    [LibraryImport(Lib)] internal static partial int cublasDestroy_v2(IntPtr handle);
    [LibraryImport(Lib)] internal static partial int cublasGetVersion_v2(IntPtr handle, out int version);
    [LibraryImport(Lib)] internal static partial int cublasSetStream_v2(IntPtr handle, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cublasSetMathMode(IntPtr handle, int mode);

    [LibraryImport(Lib)]
    internal static partial int cublasSgemm_v2(IntPtr handle, int transa, int transb, int m, int n, int k,
        float* alpha, float* a, int lda, float* b, int ldb, float* beta, float* c, int ldc);

    [LibraryImport(Lib)]
    internal static partial int cublasSgemmStridedBatched(IntPtr handle, int transa, int transb, int m, int n, int k,
        float* alpha, float* a, int lda, long strideA, float* b, int ldb, long strideB, float* beta, float* c, int ldc,
        long strideC, int batchCount);
}

/// <summary>cublasOperation_t.</summary>
public enum BlasOperation { NonTranspose = 0, Transpose = 1, ConjugateTranspose = 2 }

/// <summary>cublasMath_t (CUDA 11+).</summary>
[Flags]
public enum BlasMathMode
{
    /// <summary>CUBLAS_DEFAULT_MATH: full FP32 (no TF32) for Sgemm.</summary>
    Default = 0,
    /// <summary>CUBLAS_PEDANTIC_MATH: bitwise reproducible, slowest.</summary>
    Pedantic = 2,
    /// <summary>CUBLAS_TF32_TENSOR_OP_MATH: TF32 tensor cores for FP32 GEMMs (10-bit mantissa inputs).</summary>
    Tf32TensorOp = 3,
    /// <summary>CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION (a flag to OR in).</summary>
    DisallowReducedPrecisionReduction = 16,
}

/// <summary>
/// The column-major cuBLAS call that computes a row-major GEMM C (M x N) = op(A) (M x K) · op(B) (K x N):
/// a row-major matrix read as column-major is its transpose, so C^T = op(B)^T · op(A)^T is computed instead,
/// i.e. cublasSgemm(opB, opA, N, M, K, B, ldb, A, lda, C, ldc). Pure data, unit-tested without a GPU.
/// </summary>
public readonly record struct ColumnMajorGemm(
    BlasOperation OpFirst, BlasOperation OpSecond, int M, int N, int K,
    bool FirstIsB, int LdFirst, int LdSecond, int Ldc)
{
    /// <summary>Maps a row-major request (validating every leading dimension) to the cuBLAS arguments.</summary>
    public static ColumnMajorGemm FromRowMajor(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        if (m < 1) throw new ArgumentOutOfRangeException(nameof(m), m, "m must be >= 1.");
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be >= 1.");
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be >= 1.");
        int aCols = transA ? m : k, bCols = transB ? k : n;
        if (lda < aCols) throw new ArgumentOutOfRangeException(nameof(lda), lda, $"lda = {lda} is less than A's {aCols} columns.");
        if (ldb < bCols) throw new ArgumentOutOfRangeException(nameof(ldb), ldb, $"ldb = {ldb} is less than B's {bCols} columns.");
        if (ldc < n) throw new ArgumentOutOfRangeException(nameof(ldc), ldc, $"ldc = {ldc} is less than n = {n}.");
        return new ColumnMajorGemm(
            transB ? BlasOperation.Transpose : BlasOperation.NonTranspose,
            transA ? BlasOperation.Transpose : BlasOperation.NonTranspose,
            M: n, N: m, K: k, FirstIsB: true, LdFirst: ldb, LdSecond: lda, Ldc: ldc);
    }

    /// <summary>Elements a row-major operand needs: (rows - 1) * ld + cols.</summary>
    public static long RowMajorExtent(long rows, long cols, long ld) => (rows - 1) * ld + cols;
}

/// <summary>A cuBLAS handle bound to a context (cublasCreate_v2), optionally to a stream.</summary>
public sealed unsafe class CudaBlas : IDisposable
{
    private readonly BlasHandle blas;
    private CudaStream? stream;

    public CudaBlas(CudaContext context, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        CudaLibraries.Require(CudaLibrary.Blas);
        Context = context;
        context.MakeCurrent();
        Check(CudaBlasNative.cublasCreate_v2(out IntPtr handle), "cublasCreate_v2");
        blas = new BlasHandle(context.Handle, handle);
        if (stream is not null) Stream = stream;
    }

    public CudaContext Context { get; }

    public IntPtr Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(blas.IsClosed, this);
            return blas.DangerousGetHandle();
        }
    }

    /// <summary>cuBLAS's version (e.g. 120402 = 12.4.2).</summary>
    public int Version
    {
        get
        {
            Check(CudaBlasNative.cublasGetVersion_v2(Handle, out int version), "cublasGetVersion_v2");
            return version;
        }
    }

    /// <summary>The stream the GEMMs are queued on (null: the legacy default stream).</summary>
    public CudaStream? Stream
    {
        get => stream;
        set
        {
            Context.MakeCurrent();
            Check(CudaBlasNative.cublasSetStream_v2(Handle, value?.Handle ?? IntPtr.Zero), "cublasSetStream_v2");
            stream = value;
        }
    }

    /// <summary>Write-only: cublasSetMathMode. Default keeps FP32 exact-ish; Tf32TensorOp trades precision for speed.</summary>
    public BlasMathMode MathMode
    {
        set => Check(CudaBlasNative.cublasSetMathMode(Handle, (int)value), "cublasSetMathMode");
    }

    /// <summary>The raw column-major cublasSgemm_v2 on device pointers.</summary>
    public void Sgemm(BlasOperation opA, BlasOperation opB, int m, int n, int k, float alpha, ulong a, int lda,
        ulong b, int ldb, float beta, ulong c, int ldc)
    {
        Context.MakeCurrent();
        Check(CudaBlasNative.cublasSgemm_v2(Handle, (int)opA, (int)opB, m, n, k, &alpha, (float*)(nint)a, lda,
            (float*)(nint)b, ldb, &beta, (float*)(nint)c, ldc), "cublasSgemm_v2");
    }

    /// <summary>Row-major C (m x n, ldc) = alpha · op(A) · op(B) + beta · C, like <see cref="Kernels.Sgemm"/>;
    /// op(A) is m x k (A is k x m when transposed), op(B) is k x n. Sizes are checked against the variables.</summary>
    public void RowMajorSgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        CudaDeviceVariable<float> a, int lda, CudaDeviceVariable<float> b, int ldb, float beta,
        CudaDeviceVariable<float> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        ColumnMajorGemm g = ColumnMajorGemm.FromRowMajor(transA == Transpose.Yes, transB == Transpose.Yes, m, n, k, lda, ldb, ldc);
        CudaShapeCheck.Fits(a.Length, transA == Transpose.Yes ? k : m, transA == Transpose.Yes ? m : k, lda, nameof(a));
        CudaShapeCheck.Fits(b.Length, transB == Transpose.Yes ? n : k, transB == Transpose.Yes ? k : n, ldb, nameof(b));
        CudaShapeCheck.Fits(c.Length, m, n, ldc, nameof(c));
        Sgemm(g.OpFirst, g.OpSecond, g.M, g.N, g.K, alpha, b.DevicePointer, g.LdFirst, a.DevicePointer, g.LdSecond,
            beta, c.DevicePointer, g.Ldc);
    }

    /// <summary>The raw column-major cublasSgemmStridedBatched.</summary>
    public void SgemmStridedBatched(BlasOperation opA, BlasOperation opB, int m, int n, int k, float alpha,
        ulong a, int lda, long strideA, ulong b, int ldb, long strideB, float beta, ulong c, int ldc, long strideC,
        int batchCount)
    {
        Context.MakeCurrent();
        Check(CudaBlasNative.cublasSgemmStridedBatched(Handle, (int)opA, (int)opB, m, n, k, &alpha, (float*)(nint)a, lda,
            strideA, (float*)(nint)b, ldb, strideB, &beta, (float*)(nint)c, ldc, strideC, batchCount), "cublasSgemmStridedBatched");
    }

    /// <summary>Row-major batched GEMM: for i &lt; batchCount, C_i = alpha · op(A_i) · op(B_i) + beta · C_i, where
    /// X_i starts strideX elements after X_(i-1).</summary>
    public void RowMajorSgemmStridedBatched(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        CudaDeviceVariable<float> a, int lda, long strideA, CudaDeviceVariable<float> b, int ldb, long strideB,
        float beta, CudaDeviceVariable<float> c, int ldc, long strideC, int batchCount)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        if (batchCount < 1) throw new ArgumentOutOfRangeException(nameof(batchCount), batchCount, "batchCount must be >= 1.");
        ColumnMajorGemm g = ColumnMajorGemm.FromRowMajor(transA == Transpose.Yes, transB == Transpose.Yes, m, n, k, lda, ldb, ldc);
        long last = batchCount - 1;
        CudaShapeCheck.FitsAt(a.Length, last * strideA, transA == Transpose.Yes ? k : m, transA == Transpose.Yes ? m : k, lda, nameof(a));
        CudaShapeCheck.FitsAt(b.Length, last * strideB, transB == Transpose.Yes ? n : k, transB == Transpose.Yes ? k : n, ldb, nameof(b));
        CudaShapeCheck.FitsAt(c.Length, last * strideC, m, n, ldc, nameof(c));
        SgemmStridedBatched(g.OpFirst, g.OpSecond, g.M, g.N, g.K, alpha, b.DevicePointer, g.LdFirst, strideB,
            a.DevicePointer, g.LdSecond, strideA, beta, c.DevicePointer, g.Ldc, strideC, batchCount);
    }

    public void Dispose() => blas.Dispose();

    /// <summary>cublasStatus_t names (cublas_api.h; the same numbers in CUDA 11, 12 and 13).</summary>
    public static string StatusName(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"CUBLAS_STATUS_{status}",
    };

    internal static void Check(int status, string call)
    {
        if (status != 0) throw new CudaException("cuBLAS", call, status, StatusName(status));
    }
}
