using System.Runtime.InteropServices;

namespace MePropNative.Bindings;

/// <summary>Kernel families of libmeprop; <see cref="Auto"/> picks AVX2+FMA when the CPU has it.</summary>
public enum Isa { Auto = 0, Scalar = 1, Avx2 = 2 }

[Flags]
public enum CpuFeatures : uint { None = 0, Avx2 = 1, Fma = 2, Avx512F = 4 }

/// <summary>Facts about the loaded libmeprop and its process-wide settings.</summary>
public static class MePropLibrary
{
    /// <summary>The C ABI version these bindings were written against (MP_ABI_VERSION).</summary>
    public const int ExpectedAbiVersion = 3;

    private static bool abiChecked;

    /// <summary>Loads libmeprop and checks that it is libmeprop of this ABI version; throws
    /// <see cref="NativeLibraryNotFoundException"/> or <see cref="NativeLibraryMismatchException"/> when not.</summary>
    public static void EnsureLoaded()
    {
        if (abiChecked) return;
        Verify(NativeLibraryResolver.Load(), NativeLibraryResolver.LoadedFrom!);
        abiChecked = true;
    }

    /// <summary>Throws <see cref="NativeLibraryMismatchException"/> unless <paramref name="handle"/> exports
    /// mp_abi_version and it returns <see cref="ExpectedAbiVersion"/>.</summary>
    internal static unsafe void Verify(IntPtr handle, string loadedFrom)
    {
        if (!NativeLibrary.TryGetExport(handle, "mp_abi_version", out IntPtr abiVersion))
            throw new NativeLibraryMismatchException(loadedFrom, "it does not export mp_abi_version, so it is not libmeprop");
        int abi = ((delegate* unmanaged<int>)abiVersion)();
        if (abi != ExpectedAbiVersion)
            throw new NativeLibraryMismatchException(loadedFrom, $"it has ABI version {abi}, these bindings need {ExpectedAbiVersion}");
    }

    /// <summary>Where libmeprop was loaded from (see <see cref="NativeLibraryResolver.LoadedFrom"/>).</summary>
    public static string LoadedFrom { get { EnsureLoaded(); return NativeLibraryResolver.LoadedFrom!; } }

    public static string BuildInfo { get { EnsureLoaded(); return NativeMethods.BuildInfo(); } }

    public static CpuFeatures CpuFeatures { get { EnsureLoaded(); return (CpuFeatures)NativeMethods.mp_cpu_features(); } }

    /// <summary>The kernel family in use; setting <see cref="Isa.Scalar"/> forces the reference kernels.</summary>
    public static Isa Isa
    {
        get { EnsureLoaded(); return (Isa)NativeMethods.mp_get_isa(); }
        set { EnsureLoaded(); MePropNativeException.ThrowIfFailed(NativeMethods.mp_set_isa((int)value)); }
    }

    /// <summary>Threads of the multi-threaded kernels; 1 gives a single-threaded run (results never depend on it).</summary>
    public static int NumThreads
    {
        get { EnsureLoaded(); return NativeMethods.mp_get_num_threads(); }
        set { EnsureLoaded(); MePropNativeException.ThrowIfFailed(NativeMethods.mp_set_num_threads(value)); }
    }

    /// <summary>CUDA devices the library sees (0 in a CPU-only build or without a driver).</summary>
    public static int CudaDeviceCount { get { EnsureLoaded(); return NativeMethods.mp_cuda_device_count(); } }
}
