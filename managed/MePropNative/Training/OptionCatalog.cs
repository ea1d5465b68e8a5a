using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MePropNative.Training;

public enum OptionType { Int, Long, Float, String, Bool, IntList, StringList, Choice }

/// <summary>One configuration option of a <typeparamref name="TConfig"/>: its JSON key (snake_case), CLI flag
/// (--kebab-case), help, and how to read and write it.</summary>
public sealed record ConfigOption<TConfig>(
    string Key,
    OptionType Type,
    string Help,
    Func<TConfig, object?> Get,
    Action<TConfig, JsonElement> Set,
    IReadOnlyList<string>? Choices = null,
    string? Placeholder = null)
{
    public string Flag => "--" + Key.Replace('_', '-');

    /// <summary>Sets the option from its command-line text; a value it cannot take is a <see cref="ConfigException"/>
    /// that names the flag and the value.</summary>
    public void SetFromFlag(TConfig config, string text)
    {
        try { Set(config, OptionCatalog.ParseFlagValue(Type, text)); }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or InvalidOperationException)
        {
            throw new ConfigException($"{Flag} {text}: {e.Message}");
        }
    }

    /// <summary>The placeholder of the flag's value in help texts: <see cref="Placeholder"/> when given, else one from
    /// the type (strings are files or folders unless they say otherwise).</summary>
    public string ValueName => Placeholder ?? Type switch
    {
        OptionType.Int or OptionType.Long => "N",
        OptionType.Float => "X",
        OptionType.IntList => "N[,N...]",
        OptionType.StringList => "NAME[,NAME...]",
        OptionType.Choice => string.Join("|", Choices!),
        _ => Key.EndsWith("dir") || Key == "out" ? "DIR" : "PATH",
    };
}

/// <summary>
/// What every option catalog (<see cref="ConfigOptions"/> for `train mlp`, the NLP one for `train tagger|parser`) does
/// the same way: apply a JSON object (unknown keys and wrong types are one error listing them all; null keeps the
/// default), turn a command-line string into JSON, write a config as JSON, and read typed JSON values with errors that
/// say what was expected.
/// </summary>
public static class OptionCatalog
{
    public static void Apply<TConfig>(IReadOnlyList<ConfigOption<TConfig>> all, IReadOnlyDictionary<string, ConfigOption<TConfig>> byKey,
        TConfig config, JsonElement obj, string source)
    {
        if (obj.ValueKind != JsonValueKind.Object) throw new ConfigException($"{source}: the config must be a JSON object.");
        var unknown = new List<string>();
        var errors = new List<string>();
        foreach (var prop in obj.EnumerateObject())
        {
            if (!byKey.TryGetValue(prop.Name, out var option)) { unknown.Add(prop.Name); continue; }
            if (prop.Value.ValueKind == JsonValueKind.Null) continue;
            try { option.Set(config, prop.Value); }
            catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or OverflowException)
            {
                errors.Add($"{prop.Name}: {e.Message}");
            }
        }
        if (unknown.Count > 0)
            errors.Insert(0, $"unknown key(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}. Valid keys: {string.Join(", ", all.Select(o => o.Key))}.");
        if (errors.Count > 0) throw new ConfigException($"{source}: " + string.Join("\n  ", errors));
    }

    /// <summary>A JSON value from a command-line string, by the option's type ("20,40" is a list; "true" a bool). Integers
    /// are read exactly (a seed beyond 2^53 keeps every digit; "2.5" is not an integer).</summary>
    public static JsonElement ParseFlagValue(OptionType type, string text)
    {
        JsonNode? node = type switch
        {
            OptionType.Int or OptionType.Long => JsonValue.Create(Integer(text)),
            OptionType.Float => JsonValue.Create(FiniteNumber(text)),
            OptionType.Bool => JsonValue.Create(bool.Parse(text)),
            OptionType.IntList => new JsonArray(Items(text).Select(s => (JsonNode?)JsonValue.Create(Integer(s))).ToArray()),
            OptionType.StringList => new JsonArray(Items(text).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
            _ => JsonValue.Create(text),
        };
        return JsonSerializer.SerializeToElement(node);
    }

    /// <summary>The comma-separated items of a list; an empty one ("500,,500", a trailing comma) is a mistake, not nothing.</summary>
    private static string[] Items(string text)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        return items.Contains("") ? throw new FormatException("an empty item") : items;
    }

    private static long Integer(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out long v)
            ? v : throw new FormatException($"expected an integer, got {text}");

    /// <summary>A number from a command-line string; NaN, the infinities and a number beyond the float range (which
    /// becomes an infinity as a float) are rejected here, where the flag can still be named.</summary>
    public static double FiniteNumber(string text)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new FormatException($"expected a number, got {text}");
        return float.IsFinite((float)value) ? value : throw new FormatException("not a finite number.");
    }

    /// <summary>Whether two recorded option values are the same setting. Floats are written as their shortest round-trip
    /// decimal; files of earlier versions rounded them to 7 decimals (an Adam epsilon of 1e-8 read 0), so numbers that
    /// agree to 7 decimals count as the same.</summary>
    public static bool SameValue(JsonNode? a, JsonNode? b)
    {
        if (JsonNode.DeepEquals(a, b)) return true;
        return a is JsonValue va && b is JsonValue vb && va.TryGetValue(out double x) && vb.TryGetValue(out double y)
            && Math.Round(x, 7) == Math.Round(y, 7);
    }

    /// <summary>A key of a saved config, or, when the file predates the option, its default in <paramref name="defaults"/>.</summary>
    public static JsonNode? SavedValue(JsonObject saved, string key, JsonObject defaults) =>
        saved.TryGetPropertyValue(key, out var v) ? v : defaults[key];

    /// <summary>The config as a JSON object with every option (what results.json and checkpoints record); floats as their
    /// shortest round-trip decimal, so a recorded config reads back to the same values.</summary>
    public static JsonObject ToJson<TConfig>(IReadOnlyList<ConfigOption<TConfig>> all, TConfig config)
    {
        var o = new JsonObject();
        foreach (var opt in all)
        {
            var v = opt.Get(config);
            o[opt.Key] = v switch
            {
                null => null,
                int[] a => new JsonArray(a.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
                float f => JsonValue.Create(double.Parse(f.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)),
                _ => JsonValue.Create(v),
            };
        }
        return o;
    }

    // ---- typed JSON values ----------------------------------------------------------------------------------------

    public static string ReadString(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Wrong(e, "a string");

    public static int ReadInt(JsonElement e) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double d) && d == Math.Floor(d)
            ? d is >= int.MinValue and <= int.MaxValue ? (int)d : throw Wrong(e, $"an integer from {int.MinValue} to {int.MaxValue}")
            : throw Wrong(e, "an integer");

    public static long ReadLong(JsonElement e) => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) ? v : throw Wrong(e, "an integer");

    public static float ReadFloat(JsonElement e) => e.ValueKind == JsonValueKind.Number ? (float)e.GetDouble() : throw Wrong(e, "a number");

    public static bool ReadBool(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Wrong(e, "true or false"),
    };

    public static int[] ReadIntList(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => [ReadInt(e)],
        JsonValueKind.Array => e.EnumerateArray().Select(ReadInt).ToArray(),
        _ => throw Wrong(e, "an integer or a list of integers"),
    };

    public static string[] ReadStringList(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => [e.GetString()!],
        JsonValueKind.Array => e.EnumerateArray().Select(ReadString).ToArray(),
        _ => throw Wrong(e, "a string or a list of strings"),
    };

    private static FormatException Wrong(JsonElement e, string expected) => new($"expected {expected}, got {e.GetRawText()}");
}
