using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Tests.Support;
using MePropNative.Training;

namespace MePropNative.Tests.Training;

public class TrainerTests : IDisposable
{
    private readonly TinyMnist tiny = new(train: 280, test: 80);
    private readonly string outDir = Directory.CreateTempSubdirectory("meprop-run-").FullName;
    private readonly CpuBackend backend = new();

    public void Dispose()
    {
        tiny.Dispose();
        Directory.Delete(outDir, recursive: true);
    }

    private TrainConfig Config(StrategyKind strategy = StrategyKind.TopK, int epochs = 4) => new()
    {
        DataDir = tiny.Directory,
        DevSize = 40,
        Hidden = [16, 16],
        Classes = 4,
        Strategy = strategy,
        K = [4],
        BatchSize = 16,
        Epochs = epochs,
        EvalBatchSize = 32,
        Seed = 5,
        Dropout = 0,
    };

    /// <summary>Top-3 meSimp on 24-unit layers in cycles of 2 epochs, pruning below 0.2, writing into outDir.</summary>
    private TrainConfig MeSimpConfig(int epochs, int evalsPerEpoch)
    {
        var c = Config(StrategyKind.TopK, epochs);
        c.Hidden = [24, 24];
        c.K = [3];
        c.MeSimp = true;
        c.MeSimpThreshold = 0.2f;
        c.MeSimpCycle = 2;
        c.EvalsPerEpoch = evalsPerEpoch;
        c.Out = outDir;
        return c;
    }

    private (RunResult Result, float[][] Weights) Train(TrainConfig c)
    {
        var data = c.DataFiles().Load(c.DevSize, c.TrainLimit, c.Classes);
        var trainer = new Trainer(c, backend, data);
        var result = trainer.Run();
        return (result, trainer.Model.Parameters.Select(p => TestData.Host(backend, p.Value)).ToArray());
    }

    [Theory]
    [InlineData(StrategyKind.Dense)]
    [InlineData(StrategyKind.TopK)]
    [InlineData(StrategyKind.Unified)]
    [InlineData(StrategyKind.Msbp)]
    public void LearnsTheTinyTask(StrategyKind strategy)
    {
        var (r, _) = Train(Config(strategy, epochs: 6));
        Assert.InRange(r.TestAccuracy, 80, 100);
        Assert.InRange(r.DevAccuracy, 0, 100);
        Assert.Equal(6, r.Epochs.Count);
        Assert.All(r.Epochs, e => Assert.True(e.ForwardSeconds > 0 && e.BackwardSeconds > 0 && e.UpdateSeconds > 0 && e.LinearBackwardSeconds > 0));
        Assert.All(r.Epochs, e => Assert.Equal(0, e.SubnormalValues));
        double expectedRatio = strategy == StrategyKind.Dense ? 1.0 : (4.0 * 16 + 4.0 * 16 + 4 * 16) / (16.0 * 16 + 16.0 * 16 + 4 * 16);
        Assert.Equal(expectedRatio, r.Epochs[0].BackpropRatio, 6);
    }

    [Fact]
    public void TheSameSeedGivesTheSameNumbersTwice()
    {
        var c = Config(StrategyKind.Random);
        c.Dropout = 0.2f;
        var (a, wa) = Train(c);
        var (b, wb) = Train(c.Clone());
        Assert.Equal(a.Epochs.Select(e => e.TrainLoss), b.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(a.Epochs.Select(e => e.DevAccuracy), b.Epochs.Select(e => e.DevAccuracy));
        for (int i = 0; i < wa.Length; i++) Assert.Equal(wa[i], wb[i]);
        var other = c.Clone();
        other.Seed = 6;
        Assert.NotEqual(wa[0], Train(other).Weights[0]);
    }

    [Theory]
    [InlineData(StrategyKind.Msbp)]
    [InlineData(StrategyKind.TopK)]
    [InlineData(StrategyKind.Random)] // its rows' patterns are drawn from the count of examples seen
    public void ResumingFromACheckpointReproducesAnUninterruptedRun(StrategyKind strategy)
    {
        var full = Config(strategy, epochs: 4);
        full.Dropout = 0.1f;
        full.EvalsPerEpoch = 2;
        full.Out = Path.Combine(outDir, "uninterrupted");
        var (uninterrupted, w1) = Train(full);

        var first = full.Clone();
        first.Epochs = 2;
        first.Out = outDir;
        Train(first);
        Assert.True(File.Exists(Path.Combine(outDir, "checkpoint.bin")));
        Assert.False(File.Exists(Path.Combine(outDir, "checkpoint.bin.tmp")));

        var rest = full.Clone();
        rest.Out = outDir;
        rest.Resume = true;
        var (resumed, w2) = Train(rest);

        Assert.Equal(2, resumed.ResumedFromEpoch);
        Assert.Equal(uninterrupted.Epochs.Select(e => e.TrainLoss), resumed.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(uninterrupted.Epochs.Select(e => e.TestAccuracy), resumed.Epochs.Select(e => e.TestAccuracy));
        for (int i = 0; i < w1.Length; i++) Assert.Equal(w1[i], w2[i]);
        Assert.Equal(uninterrupted.TestAccuracy, resumed.TestAccuracy);
        Assert.Equal(uninterrupted.BestEpoch, resumed.BestEpoch);
        // the best dev evaluation's weights travel in the checkpoint: both runs export the same model
        CheckpointComparison.AssertSame(Path.Combine(full.Out, "model.bin"), Path.Combine(outDir, "model.bin"), "sizes");
    }

    [Fact]
    public void LrDecayScalesTheLearningRateByTheDecayPerEpochContinuously()
    {
        var c = Config(StrategyKind.TopK, epochs: 2);
        c.LearningRateDecay = 0.5f;
        var recorder = new LearningRateRecorder();
        var trainer = new Trainer(c, backend, c.DataFiles().Load(c.DevSize, c.TrainLimit, c.Classes), recorder);
        recorder.Optimizer = trainer.Optimizer;
        trainer.Run(TestContext.Current.CancellationToken);
        recorder.AssertContinuousPerEpochDecay(0.5f, epochs: 2);
    }

    [Fact]
    public void ResumingWithAnotherConfigurationIsRefused()
    {
        var first = Config(epochs: 1);
        first.Out = outDir;
        Train(first);
        var other = Config(epochs: 2);
        other.Out = outDir;
        other.Resume = true;
        other.K = [5];
        var e = Assert.Throws<ConfigException>(() => Train(other));
        Assert.Contains("k: checkpoint [4], now [5]", e.Message);
    }

    [Fact]
    public void WritesResultsJsonAndCsv()
    {
        var c = Config(epochs: 2);
        c.Out = outDir;
        var (r, _) = Train(c);
        var back = ResultsWriter.Read(Path.Combine(outDir, "results.json"));
        Assert.Equal(r.TestAccuracy, back.TestAccuracy);
        Assert.Equal(2, back.Epochs.Count);
        Assert.Equal(r.Epochs[^1].TestAccuracy, r.FinalTestAccuracy); // rescored after training: the same model, the same percent
        Assert.Equal(r.TestAccuracy, r.ExportedModelTestAccuracy); // model.bin is the reported evaluation's model
        string json = File.ReadAllText(Path.Combine(outDir, "results.json"));
        foreach (var key in new[] { "\"config\"", "\"dev_accuracy\"", "\"test_accuracy\"", "\"best_epoch\"", "\"forward_s\"", "\"backward_s\"", "\"linear_backward_s\"", "\"update_s\"" })
            Assert.Contains(key, json);
        var csv = File.ReadAllLines(Path.Combine(outDir, "results.csv"));
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("epoch,train_loss", csv[0]);
    }

    [Fact]
    public void TheExportedModelIsTheBestDevEvaluationsNotTheLast()
    {
        var c = Config(StrategyKind.TopK, epochs: 5);
        c.LearningRate = 0.01f; // dev accuracy reaches its best in the first epoch, and later epochs only tie it
        c.Out = outDir;
        var (r, final) = Train(c);
        Assert.True(r.BestEpoch < 5, $"the test needs a run whose best dev epoch ({r.BestEpoch}) is not its last");
        Assert.Equal(r.TestAccuracy, r.ExportedModelTestAccuracy);

        // the same run stopped at the best epoch ends with the exported weights, which training then moved on from
        var stopped = c.Clone();
        stopped.Epochs = r.BestEpoch;
        stopped.Out = Path.Combine(outDir, "stopped");
        var (_, atBest) = Train(stopped);
        var exported = ModelFile.Load(backend, Path.Combine(outDir, "model.bin")).Parameters.Select(p => TestData.Host(backend, p.Value)).ToArray();
        Assert.Equal(atBest, exported);
        Assert.NotEqual(final, exported);
    }

    [Fact]
    public void ARunResumedAfterItsBestEpochExportsTheBestModelFromTheCheckpoint()
    {
        var full = Config(StrategyKind.TopK, epochs: 4);
        full.LearningRate = 0.01f; // best dev in the first epoch, before the checkpoint the run resumes from
        full.Out = Path.Combine(outDir, "uninterrupted");
        var (uninterrupted, _) = Train(full);
        Assert.True(uninterrupted.BestEpoch <= 2, $"the test needs the best dev epoch ({uninterrupted.BestEpoch}) before the checkpoint");

        var first = full.Clone();
        first.Epochs = 2;
        first.Out = outDir;
        Train(first);
        var rest = full.Clone();
        rest.Out = outDir;
        rest.Resume = true;
        var (resumed, _) = Train(rest);
        Assert.Equal(uninterrupted.ExportedModelTestAccuracy, resumed.ExportedModelTestAccuracy);
        CheckpointComparison.AssertSame(Path.Combine(full.Out, "model.bin"), Path.Combine(outDir, "model.bin"), "sizes");
    }

    [Fact]
    public void ACheckpointWithoutTheBestModelResumesAndExportsTheFinalOneSayingSo()
    {
        var c = Config(StrategyKind.TopK, epochs: 1);
        c.Out = outDir;
        Train(c);
        string path = c.CheckpointPath()!;
        var (header, entries) = TensorFile.Read(path);
        var older = (System.Text.Json.Nodes.JsonObject)header.Json.DeepClone(); // as a checkpoint of an earlier version
        older.Remove("reported_model");
        older.Remove("tensors");
        var kept = entries.Values.Where(e => !e.Name.StartsWith("reported_model/", StringComparison.Ordinal)).ToList();
        Assert.True(kept.Count < entries.Count);
        TensorFile.Write(path, older, kept.Select(e => (e.Name, TestData.Tensor(backend, e.Data, e.Shape[0], e.Data.Length / e.Shape[0]))));

        var rest = c.Clone(); // nothing left to train: no later evaluation takes the best model's place
        rest.Resume = true;
        var messages = new MessageRecorder();
        var trainer = new Trainer(rest, backend, rest.DataFiles().Load(rest.DevSize, rest.TrainLimit, rest.Classes), messages);
        var r = trainer.Run(TestContext.Current.CancellationToken);
        Assert.Contains(messages.Messages, m => m.Contains("model.bin holds the final weights"));
        Assert.Equal(r.FinalTestAccuracy, r.ExportedModelTestAccuracy);
    }

    private sealed class MessageRecorder : ITrainingObserver
    {
        public List<string> Messages { get; } = [];
        public void OnMessage(string message) => Messages.Add(message);
    }

    [Fact]
    public void WithSelectByLastTheExportedModelIsTheLastEvaluationsBeforeMeSimpPrunesAgain()
    {
        var c = MeSimpConfig(epochs: 1, evalsPerEpoch: 2); // one epoch of a pruning cycle: meSimp prunes after every evaluation
        c.SelectBy = "last";
        var (r, _) = Train(c);
        Assert.True(!r.ReportedLayerSizes.SequenceEqual(r.FinalLayerSizes),
            $"the test needs pruning after the last evaluation: sizes {string.Join("-", r.ReportedLayerSizes)} at it, {string.Join("-", r.FinalLayerSizes)} final");
        Assert.Equal((1, 2), (r.BestEpoch, r.BestPoint));
        Assert.Equal(r.TestAccuracy, r.ExportedModelTestAccuracy);
        Assert.Equal(r.ReportedLayerSizes, ModelFile.Load(backend, Path.Combine(outDir, "model.bin")).Sizes);
    }

    [Fact]
    public void EarlyStoppingStopsAfterPatienceEpochsWithoutImprovement()
    {
        var c = Config(epochs: 30);
        c.Patience = 2;
        var (r, _) = Train(c);
        Assert.True(r.StoppedEarly);
        Assert.True(r.Epochs.Count < 30);
        Assert.Equal(r.Epochs.Count, r.BestEpoch + 2);
    }

    [Fact]
    public void MeSimpShrinksTheNetworkAndTheExportedModelMatches()
    {
        var c = MeSimpConfig(epochs: 4, evalsPerEpoch: 3);
        var (r, _) = Train(c);
        Assert.True(r.FinalLayerSizes[1] < 24 || r.FinalLayerSizes[2] < 24, string.Join("-", r.FinalLayerSizes));
        Assert.Equal(r.TestAccuracy, r.ExportedModelTestAccuracy);
        var exported = ModelFile.Load(backend, Path.Combine(outDir, "model.bin"));
        Assert.Equal(r.ReportedLayerSizes, exported.Sizes);
        // pruning happened only in the first (even) cycle: sizes are constant in the second
        Assert.Equal(r.Epochs[2].LayerSizes, r.Epochs[3].LayerSizes);
    }

    [Fact]
    public void ACompactedNetworkEqualsTheMaskedOne()
    {
        var options = new MlpOptions { Inputs = 16, Hidden = [12, 10], Classes = 4, Strategy = StrategyKind.Dense, Seed = 3 };
        var masked = new Mlp(backend, options);
        var compact = new Mlp(backend, options);
        int[] keep0 = [0, 2, 3, 7, 11], keep1 = [1, 4, 5, 9];
        masked.MaskHiddenUnits(0, keep0);
        masked.MaskHiddenUnits(1, keep1);
        compact.KeepHiddenUnits(0, keep0);
        compact.KeepHiddenUnits(1, keep1);
        Assert.Equal([16, 5, 4, 4], compact.Sizes);
        var x = TestData.Tensor(backend, TestData.Random(7 * 16, 4), 7, 16);
        var a = TestData.Host(backend, masked.Forward(x, StepContext.Inference));
        var b = TestData.Host(backend, compact.Forward(x, StepContext.Inference));
        TestData.Close(a, b, 1e-6f, "logits");
    }

    [Fact]
    public void AnEmptyTestSetOrAMissingDevSetIsRefusedBeforeTraining()
    {
        var c = Config(epochs: 1);
        var data = c.DataFiles().Load(c.DevSize, c.TrainLimit, c.Classes);
        var noTest = data with { Test = data.Test.Slice(0, 0) };
        Assert.Equal("no test examples: the test set is empty.", Assert.Throws<ConfigException>(() => new Trainer(c, backend, noTest)).Message);
        var noDev = data with { Dev = data.Dev.Slice(0, 0) };
        Assert.StartsWith("no dev examples: the run chooses its reported evaluation (select_by = dev)",
            Assert.Throws<ConfigException>(() => new Trainer(c, backend, noDev)).Message);
        c.SelectBy = "last";
        Assert.Equal(0, new Trainer(c, backend, noDev).Run(TestContext.Current.CancellationToken).DevExamples);
    }

    [Fact]
    public void ABatchLargerThanTheDataIsOneBatchOfAllOfIt()
    {
        var c = Config(epochs: 1);
        c.BatchSize = int.MaxValue;
        var trainer = new Trainer(c, backend, c.DataFiles().Load(c.DevSize, c.TrainLimit, c.Classes));
        Assert.Equal(1, trainer.StepsPerEpoch);
        Assert.Single(trainer.Run(TestContext.Current.CancellationToken).Epochs);
    }

    [Fact]
    public void ACheckpointPathThatIsAFolderIsRefusedBeforeTraining()
    {
        var c = Config(epochs: 1);
        c.Checkpoint = outDir;
        var e = Assert.Throws<ConfigException>(() => new Trainer(c, backend, c.DataFiles().Load(c.DevSize, c.TrainLimit, c.Classes)));
        Assert.Equal($"checkpoint {outDir} is a folder; give the path of a file.", e.Message);
    }
}
