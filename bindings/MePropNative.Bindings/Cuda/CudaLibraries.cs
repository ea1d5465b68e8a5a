using System.Runtime.InteropServices;
using System.Text;

namespace MePropNative.Bindings.Cuda;

/// <summary>The CUDA libraries the bindings use, by the name their P/Invokes are declared with.</summary>
public enum CudaLibrary
{
    /// <summary>The driver API: libcuda.so.1 / nvcuda.dll (installed with the NVIDIA driver).</summary>
    Driver,
    /// <summary>cuBLAS: libcublas.so.13/.12/.11 / cublas64_13.dll ... (CUDA toolkit or redistributable).</summary>
    Blas,
    /// <summary>cuSPARSE: libcusparse.so.13/.12/.11 / cusparse64_13.dll ...</summary>
    Sparse,
}

/// <summary>
/// Finds the CUDA libraries by probing their versioned file names (newest first) with
/// <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/>: by bare name (the loader's search: LD_LIBRARY_PATH,
/// ldconfig cache, PATH on Windows), then in <c>CUDA_HOME</c> / <c>CUDA_PATH</c> and the usual install folders.
/// <see cref="NativeLibraryResolver"/> hands it every library name other than libmeprop's. Loading never throws:
/// <see cref="TryLoad"/> says why it failed and <see cref="Describe"/> reports what was found.
/// </summary>
public static class CudaLibraries
{
    /// <summary>Names the P/Invokes of this assembly use for the CUDA libraries (resolved here, never by the OS).</summary>
    public const string DriverName = "cuda";
    public const string BlasName = "cublas";
    public const string SparseName = "cusparse";

    /// <summary>CUDA major versions probed, newest first.</summary>
    public static IReadOnlyList<int> ProbedMajorVersions { get; } = [13, 12, 11];

    private static readonly object Gate = new();
    private static readonly Dictionary<CudaLibrary, LoadResult> Cache = [];

    private sealed record LoadResult(IntPtr Handle, string? LoadedFrom, IReadOnlyList<string> Attempts);

    /// <summary>The library a P/Invoke name stands for, or null when the name is not a CUDA library of ours.</summary>
    public static CudaLibrary? FromImportName(string name) => name switch
    {
        DriverName => CudaLibrary.Driver,
        BlasName => CudaLibrary.Blas,
        SparseName => CudaLibrary.Sparse,
        _ => null,
    };

    /// <summary>For <see cref="NativeLibraryResolver"/>: the handle for a CUDA import name, or zero (then the
    /// runtime reports DllNotFoundException for the name; the wrappers check <see cref="TryLoad"/> first).</summary>
    internal static IntPtr Resolve(string name) =>
        FromImportName(name) is { } library && TryLoad(library, out IntPtr handle, out _) ? handle : IntPtr.Zero;

    /// <summary>File names tried for <paramref name="library"/> on the given OS (no folder), in order.</summary>
    public static IReadOnlyList<string> CandidateFileNames(CudaLibrary library, OSPlatform platform)
    {
        var names = new List<string>();
        if (platform == OSPlatform.Windows)
        {
            if (library == CudaLibrary.Driver) names.Add("nvcuda.dll");
            else
            {
                string stem = library == CudaLibrary.Blas ? "cublas64_" : "cusparse64_";
                foreach (int major in ProbedMajorVersions) names.Add($"{stem}{major}.dll");
            }
        }
        else if (platform == OSPlatform.Linux || platform == OSPlatform.FreeBSD)
        {
            string stem = library switch { CudaLibrary.Driver => "libcuda", CudaLibrary.Blas => "libcublas", _ => "libcusparse" };
            if (library == CudaLibrary.Driver) names.Add("libcuda.so.1");
            else foreach (int major in ProbedMajorVersions) names.Add($"{stem}.so.{major}");
            names.Add($"{stem}.so"); // the development symlink, last
        }
        // macOS: no CUDA since 10.2; nothing to probe.
        return names;
    }

    /// <summary>Folders searched after the loader's own search, in order (only those that exist are tried).</summary>
    public static IReadOnlyList<string> CandidateFolders(OSPlatform platform, Func<string, string?> environment)
    {
        var folders = new List<string>();
        foreach (string variable in new[] { "CUDA_HOME", "CUDA_PATH", "CUDA_ROOT" })
        {
            string? root = environment(variable);
            if (string.IsNullOrWhiteSpace(root)) continue;
            if (platform == OSPlatform.Windows) folders.Add(Path.Combine(root, "bin"));
            else
            {
                folders.Add(Path.Combine(root, "lib64"));
                folders.Add(Path.Combine(root, "targets", "x86_64-linux", "lib"));
                folders.Add(Path.Combine(root, "lib"));
            }
        }
        if (platform == OSPlatform.Linux)
        {
            folders.Add("/usr/local/cuda/lib64");
            folders.Add("/usr/local/cuda/targets/x86_64-linux/lib");
            folders.Add("/usr/local/cuda/targets/sbsa-linux/lib");
            folders.Add("/usr/lib/x86_64-linux-gnu");
            folders.Add("/usr/lib/aarch64-linux-gnu");
            folders.Add("/usr/lib/wsl/lib"); // libcuda.so.1 under WSL2
        }
        return folders.Distinct().ToList();
    }

    private static OSPlatform CurrentPlatform() =>
        OperatingSystem.IsWindows() ? OSPlatform.Windows
        : OperatingSystem.IsLinux() ? OSPlatform.Linux
        : OperatingSystem.IsFreeBSD() ? OSPlatform.FreeBSD
        : OSPlatform.OSX;

    /// <summary>Loads <paramref name="library"/> once (the result, good or bad, is cached); never throws.</summary>
    public static bool TryLoad(CudaLibrary library, out IntPtr handle, out string reason)
    {
        LoadResult result;
        lock (Gate)
        {
            if (!Cache.TryGetValue(library, out result!)) Cache[library] = result = Probe(library);
        }
        handle = result.Handle;
        reason = result.Handle != IntPtr.Zero
            ? $"loaded {result.LoadedFrom}"
            : $"{DisplayName(library)} not found; tried: " + string.Join("; ", result.Attempts);
        return result.Handle != IntPtr.Zero;
    }

    /// <summary>Loads the library or throws <see cref="CudaException"/> naming every file tried.</summary>
    public static IntPtr Require(CudaLibrary library)
    {
        if (TryLoad(library, out IntPtr handle, out string reason)) return handle;
        throw new CudaException("CUDA libraries", "load " + DisplayName(library), -1, "LIBRARY_NOT_FOUND", reason);
    }

    /// <summary>The file a library was loaded from, or null.</summary>
    public static string? LoadedFrom(CudaLibrary library)
    {
        TryLoad(library, out _, out _);
        lock (Gate) return Cache[library].LoadedFrom;
    }

    public static string DisplayName(CudaLibrary library) => library switch
    {
        CudaLibrary.Driver => "the CUDA driver library (libcuda / nvcuda)",
        CudaLibrary.Blas => "cuBLAS",
        _ => "cuSPARSE",
    };

    private static LoadResult Probe(CudaLibrary library)
    {
        var attempts = new List<string>();
        OSPlatform platform = CurrentPlatform();
        IReadOnlyList<string> names = CandidateFileNames(library, platform);
        if (names.Count == 0) return new LoadResult(IntPtr.Zero, null, [$"no CUDA on {RuntimeInformation.OSDescription}"]);
        foreach (string name in names)
        {
            if (NativeLibrary.TryLoad(name, out IntPtr handle)) return new LoadResult(handle, name, attempts);
            attempts.Add($"{name} (loader search)");
        }
        foreach (string folder in CandidateFolders(platform, Environment.GetEnvironmentVariable))
        {
            if (!Directory.Exists(folder)) continue;
            foreach (string name in names)
            {
                string path = Path.Combine(folder, name);
                if (!File.Exists(path)) continue;
                if (NativeLibrary.TryLoad(path, out IntPtr handle)) return new LoadResult(handle, path, attempts);
                attempts.Add($"{path} (exists but failed to load)");
            }
        }
        return new LoadResult(IntPtr.Zero, null, attempts);
    }

    /// <summary>A few lines saying which CUDA libraries were found where, the driver version and the devices.
    /// Never throws; meant for logs and results files.</summary>
    public static string Describe()
    {
        var text = new StringBuilder();
        foreach (CudaLibrary library in Enum.GetValues<CudaLibrary>())
        {
            bool ok = TryLoad(library, out _, out string reason);
            text.Append(library switch { CudaLibrary.Driver => "driver   ", CudaLibrary.Blas => "cuBLAS   ", _ => "cuSPARSE " })
                .AppendLine(ok ? reason : "missing: " + reason);
        }
        text.AppendLine(CudaContext.IsAvailable(out string why)
            ? $"devices  {CudaDriver.DeviceCount} (driver API {CudaDriver.FormatVersion(CudaDriver.DriverVersion)})"
            : $"devices  none: {why}");
        return text.ToString();
    }
}
