using System.Text;

namespace MePropNative.Bindings.Cuda;

/// <summary>
/// The primary context of one device (the one the CUDA runtime, hence libmeprop's mp_cuda_* kernels, cuBLAS and
/// cuSPARSE use too), retained for the lifetime of this object and of everything allocated in it.
/// A CUDA context is current per thread: every wrapper makes it current before it calls the driver
/// (<see cref="MakeCurrent"/> is cheap), so objects may be used from any thread, one thread at a time.
/// </summary>
public sealed class CudaContext : IDisposable
{
    private readonly PrimaryContextHandle handle;

    /// <summary>Retains the primary context of <paramref name="deviceId"/> and makes it current on this thread.
    /// Throws <see cref="CudaException"/> when CUDA is unavailable (the message says why; check
    /// <see cref="IsAvailable"/> first to fall back to the CPU quietly).</summary>
    public CudaContext(int deviceId = 0)
    {
        if (!CudaDriver.TryInitialize(out string reason))
            throw new CudaException("CUDA driver", "cuInit", -1, "CUDA_UNAVAILABLE", reason);
        int count = CudaDriver.DeviceCount;
        if (deviceId < 0 || deviceId >= count)
            throw new ArgumentOutOfRangeException(nameof(deviceId), deviceId, $"device {deviceId} does not exist ({count} visible).");
        CudaDriver.Check(CudaDriverNative.cuDeviceGet(out int device, deviceId), "cuDeviceGet");
        CudaDriver.Check(CudaDriverNative.cuDevicePrimaryCtxRetain(out IntPtr context, device), "cuDevicePrimaryCtxRetain");
        handle = new PrimaryContextHandle(context, device);
        DeviceId = deviceId;
        MakeCurrent();
        DeviceName = ReadName(device);
        ComputeCapability = new Version(Attribute(CudaDeviceAttribute.ComputeCapabilityMajor),
                                        Attribute(CudaDeviceAttribute.ComputeCapabilityMinor));
        MultiprocessorCount = Attribute(CudaDeviceAttribute.MultiprocessorCount);
        CudaDriver.Check(CudaDriverNative.cuDeviceTotalMem_v2(out nuint bytes, device), "cuDeviceTotalMem_v2");
        TotalMemoryBytes = (long)bytes;
    }

    /// <summary>True when a CUDA device can be used; otherwise false with a sentence saying why (no driver library,
    /// cuInit's error, no device). Never throws.</summary>
    public static bool IsAvailable(out string reason)
    {
        try
        {
            return CudaDriver.TryInitialize(out reason);
        }
        catch (Exception e)
        {
            reason = $"CUDA probe failed: {e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    /// <summary>Devices visible to the driver (0 without CUDA).</summary>
    public static int DeviceCount => CudaDriver.DeviceCount;

    public int DeviceId { get; }
    public string DeviceName { get; }
    public Version ComputeCapability { get; }
    public int MultiprocessorCount { get; }
    public long TotalMemoryBytes { get; }

    /// <summary>Free and total device memory now (cuMemGetInfo).</summary>
    public (long Free, long Total) MemoryInfo
    {
        get
        {
            MakeCurrent();
            CudaDriver.Check(CudaDriverNative.cuMemGetInfo_v2(out nuint free, out nuint total), "cuMemGetInfo_v2");
            return ((long)free, (long)total);
        }
    }

    /// <summary>"NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB)".</summary>
    public override string ToString() =>
        $"{DeviceName} (sm_{ComputeCapability.Major}{ComputeCapability.Minor}, {MultiprocessorCount} SMs, " +
        $"{TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB)";

    internal PrimaryContextHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle;
        }
    }

    /// <summary>Makes this context current on the calling thread (cuCtxSetCurrent).</summary>
    public void MakeCurrent() => CudaDriver.Check(CudaDriverNative.cuCtxSetCurrent(Handle.DangerousGetHandle()), "cuCtxSetCurrent");

    /// <summary>Waits until all work in the context is done; an asynchronous kernel fault surfaces here.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        CudaDriver.Check(CudaDriverNative.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /// <summary>Allocates <paramref name="length"/> elements of device memory in this context.</summary>
    public CudaDeviceVariable<T> Allocate<T>(long length) where T : unmanaged => new(this, length);

    /// <summary>Allocates device memory and copies <paramref name="source"/> into it.</summary>
    public CudaDeviceVariable<T> Upload<T>(ReadOnlySpan<T> source) where T : unmanaged
    {
        var variable = new CudaDeviceVariable<T>(this, source.Length);
        variable.CopyToDevice(source);
        return variable;
    }

    public void Dispose() => handle.Dispose();

    private int Attribute(CudaDeviceAttribute attribute)
    {
        CudaDriver.Check(CudaDriverNative.cuDeviceGetAttribute(out int value, (int)attribute, handle.Device), "cuDeviceGetAttribute");
        return value;
    }

    private static unsafe string ReadName(int device)
    {
        byte* buffer = stackalloc byte[256];
        CudaDriver.Check(CudaDriverNative.cuDeviceGetName(buffer, 256, device), "cuDeviceGetName");
        int length = 0;
        while (length < 256 && buffer[length] != 0) length++;
        return Encoding.UTF8.GetString(buffer, length);
    }
}
