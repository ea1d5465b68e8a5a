using MePropNative.Backends;

namespace MePropNative.Nlp;

/// <summary>A sentence as embedding rows (words) and tag ids (-1 where the tag is unknown or not given).</summary>
public sealed record EncodedSentence(int[] Words, int[] Tags)
{
    public int Length => Words.Length;
}

/// <summary>The vocabularies of a tagger: word rows (with unknown-word signatures) and the XPOS tag set.</summary>
public sealed class TaggerVocabulary(WordEncoder words, Vocabulary tags)
{
    public WordEncoder Words { get; } = words;
    public Vocabulary Tags { get; } = tags;

    /// <summary>Word vocabulary from the training forms (min count), tags from the training XPOS column.</summary>
    public static TaggerVocabulary Build(IReadOnlyList<ConlluSentence> train, int minCount)
    {
        var words = WordEncoder.Build(train.SelectMany(s => s.Tokens.Select(t => t.Form)), minCount);
        var tags = new Vocabulary();
        foreach (var s in train)
            foreach (var t in s.Tokens)
                if (t.Xpos != "_") tags.Add(t.Xpos);
        if (tags.Count < 2) throw new InvalidDataException("the training data has fewer than two distinct XPOS tags.");
        return new TaggerVocabulary(words, tags);
    }

    /// <summary>Encodes a sentence; tags not in the tag set (or "_") become -1 (not scored, not trained on).</summary>
    public EncodedSentence Encode(ConlluSentence s) => new(
        s.Tokens.Select(t => Words.Encode(t.Form)).ToArray(),
        s.Tokens.Select(t => Tags.TryGet(t.Xpos, out int id) ? id : -1).ToArray());
}

/// <summary>
/// Mini-batches of sentences of similar length ("bucketing"): the sentences are sorted by length (ties broken by a
/// per-epoch random key) and cut into consecutive groups of at most batch-size sentences, and the order of the groups
/// is shuffled; within a group the sentences are ordered longest first, as <see cref="PackedSequences"/> wants.
/// Every draw is a pure function of (seed, epoch).
/// </summary>
public static class SentenceBatches
{
    public static List<int[]> Make(IReadOnlyList<EncodedSentence> sentences, int batchSize, ulong seed, int epoch, bool shuffle)
    {
        var ids = Enumerable.Range(0, sentences.Count).Where(i => sentences[i].Length > 0).ToArray();
        ulong epochSeed = CounterRandom.Derive(seed, 500, (ulong)epoch);
        var keys = ids.Select(i => shuffle ? CounterRandom.Hash(epochSeed, 1, (ulong)i) : (ulong)i).ToArray();
        Array.Sort(ids.Select((i, j) => ((long)sentences[i].Length << 40) | (long)(keys[j] >> 24)).ToArray(), ids);
        var batches = new List<int[]>();
        for (int s = 0; s < ids.Length; s += batchSize)
        {
            var b = ids.AsSpan(s, Math.Min(batchSize, ids.Length - s)).ToArray();
            Array.Reverse(b); // longest first
            batches.Add(b);
        }
        if (shuffle)
            for (int i = batches.Count - 1; i > 0; i--)
            {
                int j = (int)(CounterRandom.Hash(epochSeed, 2, (ulong)i) % (ulong)(i + 1));
                (batches[i], batches[j]) = (batches[j], batches[i]);
            }
        return batches;
    }

    /// <summary>Tokens of the largest batch <see cref="Make"/> cuts from <paramref name="sentences"/> at
    /// <paramref name="batchSize"/>, in every epoch: the batches are runs of the sentences sorted by length, so their
    /// lengths do not depend on how ties are ordered.</summary>
    public static long LargestTokens(IReadOnlyList<EncodedSentence> sentences, int batchSize) =>
        Make(sentences, batchSize, seed: 0, epoch: 0, shuffle: false).Select(b => b.Sum(i => (long)sentences[i].Length)).DefaultIfEmpty(0).Max();
}

/// <summary>A batch of encoded sentences laid out for the tagger: word rows and gold tags in packed (time-major) row order
/// for the left-to-right LSTM, word rows in the right-to-left order, and the map between the two.</summary>
public sealed class TaggerBatch
{
    public TaggerBatch(IReadOnlyList<EncodedSentence> sentences, int[] sentenceIds)
    {
        SentenceIds = sentenceIds;
        Layout = new PackedSequences(sentenceIds.Select(i => sentences[i].Length).ToArray());
        int n = Layout.Tokens;
        ForwardWords = new int[n];
        ReverseWords = new int[n];
        ReverseRows = new int[n];
        Tags = new int[n];
        for (int b = 0; b < sentenceIds.Length; b++)
        {
            var s = sentences[sentenceIds[b]];
            for (int t = 0; t < s.Length; t++)
            {
                int row = Layout.Row(b, t), rev = Layout.ReverseRow(b, t);
                ForwardWords[row] = s.Words[t];
                ReverseWords[rev] = s.Words[t];
                ReverseRows[row] = rev;
                Tags[row] = s.Tags[t];
            }
        }
        ScoredTokens = Tags.Count(t => t >= 0);
    }

    public int[] SentenceIds { get; }
    public PackedSequences Layout { get; }
    public int[] ForwardWords { get; }
    public int[] ReverseWords { get; }
    /// <summary>For each forward row, the row of the same token in the right-to-left layout.</summary>
    public int[] ReverseRows { get; }
    /// <summary>Gold tag per forward row (-1: not scored).</summary>
    public int[] Tags { get; }
    public int ScoredTokens { get; }
}
