using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Nlp;
using MePropNative.Nlp.Parser;
using MePropNative.Nlp.Training;
using MePropNative.Tests.Support;
using MePropNative.Training;

namespace MePropNative.Tests.Nlp;

public class TaggerTests : IDisposable
{
    private readonly CpuBackend backend = new();
    private readonly string dir = Directory.CreateTempSubdirectory("meprop-nlp-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>The whole BiLSTM tagger (embedding gather, both directions, concatenation, output layer, softmax loss,
    /// scatter-add into the embeddings) against finite differences.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TaggerGradientsMatchFiniteDifferences(bool bidirectional)
    {
        var tagger = new LstmTagger(backend, new TaggerOptions { Words = 9, Tags = 4, EmbeddingSize = 3, Hidden = 4, Bidirectional = bidirectional, Seed = 5 });
        EncodedSentence[] sentences = [new([1, 2, 3, 4], [0, 1, 2, 3]), new([5, 1, 8], [3, 3, 0]), new([2, 7, 6], [1, 0, 2]), new([4], [2])];
        var batch = new TaggerBatch(sentences, [0, 1, 2, 3]);
        var labels = backend.AllocateIndices(batch.Layout.Tokens, 1);
        backend.Upload(batch.Tags, labels);
        var loss = new SoftmaxCrossEntropyLoss(backend);
        double Loss()
        {
            loss.Forward(tagger.Forward(batch, StepContext.Inference), labels, computeGradient: false);
            return loss.ReadAndReset().MeanLoss;
        }
        var scores = tagger.Forward(batch, StepContext.TrainingStep(0, 0));
        tagger.Backward(loss.Forward(scores, labels, computeGradient: true)!);
        loss.ReadAndReset();
        var ps = tagger.Parameters;
        Assert.Equal(bidirectional ? 7 : 5, ps.Count); // embedding, 1 or 2 x (gates W, b), output W, b
        foreach (var p in ps)
        {
            var value = TestData.Host(backend, p.Value);
            FiniteDifferences.Check(p.Name, value, TestData.Host(backend, p.Gradient), v => backend.Upload(v, p.Value), Loss,
                Math.Max(1, value.Length / 20), 2e-3);
        }
    }

    [Fact]
    public void BucketsHoldSentencesOfSimilarLengthLongestFirst()
    {
        var sentences = Enumerable.Range(0, 50).Select(i => new EncodedSentence(new int[1 + i * 7 % 23], new int[1 + i * 7 % 23])).ToList();
        var batches = SentenceBatches.Make(sentences, 8, 1, 0, shuffle: true);
        Assert.Equal(50, batches.Sum(b => b.Length));
        Assert.Equal(50, batches.SelectMany(b => b).Distinct().Count());
        foreach (var b in batches)
        {
            var lengths = b.Select(i => sentences[i].Length).ToArray();
            Assert.True(lengths.SequenceEqual(lengths.OrderByDescending(l => l)));
            Assert.True(lengths[0] - lengths[^1] <= 4, $"batch lengths {string.Join(",", lengths)}");
        }
        Assert.Equal(batches.Select(b => b[0]), SentenceBatches.Make(sentences, 8, 1, 0, shuffle: true).Select(b => b[0]));
        Assert.NotEqual(batches.Select(b => b[0]), SentenceBatches.Make(sentences, 8, 1, 1, shuffle: true).Select(b => b[0]));
    }

    /// <summary>A sentence without words (a CoNLL-U block of comments only) goes into no batch, where it could not be
    /// laid out; prediction gives it no tags. A word whose tag is unknown (-1) is laid out but not scored.</summary>
    [Fact]
    public void EmptySentencesGoIntoNoBatchAndArePredictedNoTags()
    {
        EncodedSentence[] sentences = [new([1, 2], [0, 1]), new([], []), new([3], [-1]), new([], []), new([4, 5, 6], [1, -1, 0])];
        foreach (bool shuffle in new[] { false, true })
        {
            var batches = SentenceBatches.Make(sentences, 2, 1, 0, shuffle);
            Assert.Equal([0, 2, 4], batches.SelectMany(b => b).Order());
            Assert.All(batches, b => Assert.Equal(b.Sum(i => sentences[i].Length), new TaggerBatch(sentences, b).Layout.Tokens));
        }
        var all = new TaggerBatch(sentences, [4, 0, 2]);
        Assert.Equal(6, all.Layout.Tokens);
        Assert.Equal(4, all.ScoredTokens);

        var tagger = new LstmTagger(backend, new TaggerOptions { Words = 7, Tags = 2, EmbeddingSize = 3, Hidden = 4, Seed = 1 });
        var vocabulary = new TaggerVocabulary(WordEncoder.Build(["a"], 1), new Vocabulary(["A", "B"]));
        var predicted = new TaggerPredictor(backend, tagger, vocabulary, batchSize: 2).Predict(sentences);
        Assert.Equal([2, 0, 1, 0, 3], predicted.Select(p => p.Length));
        Assert.All(predicted.SelectMany(p => p), t => Assert.InRange(t, 0, 1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(50)]
    [InlineData(int.MaxValue)]
    public void TheLargestBatchHasTheSameTokensInEveryEpoch(int batchSize)
    {
        var sentences = Enumerable.Range(0, 50).Select(i => new EncodedSentence(new int[i * 7 % 23], new int[i * 7 % 23])).ToList(); // some empty
        long largest = SentenceBatches.LargestTokens(sentences, batchSize);
        foreach (bool shuffle in new[] { false, true })
            for (int epoch = 0; epoch < 3; epoch++)
                Assert.Equal(largest, SentenceBatches.Make(sentences, batchSize, 1, epoch, shuffle).Max(b => b.Sum(i => (long)sentences[i].Length)));
    }

    /// <summary>Writes a synthetic tagging treebank: a word's tag depends on the word and on its right neighbour, so
    /// only a model that sees the right context (the backward LSTM) gets it all right.</summary>
    private (string Train, string Test) SyntheticTagging(int train, int test)
    {
        List<ConlluSentence> Make(int count, int seed)
        {
            var rng = new Random(seed);
            var list = new List<ConlluSentence>();
            for (int i = 0; i < count; i++)
            {
                int n = 2 + rng.Next(8);
                var w = Enumerable.Range(0, n).Select(_ => rng.Next(10)).ToArray();
                var s = new ConlluSentence();
                for (int t = 0; t < n; t++)
                {
                    int next = t + 1 < n ? w[t + 1] : 0;
                    string tag = $"T{(w[t] % 3) * 2 + (next >= 5 ? 1 : 0)}";
                    s.Tokens.Add(new ConlluToken(t + 1, $"w{w[t]}", "_", "X", tag, "_", t == 0 ? 0 : 1, t == 0 ? "root" : "dep", "_", "_"));
                }
                list.Add(s);
            }
            return list;
        }
        string trainPath = Path.Combine(dir, "train.conllu"), testPath = Path.Combine(dir, "test.conllu");
        Conllu.WriteFile(trainPath, Make(train, 1));
        Conllu.WriteFile(testPath, Make(test, 2));
        return (trainPath, testPath);
    }

    private NlpConfig TaggerConfig(string train, string test, StrategyKind kind, int k)
    {
        var c = new NlpConfig("tagger") { TrainFile = train, DevFile = test, TestFile = test, EmbeddingSize = 8, MinCount = 1 };
        c.Common.Hidden = [16];
        c.Common.Strategy = kind;
        c.Common.K = [k];
        c.Common.Epochs = 6;
        c.Common.BatchSize = 8;
        c.Common.LearningRate = 0.01f;
        c.Common.EvalBatchSize = 64;
        return c;
    }

    [Theory]
    [InlineData(StrategyKind.Dense, 16)]
    [InlineData(StrategyKind.TopK, 4)]
    public void TaggerLearnsASyntheticTaskThatNeedsRightContext(StrategyKind kind, int k)
    {
        var (train, test) = SyntheticTagging(300, 60);
        var c = TaggerConfig(train, test, kind, k);
        c.Common.Out = Path.Combine(dir, "out-" + kind);
        var r = new NlpTrainer(c, backend, sizes => new TaggerTask(c, backend, sizes)).Run(TestContext.Current.CancellationToken);
        Assert.True(r.Common.TestAccuracy > 95, $"test accuracy {r.Common.TestAccuracy}");
        Assert.True(File.Exists(Path.Combine(c.Common.Out, "results.json")));
        Assert.Equal(r.Common.TestAccuracy, NlpRunResult.Read(Path.Combine(c.Common.Out, "results.json")).Common.TestAccuracy);
        Assert.Contains("dev_las", File.ReadAllText(Path.Combine(c.Common.Out, "results.csv")).Split('\n')[0]);
        // the saved model tags new text as the trained one scores it
        var (model, vocab) = TaggerModelFile.Load(backend, Path.Combine(c.Common.Out, "model.bin"));
        var gold = Conllu.ReadFile(test);
        var tagged = new TaggerPredictor(backend, model, vocab).Tag(gold.Select(s => s.With(t => t with { Xpos = "_" })).ToList());
        double acc = 100.0 * tagged.Zip(gold).Sum(p => p.First.Tokens.Zip(p.Second.Tokens).Count(q => q.First.Xpos == q.Second.Xpos)) / gold.Sum(s => s.Count);
        Assert.Equal(r.Common.TestAccuracy, acc, 6); // model.bin is the best dev evaluation's model
    }

    [Fact]
    public void TheSavedModelIsTheBestDevEvaluationsNotTheLast()
    {
        var ct = TestContext.Current.CancellationToken;
        var (train, test) = SyntheticTagging(80, 20);
        var c = TaggerConfig(train, test, StrategyKind.TopK, 4);
        c.Common.Epochs = 12;
        c.Common.LearningRate = 0.05f; // dev accuracy reaches its best before the last epoch; later ones at most tie it
        c.Common.Out = Path.Combine(dir, "best-of-12");
        var r = new NlpTrainer(c, backend, sizes => new TaggerTask(c, backend, sizes)).Run(ct);
        Assert.True(r.Common.BestEpoch < c.Common.Epochs, $"the test needs a run whose best dev epoch ({r.Common.BestEpoch}) is not its last");

        var stopped = c.Clone();
        stopped.Common.Epochs = r.Common.BestEpoch;
        stopped.Common.Out = Path.Combine(dir, "stopped-at-best");
        new NlpTrainer(stopped, backend, sizes => new TaggerTask(stopped, backend, sizes)).Run(ct);
        var names = CheckpointComparison.AssertSame(Path.Combine(stopped.Common.Out, "model.bin"), Path.Combine(c.Common.Out, "model.bin"), "hidden", "words", "tags");
        var (_, saved) = TensorFile.Read(Path.Combine(c.Common.Out, "model.bin"));
        var (_, final) = TensorFile.Read(c.Common.CheckpointPath()!);
        Assert.Contains(names, n => !saved[n].Data.AsSpan().SequenceEqual(final[n].Data)); // training went on after the best evaluation
    }

    [Fact]
    public void AResumedRunEqualsAnUninterruptedOne()
    {
        var (train, test) = SyntheticTagging(80, 20);
        var full = TaggerConfig(train, test, StrategyKind.Msbp, 3);
        full.Common.Epochs = 3;
        var a = new NlpTrainer(full, backend, sizes => new TaggerTask(full, backend, sizes)).Run(TestContext.Current.CancellationToken);
        var part = full.Clone();
        part.Common.Out = Path.Combine(dir, "resume");
        part.Common.Epochs = 2;
        new NlpTrainer(part, backend, sizes => new TaggerTask(part, backend, sizes)).Run(TestContext.Current.CancellationToken);
        var rest = part.Clone();
        rest.Common.Epochs = 3;
        rest.Common.Resume = true;
        var b = new NlpTrainer(rest, backend, sizes => new TaggerTask(rest, backend, sizes)).Run(TestContext.Current.CancellationToken);
        Assert.Equal(2, b.Common.ResumedFromEpoch);
        Assert.Equal(a.Common.Epochs.Select(e => e.TrainLoss), b.Common.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(a.Common.TestAccuracy, b.Common.TestAccuracy);
    }

    /// <summary>Runs <paramref name="full"/> straight through and as <paramref name="split"/> epochs, a checkpoint and a
    /// resumed rest, both checkpointing into their own folder, and asserts they end the same: every epoch's numbers and
    /// NLP extras, and the final checkpoints' counters (step, examples seen, optimizer steps, epochs without improvement,
    /// meSimp's counted examples) and tensors (parameters, optimizer and strategy state, selection counts) bit for bit.</summary>
    private void AssertAResumedRunEqualsAnUninterruptedOne(NlpConfig full, int split, Func<NlpConfig, Func<int[]?, INlpTask>> task, string name)
    {
        var ct = TestContext.Current.CancellationToken;
        var straight = full.Clone();
        straight.Common.Out = Path.Combine(dir, name + "-straight");
        var a = new NlpTrainer(straight, backend, task(straight)).Run(ct);
        var part = full.Clone();
        part.Common.Out = Path.Combine(dir, name + "-resumed");
        part.Common.Epochs = split;
        new NlpTrainer(part, backend, task(part)).Run(ct);
        var rest = part.Clone();
        rest.Common.Epochs = full.Common.Epochs;
        rest.Common.Resume = true;
        var b = new NlpTrainer(rest, backend, task(rest)).Run(ct);

        Assert.Equal(split, b.Common.ResumedFromEpoch);
        Assert.Equal(a.Common.Epochs.Select(e => e.TrainLoss), b.Common.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(a.Common.Epochs.Select(e => (e.DevAccuracy, e.TestAccuracy)), b.Common.Epochs.Select(e => (e.DevAccuracy, e.TestAccuracy)));
        Assert.Equal(a.Common.Epochs.Select(e => string.Join(",", e.LayerSizes!)), b.Common.Epochs.Select(e => string.Join(",", e.LayerSizes!)));
        Assert.Equal(a.EpochExtras.Select(e => (e.TrainRows, e.DevLas, e.TestLas)), b.EpochExtras.Select(e => (e.TrainRows, e.DevLas, e.TestLas)));
        Assert.Equal((a.Common.TestAccuracy, a.Common.BestEpoch, a.Common.StoppedEarly), (b.Common.TestAccuracy, b.Common.BestEpoch, b.Common.StoppedEarly));

        CheckpointComparison.AssertSame(straight.Common.CheckpointPath()!, rest.Common.CheckpointPath()!,
            "epochs_done", "step", "examples_seen", "optimizer_steps", "epochs_without_improvement", "counted_examples");
        CheckpointComparison.AssertSame(Path.Combine(straight.Common.Out, "model.bin"), Path.Combine(part.Common.Out, "model.bin"), "hidden", "backward_hidden", "words");
    }

    [Fact]
    public void AResumedTaggerRunWithMeSimpMidCycleEqualsAnUninterruptedOne()
    {
        // meSimp counts selections over a cycle of two epochs and prunes at its evaluations; the checkpoint falls inside
        // the cycle, so the resumed run needs the counts of the epoch before it (and MSBP its memory)
        var (train, test) = SyntheticTagging(80, 20);
        var c = TaggerConfig(train, test, StrategyKind.Msbp, 3);
        c.Common.Epochs = 3;
        c.Common.EvalsPerEpoch = 2;
        c.Common.MeSimp = true;
        c.Common.MeSimpCycle = 2;
        c.Common.MeSimpThreshold = 0.3f;
        AssertAResumedRunEqualsAnUninterruptedOne(c, split: 1, cfg => sizes => new TaggerTask(cfg, backend, sizes), "tagger-mesimp");
    }

    [Fact]
    public void AResumedParserRunWithRandomKDropoutAndLrDecayEqualsAnUninterruptedOne()
    {
        // random-k draws each example's rows from its index in the run's example stream, dropout its mask and lr_decay
        // its scale from the step: all from the checkpoint's counters. The learning rate is so small that dev accuracy
        // stops improving, so the checkpoint carries epochs without improvement too.
        string path = Path.Combine(dir, "trees.conllu");
        Conllu.WriteFile(path, SyntheticTreebank.Learnable(40, seed: 8));
        var c = new NlpConfig("parser") { TrainFile = path, DevFile = path, TestFile = path, EmbeddingSize = 8, MinCount = 1 };
        c.Common.Hidden = [24];
        c.Common.Strategy = StrategyKind.Random;
        c.Common.K = [6];
        c.Common.Dropout = 0.2f;
        c.Common.LearningRateDecay = 0.5f;
        c.Common.LearningRate = 1e-5f;
        c.Common.Epochs = 4;
        c.Common.BatchSize = 32;
        AssertAResumedRunEqualsAnUninterruptedOne(c, split: 2, cfg => sizes => new ParserTask(cfg, backend, sizes), "parser-random");
    }

    [Fact]
    public void LrDecayScalesTheLearningRateByTheDecayPerEpochContinuously()
    {
        var (train, test) = SyntheticTagging(40, 20);
        var c = TaggerConfig(train, test, StrategyKind.TopK, 4);
        c.Common.Epochs = 2;
        c.Common.LearningRateDecay = 0.5f;
        var recorder = new LearningRateRecorder();
        var trainer = new NlpTrainer(c, backend, sizes => new TaggerTask(c, backend, sizes), recorder);
        recorder.Optimizer = trainer.Optimizer;
        trainer.Run(TestContext.Current.CancellationToken);
        recorder.AssertContinuousPerEpochDecay(0.5f, epochs: 2);
    }

    [Fact]
    public void OfTiedDevEvaluationsTheEarliestIsReported()
    {
        // a learning rate this small leaves every tag, so every dev accuracy, as it was: all four evaluations tie, and
        // the best one is the first (a later evaluation must be strictly better to replace it)
        var (train, test) = SyntheticTagging(40, 20);
        var c = TaggerConfig(train, test, StrategyKind.TopK, 4);
        c.Common.LearningRate = 1e-7f;
        c.Common.Epochs = 2;
        c.Common.EvalsPerEpoch = 2;
        var r = new NlpTrainer(c, backend, sizes => new TaggerTask(c, backend, sizes)).Run(TestContext.Current.CancellationToken);
        var evaluations = r.Common.Epochs.SelectMany(e => e.Evaluations).ToList();
        Assert.Equal(4, evaluations.Count);
        Assert.All(evaluations, e => Assert.Equal(evaluations[0].DevAccuracy, e.DevAccuracy));
        Assert.Equal((1, 1), (r.Common.BestEpoch, r.Common.BestPoint));
        Assert.Equal(evaluations[0].TestAccuracy, r.Common.TestAccuracy);
    }

    [Fact]
    public void MeSimpResetsTheOptimizerAtEachCycleStart()
    {
        var (train, test) = SyntheticTagging(80, 20);
        var c = TaggerConfig(train, test, StrategyKind.TopK, 2);
        c.Common.Epochs = 3;
        c.Common.MeSimp = true;
        c.Common.MeSimpCycle = 1;
        c.Common.MeSimpThreshold = 0f;
        var trainer = new NlpTrainer(c, backend, sizes => new TaggerTask(c, backend, sizes));
        trainer.Run(TestContext.Current.CancellationToken);
        // a cycle per epoch: the optimizer restarted before the last epoch, so it counted that epoch's steps only
        Assert.Equal(trainer.Task.BatchesPerEpoch, trainer.Optimizer.Steps);
        c.Common.MeSimp = false;
        var plain = new NlpTrainer(c, backend, sizes => new TaggerTask(c, backend, sizes));
        plain.Run(TestContext.Current.CancellationToken);
        Assert.Equal(3L * plain.Task.BatchesPerEpoch, plain.Optimizer.Steps);
    }

    [Fact]
    public void MeSimpShrinksTheLstmAndKeepsTraining()
    {
        var (train, test) = SyntheticTagging(120, 20);
        var c = TaggerConfig(train, test, StrategyKind.TopK, 2);
        c.Common.Epochs = 2;
        c.Common.MeSimp = true;
        c.Common.MeSimpCycle = 1;
        c.Common.MeSimpThreshold = 0.4f;
        c.Common.Out = Path.Combine(dir, "mesimp");
        var r = new NlpTrainer(c, backend, sizes => new TaggerTask(c, backend, sizes)).Run(TestContext.Current.CancellationToken);
        var sizes = r.Common.FinalLayerSizes;
        Assert.True(sizes[1] < 16 && sizes[2] < 16, $"sizes {string.Join(",", sizes)}");
        Assert.True(r.Common.Epochs[^1].TrainLoss < r.Common.Epochs[0].TrainLoss);
        var (model, _) = TaggerModelFile.Load(backend, Path.Combine(c.Common.Out, "model.bin"));
        Assert.Equal(r.Common.ReportedLayerSizes, model.Sizes);
    }

    [Fact]
    public void ParserTrainsOnASyntheticTreebankAndItsModelParsesText()
    {
        var sentences = SyntheticTreebank.Learnable(120, seed: 8);
        string path = Path.Combine(dir, "trees.conllu");
        Conllu.WriteFile(path, sentences);
        var c = new NlpConfig("parser") { TrainFile = path, DevFile = path, TestFile = path, EmbeddingSize = 8, MinCount = 1 };
        c.Common.Hidden = [48];
        c.Common.K = [8];
        c.Common.Epochs = 4;
        c.Common.BatchSize = 32;
        c.Common.LearningRate = 0.01f;
        c.Common.Out = Path.Combine(dir, "parser");
        var r = new NlpTrainer(c, backend, sizes => new ParserTask(c, backend, sizes)).Run(TestContext.Current.CancellationToken);
        Assert.True(r.Common.Epochs[^1].TrainLoss < r.Common.Epochs[0].TrainLoss);
        Assert.True(r.Common.TestAccuracy > 90, $"UAS {r.Common.TestAccuracy}");
        Assert.True(r.TestLas > 90, $"LAS {r.TestLas}");
        Assert.NotNull(r.TestLas);
        var (model, v) = ParserModelFile.Load(backend, Path.Combine(c.Common.Out, "model.bin"));
        var parsed = new ParserDecoder(backend, model, v).ParseSentences(sentences.Select(s => s.With(t => t with { Head = -1, Deprel = "_" })).ToList());
        long same = parsed.Zip(sentences).Sum(p => p.First.Tokens.Zip(p.Second.Tokens).Count(q => q.First.Head == q.Second.Head));
        Assert.Equal(r.Common.TestAccuracy, 100.0 * same / sentences.Sum(s => s.Count), 6);
    }
}
