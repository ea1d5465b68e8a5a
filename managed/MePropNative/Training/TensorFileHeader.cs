using System.Text.Json;
using System.Text.Json.Nodes;

namespace MePropNative.Training;

/// <summary>
/// The JSON header of a <see cref="TensorFile"/> as read back: typed reads of its keys that throw an
/// <see cref="InvalidDataException"/> naming the file and the key when a key is missing or holds the wrong kind of value,
/// so a damaged or hand-edited model or checkpoint is reported as such instead of failing somewhere inside the loader.
/// </summary>
public sealed class TensorFileHeader(string path, JsonObject json)
{
    public string Path { get; } = path;

    /// <summary>The header as written (for values handed on whole, such as a checkpoint's configuration).</summary>
    public JsonObject Json { get; } = json;

    /// <summary>The string at <paramref name="key"/>, or null when the key is absent or not a string (the format tags:
    /// a file of another kind simply has another tag or none).</summary>
    public string? Tag(string key) => Json[key] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    public string String(string key) => Tag(key) ?? throw Invalid(key, "a string");

    /// <summary>The string at <paramref name="key"/>, which must be one of <paramref name="choices"/>.</summary>
    public string Choice(string key, params string[] choices) =>
        Tag(key) is { } s && choices.Contains(s) ? s : throw Invalid(key, string.Join(" or ", choices));

    public bool Bool(string key) => Json[key] is JsonValue v && v.TryGetValue(out bool b) ? b : throw Invalid(key, "true or false");

    public int Int(string key, int min = int.MinValue) => OptionalInt(key, min) ?? throw Invalid(key, IntWords(min));

    /// <summary>The integer at <paramref name="key"/>, null when the key is absent or null.</summary>
    public int? OptionalInt(string key, int min = int.MinValue) => Json[key] switch
    {
        null => null,
        var node => AsInt(node, min) ?? throw Invalid(key, IntWords(min)),
    };

    public float PositiveFloat(string key) =>
        Json[key] is JsonValue v && v.TryGetValue(out float x) && float.IsFinite(x) && x > 0 ? x : throw Invalid(key, "a positive number");

    public long Long(string key, long min = 0) =>
        Json[key] is JsonValue v && v.TryGetValue(out long x) && x >= min ? x : throw Invalid(key, $"an integer >= {min}");

    /// <summary>The integers at <paramref name="key"/>, each at least <paramref name="min"/>; with
    /// <paramref name="length"/>, exactly that many.</summary>
    public int[] IntArray(string key, int min, int? length = null) =>
        Array<int>(key, length, x => x >= min, $"a list of{LengthWords(length)} integers >= {min}");

    public long[] LongArray(string key, long min, int? length = null) =>
        Array<long>(key, length, x => x >= min, $"a list of{LengthWords(length)} integers >= {min}");

    public string[] StringArray(string key) => Array<string>(key, null, _ => true, "a list of strings");

    public JsonObject Object(string key) => Json[key] as JsonObject ?? throw Invalid(key, "a JSON object");

    /// <summary>The value at <paramref name="key"/> deserialized as a <typeparamref name="T"/>, or null when it is null or
    /// absent and <paramref name="optional"/>.</summary>
    public T? Deserialize<T>(string key, bool optional = false) where T : class
    {
        var node = Json[key];
        if (node is null) return optional ? null : throw Invalid(key, $"a {typeof(T).Name}");
        try
        {
            return node.Deserialize<T>() ?? throw Invalid(key, $"a {typeof(T).Name}");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            throw new InvalidDataException($"{Path}: header key '{key}' does not hold a {typeof(T).Name} ({e.Message}).");
        }
    }

    public InvalidDataException Invalid(string key, string expected) =>
        new($"{Path}: header key '{key}' is missing or is not {expected}; the file is damaged or was not written by this program.");

    private T[] Array<T>(string key, int? length, Func<T, bool> accept, string expected)
    {
        if (Json[key] is not JsonArray array || (length is { } n && array.Count != n)) throw Invalid(key, expected);
        var result = new T[array.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = array[i] is JsonValue v && v.TryGetValue(out T? x) && x is not null && accept(x) ? x : throw Invalid(key, expected);
        return result;
    }

    private static int? AsInt(JsonNode? node, int min) => node is JsonValue v && v.TryGetValue(out int x) && x >= min ? x : null;

    private static string IntWords(int min) => min == int.MinValue ? "an integer" : $"an integer >= {min}";

    private static string LengthWords(int? length) => length is { } n ? $" {n}" : "";
}
