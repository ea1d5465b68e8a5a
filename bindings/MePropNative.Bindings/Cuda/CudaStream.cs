namespace MePropNative.Bindings.Cuda;

/// <summary>A CUDA stream of a context (cuStreamCreate). Work on one stream runs in order.</summary>
public sealed class CudaStream : IDisposable
{
    /// <summary>CU_STREAM_NON_BLOCKING: does not synchronize with the legacy default stream.</summary>
    public const uint NonBlocking = 1;

    private readonly StreamHandle stream;

    /// <summary>A new stream; <paramref name="flags"/> 0 (default) synchronizes with the legacy default stream, which
    /// keeps synchronous copies (<see cref="CudaDeviceVariable{T}.CopyToHost"/>) ordered after the kernels.</summary>
    public CudaStream(CudaContext context, uint flags = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        Context = context;
        context.MakeCurrent();
        CudaDriver.Check(CudaDriverNative.cuStreamCreate(out IntPtr handle, flags), "cuStreamCreate");
        stream = new StreamHandle(context.Handle, handle);
    }

    public CudaContext Context { get; }

    /// <summary>The CUstream (== cudaStream_t), for libmeprop's launchers, cuBLAS and cuSPARSE.</summary>
    public IntPtr Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(stream.IsClosed, this);
            return stream.DangerousGetHandle();
        }
    }

    /// <summary>Waits for all work queued on the stream; an asynchronous kernel fault surfaces here.</summary>
    public void Synchronize()
    {
        Context.MakeCurrent();
        CudaDriver.Check(CudaDriverNative.cuStreamSynchronize(Handle), "cuStreamSynchronize");
    }

    public void Dispose() => stream.Dispose();
}

/// <summary>A CUDA event (cuEventCreate) for timing work on a stream.</summary>
public sealed class CudaEvent : IDisposable
{
    /// <summary>CU_EVENT_BLOCKING_SYNC: Synchronize sleeps instead of spinning.</summary>
    public const uint BlockingSync = 1;
    /// <summary>CU_EVENT_DISABLE_TIMING: cheaper, but <see cref="ElapsedMilliseconds"/> fails.</summary>
    public const uint DisableTiming = 2;

    private readonly EventHandle cuEvent;

    public CudaEvent(CudaContext context, uint flags = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        Context = context;
        context.MakeCurrent();
        CudaDriver.Check(CudaDriverNative.cuEventCreate(out IntPtr handle, flags), "cuEventCreate");
        cuEvent = new EventHandle(context.Handle, handle);
    }

    public CudaContext Context { get; }

    public IntPtr Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(cuEvent.IsClosed, this);
            return cuEvent.DangerousGetHandle();
        }
    }

    /// <summary>Records the event on <paramref name="stream"/> (null: the legacy default stream).</summary>
    public void Record(CudaStream? stream = null)
    {
        Context.MakeCurrent();
        CudaDriver.Check(CudaDriverNative.cuEventRecord(Handle, stream?.Handle ?? IntPtr.Zero), "cuEventRecord");
    }

    public void Synchronize()
    {
        Context.MakeCurrent();
        CudaDriver.Check(CudaDriverNative.cuEventSynchronize(Handle), "cuEventSynchronize");
    }

    /// <summary>Milliseconds between two recorded, completed events (about 0.5 us resolution).</summary>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        start.Context.MakeCurrent();
        CudaDriver.Check(CudaDriverNative.cuEventElapsedTime(out float ms, start.Handle, end.Handle), "cuEventElapsedTime");
        return ms;
    }

    public void Dispose() => cuEvent.Dispose();
}
