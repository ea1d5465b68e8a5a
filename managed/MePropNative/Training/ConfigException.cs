namespace MePropNative.Training;

/// <summary>A configuration that cannot be used; the message says which keys or values and what is valid.</summary>
public sealed class ConfigException(string message) : Exception(message)
{
    /// <summary>Throws "invalid configuration:" with one indented line per problem, when there is any.</summary>
    public static void ThrowIfAny(IEnumerable<string> problems)
    {
        var p = problems.ToList();
        if (p.Count > 0) throw new ConfigException("invalid configuration:\n  " + string.Join("\n  ", p));
    }
}
