using MePropNative.Nlp;

namespace MePropNative.Tests.Nlp;

public class ConlluTests
{
    internal const string Sample =
        "# sent_id = s1\n" +
        "# text = I don't know.\n" +
        "1\tI\tI\tPRON\tPRP\tCase=Nom\t4\tnsubj\t4:nsubj\t_\n" +
        "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n" +
        "2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t4:aux\t_\n" +
        "3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t4:advmod\t_\n" +
        "4\tknow\tknow\tVERB\tVB\t_\t0\troot\t0:root\tSpaceAfter=No\n" +
        "4.1\tknown\tknow\tVERB\tVBN\t_\t_\t_\t4:conj\tCopyOf=4\n" +
        "5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t4:punct\t_\n" +
        "\n" +
        "# sent_id = s2\n" +
        "1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t0:root\t_\n" +
        "\n";

    [Fact]
    public void ReadsWordsAndSkipsRangesAndEmptyNodes()
    {
        var s = Conllu.Parse(Sample);
        Assert.Equal(2, s.Count);
        Assert.Equal(["I", "do", "n't", "know", "."], s[0].Tokens.Select(t => t.Form));
        Assert.Equal([4, 4, 4, 0, 4], s[0].Tokens.Select(t => t.Head));
        Assert.Equal("PRP", s[0].Tokens[0].Xpos);
        Assert.Equal("I don't know.", s[0].Comment("text"));
        Assert.Equal(2, s[0].OtherLines.Count);
        Assert.Single(s[1].Tokens);
    }

    [Fact]
    public void RoundTripReproducesTheText()
    {
        var once = Conllu.ToText(Conllu.Parse(Sample));
        Assert.Equal(Sample, once);
        Assert.Equal(once, Conllu.ToText(Conllu.Parse(once)));
    }

    /// <summary>Lines the models skip at either end of a sentence: a range before the first word, an empty node before
    /// the first word ("0.1", which the format allows) and one after the last word, all written back where they were.</summary>
    [Fact]
    public void RangesAndEmptyNodesAtEitherEndOfASentenceRoundTrip()
    {
        const string text =
            "# sent_id = edges\n" +
            "0.1\tsaid\tsay\tVERB\tVBD\t_\t_\t_\t2:parataxis\t_\n" +
            "1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n" +
            "1\tdo\tdo\tAUX\tVBP\t_\t0\troot\t0:root\t_\n" +
            "2\tn't\tnot\tPART\tRB\t_\t1\tadvmod\t1:advmod\t_\n" +
            "2.1\tgo\tgo\tVERB\tVB\t_\t_\t_\t1:conj\t_\n" +
            "\n";
        var s = Conllu.Parse(text);
        Assert.Equal(["do", "n't"], s.Single().Tokens.Select(t => t.Form));
        Assert.Equal([0, 0, 2], s[0].OtherLines.Select(o => o.Before));
        Assert.Equal(text, Conllu.ToText(s));
    }

    [Fact]
    public void ACommentIsLookedUpByItsWholeKey()
    {
        var s = Conllu.Parse("# sent_id = s7\n# textual = no\n# text\n# text = yes = really\n1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n")[0];
        Assert.Equal("yes = really", s.Comment("text"));
        Assert.Equal("s7", s.Comment("sent_id"));
        Assert.Null(s.Comment("sent"));
        Assert.Null(s.Comment("newdoc"));
    }

    [Fact]
    public void FileRoundTripAndALastSentenceWithoutBlankLine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"meprop-conllu-{Guid.NewGuid():N}.conllu");
        try
        {
            File.WriteAllText(path, Sample.TrimEnd('\n').Replace("\n", "\r\n"));
            var read = Conllu.ReadFile(path);
            Assert.Equal(2, read.Count);
            Conllu.WriteFile(path, read);
            Assert.Equal(Sample, File.ReadAllText(path));
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\n", 1, "expected 10 tab-separated columns, found 9")]
    [InlineData("# c\n1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n3\tx\tx\tX\tX\t_\t1\tdep\t_\t_\n", 3, "word ID 3 out of sequence")]
    [InlineData("1\tI\tI\tPRON\tPRP\t_\tx\troot\t_\t_\n", 1, "HEAD 'x'")]
    [InlineData("\n\n1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n2\tme\tI\tPRON\tPRP\t_\t7\tobj\t_\t_\n", 4, "HEAD 7 is outside the sentence")]
    [InlineData("1\tI\tI\tPRON\tPRP\t_\t1\troot\t_\t_\n", 1, "its own head")]
    [InlineData("a\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n", 1, "ID 'a'")]
    [InlineData("1-x\tI\t_\t_\t_\t_\t_\t_\t_\t_\n", 1, "ID '1-x'")]
    [InlineData("0-1\tI\t_\t_\t_\t_\t_\t_\t_\t_\n", 1, "ID '0-1'")]
    [InlineData("1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n# late\n", 2, "a comment line inside a sentence")]
    [InlineData("1\tI\t\tPRON\tPRP\t_\t0\troot\t_\t_\n", 1, "column 3 is empty")]
    [InlineData("1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t\n", 1, "column 10 is empty")]
    [InlineData("1\tI\tI\tPRON\tPRP\t_\t9999999999\troot\t_\t_\n", 1, "HEAD '9999999999'")]
    [InlineData("9999999999\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n", 1, "ID '9999999999' is not a positive integer")]
    [InlineData("1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n# late\n1\tdo\tdo\tAUX\tVBP\t_\t0\troot\t_\t_\n", 2, "a comment line inside a sentence")]
    [InlineData("1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n\n# c\n1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n", 3, "a sentence without word lines")]
    [InlineData("1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n1.0\tx\t_\t_\t_\t_\t_\t_\t_\t_\n", 2, "ID '1.0'")]
    public void MalformedLinesAreReportedWithFileAndLine(string text, int line, string message)
    {
        var e = Assert.Throws<ConlluFormatException>(() => Conllu.Parse(text, "bad.conllu"));
        Assert.Equal(line, e.Line);
        Assert.Equal("bad.conllu", e.File);
        Assert.StartsWith($"bad.conllu:{line}: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ReadFileNamesTheFileInErrors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"meprop-bad-{Guid.NewGuid():N}.conllu");
        try
        {
            File.WriteAllText(path, "# ok\n1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n\n1\tbad\n");
            var e = Assert.Throws<ConlluFormatException>(() => Conllu.ReadFile(path));
            Assert.Equal(4, e.Line);
            Assert.StartsWith($"{path}:4: ", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TokenizedTextBecomesSentencesWithUnknownColumns()
    {
        var s = Conllu.ReadTokenizedText(new StringReader("The cat sat .\n\n  Dogs   bark\n"));
        Assert.Equal(2, s.Count);
        Assert.Equal(["Dogs", "bark"], s[1].Tokens.Select(t => t.Form));
        Assert.Equal(-1, s[1].Tokens[0].Head);
        Assert.Equal("2\tbark\t_\t_\t_\t_\t_\t_\t_\t_", s[1].Tokens[1].ToLine());
        Assert.Equal("Dogs bark", s[1].Comment("text"));
    }

    private const string Word1 = "1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n";

    /// <summary>--format auto: CoNLL-U when a line holds a tab or is a CoNLL-U comment, so a damaged CoNLL-U file is
    /// read as CoNLL-U and its damage reported with its line (it used to be tagged as plain text).</summary>
    [Theory]
    [InlineData("# sent_id = a\n1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\tEXTRA\n", 2, "expected 10 tab-separated columns, found 11")]
    [InlineData("# text = I me\n1 I I PRON PRP _ 0 root _ _\n2\tme\tI\tPRON\tPRP\t_\t1\tobj\t_\t_\n", 2, "expected 10 tab-separated columns, found 1")]
    [InlineData("1 I I PRON PRP _ 0 root _ _\n2\tme\tI\tPRON\tPRP\t_\t1\tobj\t_\t_\n", 1, "expected 10 tab-separated columns, found 1")]
    [InlineData("the cat\tsat\n", 1, "--format text reads it as plain text")]
    public void AutoFormatReadsDamagedCoNLLUAsCoNLLU(string text, int line, string message)
    {
        string path = TempFile(text);
        try
        {
            var e = Assert.Throws<ConlluFormatException>(() => Conllu.ReadAny(path));
            Assert.Equal(line, e.Line);
            Assert.Contains(message, e.Message);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("auto", "")]
    [InlineData("auto", "\n  \n")]
    [InlineData("auto", "# sent_id = a\n# text = nothing\n")]
    [InlineData("auto", "# newdoc id = d\n\n# sent_id = a\n\n")]
    [InlineData("conllu", "# any comment\n")]
    [InlineData("text", "\n\n")]
    public void InputWithoutAWordIsAnErrorNamingTheFile(string format, string text)
    {
        string path = TempFile(text);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => Conllu.ReadAny(path, format));
            Assert.Equal($"{path}: the input holds no sentences (not one word line: it is empty or holds only comment or blank lines).", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("The cat sat .\n# hashtags are words\n", "text", 2)]
    [InlineData("# sent_id = a\n" + Word1, "conllu", 1)]
    [InlineData("#newpar\n" + Word1 + "\n" + Word1, "conllu", 2)]
    [InlineData("# texts are words here\n", "text", 1)]
    public void AutoFormatTellsTextFromCoNLLU(string text, string format, int sentences)
    {
        string path = TempFile(text);
        try
        {
            var read = Conllu.ReadAny(path);
            Assert.Equal(sentences, read.Count);
            Assert.Equal(format == "conllu" ? "PRP" : "_", read[0].Tokens[0].Xpos);
        }
        finally { File.Delete(path); }
    }

    private static string TempFile(string text)
    {
        string path = Path.Combine(Path.GetTempPath(), $"meprop-input-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void UnknownWordsGetSignatureRows()
    {
        var enc = WordEncoder.Build(["the", "the", "cat", "Running", "walked", "walked", "1984"], minCount: 2);
        Assert.Equal(enc.Vocabulary.Get("the"), enc.Encode("the"));
        Assert.Equal(enc.Vocabulary.Get("the"), enc.Encode("The"));           // lower-case fallback
        Assert.Equal(enc.Vocabulary.Get("<unk-Cap-ing>"), enc.Encode("Jumping")); // signature seen in training (Running)
        Assert.Equal(enc.Vocabulary.Get("<unk-num>"), enc.Encode("2024"));
        Assert.Equal(enc.Vocabulary.Get("<unk>"), enc.Encode("zzzq"));            // unseen signature: the plainest one
        Assert.False(enc.IsKnown("cat"));
        Assert.True(enc.IsKnown("The"));  // known through its lower-case spelling, as Encode finds it
        Assert.False(enc.IsKnown("Cat"));
    }

    /// <summary>The unknown-word classes: case (all capitals, a capital first, mixed), digits, a hyphen, and a suffix
    /// only for a word of at least 4 characters with lower-case letters that is longer than the suffix plus one.</summary>
    [Theory]
    [InlineData("Running", "<unk-Cap-ing>")]
    [InlineData("NASA", "<unk-CAPS>")]
    [InlineData("I", "<unk-CAPS>")]
    [InlineData("iPhone", "<unk-mixed>")]
    [InlineData("2024", "<unk-num>")]
    [InlineData("3.14", "<unk-num>")]
    [InlineData("B52", "<unk-CAPS-alnum>")]
    [InlineData("mp3s", "<unk-alnum-s>")]
    [InlineData("mid-term", "<unk-dash>")]
    [InlineData("re-used", "<unk-dash-ed>")]
    [InlineData("Well-Known", "<unk-Cap-dash>")]
    [InlineData("kindness", "<unk-ness>")]
    [InlineData("quickly", "<unk-ly>")]
    [InlineData("sing", "<unk>")]
    [InlineData("bed", "<unk>")]
    [InlineData("buses", "<unk-s>")]
    [InlineData("...", "<unk-punct>")]
    [InlineData("-", "<unk-punct>")]
    [InlineData("--", "<unk-punct>")]
    public void SignaturesDescribeAWordsShape(string form, string signature) => Assert.Equal(signature, WordEncoder.Signature(form));
}
