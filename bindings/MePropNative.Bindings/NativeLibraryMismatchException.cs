namespace MePropNative.Bindings;

/// <summary>A library was loaded as libmeprop but these bindings cannot use it: it is not libmeprop, or it was built
/// for another version of the C ABI. The message names the file.</summary>
public sealed class NativeLibraryMismatchException(string loadedFrom, string reason)
    : Exception($"{loadedFrom} cannot be used as libmeprop: {reason}. Rebuild it with ./build.sh, or point " +
                $"{NativeLibraryResolver.EnvironmentVariable} at a current build.")
{
    public string LoadedFrom { get; } = loadedFrom;
}
