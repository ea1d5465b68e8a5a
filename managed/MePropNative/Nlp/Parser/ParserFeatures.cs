namespace MePropNative.Nlp.Parser;

/// <summary>
/// The vocabularies of the parser and the layout of its single embedding table: rows [0, words) are word rows,
/// then tag rows, then label rows (Chen and Manning 2014 keep three tables; one table with three row ranges is the
/// same model and makes each lookup one gather). Words and tags have a NULL row (no such token) and a ROOT row; tags
/// an UNKNOWN row; labels a NULL row. Dependency labels are the full UD relations (subtypes included).
/// </summary>
public sealed class ParserVocabulary
{
    public const string Null = "<null>", Root = "<root>", Unknown = "<unk-tag>";

    public ParserVocabulary(WordEncoder words, Vocabulary tags, Vocabulary labels)
    {
        Words = words;
        Tags = tags;
        ArcLabels = labels;
        WordNull = words.Vocabulary.Get(Null);
        WordRoot = words.Vocabulary.Get(Root);
        TagNull = tags.Get(Null);
        TagRoot = tags.Get(Root);
        TagUnknown = tags.Get(Unknown);
        LabelNull = labels.Get(Null);
        Transitions = new TransitionSet(labels.Count - 1);
        RootLabel = labels.TryGet("root", out int r) ? r - 1 : -1;
    }

    public WordEncoder Words { get; }
    public Vocabulary Tags { get; }
    /// <summary>"&lt;null&gt;" then the dependency labels; transition label l is ArcLabels[l + 1].</summary>
    public Vocabulary ArcLabels { get; }
    public TransitionSet Transitions { get; }
    /// <summary>Transition label of "root" (-1 if the training data has none).</summary>
    public int RootLabel { get; }
    public int WordNull { get; }
    public int WordRoot { get; }
    public int TagNull { get; }
    public int TagRoot { get; }
    public int TagUnknown { get; }
    public int LabelNull { get; }

    public int TagOffset => Words.Count;
    public int LabelOffset => Words.Count + Tags.Count;
    public int EmbeddingRows => Words.Count + Tags.Count + ArcLabels.Count;

    public string LabelName(int transitionLabel) => ArcLabels[transitionLabel + 1];

    public static ParserVocabulary Build(IReadOnlyList<ConlluSentence> train, int minCount)
    {
        var words = WordEncoder.Build(train.SelectMany(s => s.Tokens.Select(t => t.Form)), minCount, [Null, Root]);
        var tags = new Vocabulary([Null, Root, Unknown]);
        var labels = new Vocabulary([Null]);
        foreach (var s in train)
            foreach (var t in s.Tokens)
            {
                if (t.Xpos != "_") tags.Add(t.Xpos);
                if (t.Deprel != "_") labels.Add(t.Deprel);
            }
        if (labels.Count < 2) throw new InvalidDataException("the training data has no dependency labels.");
        return new ParserVocabulary(words, tags, labels);
    }

    /// <summary>Word rows and tag rows of a sentence, index 0 = ROOT (tags from XPOS; "_" or unseen: UNKNOWN).</summary>
    public (int[] Words, int[] Tags) Encode(ConlluSentence s)
    {
        var w = new int[s.Count + 1];
        var p = new int[s.Count + 1];
        w[0] = WordRoot;
        p[0] = TagRoot;
        for (int i = 0; i < s.Count; i++)
        {
            w[i + 1] = Words.Encode(s.Tokens[i].Form);
            p[i + 1] = Tags.GetOr(s.Tokens[i].Xpos, TagUnknown);
        }
        return (w, p);
    }

    /// <summary>Transition label id of a relation, or -1 when unknown.</summary>
    public int LabelId(string deprel) => ArcLabels.TryGet(deprel, out int id) && id > 0 ? id - 1 : -1;
}

/// <summary>
/// The 48 features of Chen and Manning (2014), as rows of the parser's embedding table: the words and tags of the top
/// three stack items and the first three buffer words, and of the first and second leftmost / rightmost dependents of
/// s0 and s1 and the leftmost-of-leftmost / rightmost-of-rightmost dependents of s0 and s1 (18 words, 18 tags), and
/// the arc labels of those 12 dependents.
/// </summary>
public static class ParserFeatures
{
    public const int WordCount = 18, TagCount = 18, LabelCount = 12, Count = WordCount + TagCount + LabelCount;

    /// <summary>Writes the 48 embedding rows of <paramref name="state"/> into <paramref name="output"/>.</summary>
    public static void Extract(ArcStandardState state, int[] words, int[] tags, ParserVocabulary v, Span<int> output)
    {
        if (output.Length < Count) throw new ArgumentException($"the feature output needs {Count} entries.");
        Span<int> tokens = stackalloc int[WordCount];
        int n = 0;
        for (int j = 2; j >= 0; j--) tokens[n++] = state.Stack(j);
        for (int j = 0; j <= 2; j++) tokens[n++] = state.Buffer(j);
        int labelStart = n;
        for (int j = 0; j <= 1; j++)
        {
            int k = state.Stack(j);
            int lc1 = state.LeftChild(k), rc1 = state.RightChild(k);
            tokens[n++] = lc1;
            tokens[n++] = rc1;
            tokens[n++] = state.LeftChild(k, 2);
            tokens[n++] = state.RightChild(k, 2);
            tokens[n++] = state.LeftChild(lc1);
            tokens[n++] = state.RightChild(rc1);
        }
        int tagOffset = v.TagOffset, labelOffset = v.LabelOffset;
        for (int i = 0; i < WordCount; i++)
        {
            int t = tokens[i];
            output[i] = t < 0 ? v.WordNull : words[t];
            output[WordCount + i] = tagOffset + (t < 0 ? v.TagNull : tags[t]);
        }
        for (int i = 0; i < LabelCount; i++)
        {
            int t = tokens[labelStart + i];
            output[WordCount + TagCount + i] = labelOffset + (t < 0 || state.Labels[t] < 0 ? v.LabelNull : state.Labels[t] + 1);
        }
    }
}
