using MePropNative.Training;

namespace MePropNative.Experiments;

/// <summary>The `--only` option of the experiment commands: comma-separated group names, each one checked against the
/// experiment's groups (an unknown name would otherwise select nothing and the command would only redraw the report).</summary>
public static class ExperimentGroups
{
    /// <summary>The groups named in <paramref name="text"/> (lower case), or null for all of them when it is null.</summary>
    public static string[]? Parse(string? text, IReadOnlyCollection<string> groups)
    {
        if (text is null) return null;
        var named = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(g => g.ToLowerInvariant()).ToArray();
        var unknown = named.Where(g => !groups.Contains(g)).ToList();
        if (named.Length == 0 || unknown.Count > 0)
            throw new ConfigException((named.Length == 0 ? "--only names no group" : $"--only: no group {string.Join(", ", unknown.Select(u => $"'{u}'"))}") +
                $"; the groups are {string.Join(", ", groups)}.");
        return named;
    }
}
