using System.Text.Json.Nodes;
using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Nlp.Training;
using MePropNative.Tensors;
using MePropNative.Training;

namespace MePropNative.Nlp;

/// <summary>Applies a tagger to sentences: batches of similar length, inference forward, arg-max tag per word.</summary>
public sealed class TaggerPredictor(IBackend backend, LstmTagger model, TaggerVocabulary vocabulary, int batchSize = 128)
{
    private readonly IndexTensorCache predictions = new(backend);

    public LstmTagger Model => model;
    public TaggerVocabulary Vocabulary => vocabulary;

    /// <summary>Predicted tag ids per sentence and word.</summary>
    public int[][] Predict(IReadOnlyList<EncodedSentence> sentences)
    {
        var result = new int[sentences.Count][];
        foreach (var ids in SentenceBatches.Make(sentences, batchSize, 0, 0, shuffle: false))
        {
            var b = new TaggerBatch(sentences, ids);
            var scores = model.Forward(b, StepContext.Inference);
            var pred = predictions.Get(1, scores.Rows);
            backend.ArgmaxRows(scores, pred);
            var host = new int[scores.Rows];
            backend.Download(pred, host);
            for (int i = 0; i < ids.Length; i++)
            {
                var tags = new int[sentences[ids[i]].Length];
                for (int t = 0; t < tags.Length; t++) tags[t] = host[b.Layout.Row(i, t)];
                result[ids[i]] = tags;
            }
        }
        for (int i = 0; i < result.Length; i++) result[i] ??= [];
        return result;
    }

    /// <summary>The sentences with their XPOS column set to the predicted tags (everything else kept).</summary>
    public List<ConlluSentence> Tag(IReadOnlyList<ConlluSentence> sentences)
    {
        var predicted = Predict(sentences.Select(vocabulary.Encode).ToList());
        return sentences.Select((s, i) =>
        {
            int t = 0;
            return s.With(tok => tok with { Xpos = vocabulary.Tags[predicted[i][t++]] });
        }).ToList();
    }

    /// <summary>Per-word accuracy (percent) against the gold tags of <paramref name="sentences"/>; a gold tag the
    /// tagger does not know (-1) counts as an error.</summary>
    public double Accuracy(IReadOnlyList<EncodedSentence> sentences)
    {
        var predicted = Predict(sentences);
        long correct = 0, total = 0;
        for (int i = 0; i < sentences.Count; i++)
            for (int t = 0; t < sentences[i].Length; t++)
            {
                total++;
                if (predicted[i][t] == sentences[i].Tags[t]) correct++;
            }
        return total == 0 ? 0 : 100.0 * correct / total;
    }
}

/// <summary>Saves and loads a trained tagger: weights, shape and vocabularies in one <see cref="TensorFile"/>.</summary>
public static class TaggerModelFile
{
    public static void Save(LstmTagger model, TaggerVocabulary vocabulary, string path) => Contents(model, vocabulary).Write(path);

    /// <summary>The header and the weights (not copied) that <see cref="Save"/> writes.</summary>
    public static ModelFileContents Contents(LstmTagger model, TaggerVocabulary vocabulary)
    {
        var o = model.Options;
        var header = new JsonObject
        {
            ["format"] = "meprop-tagger",
            ["embedding_size"] = o.EmbeddingSize,
            ["hidden"] = model.ForwardLstm.HiddenSize,
            ["backward_hidden"] = model.BackwardLstm?.HiddenSize,
            ["bidirectional"] = model.BackwardLstm is not null,
            ["min_count"] = vocabulary.Words.MinCount,
            ["words"] = vocabulary.Words.Vocabulary.ToJson(),
            ["tags"] = vocabulary.Tags.ToJson(),
        };
        return new ModelFileContents(header, [.. model.Parameters.Select(p => (p.Name, p.Value))]);
    }

    public static (LstmTagger Model, TaggerVocabulary Vocabulary) Load(IBackend backend, string path)
    {
        var (h, tensors) = TensorFile.Read(path);
        if (h.Tag("format") != "meprop-tagger") throw new InvalidDataException($"{path} is not a saved tagger (meprop train tagger --out DIR writes DIR/model.bin).");
        var vocab = new TaggerVocabulary(WordEncoder.Read(h), new Vocabulary(h.StringArray("tags")));
        var model = new LstmTagger(backend, new TaggerOptions
        {
            Words = vocab.Words.Count,
            Tags = vocab.Tags.Count,
            EmbeddingSize = h.Int("embedding_size", min: 1),
            Hidden = h.Int("hidden", min: 1),
            BackwardHidden = h.OptionalInt("backward_hidden", min: 1),
            Bidirectional = h.Bool("bidirectional"),
        });
        foreach (var p in model.Parameters)
        {
            if (!tensors.TryGetValue(p.Name, out var e) || e.Data.Length != p.Length)
                throw new InvalidDataException($"{path}: tensor {p.Name} is missing or has the wrong size.");
            backend.Upload(e.Data, p.Value);
        }
        return (model, vocab);
    }
}

/// <summary>The tagger as an <see cref="INlpTask"/>: UD English EWT (or any CoNLL-U files), XPOS tags, per-word accuracy.</summary>
public sealed class TaggerTask : INlpTask
{
    private readonly IBackend backend;
    private readonly NlpConfig config;
    private readonly List<EncodedSentence> train, dev, test;
    private readonly IndexTensorCache labels;
    private readonly TaggerPredictor predictor;
    /// <summary>batch_size, or all the training sentences when they are fewer.</summary>
    private readonly int batchSize;
    private List<int[]> batches = [];
    private TaggerBatch? current;

    public TaggerTask(NlpConfig config, IBackend backend, int[]? sizes = null, Action<string>? log = null)
    {
        this.config = config;
        this.backend = backend;
        var (trainSentences, devSentences, testSentences) = NlpSplits.Read(config);
        Vocabulary = TaggerVocabulary.Build(trainSentences, config.MinCount);
        config.ValidateOutputK(Vocabulary.Tags.Count, "XPOS tags of the training data");
        config.ValidateWeights(Vocabulary.Words.Count, Vocabulary.Tags.Count);
        var encoded = trainSentences.Select(Vocabulary.Encode).ToList();
        train = encoded.Where(s => s.Length > 0 && s.Tags.All(t => t >= 0)).ToList();
        if (train.Count == 0) throw new InvalidDataException($"{config.TrainPath}: no training sentence has an XPOS tag on every word (sentences with a word tagged '_' are left out).");
        int dropped = encoded.Count - train.Count;
        batchSize = Math.Min(config.Common.BatchSize, train.Count);
        dev = devSentences.Select(Vocabulary.Encode).ToList();
        test = testSentences.Select(Vocabulary.Encode).ToList();
        var c = config.Common;
        var options = new TaggerOptions
        {
            Words = Vocabulary.Words.Count,
            Tags = Vocabulary.Tags.Count,
            EmbeddingSize = config.EmbeddingSize,
            Hidden = sizes?[1] ?? c.Hidden[0],
            BackwardHidden = config.Bidirectional ? sizes?[2] ?? c.Hidden[0] : null,
            Bidirectional = config.Bidirectional,
            Dropout = c.Dropout,
            Strategy = c.Strategy,
            K = config.K,
            Groups = config.GateSelection == "per_gate" ? 4 : 1,
            OutputK = c.OutputK > 0 ? c.OutputK : null,
            MemoryRatio = c.MemoryRatio,
            Seed = (ulong)c.Seed,
        };
        var widest = options.WidestRow();
        long evalTokens = Math.Max(SentenceBatches.LargestTokens(dev, c.EvalBatchSize), SentenceBatches.LargestTokens(test, c.EvalBatchSize));
        BatchSizeLimit.Check(
            BatchSizeLimit.Problem("batch_size", c.BatchSize, evaluation: false, SentenceBatches.LargestTokens(train, batchSize), "token", widest, most: null),
            BatchSizeLimit.Problem("eval_batch_size", c.EvalBatchSize, evaluation: true, evalTokens, "token", widest, most: null));
        Model = new LstmTagger(backend, options, SparsifiedTimings, DenseTimings);
        labels = new IndexTensorCache(backend);
        predictor = new TaggerPredictor(backend, Model, Vocabulary, c.EvalBatchSize);
        long unknownDev = devSentences.Sum(s => s.Tokens.Count(t => !Vocabulary.Words.IsKnown(t.Form)));
        long unknownTest = testSentences.Sum(s => s.Tokens.Count(t => !Vocabulary.Words.IsKnown(t.Form)));
        DataSummary = new JsonObject
        {
            ["train_file"] = config.TrainPath,
            ["dev_file"] = config.DevPath,
            ["test_file"] = config.TestPath,
            ["train_sentences"] = train.Count,
            ["train_tokens"] = train.Sum(s => (long)s.Length),
            ["train_sentences_dropped_unknown_tag"] = dropped,
            ["dev_sentences"] = dev.Count,
            ["dev_tokens"] = dev.Sum(s => (long)s.Length),
            ["test_sentences"] = test.Count,
            ["test_tokens"] = test.Sum(s => (long)s.Length),
            ["word_rows"] = Vocabulary.Words.Count,
            ["signature_rows"] = Vocabulary.Words.Vocabulary.Items.Count(w => w.StartsWith("<unk", StringComparison.Ordinal)),
            ["tags"] = Vocabulary.Tags.Count,
            ["dev_unknown_word_rate"] = dev.Count == 0 ? 0 : Math.Round(100.0 * unknownDev / Math.Max(1, dev.Sum(s => s.Length)), 3),
            ["test_unknown_word_rate"] = Math.Round(100.0 * unknownTest / Math.Max(1, test.Sum(s => s.Length)), 3),
        };
        log?.Invoke($"tagger data: {train.Count} training sentences ({DataSummary["train_tokens"]} tokens), {dev.Count} dev, {test.Count} test; " +
                    $"{Vocabulary.Words.Count} word rows, {Vocabulary.Tags.Count} tags");
    }

    public string Name => "tagger";
    public string Description => Model.Description;
    public TaggerVocabulary Vocabulary { get; }
    public LstmTagger Model { get; }
    public JsonObject DataSummary { get; }
    public IReadOnlyList<Parameter> Parameters => Model.Parameters;
    public IReadOnlyList<Linear> LinearLayers => Model.LinearLayers;
    public IReadOnlyList<StrategyState> StrategyStates =>
        Model.Lstms.Select(l => new StrategyState(l.Name, l.Strategy.State, l.Strategy.RestoreState))
            .Append(new StrategyState("output", Model.Output.Strategy.State, Model.Output.Strategy.RestoreState)).ToList();
    public int[] Sizes => Model.Sizes;
    public long TrainRows => train.Sum(s => (long)s.Length);
    public int TrainSentences => train.Count;
    public int DevSentences => dev.Count;
    public int TestSentences => test.Count;
    public int BatchesPerEpoch => (train.Count + batchSize - 1) / batchSize;
    public LayerTimings SparsifiedTimings { get; } = new();
    public LayerTimings DenseTimings { get; } = new();

    public void BeginEpoch(int epoch) => batches = SentenceBatches.Make(train, batchSize, (ulong)config.Common.Seed, epoch, shuffle: true);

    public (Tensor Scores, IndexTensor Labels) Forward(int batch, in StepContext context)
    {
        current = new TaggerBatch(train, batches[batch]);
        var scores = Model.Forward(current, context);
        var y = labels.Get(current.Layout.Tokens, 1);
        backend.Upload(current.Tags, y);
        return (scores, y);
    }

    public void Backward(Tensor scoresGradient) => Model.Backward(scoresGradient);

    public NlpScores Evaluate(string split)
    {
        var set = split == "dev" ? dev : test;
        return new NlpScores(predictor.Accuracy(set), null, set.Sum(s => (long)s.Length));
    }

    public void CountSelections(bool on)
    {
        foreach (var l in Model.Lstms)
        {
            var st = l.Gates.Statistics;
            if (!on && st.CountUnits) st.ResetCounts();
            st.CountUnits = on;
        }
    }

    /// <summary>meSimp for the LSTM hidden size: a unit's count is the sum of its four gate rows' selections; units
    /// selected in fewer than threshold x (rows back propagated) are removed (at least one is kept).</summary>
    public IReadOnlyList<string> PruneSeldomSelected(float threshold)
    {
        var messages = new List<string>();
        int[]?[] keep = new int[]?[2];
        var lstms = Model.Lstms.ToList();
        for (int d = 0; d < lstms.Count; d++)
        {
            var l = lstms[d];
            var st = l.Gates.Statistics;
            var counts = l.UnitSelectionCounts();
            if (counts is null || st.CountedExamples == 0) continue;
            var k = MeSimpRule.UnitsToKeep(counts, st.CountedExamples, threshold);
            st.ResetCounts();
            if (k.Length < l.HiddenSize)
            {
                messages.Add($"meSimp: {l.Name} {l.HiddenSize} -> {k.Length} units");
                keep[d] = k;
            }
        }
        if (keep[0] is not null || keep[1] is not null) Model.KeepHiddenUnits(keep[0], keep[1]);
        return messages;
    }

    public ModelFileContents ModelContents() => TaggerModelFile.Contents(Model, Vocabulary);
}
