using System.Text.Json;

namespace MePropNative.Training;

/// <summary>Reads a JSON config file: this program's snake_case keys, or the original meProp program's keys.</summary>
public static class ConfigLoader
{
    public static TrainConfig Load(string path, TrainConfig? defaults = null)
    {
        if (!File.Exists(path)) throw new ConfigException($"config file not found: {path}");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{path}: not valid JSON ({e.Message})");
        }
        using (doc) return FromJson(doc.RootElement, path, Path.GetDirectoryName(Path.GetFullPath(path))!, defaults);
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
