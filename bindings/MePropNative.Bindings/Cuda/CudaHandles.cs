using System.Runtime.InteropServices;

namespace MePropNative.Bindings.Cuda;

/// <summary>A retained primary context; released (cuDevicePrimaryCtxRelease) when the last user lets go.</summary>
internal sealed class PrimaryContextHandle : SafeHandle
{
    public PrimaryContextHandle(IntPtr context, int device) : base(IntPtr.Zero, ownsHandle: true)
    {
        Device = device;
        SetHandle(context);
    }

    public int Device { get; }
    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => CudaDriverNative.cuDevicePrimaryCtxRelease_v2(Device) == CudaDriver.Success;
}

/// <summary>
/// Base of the handles that live in a context (memory, streams, events, library handles): keeps the context
/// retained while they exist, and makes it current around the release (a finalizer thread has no current context).
/// </summary>
internal abstract class ContextBoundHandle : SafeHandle
{
    private readonly PrimaryContextHandle context;
    private readonly bool addedRef;

    protected ContextBoundHandle(PrimaryContextHandle context) : base(IntPtr.Zero, ownsHandle: true)
    {
        this.context = context;
        bool success = false;
        context.DangerousAddRef(ref success);
        addedRef = success;
    }

    protected IntPtr ContextPointer => context.DangerousGetHandle();

    protected sealed override bool ReleaseHandle()
    {
        bool ok = false;
        try
        {
            bool pushed = CudaDriverNative.cuCtxPushCurrent_v2(ContextPointer) == CudaDriver.Success;
            ok = Release();
            if (pushed) CudaDriverNative.cuCtxPopCurrent_v2(out _);
        }
        finally
        {
            if (addedRef) context.DangerousRelease();
        }
        return ok;
    }

    /// <summary>Frees the native object; the owning context is current.</summary>
    protected abstract bool Release();
}

internal sealed class DeviceMemoryHandle : ContextBoundHandle
{
    public DeviceMemoryHandle(PrimaryContextHandle context, ulong pointer) : base(context) => SetHandle((IntPtr)(long)pointer);
    public override bool IsInvalid => handle == IntPtr.Zero;
    public ulong Pointer => (ulong)(long)handle;
    protected override bool Release() => CudaDriverNative.cuMemFree_v2(Pointer) == CudaDriver.Success;
}

internal sealed class StreamHandle : ContextBoundHandle
{
    public StreamHandle(PrimaryContextHandle context, IntPtr stream) : base(context) => SetHandle(stream);
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool Release() => CudaDriverNative.cuStreamDestroy_v2(handle) == CudaDriver.Success;
}

internal sealed class EventHandle : ContextBoundHandle
{
    public EventHandle(PrimaryContextHandle context, IntPtr cuEvent) : base(context) => SetHandle(cuEvent);
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool Release() => CudaDriverNative.cuEventDestroy_v2(handle) == CudaDriver.Success;
}

internal sealed class BlasHandle : ContextBoundHandle
{
    public BlasHandle(PrimaryContextHandle context, IntPtr blas) : base(context) => SetHandle(blas);
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool Release() => CudaBlasNative.cublasDestroy_v2(handle) == 0;
}

internal sealed class SparseHandle : ContextBoundHandle
{
    public SparseHandle(PrimaryContextHandle context, IntPtr sparse) : base(context) => SetHandle(sparse);
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool Release() => CudaSparseNative.cusparseDestroy(handle) == 0;
}

internal sealed class SparseMatrixDescriptorHandle : SafeHandle
{
    public SparseMatrixDescriptorHandle(IntPtr descriptor) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(descriptor);
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => CudaSparseNative.cusparseDestroySpMat(handle) == 0;
}

internal sealed class DenseMatrixDescriptorHandle : SafeHandle
{
    public DenseMatrixDescriptorHandle(IntPtr descriptor) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(descriptor);
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => CudaSparseNative.cusparseDestroyDnMat(handle) == 0;
}
