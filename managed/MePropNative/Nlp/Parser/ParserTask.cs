using System.Text.Json.Nodes;
using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Nlp.Training;
using MePropNative.Tensors;
using MePropNative.Training;

namespace MePropNative.Nlp.Parser;

/// <summary>Attachment scores in percent, punctuation excluded (gold UPOS PUNCT, or a PTB punctuation XPOS when UPOS is absent).</summary>
public sealed record AttachmentScores(double Uas, double Las, long Scored)
{
    /// <summary>The scores of <paramref name="parsed"/> (the same sentences and words, HEAD and DEPREL from a parser)
    /// against <paramref name="gold"/>: every word with a known gold head that is not punctuation
    /// (<see cref="ParserDecoder.IsPunctuation"/>, by the gold tags) counts; UAS counts a right head, LAS a right head
    /// with the right label. All zero when no word counts.</summary>
    public static AttachmentScores Of(IReadOnlyList<ConlluSentence> gold, IReadOnlyList<ConlluSentence> parsed)
    {
        if (parsed.Count != gold.Count) throw new ArgumentException($"{parsed.Count} parsed sentences for {gold.Count} gold ones.", nameof(parsed));
        long scored = 0, heads = 0, labeled = 0;
        for (int s = 0; s < gold.Count; s++)
        {
            if (parsed[s].Count != gold[s].Count)
                throw new ArgumentException($"parsed sentence {s} has {parsed[s].Count} words, the gold one {gold[s].Count}.", nameof(parsed));
            for (int i = 0; i < gold[s].Count; i++)
            {
                var t = gold[s].Tokens[i];
                if (ParserDecoder.IsPunctuation(t) || t.Head < 0) continue;
                scored++;
                var p = parsed[s].Tokens[i];
                if (p.Head != t.Head) continue;
                heads++;
                if (p.Deprel == t.Deprel) labeled++;
            }
        }
        return scored == 0 ? new AttachmentScores(0, 0, 0) : new AttachmentScores(100.0 * heads / scored, 100.0 * labeled / scored, scored);
    }
}

/// <summary>
/// Parses sentences greedily with a trained <see cref="ParserModel"/>: all sentences advance together, one transition
/// per round; each round scores every unfinished configuration in batches and applies its best legal transition
/// (RIGHT-ARC onto ROOT only with the label "root" and only at the end, no other arc labelled "root").
/// </summary>
public sealed class ParserDecoder(IBackend backend, ParserModel model, ParserVocabulary vocabulary, int batchSize = 4000)
{
    private readonly IndexTensorCache ids = new(backend);

    public ParserModel Model => model;
    public ParserVocabulary Vocabulary => vocabulary;

    /// <summary>Final configurations (heads and label ids per word) of sentences given as word and tag rows (index 0 = ROOT).</summary>
    public ArcStandardState[] Parse(IReadOnlyList<(int[] Words, int[] Tags)> sentences)
    {
        var set = vocabulary.Transitions;
        var states = sentences.Select(s => new ArcStandardState(s.Words.Length - 1)).ToArray();
        var active = Enumerable.Range(0, states.Length).Where(i => !states[i].IsTerminal).ToList();
        var features = new int[Math.Min(batchSize, Math.Max(1, active.Count)) * ParserFeatures.Count];
        float[] scores = [];
        while (active.Count > 0)
        {
            for (int start = 0; start < active.Count; start += batchSize)
            {
                int rows = Math.Min(batchSize, active.Count - start);
                for (int r = 0; r < rows; r++)
                {
                    int i = active[start + r];
                    ParserFeatures.Extract(states[i], sentences[i].Words, sentences[i].Tags, vocabulary, features.AsSpan(r * ParserFeatures.Count));
                }
                var idx = ids.Get(1, rows * ParserFeatures.Count);
                backend.Upload(features.AsSpan(0, rows * ParserFeatures.Count), idx);
                var s = model.Forward(idx, rows, StepContext.Inference);
                if (scores.Length < s.Length) scores = new float[s.Length];
                backend.Download(s, scores.AsSpan(0, (int)s.Length));
                for (int r = 0; r < rows; r++) ApplyBest(states[active[start + r]], scores.AsSpan(r * set.Count, set.Count), set);
            }
            active.RemoveAll(i => states[i].IsTerminal);
        }
        return states;
    }

    private void ApplyBest(ArcStandardState state, ReadOnlySpan<float> scores, TransitionSet set)
    {
        int best = -1;
        float bestScore = float.NegativeInfinity;
        int root = vocabulary.RootLabel;
        for (int t = 0; t < set.Count; t++)
        {
            if (!state.IsLegal(t, set)) continue;
            if (set.IsRight(t) && root >= 0 && (state.Stack(1) == 0) != (set.LabelOf(t) == root)) continue;
            if (set.IsLeft(t) && root >= 0 && set.LabelOf(t) == root) continue;
            if (scores[t] > bestScore || best < 0) { best = t; bestScore = scores[t]; }
        }
        state.Apply(best, set);
    }

    /// <summary>The sentences with HEAD and DEPREL set to the parse (DEPS cleared to "_", everything else kept).
    /// The tags the parser reads are the XPOS column, so tag the sentences first when it is empty.</summary>
    public List<ConlluSentence> ParseSentences(IReadOnlyList<ConlluSentence> sentences)
    {
        var nonEmpty = Enumerable.Range(0, sentences.Count).Where(i => sentences[i].Count > 0).ToList();
        var parsed = Parse(nonEmpty.Select(i => vocabulary.Encode(sentences[i])).ToList());
        var states = new ArcStandardState?[sentences.Count];
        for (int j = 0; j < nonEmpty.Count; j++) states[nonEmpty[j]] = parsed[j];
        return sentences.Select((s, k) =>
        {
            if (states[k] is not { } state) return s;
            int i = 0;
            return s.With(t =>
            {
                i++;
                return t with { Head = state.Heads[i], Deprel = vocabulary.LabelName(state.Labels[i]), Deps = "_" };
            });
        }).ToList();
    }

    /// <summary>UAS and LAS against gold trees, punctuation excluded (<see cref="AttachmentScores.Of"/> of this parser's parses).</summary>
    public AttachmentScores Score(IReadOnlyList<ConlluSentence> gold) => AttachmentScores.Of(gold, ParseSentences(gold));

    private static readonly HashSet<string> PunctuationTags = ["``", "''", ",", ".", ":", "-LRB-", "-RRB-", "HYPH", "NFP", "#", "$"];

    /// <summary>Punctuation for scoring: UPOS PUNCT (UD), or when UPOS is "_" a PTB punctuation XPOS.</summary>
    public static bool IsPunctuation(ConlluToken t) => t.Upos != "_" ? t.Upos == "PUNCT" : PunctuationTags.Contains(t.Xpos);
}

/// <summary>Saves and loads a trained parser: weights, shape and vocabularies in one <see cref="TensorFile"/>.</summary>
public static class ParserModelFile
{
    public static void Save(ParserModel model, ParserVocabulary v, string path) => Contents(model, v).Write(path);

    /// <summary>The header and the weights (not copied) that <see cref="Save"/> writes.</summary>
    public static ModelFileContents Contents(ParserModel model, ParserVocabulary v)
    {
        var o = model.Options;
        var header = new JsonObject
        {
            ["format"] = "meprop-parser",
            ["embedding_size"] = o.EmbeddingSize,
            ["hidden"] = model.Hidden.Outputs,
            ["activation"] = o.Activation,
            ["min_count"] = v.Words.MinCount,
            ["words"] = v.Words.Vocabulary.ToJson(),
            ["tags"] = v.Tags.ToJson(),
            ["labels"] = v.ArcLabels.ToJson(),
        };
        return new ModelFileContents(header, [.. model.Parameters.Select(p => (p.Name, p.Value))]);
    }

    public static (ParserModel Model, ParserVocabulary Vocabulary) Load(IBackend backend, string path)
    {
        var (h, tensors) = TensorFile.Read(path);
        if (h.Tag("format") != "meprop-parser") throw new InvalidDataException($"{path} is not a saved parser (meprop train parser --out DIR writes DIR/model.bin).");
        ParserVocabulary v;
        try
        {
            v = new ParserVocabulary(WordEncoder.Read(h), new Vocabulary(h.StringArray("tags")), new Vocabulary(h.StringArray("labels")));
        }
        catch (KeyNotFoundException e)
        {
            throw new InvalidDataException($"{path}: the saved vocabularies lack an entry the parser needs ({e.Message}).");
        }
        var model = new ParserModel(backend, new ParserOptions
        {
            EmbeddingRows = v.EmbeddingRows,
            Transitions = v.Transitions.Count,
            EmbeddingSize = h.Int("embedding_size", min: 1),
            Hidden = h.Int("hidden", min: 1),
            Activation = h.Choice("activation", "cube", "relu"),
        });
        foreach (var p in model.Parameters)
        {
            if (!tensors.TryGetValue(p.Name, out var e) || e.Data.Length != p.Length)
                throw new InvalidDataException($"{path}: tensor {p.Name} is missing or has the wrong size.");
            backend.Upload(e.Data, p.Value);
        }
        return (model, v);
    }
}

/// <summary>The oracle's training examples: per transition the 48 feature rows and the gold transition.</summary>
public sealed class ParserExamples
{
    public required int[] Features { get; init; }
    public required int[] Transitions { get; init; }
    public int Count => Transitions.Length;
    public int Sentences { get; init; }
    public int Projective { get; init; }
    public int Lifted { get; init; }
    public int LiftedArcs { get; init; }
    public int SkippedNonProjective { get; init; }
    public int SkippedOther { get; init; }

    /// <summary>Runs the static oracle over every usable training tree. Non-projective trees are lifted to projective
    /// ones (<paramref name="liftNonProjective"/>) or skipped; what is not a tree (no single root, a head cycle), trees
    /// with an unknown label or a missing head are skipped.</summary>
    public static ParserExamples Build(IReadOnlyList<ConlluSentence> sentences, ParserVocabulary v, bool liftNonProjective)
    {
        var feats = new List<int>();
        var trans = new List<int>();
        int projective = 0, lifted = 0, liftedArcs = 0, skippedNp = 0, skippedOther = 0, used = 0;
        var set = v.Transitions;
        var buffer = new int[ParserFeatures.Count];
        foreach (var s in sentences)
        {
            int n = s.Count;
            if (n == 0) continue;
            var heads = new int[n + 1];
            var labels = new int[n + 1];
            bool ok = true;
            int roots = 0;
            for (int i = 1; i <= n; i++)
            {
                var t = s.Tokens[i - 1];
                heads[i] = t.Head;
                labels[i] = v.LabelId(t.Deprel);
                if (t.Head < 0 || labels[i] < 0) ok = false;
                if (t.Head == 0) roots++;
            }
            heads[0] = -1;
            if (!ok || roots != 1 || Projectivity.HasCycle(heads)) { skippedOther++; continue; }
            if (!Projectivity.IsProjective(heads))
            {
                if (!liftNonProjective) { skippedNp++; continue; }
                var (h, lifts) = Projectivity.Lift(heads);
                heads = h;
                lifted++;
                liftedArcs += lifts;
            }
            else projective++;
            var (words, tags) = v.Encode(s);
            int before = trans.Count;
            var seq = StaticOracle.Transitions(heads, labels, set, (state, t) =>
            {
                ParserFeatures.Extract(state, words, tags, v, buffer);
                feats.AddRange(buffer);
                trans.Add(t);
            });
            if (seq is null)
            {
                // not reachable (cannot happen for a projective single-rooted tree): drop what was added
                feats.RemoveRange(before * ParserFeatures.Count, feats.Count - before * ParserFeatures.Count);
                trans.RemoveRange(before, trans.Count - before);
                skippedOther++;
                continue;
            }
            used++;
        }
        return new ParserExamples
        {
            Features = feats.ToArray(),
            Transitions = trans.ToArray(),
            Sentences = used,
            Projective = projective,
            Lifted = lifted,
            LiftedArcs = liftedArcs,
            SkippedNonProjective = skippedNp,
            SkippedOther = skippedOther,
        };
    }
}

/// <summary>The parser as an <see cref="INlpTask"/>: oracle transitions of UD English EWT as training examples,
/// UAS/LAS (punctuation excluded) on dev and test with gold XPOS tags.</summary>
public sealed class ParserTask : INlpTask
{
    private readonly IBackend backend;
    private readonly NlpConfig config;
    private readonly List<ConlluSentence> dev, test;
    private readonly ParserExamples examples;
    private readonly int[] order;
    /// <summary>batch_size, or all the transitions when they are fewer.</summary>
    private readonly int batchSize;
    private readonly int[] batchFeatures, batchLabels;
    private readonly IndexTensorCache featureIds, labels;
    private readonly ParserDecoder decoder;

    public ParserTask(NlpConfig config, IBackend backend, int[]? sizes = null, Action<string>? log = null)
    {
        this.config = config;
        this.backend = backend;
        (var train, dev, test) = NlpSplits.Read(config);
        Vocabulary = ParserVocabulary.Build(train, config.MinCount);
        config.ValidateOutputK(Vocabulary.Transitions.Count, $"transitions (1 + 2 x {Vocabulary.ArcLabels.Count - 1} labels of the training data)");
        config.ValidateWeights(Vocabulary.EmbeddingRows, Vocabulary.Transitions.Count);
        examples = ParserExamples.Build(train, Vocabulary, config.NonProjective == "lift");
        if (examples.Count == 0) throw new InvalidDataException($"{config.TrainPath}: no usable training trees.");
        var c = config.Common;
        batchSize = Math.Min(c.BatchSize, examples.Count);
        var options = new ParserOptions
        {
            EmbeddingRows = Vocabulary.EmbeddingRows,
            Transitions = Vocabulary.Transitions.Count,
            EmbeddingSize = config.EmbeddingSize,
            Hidden = sizes?[1] ?? c.Hidden[0],
            Activation = config.Activation,
            Dropout = c.Dropout,
            Strategy = c.Strategy,
            K = config.K,
            OutputK = c.OutputK > 0 ? c.OutputK : null,
            MemoryRatio = c.MemoryRatio,
            Seed = (ulong)c.Seed,
        };
        // a parsing round scores at most one state per unfinished sentence
        var widest = options.WidestRow();
        long most = BatchSizeLimit.MostRows(widest);
        BatchSizeLimit.Check(
            BatchSizeLimit.Problem("batch_size", c.BatchSize, evaluation: false, batchSize, "transition", widest, most),
            BatchSizeLimit.Problem("eval_batch_size", c.EvalBatchSize, evaluation: true, Math.Min(c.EvalBatchSize, Math.Max(dev.Count, test.Count)), "parser state", widest, most));
        Model = new ParserModel(backend, options, SparsifiedTimings, DenseTimings);
        order = Enumerable.Range(0, examples.Count).ToArray();
        batchFeatures = new int[batchSize * ParserFeatures.Count];
        batchLabels = new int[batchSize];
        featureIds = new IndexTensorCache(backend);
        labels = new IndexTensorCache(backend);
        decoder = new ParserDecoder(backend, Model, Vocabulary, c.EvalBatchSize);
        DataSummary = new JsonObject
        {
            ["train_file"] = config.TrainPath,
            ["dev_file"] = config.DevPath,
            ["test_file"] = config.TestPath,
            ["train_sentences"] = train.Count,
            ["train_sentences_used"] = examples.Sentences,
            ["train_projective"] = examples.Projective,
            ["nonprojective_handling"] = config.NonProjective,
            ["train_nonprojective_lifted"] = examples.Lifted,
            ["train_arcs_lifted"] = examples.LiftedArcs,
            ["train_nonprojective_skipped"] = examples.SkippedNonProjective,
            ["train_skipped_other"] = examples.SkippedOther,
            ["train_transitions"] = examples.Count,
            ["dev_sentences"] = dev.Count,
            ["test_sentences"] = test.Count,
            ["dev_scored_tokens"] = dev.Sum(s => s.Tokens.Count(t => !ParserDecoder.IsPunctuation(t))),
            ["test_scored_tokens"] = test.Sum(s => s.Tokens.Count(t => !ParserDecoder.IsPunctuation(t))),
            ["word_rows"] = Vocabulary.Words.Count,
            ["tag_rows"] = Vocabulary.Tags.Count,
            ["labels"] = Vocabulary.ArcLabels.Count - 1,
            ["transitions"] = Vocabulary.Transitions.Count,
            ["tags_used"] = "gold XPOS",
        };
        log?.Invoke($"parser data: {train.Count} training sentences, {examples.Projective} projective, " +
                    (config.NonProjective == "lift" ? $"{examples.Lifted} non-projective lifted ({examples.LiftedArcs} arcs)" : $"{examples.SkippedNonProjective} non-projective skipped") +
                    $", {examples.SkippedOther} skipped otherwise; {examples.Count} transitions; {Vocabulary.ArcLabels.Count - 1} labels, {Vocabulary.Transitions.Count} transitions");
    }

    public string Name => "parser";
    public string Description => Model.Description;
    public ParserVocabulary Vocabulary { get; }
    public ParserModel Model { get; }
    public ParserExamples Examples => examples;
    public JsonObject DataSummary { get; }
    public IReadOnlyList<Parameter> Parameters => Model.Parameters;
    public IReadOnlyList<Linear> LinearLayers => Model.LinearLayers;
    public IReadOnlyList<StrategyState> StrategyStates =>
        Model.LinearLayers.Select(l => new StrategyState(l.Name, l.Strategy.State, l.Strategy.RestoreState)).ToList();
    public int[] Sizes => Model.Sizes;
    public long TrainRows => examples.Count;
    public int TrainSentences => examples.Sentences;
    public int DevSentences => dev.Count;
    public int TestSentences => test.Count;
    public int BatchesPerEpoch => (examples.Count + batchSize - 1) / batchSize;
    public LayerTimings SparsifiedTimings { get; } = new();
    public LayerTimings DenseTimings { get; } = new();

    /// <summary>Fisher-Yates over the transitions with counter-based draws: epoch e's order depends only on (seed, e).</summary>
    public void BeginEpoch(int epoch)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        ulong epochSeed = CounterRandom.Derive((ulong)config.Common.Seed, 400, (ulong)epoch);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(CounterRandom.Hash(epochSeed, 0, (ulong)i) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    public (Tensor Scores, IndexTensor Labels) Forward(int batch, in StepContext context)
    {
        int start = batch * batchSize, rows = Math.Min(batchSize, examples.Count - start);
        const int F = ParserFeatures.Count;
        for (int r = 0; r < rows; r++)
        {
            int e = order[start + r];
            examples.Features.AsSpan(e * F, F).CopyTo(batchFeatures.AsSpan(r * F, F));
            batchLabels[r] = examples.Transitions[e];
        }
        var ids = featureIds.Get(1, rows * F);
        backend.Upload(batchFeatures.AsSpan(0, rows * F), ids);
        var y = labels.Get(rows, 1);
        backend.Upload(batchLabels.AsSpan(0, rows), y);
        return (Model.Forward(ids, rows, context), y);
    }

    public void Backward(Tensor scoresGradient) => Model.Backward(scoresGradient);

    public NlpScores Evaluate(string split)
    {
        var s = decoder.Score(split == "dev" ? dev : test);
        return new NlpScores(s.Uas, s.Las, s.Scored);
    }

    public void CountSelections(bool on)
    {
        var st = Model.Hidden.Statistics;
        if (!on && st.CountUnits) st.ResetCounts();
        st.CountUnits = on;
    }

    public IReadOnlyList<string> PruneSeldomSelected(float threshold)
    {
        var st = Model.Hidden.Statistics;
        if (st.UnitCounts is null || st.CountedExamples == 0) return [];
        var counts = new float[st.Units];
        backend.Download(st.UnitCounts, counts);
        var keep = MeSimpRule.UnitsToKeep(counts, st.CountedExamples, threshold);
        st.ResetCounts();
        if (keep.Length >= st.Units) return [];
        int before = st.Units;
        Model.KeepHiddenUnits(keep);
        return [$"meSimp: hidden {before} -> {keep.Length} units"];
    }

    public ModelFileContents ModelContents() => ParserModelFile.Contents(Model, Vocabulary);
}
