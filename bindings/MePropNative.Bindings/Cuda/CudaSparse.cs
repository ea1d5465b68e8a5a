using System.Runtime.InteropServices;

namespace MePropNative.Bindings.Cuda;

/// <summary>cuSPARSE generic API entry points (cusparse.h). Descriptors and handles are IntPtr; sizes are int64.</summary>
internal static unsafe partial class CudaSparseNative
{
    private const string Lib = CudaLibraries.SparseName;

    [LibraryImport(Lib)] internal static partial int cusparseCreate(out IntPtr handle);
    [LibraryImport(Lib)] internal static partial int cusparseDestroy(IntPtr handle);
    [LibraryImport(Lib)] internal static partial int cusparseGetVersion(IntPtr handle, out int version);
    [LibraryImport(Lib)] internal static partial int cusparseSetStream(IntPtr handle, IntPtr stream);

    [LibraryImport(Lib)]
    internal static partial int cusparseCreateCsr(out IntPtr descriptor, long rows, long cols, long nnz,
        void* rowOffsets, void* columnIndices, void* values, int rowOffsetsType, int columnIndicesType, int indexBase,
        int valueType);
    [LibraryImport(Lib)] internal static partial int cusparseDestroySpMat(IntPtr descriptor);

    [LibraryImport(Lib)]
    internal static partial int cusparseCreateDnMat(out IntPtr descriptor, long rows, long cols, long ld, void* values,
        int valueType, int order);
    [LibraryImport(Lib)] internal static partial int cusparseDestroyDnMat(IntPtr descriptor);

    [LibraryImport(Lib)]
    internal static partial int cusparseSpMM_bufferSize(IntPtr handle, int opA, int opB, void* alpha, IntPtr matA,
        IntPtr matB, void* beta, IntPtr matC, int computeType, int algorithm, out nuint bufferSize);
    [LibraryImport(Lib)]
    internal static partial int cusparseSpMM(IntPtr handle, int opA, int opB, void* alpha, IntPtr matA, IntPtr matB,
        void* beta, IntPtr matC, int computeType, int algorithm, void* externalBuffer);
}

/// <summary>cusparseOperation_t.</summary>
public enum SparseOperation { NonTranspose = 0, Transpose = 1, ConjugateTranspose = 2 }

/// <summary>cusparseIndexType_t (16-bit unsigned = 1 is not used by CSR).</summary>
public enum SparseIndexType { Int32 = 2, Int64 = 3 }

/// <summary>cusparseOrder_t (dense matrix layout).</summary>
public enum DenseOrder { ColumnMajor = 1, RowMajor = 2 }

/// <summary>cudaDataType (library_types.h), the ones used here.</summary>
public enum CudaDataType { R32F = 0, R64F = 1, R16F = 2, R32I = 10 }

/// <summary>cusparseSpMMAlg_t (CUDA 11.2+ names; the same numbers in 12 and 13).</summary>
public enum SpMMAlgorithm { Default = 0, CooAlg1 = 1, CooAlg2 = 2, CooAlg3 = 3, CsrAlg1 = 4, CooAlg4 = 5, CsrAlg2 = 6, CsrAlg3 = 12, BlockedEllAlg1 = 13 }

/// <summary>A CSR matrix descriptor over device arrays (32-bit indices, zero-based, float values). The arrays are
/// not owned: keep them alive while the descriptor is used.</summary>
public sealed unsafe class SparseCsrMatrix : IDisposable
{
    private readonly SparseMatrixDescriptorHandle descriptor;

    public SparseCsrMatrix(long rows, long cols, long nnz, CudaDeviceVariable<int> rowOffsets,
        CudaDeviceVariable<int> columnIndices, CudaDeviceVariable<float> values)
    {
        ArgumentNullException.ThrowIfNull(rowOffsets);
        ArgumentNullException.ThrowIfNull(columnIndices);
        ArgumentNullException.ThrowIfNull(values);
        CudaShapeCheck.Positive(rows, nameof(rows));
        CudaShapeCheck.Positive(cols, nameof(cols));
        if (nnz < 0) throw new ArgumentOutOfRangeException(nameof(nnz), nnz, "nnz must be >= 0.");
        CudaShapeCheck.Length(rowOffsets.Length, rows + 1, nameof(rowOffsets));
        CudaShapeCheck.Length(columnIndices.Length, nnz, nameof(columnIndices));
        CudaShapeCheck.Length(values.Length, nnz, nameof(values));
        CudaLibraries.Require(CudaLibrary.Sparse);
        rowOffsets.Context.MakeCurrent();
        CudaSparse.Check(CudaSparseNative.cusparseCreateCsr(out IntPtr handle, rows, cols, nnz, rowOffsets.Pointer,
            columnIndices.Pointer, values.Pointer, (int)SparseIndexType.Int32, (int)SparseIndexType.Int32, 0,
            (int)CudaDataType.R32F), "cusparseCreateCsr");
        descriptor = new SparseMatrixDescriptorHandle(handle);
        Rows = rows;
        Cols = cols;
    }

    /// <summary>The same over raw device addresses (views into larger allocations; the caller guarantees the sizes:
    /// rows + 1 offsets, nnz column indices and values) in <paramref name="context"/>.</summary>
    public SparseCsrMatrix(CudaContext context, long rows, long cols, long nnz, ulong rowOffsets, ulong columnIndices, ulong values)
    {
        ArgumentNullException.ThrowIfNull(context);
        CudaShapeCheck.Positive(rows, nameof(rows));
        CudaShapeCheck.Positive(cols, nameof(cols));
        if (nnz < 0) throw new ArgumentOutOfRangeException(nameof(nnz), nnz, "nnz must be >= 0.");
        if (rowOffsets == 0 || (nnz > 0 && (columnIndices == 0 || values == 0)))
            throw new ArgumentException("a CSR matrix needs its row offsets, column indices and values.");
        CudaLibraries.Require(CudaLibrary.Sparse);
        context.MakeCurrent();
        CudaSparse.Check(CudaSparseNative.cusparseCreateCsr(out IntPtr handle, rows, cols, nnz, (void*)(nint)rowOffsets,
            (void*)(nint)columnIndices, (void*)(nint)values, (int)SparseIndexType.Int32, (int)SparseIndexType.Int32, 0,
            (int)CudaDataType.R32F), "cusparseCreateCsr");
        descriptor = new SparseMatrixDescriptorHandle(handle);
        Rows = rows;
        Cols = cols;
    }

    public long Rows { get; }
    public long Cols { get; }

    internal IntPtr Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(descriptor.IsClosed, this);
            return descriptor.DangerousGetHandle();
        }
    }

    public void Dispose() => descriptor.Dispose();
}

/// <summary>A dense matrix descriptor over a device variable (float; row-major by default, like the rest of the
/// project). Not owning.</summary>
public sealed unsafe class DenseMatrix : IDisposable
{
    private readonly DenseMatrixDescriptorHandle descriptor;

    public DenseMatrix(long rows, long cols, long ld, CudaDeviceVariable<float> values, DenseOrder order = DenseOrder.RowMajor)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (order == DenseOrder.RowMajor) CudaShapeCheck.Fits(values.Length, rows, cols, ld, nameof(values));
        else CudaShapeCheck.Fits(values.Length, cols, rows, ld, nameof(values));
        CudaLibraries.Require(CudaLibrary.Sparse);
        values.Context.MakeCurrent();
        CudaSparse.Check(CudaSparseNative.cusparseCreateDnMat(out IntPtr handle, rows, cols, ld, values.Pointer,
            (int)CudaDataType.R32F, (int)order), "cusparseCreateDnMat");
        descriptor = new DenseMatrixDescriptorHandle(handle);
        Rows = rows;
        Cols = cols;
    }

    /// <summary>The same over a raw device address (a view: the caller guarantees the extent) in <paramref name="context"/>.</summary>
    public DenseMatrix(CudaContext context, long rows, long cols, long ld, ulong values, DenseOrder order = DenseOrder.RowMajor)
    {
        ArgumentNullException.ThrowIfNull(context);
        CudaShapeCheck.Positive(rows, nameof(rows));
        CudaShapeCheck.Positive(cols, nameof(cols));
        if (ld < (order == DenseOrder.RowMajor ? cols : rows)) throw new ArgumentOutOfRangeException(nameof(ld), ld, "ld is too small.");
        if (values == 0) throw new ArgumentException("values is a null device pointer.", nameof(values));
        CudaLibraries.Require(CudaLibrary.Sparse);
        context.MakeCurrent();
        CudaSparse.Check(CudaSparseNative.cusparseCreateDnMat(out IntPtr handle, rows, cols, ld, (void*)(nint)values,
            (int)CudaDataType.R32F, (int)order), "cusparseCreateDnMat");
        descriptor = new DenseMatrixDescriptorHandle(handle);
        Rows = rows;
        Cols = cols;
    }

    public long Rows { get; }
    public long Cols { get; }

    internal IntPtr Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(descriptor.IsClosed, this);
            return descriptor.DangerousGetHandle();
        }
    }

    public void Dispose() => descriptor.Dispose();
}

/// <summary>A cuSPARSE handle bound to a context (cusparseCreate), optionally to a stream.
/// Sparse x dense products: C = alpha · op(A) · op(B) + beta · C with <see cref="SpMM"/>.</summary>
public sealed unsafe class CudaSparse : IDisposable
{
    private readonly SparseHandle sparse;
    private CudaStream? stream;

    public CudaSparse(CudaContext context, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        CudaLibraries.Require(CudaLibrary.Sparse);
        Context = context;
        context.MakeCurrent();
        Check(CudaSparseNative.cusparseCreate(out IntPtr handle), "cusparseCreate");
        sparse = new SparseHandle(context.Handle, handle);
        if (stream is not null) Stream = stream;
    }

    public CudaContext Context { get; }

    public IntPtr Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(sparse.IsClosed, this);
            return sparse.DangerousGetHandle();
        }
    }

    public int Version
    {
        get
        {
            Check(CudaSparseNative.cusparseGetVersion(Handle, out int version), "cusparseGetVersion");
            return version;
        }
    }

    public CudaStream? Stream
    {
        get => stream;
        set
        {
            Context.MakeCurrent();
            Check(CudaSparseNative.cusparseSetStream(Handle, value?.Handle ?? IntPtr.Zero), "cusparseSetStream");
            stream = value;
        }
    }

    /// <summary>Bytes of device workspace <see cref="SpMM"/> needs for these operands.</summary>
    public long SpMMBufferSize(SparseOperation opA, SparseOperation opB, float alpha, SparseCsrMatrix a, DenseMatrix b,
        float beta, DenseMatrix c, SpMMAlgorithm algorithm = SpMMAlgorithm.Default)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        Context.MakeCurrent();
        Check(CudaSparseNative.cusparseSpMM_bufferSize(Handle, (int)opA, (int)opB, &alpha, a.Handle, b.Handle, &beta,
            c.Handle, (int)CudaDataType.R32F, (int)algorithm, out nuint bytes), "cusparseSpMM_bufferSize");
        return (long)bytes;
    }

    /// <summary>C = alpha · op(A) · op(B) + beta · C (FP32). <paramref name="buffer"/> holds at least
    /// <see cref="SpMMBufferSize"/> bytes (may be null when that is 0).</summary>
    public void SpMM(SparseOperation opA, SparseOperation opB, float alpha, SparseCsrMatrix a, DenseMatrix b,
        float beta, DenseMatrix c, CudaDeviceVariable<byte>? buffer, SpMMAlgorithm algorithm = SpMMAlgorithm.Default)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        long aRows = opA == SparseOperation.NonTranspose ? a.Rows : a.Cols, aCols = opA == SparseOperation.NonTranspose ? a.Cols : a.Rows;
        long bRows = opB == SparseOperation.NonTranspose ? b.Rows : b.Cols, bCols = opB == SparseOperation.NonTranspose ? b.Cols : b.Rows;
        if (aCols != bRows || c.Rows != aRows || c.Cols != bCols)
            throw new ArgumentException($"SpMM shapes do not agree: op(A) {aRows}x{aCols}, op(B) {bRows}x{bCols}, C {c.Rows}x{c.Cols}.");
        Context.MakeCurrent();
        Check(CudaSparseNative.cusparseSpMM(Handle, (int)opA, (int)opB, &alpha, a.Handle, b.Handle, &beta, c.Handle,
            (int)CudaDataType.R32F, (int)algorithm, buffer is null ? null : buffer.Pointer), "cusparseSpMM");
    }

    /// <summary><see cref="SpMM"/> with a raw device address for the workspace (0 when none is needed).</summary>
    public void SpMM(SparseOperation opA, SparseOperation opB, float alpha, SparseCsrMatrix a, DenseMatrix b,
        float beta, DenseMatrix c, ulong buffer, SpMMAlgorithm algorithm = SpMMAlgorithm.Default)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        Context.MakeCurrent();
        Check(CudaSparseNative.cusparseSpMM(Handle, (int)opA, (int)opB, &alpha, a.Handle, b.Handle, &beta, c.Handle,
            (int)CudaDataType.R32F, (int)algorithm, (void*)(nint)buffer), "cusparseSpMM");
    }

    public void Dispose() => sparse.Dispose();

    /// <summary>cusparseStatus_t names (cusparse.h; the same numbers in CUDA 11, 12 and 13).</summary>
    public static string StatusName(int status) => status switch
    {
        0 => "CUSPARSE_STATUS_SUCCESS",
        1 => "CUSPARSE_STATUS_NOT_INITIALIZED",
        2 => "CUSPARSE_STATUS_ALLOC_FAILED",
        3 => "CUSPARSE_STATUS_INVALID_VALUE",
        4 => "CUSPARSE_STATUS_ARCH_MISMATCH",
        5 => "CUSPARSE_STATUS_MAPPING_ERROR",
        6 => "CUSPARSE_STATUS_EXECUTION_FAILED",
        7 => "CUSPARSE_STATUS_INTERNAL_ERROR",
        8 => "CUSPARSE_STATUS_MATRIX_TYPE_NOT_SUPPORTED",
        9 => "CUSPARSE_STATUS_ZERO_PIVOT",
        10 => "CUSPARSE_STATUS_NOT_SUPPORTED",
        11 => "CUSPARSE_STATUS_INSUFFICIENT_RESOURCES",
        _ => $"CUSPARSE_STATUS_{status}",
    };

    internal static void Check(int status, string call)
    {
        if (status != 0) throw new CudaException("cuSPARSE", call, status, StatusName(status));
    }
}
