using System.Text.Json;

namespace MePropNative.Training;

/// <summary>Reads a JSON config file: this program's snake_case keys, or the original meProp program's keys.</summary>
public static class ConfigLoader
{
    public static TrainConfig Load(string path, TrainConfig? defaults = null)
    {
        using var doc = JsonConfigFile.Parse(path);
        return FromJson(doc.RootElement, path, Path.GetDirectoryName(Path.GetFullPath(path))!, defaults);
    }

    public static TrainConfig FromJson(JsonElement root, string source, string baseDirectory, TrainConfig? defaults = null)
    {
        if (LegacyConfig.Looks(root)) return LegacyConfig.Read(root, source, baseDirectory, defaults?.DataDir ?? "data/mnist");
        var c = defaults?.Clone() ?? new TrainConfig();
        ConfigOptions.Apply(c, root, source);
        c.Source = source;
        return c;
    }
}
