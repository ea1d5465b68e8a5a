using System.Runtime.InteropServices;

namespace MePropNative.Bindings;

/// <summary>The raw C ABI of libmeprop (native/include/meprop.h), one-to-one. Use <see cref="Kernels"/> instead.</summary>
internal static unsafe partial class NativeMethods
{
    private const string Lib = NativeLibraryResolver.LibraryName;

    [LibraryImport(Lib)] private static partial byte* mp_last_error();
    [LibraryImport(Lib)] private static partial byte* mp_build_info();
    [LibraryImport(Lib)] internal static partial int mp_abi_version();
    [LibraryImport(Lib)] internal static partial uint mp_cpu_features();
    [LibraryImport(Lib)] internal static partial int mp_set_isa(int isa);
    [LibraryImport(Lib)] internal static partial int mp_get_isa();
    [LibraryImport(Lib)] internal static partial int mp_set_num_threads(int threads);
    [LibraryImport(Lib)] internal static partial int mp_get_num_threads();
    [LibraryImport(Lib)] internal static partial int mp_cuda_device_count();

    internal static string LastError() => Marshal.PtrToStringUTF8((IntPtr)mp_last_error()) ?? "";
    internal static string BuildInfo() => Marshal.PtrToStringUTF8((IntPtr)mp_build_info()) ?? "";

    [LibraryImport(Lib)] internal static partial int mp_topk_abs_rows_workspace_size(long n, long k, out long bytes);
    [LibraryImport(Lib)]
    internal static partial int mp_topk_abs_rows_f32(float* x, long rows, long n, long ldx, long k,
        int* idx, long ldi, float* val, long ldv, void* workspace, long workspaceBytes);

    [LibraryImport(Lib)] internal static partial int mp_topk_abs_unified_workspace_size(long rows, long n, long k, out long bytes);
    [LibraryImport(Lib)]
    internal static partial int mp_topk_abs_unified_f32(float* x, long rows, long n, long ldx, long k,
        int* idx, float* colAbsSums, void* workspace, long workspaceBytes);

    [LibraryImport(Lib)]
    internal static partial int mp_topk_abs_per_map_workspace_size(long batch, long positions, long channels, long k, out long bytes);
    [LibraryImport(Lib)]
    internal static partial int mp_topk_abs_per_map_f32(float* dy, long batch, long positions, long channels, long lddy, long k,
        float* running, float decay, int* idx, long ldi, float* val, long ldv, void* workspace, long workspaceBytes);

    [LibraryImport(Lib)]
    internal static partial int mp_conv_sparse_dw_f32(ConvShape* geometry, long batch, long channels, long k, int* idx, long ldi,
        float* val, long ldv, float* x, long ldx, float* dw, long lddw, int accumulate);
    [LibraryImport(Lib)]
    internal static partial int mp_conv_sparse_dx_f32(ConvShape* geometry, long batch, long channels, long k, int* idx, long ldi,
        float* val, long ldv, float* w, long ldw, float* dx, long lddx);

    [LibraryImport(Lib)] internal static partial int mp_randk_workspace_size(long n, long k, out long bytes);
    [LibraryImport(Lib)]
    internal static partial int mp_randk_rows(long rows, long n, long k, ulong seed, long firstRow,
        int* idx, long ldi, void* workspace, long workspaceBytes);
    [LibraryImport(Lib)]
    internal static partial int mp_randk_unified(long n, long k, ulong seed, int* idx, void* workspace, long workspaceBytes);

    [LibraryImport(Lib)]
    internal static partial int mp_gather_cols_f32(float* src, long rows, long cols, long lds, int* idx, long k,
        float* dst, long ldd);
    [LibraryImport(Lib)]
    internal static partial int mp_gather_cols_rows_f32(float* src, long rows, long cols, long lds, int* idx, long ldi,
        long k, float* dst, long ldd);
    [LibraryImport(Lib)]
    internal static partial int mp_gather_rows_f32(float* src, long srcRows, long cols, long lds, int* idx, long k,
        float* dst, long ldd);
    [LibraryImport(Lib)]
    internal static partial int mp_scatter_add_rows_f32(float* src, long k, long cols, long lds, int* idx, float alpha,
        float* dst, long dstRows, long ldd);
    [LibraryImport(Lib)]
    internal static partial int mp_scatter_cols_f32(float* src, long rows, long k, long lds, int* idx,
        float* dst, long cols, long ldd);
    [LibraryImport(Lib)]
    internal static partial int mp_col_sums_f32(float* x, long rows, long cols, long ldx, float* output, int accumulate);
    [LibraryImport(Lib)]
    internal static partial int mp_col_abs_sums_f32(float* x, long rows, long cols, long ldx, float* output);

    [LibraryImport(Lib)]
    internal static partial int mp_sparse_backward_dx_f32(long batch, long n, long m, long k, int* idx, long ldi,
        float* val, long ldv, float* w, long ldw, float* dx, long lddx);
    [LibraryImport(Lib)]
    internal static partial int mp_sparse_backward_dw_f32(long batch, long n, long m, long k, int* idx, long ldi,
        float* val, long ldv, float* x, long ldx, float* dw, long lddw);
    [LibraryImport(Lib)]
    internal static partial int mp_sparse_backward_dw_workspace_size(long batch, long n, long k, out long bytes);
    [LibraryImport(Lib)]
    internal static partial int mp_sparse_backward_f32(long batch, long n, long m, long k, int* idx, long ldi, float* val, long ldv,
        float* w, long ldw, float* dx, long lddx, float* x, long ldx, float* dw, long lddw, byte* workspace, long workspaceBytes);

    [LibraryImport(Lib)]
    internal static partial int mp_adam_step_f32(float* w, float* g, float* m, float* v, long n, float stepSize, float beta1,
        float beta2, float eps, float gradScale, float l2, float clip);
    [LibraryImport(Lib)]
    internal static partial int mp_adagrad_step_f32(float* w, float* g, float* h, long n, float lr, float eps, float gradScale,
        float l2, float clip);
    [LibraryImport(Lib)]
    internal static partial int mp_sgd_step_f32(float* w, float* g, float* velocity, long n, float lr, float momentum,
        float gradScale, float l2, float clip);

    [LibraryImport(Lib)]
    internal static partial int mp_sgemm_f32(int transA, int transB, long m, long n, long k, float alpha,
        float* a, long lda, float* b, long ldb, float beta, float* c, long ldc);

    [LibraryImport(Lib)]
    internal static partial int mp_sgemm_pack_b_size(long n, long k, long* floats);

    [LibraryImport(Lib)]
    internal static partial int mp_sgemm_pack_b_f32(int transB, long n, long k, float* b, long ldb, float* packed, long packedFloats);

    [LibraryImport(Lib)]
    internal static partial int mp_sgemm_packed_f32(int transA, long m, long n, long k, float alpha, float* a, long lda,
        float* packed, long packedFloats, float beta, float* c, long ldc);
}
