using System.Runtime.InteropServices;

namespace MePropNative.Bindings;

/// <summary>The CUDA part of libmeprop's C ABI (the mp_cuda_* section of meprop.h), one-to-one. Pointers are device
/// pointers; streams are CUstream / cudaStream_t. Use <see cref="Cuda.CudaKernels"/> instead.</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial int mp_cuda_set_device(int device);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_device_info(int device, byte* name, long nameBytes, out int ccMajor, out int ccMinor,
        out long totalBytes);
    [LibraryImport(Lib)] internal static partial int mp_cuda_versions(out int runtimeVersion, out int driverVersion);
    [LibraryImport(Lib)] internal static partial int mp_cuda_synchronize(IntPtr stream);

    [LibraryImport(Lib)]
    internal static partial int mp_cuda_fill_f32(float* x, long rows, long cols, long ldx, float value, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_col_sums_f32(float* x, long rows, long cols, long ldx, float* output, int accumulate,
        IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_col_abs_sums_f32(float* x, long rows, long cols, long ldx, float* output, IntPtr stream);

    [LibraryImport(Lib)] internal static partial int mp_cuda_topk_abs_rows_workspace_size(long rows, long n, long k, out long bytes);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_topk_abs_rows_f32(float* x, long rows, long n, long ldx, long k, int* idx, long ldi,
        float* val, long ldv, void* workspace, long workspaceBytes, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int mp_cuda_topk_abs_unified_workspace_size(long rows, long n, long k, out long bytes);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_topk_abs_unified_f32(float* x, long rows, long n, long ldx, long k, int* idx,
        float* colAbsSums, void* workspace, long workspaceBytes, IntPtr stream);

    [LibraryImport(Lib)] internal static partial int mp_cuda_randk_workspace_size(long rows, long n, long k, out long bytes);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_randk_rows(long rows, long n, long k, ulong seed, long firstRow, int* idx, long ldi,
        void* workspace, long workspaceBytes, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_randk_unified(long n, long k, ulong seed, int* idx, void* workspace, long workspaceBytes,
        IntPtr stream);

    [LibraryImport(Lib)]
    internal static partial int mp_cuda_msbp_apply_f32(float* dy, long rows, long n, long lddy, float* mem, long ldm, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_msbp_update_f32(float* g, long rows, long n, long ldg, int* idx, long ldi, long k,
        float ratio, float* mem, long ldm, IntPtr stream);

    [LibraryImport(Lib)]
    internal static partial int mp_cuda_gather_cols_f32(float* src, long rows, long cols, long lds, int* idx, long k,
        float* dst, long ldd, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_gather_cols_rows_f32(float* src, long rows, long cols, long lds, int* idx, long ldi,
        long k, float* dst, long ldd, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_gather_rows_f32(float* src, long srcRows, long cols, long lds, int* idx, long k,
        float* dst, long ldd, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_scatter_add_rows_f32(float* src, long k, long cols, long lds, int* idx, float alpha,
        float* dst, long dstRows, long ldd, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_scatter_cols_f32(float* src, long rows, long k, long lds, int* idx, float* dst,
        long cols, long ldd, IntPtr stream);

    [LibraryImport(Lib)]
    internal static partial int mp_cuda_sparse_backward_dx_f32(long batch, long n, long m, long k, int* idx, long ldi,
        float* val, long ldv, float* w, long ldw, float* dx, long lddx, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_sparse_backward_dw_workspace_size(long batch, long n, long k, int algo, out long bytes);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_sparse_backward_dw_f32(long batch, long n, long m, long k, int* idx, long ldi,
        float* val, long ldv, float* x, long ldx, float* dw, long lddw, int algo, void* workspace, long workspaceBytes,
        IntPtr stream);
}
