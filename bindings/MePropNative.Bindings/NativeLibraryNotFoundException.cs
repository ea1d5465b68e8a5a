namespace MePropNative.Bindings;

/// <summary>libmeprop (or a CUDA library) could not be loaded; the message lists every path that was tried.</summary>
public sealed class NativeLibraryNotFoundException(string library, IReadOnlyList<string> attempts)
    : DllNotFoundException(FormatMessage(library, attempts))
{
    public string Library { get; } = library;
    public IReadOnlyList<string> Attempts { get; } = attempts;

    private static string FormatMessage(string library, IReadOnlyList<string> attempts) =>
        $"Could not load the native library '{library}'. Build it with ./build.sh (or point MEPROP_NATIVE_DIR at the " +
        $"folder that holds it; when it is set, that folder is the only place tried). Tried:{Environment.NewLine}  " +
        string.Join(Environment.NewLine + "  ", attempts);
}
