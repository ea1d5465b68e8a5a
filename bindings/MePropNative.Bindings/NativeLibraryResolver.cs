using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MePropNative.Bindings;

/// <summary>
/// Finds libmeprop for every P/Invoke of this assembly: first in <c>MEPROP_NATIVE_DIR</c>, then beside the
/// application (and its runtimes/RID/native folder), then the platform's default search. A failure lists every path tried.
/// </summary>
public static class NativeLibraryResolver
{
    public const string LibraryName = "meprop";
    public const string EnvironmentVariable = "MEPROP_NATIVE_DIR";

#pragma warning disable CA2255 // the resolver must be in place before the first P/Invoke of this assembly
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == LibraryName ? Load() : Cuda.CudaLibraries.Resolve(name); // "cuda", "cublas", "cusparse"; else zero

    private static IntPtr cached;

    /// <summary>Loads libmeprop (once) and returns its handle, or throws <see cref="NativeLibraryNotFoundException"/>.</summary>
    public static IntPtr Load()
    {
        if (cached != IntPtr.Zero) return cached;
        return cached = LoadFirst(CandidatePaths(Environment.GetEnvironmentVariable(EnvironmentVariable)), PlatformFileName());
    }

    /// <summary>Loads the first candidate that exists and loads, else <paramref name="defaultSearchName"/> through the
    /// platform's search (when not null); throws with every attempt and why it failed.</summary>
    internal static IntPtr LoadFirst(IEnumerable<string> candidates, string? defaultSearchName)
    {
        var attempts = new List<string>();
        foreach (string candidate in candidates)
        {
            if (!File.Exists(candidate))
            {
                attempts.Add($"{candidate} (not found)");
                continue;
            }
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle)) return handle;
            attempts.Add($"{candidate} (exists but failed to load: {DescribeLoadFailure(candidate)})");
        }
        if (defaultSearchName is not null)
        {
            if (NativeLibrary.TryLoad(defaultSearchName, out IntPtr fromDefault)) return fromDefault;
            attempts.Add($"{defaultSearchName} (default system search)");
        }
        throw new NativeLibraryNotFoundException(defaultSearchName ?? PlatformFileName(), attempts);
    }

    public static string PlatformFileName() =>
        OperatingSystem.IsWindows() ? "meprop.dll" : OperatingSystem.IsMacOS() ? "libmeprop.dylib" : "libmeprop.so";

    internal static IEnumerable<string> CandidatePaths(string? fromEnvironment)
    {
        string fileName = PlatformFileName();
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) yield return Path.Combine(fromEnvironment, fileName);
        yield return Path.Combine(AppContext.BaseDirectory, fileName);
        yield return Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", fileName);
    }

    private static string DescribeLoadFailure(string path)
    {
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(path));
            return "unknown reason";
        }
        catch (Exception e)
        {
            return e.Message;
        }
    }
}
