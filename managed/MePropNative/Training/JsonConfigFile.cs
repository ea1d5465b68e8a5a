using System.Text.Json;

namespace MePropNative.Training;

/// <summary>Opens a JSON config file the way every `train` command reads one: comments and trailing commas allowed, a
/// key given twice refused (which of the two was meant cannot be known), errors that name the file.</summary>
public static class JsonConfigFile
{
    public static JsonDocument Parse(string path)
    {
        if (!File.Exists(path)) throw new ConfigException($"config file not found: {path}");
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
                AllowDuplicateProperties = false,
            });
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{path}: not valid JSON ({e.Message})");
        }
    }
}
