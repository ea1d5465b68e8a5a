using System.Runtime.InteropServices;

namespace MePropNative.Bindings.Cuda;

/// <summary>
/// The CUDA driver API subset the bindings use (cuda.h), one-to-one, with the versioned entry points the
/// header's macros map to (cuMemAlloc -> cuMemAlloc_v2, ...). CUdeviceptr is <see cref="ulong"/>; contexts, streams
/// and events are <see cref="IntPtr"/>. Every function returns a CUresult (0 = CUDA_SUCCESS).
/// </summary>
internal static unsafe partial class CudaDriverNative
{
    private const string Lib = CudaLibraries.DriverName;

    [LibraryImport(Lib)] internal static partial int cuInit(uint flags);
    [LibraryImport(Lib)] internal static partial int cuDriverGetVersion(out int version);
    [LibraryImport(Lib)] internal static partial int cuGetErrorName(int error, out IntPtr name);
    [LibraryImport(Lib)] internal static partial int cuGetErrorString(int error, out IntPtr description);

    [LibraryImport(Lib)] internal static partial int cuDeviceGetCount(out int count);
    [LibraryImport(Lib)] internal static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(Lib)] internal static partial int cuDeviceTotalMem_v2(out nuint bytes, int device);

    [LibraryImport(Lib)] internal static partial int cuDevicePrimaryCtxRetain(out IntPtr context, int device);
    [LibraryImport(Lib)] internal static partial int cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(Lib)] internal static partial int cuCtxSetCurrent(IntPtr context);
    [LibraryImport(Lib)] internal static partial int cuCtxGetCurrent(out IntPtr context);
    [LibraryImport(Lib)] internal static partial int cuCtxPushCurrent_v2(IntPtr context);
    [LibraryImport(Lib)] internal static partial int cuCtxPopCurrent_v2(out IntPtr context);
    [LibraryImport(Lib)] internal static partial int cuCtxSynchronize();
    [LibraryImport(Lib)] internal static partial int cuMemGetInfo_v2(out nuint free, out nuint total);

    [LibraryImport(Lib)] internal static partial int cuMemAlloc_v2(out ulong pointer, nuint bytes);
    [LibraryImport(Lib)] internal static partial int cuMemFree_v2(ulong pointer);
    [LibraryImport(Lib)] internal static partial int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);
    [LibraryImport(Lib)] internal static partial int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);
    [LibraryImport(Lib)] internal static partial int cuMemcpyDtoD_v2(ulong destination, ulong source, nuint bytes);
    [LibraryImport(Lib)] internal static partial int cuMemsetD32_v2(ulong destination, uint value, nuint count);
    [LibraryImport(Lib)] internal static partial int cuMemcpyHtoDAsync_v2(ulong destination, void* source, nuint bytes, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuMemcpyDtoHAsync_v2(void* destination, ulong source, nuint bytes, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuMemcpyDtoDAsync_v2(ulong destination, ulong source, nuint bytes, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuMemsetD32Async(ulong destination, uint value, nuint count, IntPtr stream);

    [LibraryImport(Lib)] internal static partial int cuStreamCreate(out IntPtr stream, uint flags);
    [LibraryImport(Lib)] internal static partial int cuStreamDestroy_v2(IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuStreamSynchronize(IntPtr stream);

    [LibraryImport(Lib)] internal static partial int cuEventCreate(out IntPtr cuEvent, uint flags);
    [LibraryImport(Lib)] internal static partial int cuEventRecord(IntPtr cuEvent, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuEventSynchronize(IntPtr cuEvent);
    [LibraryImport(Lib)] internal static partial int cuEventElapsedTime(out float milliseconds, IntPtr start, IntPtr end);
    [LibraryImport(Lib)] internal static partial int cuEventDestroy_v2(IntPtr cuEvent);
}

/// <summary>Device attributes (CUdevice_attribute) the bindings read.</summary>
public enum CudaDeviceAttribute
{
    MaxThreadsPerBlock = 1,
    MultiprocessorCount = 16,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
}

/// <summary>Process-wide facts of the CUDA driver, and the status check every driver call goes through.</summary>
public static class CudaDriver
{
    public const int Success = 0;

    private static readonly object Gate = new();
    private static int initStatus = int.MinValue; // not tried yet
    private static string initFailure = "";

    /// <summary>Loads the driver library and runs cuInit once. False (with the reason) when there is no driver
    /// library, cuInit fails (no device, no kernel module, a driver too old), or no device is visible.</summary>
    public static bool TryInitialize(out string reason)
    {
        lock (Gate)
        {
            if (initStatus == int.MinValue) (initStatus, initFailure) = Initialize();
            reason = initFailure;
            return initStatus == Success;
        }
    }

    private static (int, string) Initialize()
    {
        if (!CudaLibraries.TryLoad(CudaLibrary.Driver, out _, out string notFound))
            return (-1, $"no NVIDIA driver: {notFound}");
        try
        {
            int status = CudaDriverNative.cuInit(0);
            if (status != Success)
                return (status, $"cuInit failed: {ErrorName(status)} ({status}): {ErrorDescription(status)} " +
                                "(a driver library is installed but no usable GPU: no device, no kernel module, or a driver too old)");
            status = CudaDriverNative.cuDeviceGetCount(out int count);
            if (status != Success) return (status, $"cuDeviceGetCount failed: {ErrorName(status)} ({status})");
            if (count < 1) return (-2, "the CUDA driver sees no device (cuDeviceGetCount = 0; check CUDA_VISIBLE_DEVICES)");
            return (Success, "");
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or BadImageFormatException)
        {
            return (-3, $"the CUDA driver library could not be used: {e.Message}");
        }
    }

    /// <summary>Devices the driver sees; 0 when the driver is missing or unusable (never throws).</summary>
    public static int DeviceCount
    {
        get
        {
            if (!TryInitialize(out _)) return 0;
            return CudaDriverNative.cuDeviceGetCount(out int count) == Success ? count : 0;
        }
    }

    /// <summary>The driver's CUDA version as an integer (12040 = 12.4), 0 without a driver library.</summary>
    public static int DriverVersion
    {
        get
        {
            if (!CudaLibraries.TryLoad(CudaLibrary.Driver, out _, out _)) return 0;
            try { return CudaDriverNative.cuDriverGetVersion(out int version) == Success ? version : 0; }
            catch (EntryPointNotFoundException) { return 0; }
        }
    }

    /// <summary>12040 -> "12.4".</summary>
    public static string FormatVersion(int version) => version <= 0 ? "none" : $"{version / 1000}.{version % 1000 / 10}";

    /// <summary>cuGetErrorName, or "CUDA_ERROR_{code}" when the driver cannot name it.</summary>
    public static string ErrorName(int status)
    {
        try
        {
            if (CudaLibraries.TryLoad(CudaLibrary.Driver, out _, out _) &&
                CudaDriverNative.cuGetErrorName(status, out IntPtr name) == Success && name != IntPtr.Zero)
                return Marshal.PtrToStringUTF8(name) ?? $"CUDA_ERROR_{status}";
        }
        catch (EntryPointNotFoundException) { }
        return FallbackErrorName(status);
    }

    /// <summary>cuGetErrorString, or "" when the driver cannot describe it.</summary>
    public static string ErrorDescription(int status)
    {
        try
        {
            if (CudaLibraries.TryLoad(CudaLibrary.Driver, out _, out _) &&
                CudaDriverNative.cuGetErrorString(status, out IntPtr text) == Success && text != IntPtr.Zero)
                return Marshal.PtrToStringUTF8(text) ?? "";
        }
        catch (EntryPointNotFoundException) { }
        return "";
    }

    /// <summary>Names of the common CUresult codes (cuda.h), for when the driver itself is not there to ask.</summary>
    public static string FallbackErrorName(int status) => status switch
    {
        0 => "CUDA_SUCCESS",
        1 => "CUDA_ERROR_INVALID_VALUE",
        2 => "CUDA_ERROR_OUT_OF_MEMORY",
        3 => "CUDA_ERROR_NOT_INITIALIZED",
        4 => "CUDA_ERROR_DEINITIALIZED",
        35 => "CUDA_ERROR_INSUFFICIENT_DRIVER",
        100 => "CUDA_ERROR_NO_DEVICE",
        101 => "CUDA_ERROR_INVALID_DEVICE",
        201 => "CUDA_ERROR_INVALID_CONTEXT",
        304 => "CUDA_ERROR_OPERATING_SYSTEM",
        400 => "CUDA_ERROR_INVALID_HANDLE",
        600 => "CUDA_ERROR_NOT_READY",
        700 => "CUDA_ERROR_ILLEGAL_ADDRESS",
        719 => "CUDA_ERROR_LAUNCH_FAILED",
        803 => "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
        804 => "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
        999 => "CUDA_ERROR_UNKNOWN",
        _ => $"CUDA_ERROR_{status}",
    };

    /// <summary>Throws <see cref="CudaException"/> (with cuGetErrorName's name) when <paramref name="status"/> != 0.</summary>
    public static void Check(int status, string call)
    {
        if (status != Success)
            throw new CudaException("CUDA driver", call, status, ErrorName(status), ErrorDescription(status));
    }
}
