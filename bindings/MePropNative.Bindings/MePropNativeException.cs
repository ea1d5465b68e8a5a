namespace MePropNative.Bindings;

/// <summary>A libmeprop call failed; <see cref="Exception.Message"/> is the native message (mp_last_error).</summary>
public sealed class MePropNativeException(MePropStatus status, string message) : Exception(message)
{
    public MePropStatus Status { get; } = status;

    internal static void ThrowIfFailed(int status)
    {
        if (status != 0) Throw(status);
    }

    private static void Throw(int status)
    {
        string message = NativeMethods.LastError();
        throw new MePropNativeException((MePropStatus)status,
            string.IsNullOrEmpty(message) ? $"libmeprop returned status {(MePropStatus)status}" : message);
    }
}
