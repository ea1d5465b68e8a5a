using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MePropNative.Bindings;

/// <summary>
/// Finds libmeprop for every P/Invoke of this assembly: in <c>MEPROP_NATIVE_DIR</c> when it is set (and only there, so a
/// build it names is never silently replaced by another), else beside the application (and its runtimes/RID/native
/// folder), then the platform's default search. A failure lists every path tried.
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

    /// <summary>Where the loaded libmeprop came from: its path, or its name and "(default system search)"; null before
    /// the first load.</summary>
    public static string? LoadedFrom { get; private set; }

    /// <summary>Loads libmeprop (once) and returns its handle, or throws <see cref="NativeLibraryNotFoundException"/>.</summary>
    public static IntPtr Load()
    {
        if (cached != IntPtr.Zero) return cached;
        string? folder = Environment.GetEnvironmentVariable(EnvironmentVariable);
        var (handle, from) = LoadFirst(CandidatePaths(folder), string.IsNullOrWhiteSpace(folder) ? PlatformFileName() : null);
        LoadedFrom = from;
        return cached = handle;
    }

    /// <summary>Loads the first candidate that exists and loads, else <paramref name="defaultSearchName"/> through the
    /// platform's search (when not null); returns the handle and where it came from, or throws with every attempt and
    /// why it failed.</summary>
    internal static (IntPtr Handle, string From) LoadFirst(IEnumerable<string> candidates, string? defaultSearchName)
    {
        var attempts = new List<string>();
        foreach (string candidate in candidates)
        {
            if (!File.Exists(candidate))
            {
                attempts.Add($"{candidate} (not found)");
                continue;
            }
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle)) return (handle, candidate);
            attempts.Add($"{candidate} (exists but failed to load: {DescribeLoadFailure(candidate)})");
        }
        string fromDefault = $"{defaultSearchName} (default system search)";
        if (defaultSearchName is not null)
        {
            if (NativeLibrary.TryLoad(defaultSearchName, out IntPtr handle)) return (handle, fromDefault);
            attempts.Add(fromDefault);
        }
        throw new NativeLibraryNotFoundException(defaultSearchName ?? PlatformFileName(), attempts);
    }

    public static string PlatformFileName() =>
        OperatingSystem.IsWindows() ? "meprop.dll" : OperatingSystem.IsMacOS() ? "libmeprop.dylib" : "libmeprop.so";

    internal static IEnumerable<string> CandidatePaths(string? fromEnvironment)
    {
        string fileName = PlatformFileName();
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            yield return Path.Combine(fromEnvironment, fileName);
            yield break;
        }
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
