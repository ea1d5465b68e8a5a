using System.Globalization;
using System.Text;

namespace MePropNative.Nlp;

/// <summary>A CoNLL-U file (or text) that cannot be read; the message starts with "file:line:".</summary>
public sealed class ConlluFormatException(string file, int line, string message) : Exception($"{file}:{line}: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public string Reason { get; } = message;
}

/// <summary>One syntactic word of a CoNLL-U sentence (a line whose ID is an integer). Head is -1 when the column is "_".</summary>
public sealed record ConlluToken(
    int Id, string Form, string Lemma, string Upos, string Xpos, string Feats, int Head, string Deprel, string Deps, string Misc)
{
    /// <summary>The ten columns as written (head "_" when unknown).</summary>
    public string ToLine() => string.Join('\t', Id.ToString(CultureInfo.InvariantCulture), Form, Lemma, Upos, Xpos, Feats,
        Head < 0 ? "_" : Head.ToString(CultureInfo.InvariantCulture), Deprel, Deps, Misc);

    /// <summary>A token of plain text: only the form known, every other column "_".</summary>
    public static ConlluToken FromForm(int id, string form) => new(id, form, "_", "_", "_", "_", -1, "_", "_", "_");
}

/// <summary>
/// A sentence: its comment lines, its syntactic words (IDs 1..n), and the lines the models do not use — multiword-token
/// ranges ("3-4") and empty nodes ("5.1") — kept verbatim with the number of words that precede them, so that a
/// sentence written back is the sentence that was read.
/// </summary>
public sealed class ConlluSentence
{
    public List<string> Comments { get; } = [];
    public List<ConlluToken> Tokens { get; } = [];
    public List<(int Before, string Line)> OtherLines { get; } = [];

    /// <summary>Line number of the sentence's first line in its file (1-based; 0 for built sentences).</summary>
    public int FirstLine { get; init; }

    public int Count => Tokens.Count;

    /// <summary>The value of a "# key = value" comment, or null.</summary>
    public string? Comment(string key)
    {
        foreach (var c in Comments)
        {
            var s = c.AsSpan(1).Trim();
            if (s.StartsWith(key, StringComparison.Ordinal) && s[key.Length..].TrimStart().StartsWith("="))
                return s[key.Length..].TrimStart()[1..].Trim().ToString();
        }
        return null;
    }

    /// <summary>A copy whose tokens are transformed by <paramref name="map"/> (comments and other lines kept).</summary>
    public ConlluSentence With(Func<ConlluToken, ConlluToken> map)
    {
        var s = new ConlluSentence { FirstLine = FirstLine };
        s.Comments.AddRange(Comments);
        s.OtherLines.AddRange(OtherLines);
        s.Tokens.AddRange(Tokens.Select(map));
        return s;
    }

    /// <summary>A sentence of plain tokens (a whitespace-tokenized line).</summary>
    public static ConlluSentence FromForms(IEnumerable<string> forms, string? text = null)
    {
        var s = new ConlluSentence();
        if (text is not null) s.Comments.Add("# text = " + text);
        int i = 1;
        foreach (var f in forms) s.Tokens.Add(ConlluToken.FromForm(i++, f));
        return s;
    }
}

/// <summary>Reads and writes CoNLL-U (https://universaldependencies.org/format.html).</summary>
public static class Conllu
{
    /// <summary>Reads every sentence of a file. Throws <see cref="ConlluFormatException"/> (file and line) on the first malformed line.</summary>
    public static List<ConlluSentence> ReadFile(string path)
    {
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"CoNLL-U file not found: {path}", path);
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Read(reader, path);
    }

    /// <summary>Reads CoNLL-U text; <paramref name="source"/> names it in error messages.</summary>
    public static List<ConlluSentence> Parse(string text, string source = "<text>") => Read(new StringReader(text), source);

    public static List<ConlluSentence> Read(TextReader reader, string source)
    {
        var sentences = new List<ConlluSentence>();
        ConlluSentence? current = null;
        var wordLines = new List<int>(); // line number of each word line of the current sentence, for the head checks
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            if (line.Trim().Length == 0)
            {
                if (current is not null) sentences.Add(Finish(current, source, wordLines));
                current = null;
                wordLines.Clear();
                continue;
            }
            current ??= new ConlluSentence { FirstLine = lineNumber };
            if (line[0] == '#')
            {
                if (current.Tokens.Count > 0 || current.OtherLines.Count > 0)
                    throw new ConlluFormatException(source, lineNumber, "a comment line inside a sentence (comments come before the first word line).");
                current.Comments.Add(line);
                continue;
            }
            if (ReadWordLine(current, line, source, lineNumber)) wordLines.Add(lineNumber);
        }
        if (current is not null) sentences.Add(Finish(current, source, wordLines));
        return sentences;
    }

    /// <summary>Adds a word line to the sentence (true) or keeps a range / empty-node line verbatim (false).</summary>
    private static bool ReadWordLine(ConlluSentence s, string line, string source, int lineNumber)
    {
        var cols = line.Split('\t');
        if (cols.Length != 10)
            throw new ConlluFormatException(source, lineNumber, $"expected 10 tab-separated columns, found {cols.Length}.");
        string id = cols[0];
        if (id.Contains('-') || id.Contains('.'))
        {
            // multiword token range "3-4" or empty node "5.1": checked for shape, then kept verbatim and skipped; an empty
            // node before the first word is "0.1" (the format's decimal IDs may be below 1, never 0 itself)
            char sep = id.Contains('-') ? '-' : '.';
            var parts = id.Split(sep);
            if (parts.Length != 2 || !(IsNumber(parts[0]) || (sep == '.' && parts[0] == "0")) || !IsNumber(parts[1]))
                throw new ConlluFormatException(source, lineNumber, $"ID '{id}' is neither a word index, a range (3-4) nor an empty node (5.1).");
            s.OtherLines.Add((s.Tokens.Count, line));
            return false;
        }
        if (!IsNumber(id)) throw new ConlluFormatException(source, lineNumber, $"ID '{id}' is not a positive integer.");
        int n = int.Parse(id, CultureInfo.InvariantCulture);
        if (n != s.Tokens.Count + 1)
            throw new ConlluFormatException(source, lineNumber, $"word ID {n} out of sequence (expected {s.Tokens.Count + 1}).");
        for (int c = 0; c < 10; c++)
            if (cols[c].Length == 0) throw new ConlluFormatException(source, lineNumber, $"column {c + 1} is empty (use '_' for no value).");
        int head;
        if (cols[6] == "_") head = -1;
        else if (IsNumber(cols[6]) || cols[6] == "0") head = int.Parse(cols[6], CultureInfo.InvariantCulture);
        else throw new ConlluFormatException(source, lineNumber, $"HEAD '{cols[6]}' is not a non-negative integer or '_'.");
        s.Tokens.Add(new ConlluToken(n, cols[1], cols[2], cols[3], cols[4], cols[5], head, cols[7], cols[8], cols[9]));
        return true;
    }

    /// <summary>Checks what needs the whole sentence (heads inside it), reporting the word's own line.</summary>
    private static ConlluSentence Finish(ConlluSentence s, string source, List<int> lines)
    {
        if (s.Tokens.Count == 0 && s.OtherLines.Count > 0)
            throw new ConlluFormatException(source, s.FirstLine, "a sentence without word lines.");
        for (int i = 0; i < s.Tokens.Count; i++)
        {
            int h = s.Tokens[i].Head;
            if (h > s.Tokens.Count)
                throw new ConlluFormatException(source, lines[i], $"HEAD {h} is outside the sentence (it has {s.Tokens.Count} words).");
            if (h == s.Tokens[i].Id)
                throw new ConlluFormatException(source, lines[i], $"word {h} is its own head.");
        }
        return s;
    }

    private static bool IsNumber(string s)
    {
        if (s.Length == 0 || s.Length > 9 || s[0] == '0') return false;
        foreach (char c in s) if (c is < '0' or > '9') return false;
        return true;
    }

    /// <summary>Writes sentences as CoNLL-U (each followed by a blank line).</summary>
    public static void Write(TextWriter w, IEnumerable<ConlluSentence> sentences)
    {
        foreach (var s in sentences)
        {
            foreach (var c in s.Comments) w.Write(c + "\n");
            int other = 0;
            for (int i = 0; i <= s.Tokens.Count; i++)
            {
                while (other < s.OtherLines.Count && s.OtherLines[other].Before == i) w.Write(s.OtherLines[other++].Line + "\n");
                if (i < s.Tokens.Count) w.Write(s.Tokens[i].ToLine() + "\n");
            }
            w.Write("\n");
        }
    }

    public static string ToText(IEnumerable<ConlluSentence> sentences)
    {
        var sw = new StringWriter();
        Write(sw, sentences);
        return sw.ToString();
    }

    public static void WriteFile(string path, IEnumerable<ConlluSentence> sentences)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        Write(w, sentences);
    }

    /// <summary>Plain text, one sentence per line, tokens separated by whitespace (empty lines skipped).</summary>
    public static List<ConlluSentence> ReadTokenizedText(TextReader reader)
    {
        var list = new List<ConlluSentence>();
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            var forms = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (forms.Length == 0) continue;
            list.Add(ConlluSentence.FromForms(forms, string.Join(' ', forms)));
        }
        return list;
    }

    /// <summary>
    /// A file's sentences: CoNLL-U when <paramref name="format"/> is "conllu", whitespace-tokenized text when "text".
    /// "auto" reads CoNLL-U when some line holds a tab or is a CoNLL-U comment ("# sent_id", "# text", "# newdoc",
    /// "# newpar", "# global.columns"), plain text otherwise; so a damaged CoNLL-U file is read as CoNLL-U and its
    /// damage reported with file and line. A file without a word is an error (<see cref="RequireSentences"/>).
    /// </summary>
    public static List<ConlluSentence> ReadAny(string path, string format = "auto")
    {
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"input file not found: {path}", path);
        if (format is not ("auto" or "conllu" or "text")) throw new ArgumentException($"unknown input format '{format}' (conllu, text or auto).");
        return RequireSentences(format switch
        {
            "conllu" => ReadFile(path),
            "text" => ReadTokenizedTextFile(path),
            _ => LooksLikeConllu(path) ? ReadDetectedConllu(path) : ReadTokenizedTextFile(path),
        }, path, "input");
    }

    /// <summary>The sentences, or an <see cref="InvalidDataException"/> naming the file when not one of them has a word
    /// (<paramref name="role"/>: "input", "training file", ...).</summary>
    public static List<ConlluSentence> RequireSentences(List<ConlluSentence> sentences, string path, string role)
    {
        if (sentences.Any(s => s.Count > 0)) return sentences;
        throw new InvalidDataException($"{path}: the {role} holds no sentences (not one word line: it is empty or holds only comment or blank lines).");
    }

    private static readonly string[] CommentKeys = ["sent_id", "text", "newdoc", "newpar", "global.columns"];

    private static bool LooksLikeConllu(string path) => System.IO.File.ReadLines(path).Any(line => line.Contains('\t') || IsConlluComment(line));

    private static bool IsConlluComment(string line)
    {
        if (!line.StartsWith('#')) return false;
        var rest = line.AsSpan(1).TrimStart();
        foreach (var key in CommentKeys)
            if (rest.StartsWith(key, StringComparison.Ordinal) && (rest.Length == key.Length || rest[key.Length] is ' ' or '=' or '\t'))
                return true;
        return false;
    }

    private static List<ConlluSentence> ReadDetectedConllu(string path)
    {
        try { return ReadFile(path); }
        catch (ConlluFormatException e)
        {
            throw new ConlluFormatException(e.File, e.Line, e.Reason.TrimEnd('.') +
                " (--format auto took the file for CoNLL-U: it has a tab or a CoNLL-U comment line; --format text reads it as plain text).");
        }
    }

    private static List<ConlluSentence> ReadTokenizedTextFile(string path)
    {
        using var r = new StreamReader(path, Encoding.UTF8);
        return ReadTokenizedText(r);
    }
}
