using System.Text.Json.Nodes;
using MePropNative.Training;

namespace MePropNative.Nlp;

/// <summary>Strings numbered in the order they were added (ids are stable, so a saved list restores the same ids).</summary>
public sealed class Vocabulary
{
    private readonly List<string> items = [];
    private readonly Dictionary<string, int> ids = new(StringComparer.Ordinal);

    public Vocabulary() { }

    public Vocabulary(IEnumerable<string> items)
    {
        foreach (var s in items) Add(s);
    }

    public int Count => items.Count;
    public IReadOnlyList<string> Items => items;
    public string this[int id] => items[id];

    /// <summary>The id of <paramref name="s"/>, adding it when new.</summary>
    public int Add(string s)
    {
        if (ids.TryGetValue(s, out int id)) return id;
        ids[s] = items.Count;
        items.Add(s);
        return items.Count - 1;
    }

    public bool TryGet(string s, out int id) => ids.TryGetValue(s, out id);

    public int Get(string s) => ids.TryGetValue(s, out int id) ? id : throw new KeyNotFoundException($"'{s}' is not in the vocabulary.");

    public int GetOr(string s, int fallback) => ids.TryGetValue(s, out int id) ? id : fallback;

    public JsonArray ToJson() => new(items.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
}

/// <summary>
/// Maps word forms to embedding rows: the forms seen at least <see cref="MinCount"/> times in training keep their own
/// row; any other form tries its lower-cased spelling, then falls back to a signature row ("&lt;unk-Cap-ing&gt;")
/// describing its shape: capitalization, digits, hyphen and a common English suffix (a simplified version of the
/// Berkeley parser's unknown-word classes). The training words seen fewer than MinCount times train the signature rows,
/// which are what unknown words meet at test time.
/// </summary>
public sealed class WordEncoder
{
    private static readonly string[] Suffixes =
        ["ing", "ed", "ly", "ion", "er", "est", "al", "ity", "ive", "ous", "able", "ible", "ment", "ness", "ful", "less", "ic", "ism", "ist", "ize", "s", "y"];

    public WordEncoder(Vocabulary vocabulary, int minCount)
    {
        Vocabulary = vocabulary;
        MinCount = minCount;
    }

    public Vocabulary Vocabulary { get; }
    public int MinCount { get; }
    public int Count => Vocabulary.Count;

    /// <summary>The encoder a model file saved ("words" and "min_count" of its header), which must hold the row that
    /// <see cref="Encode"/> falls back to.</summary>
    public static WordEncoder Read(TensorFileHeader header)
    {
        var encoder = new WordEncoder(new Vocabulary(header.StringArray("words")), header.Int("min_count", min: 1));
        return encoder.Vocabulary.TryGet(Signature("x"), out _) ? encoder : throw header.Invalid("words", $"a word list with {Signature("x")}");
    }

    /// <summary>A vocabulary from training forms: <paramref name="specials"/> first, then every signature that occurs,
    /// then the forms seen at least <paramref name="minCount"/> times (in order of first occurrence).</summary>
    public static WordEncoder Build(IEnumerable<string> trainingForms, int minCount, IEnumerable<string>? specials = null)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var f in trainingForms)
        {
            if (counts.TryGetValue(f, out int c)) counts[f] = c + 1;
            else { counts[f] = 1; order.Add(f); }
        }
        var v = new Vocabulary();
        foreach (var s in specials ?? []) v.Add(s);
        v.Add(Signature("x"));
        foreach (var f in order) if (counts[f] < minCount) v.Add(Signature(f));
        foreach (var f in order) if (counts[f] >= minCount) v.Add(f);
        return new WordEncoder(v, minCount);
    }

    /// <summary>The row of a form (never fails: unknown shapes use the plainest signature).</summary>
    public int Encode(string form)
    {
        if (Vocabulary.TryGet(form, out int id)) return id;
        string lower = form.ToLowerInvariant();
        if (!ReferenceEquals(lower, form) && lower != form && Vocabulary.TryGet(lower, out id)) return id;
        if (Vocabulary.TryGet(Signature(form), out id)) return id;
        return Vocabulary.Get(Signature("x"));
    }

    public bool IsKnown(string form) => Vocabulary.TryGet(form, out _) || Vocabulary.TryGet(form.ToLowerInvariant(), out _);

    /// <summary>The unknown-word class of a form, e.g. "&lt;unk-Cap-ing&gt;", "&lt;unk-num&gt;", "&lt;unk-punct&gt;".</summary>
    public static string Signature(string form)
    {
        bool upper = false, lower = false, digit = false, letter = false, dash = false;
        foreach (char c in form)
        {
            if (char.IsUpper(c)) { upper = true; letter = true; }
            else if (char.IsLower(c)) { lower = true; letter = true; }
            else if (char.IsLetter(c)) letter = true;
            else if (char.IsDigit(c)) digit = true;
            else if (c == '-') dash = true;
        }
        if (!letter && !digit) return "<unk-punct>";
        var sb = new System.Text.StringBuilder("<unk");
        if (upper && !lower) sb.Append("-CAPS");
        else if (form.Length > 0 && char.IsUpper(form[0])) sb.Append("-Cap");
        else if (upper) sb.Append("-mixed");
        if (digit) sb.Append(letter ? "-alnum" : "-num");
        if (dash) sb.Append("-dash");
        if (lower && form.Length >= 4)
        {
            string f = form.ToLowerInvariant();
            foreach (var s in Suffixes)
                if (f.EndsWith(s, StringComparison.Ordinal) && f.Length > s.Length + 1) { sb.Append('-').Append(s); break; }
        }
        return sb.Append('>').ToString();
    }
}
