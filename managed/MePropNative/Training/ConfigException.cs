namespace MePropNative.Training;

/// <summary>A configuration that cannot be used; the message says which keys or values and what is valid.</summary>
public sealed class ConfigException(string message) : Exception(message);
