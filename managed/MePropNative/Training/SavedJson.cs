using System.Text.Json;

namespace MePropNative.Training;

/// <summary>Reads a JSON file this program wrote (results, benchmark reports): a damaged or foreign one is an
/// <see cref="InvalidDataException"/> that names the file, not a serializer exception from inside a report.</summary>
public static class SavedJson
{
    public static T Read<T>(string path, string what, JsonSerializerOptions? options = null) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), options)
                ?? throw new InvalidDataException($"{path} holds no {what}; delete it to produce it again.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a valid {what} ({e.Message}); delete it to produce it again.");
        }
    }
}
