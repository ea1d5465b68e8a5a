namespace MePropNative.Data;

/// <summary>An IDX file (or a pair of them) that cannot be used; the message names the file and what is wrong.</summary>
public sealed class IdxFormatException(string message) : Exception(message);
