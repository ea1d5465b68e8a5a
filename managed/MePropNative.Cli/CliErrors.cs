using System.Globalization;
using System.Reflection;
using MePropNative.Bindings;
using MePropNative.Bindings.Cuda;
using MePropNative.Data;
using MePropNative.Nlp;
using MePropNative.Training;

namespace MePropNative.Cli;

/// <summary>
/// How a failure ends the program. The failures a user can fix (a bad option, a missing or corrupt file, no native
/// library, no GPU, not enough memory) print their message, which names what is wrong, and exit with a code for their
/// kind; anything else is a bug in meprop and keeps its stack trace.
/// </summary>
internal static class CliErrors
{
    public const int Bug = 1;
    public const int BadConfiguration = 2;
    public const int BadData = 3;
    public const int Environment = 4;

    /// <summary>The exit code of a failure the user can fix, or null for a bug.</summary>
    public static int? ExitCode(Exception e) => Unwrap(e) switch
    {
        ConfigException or ArgumentException or MePropNativeException { Status: MePropStatus.InvalidArgument } => BadConfiguration,
        IdxFormatException or ConlluFormatException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException => BadData,
        MePropNativeException { Status: MePropStatus.OutOfMemory or MePropStatus.Cuda or MePropStatus.Unsupported } => Environment,
        DllNotFoundException or NativeLibraryMismatchException or OutOfMemoryException or CudaException or IOException or UnauthorizedAccessException => Environment,
        _ => null,
    };

    public static string Message(Exception e) => Unwrap(e) switch
    {
        ArgumentException a => ArgumentMessage(a),
        var inner => inner.Message,
    };

    /// <summary>An argument exception's message without the lines .NET appends (" (Parameter 'k')", "Actual value
    /// was 0."), naming the argument and its value where the message itself does not.</summary>
    private static string ArgumentMessage(ArgumentException e)
    {
        string text = e.Message;
        if (e is ArgumentOutOfRangeException { ActualValue: not null } && text.LastIndexOf('\n') is var line and >= 0) text = text[..line];
        if (e.ParamName is { } name && text.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal))
        {
            text = text[..^$" (Parameter '{name}')".Length];
            if (!text.Contains(name, StringComparison.Ordinal) && !text.Contains(SnakeCase(name), StringComparison.Ordinal)) text = $"{name}: {text}";
        }
        if (e is ArgumentOutOfRangeException { ActualValue: { } value } && Convert.ToString(value, CultureInfo.InvariantCulture) is { } shown
            && !text.Contains(shown, StringComparison.Ordinal))
            text += $" (got {shown})";
        return text;
    }

    /// <summary>devSize -> dev_size: how a config key names the parameter a message may already mention.</summary>
    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    /// <summary>The failure itself, out of the wrappers .NET puts around it (a type initializer that loads the native
    /// library, a reflection call, a parallel loop with one failure).</summary>
    private static Exception Unwrap(Exception e)
    {
        while (e is TypeInitializationException or TargetInvocationException or AggregateException { InnerExceptions.Count: 1 } && e.InnerException is { } inner)
            e = inner;
        return e;
    }
}
