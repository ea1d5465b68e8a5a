using MePropNative.Backends;
using MePropNative.Data;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Tests.Support;
using MePropNative.Training;

namespace MePropNative.Tests.Cnn;

public class CnnTrainingTests
{
    private readonly CpuBackend backend = new();

    /// <summary>28 x 28 images whose class is the quadrant holding a bright square (4 classes), plus noise.</summary>
    private static LabeledImages Quadrants(int count, int seed)
    {
        var rng = new Random(seed);
        var x = new float[count * 784];
        var y = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = rng.Next(4);
            y[i] = c;
            int r0 = (c / 2) * 14 + rng.Next(2, 6), c0 = (c % 2) * 14 + rng.Next(2, 6);
            for (int p = 0; p < 784; p++) x[i * 784 + p] = (float)rng.NextDouble() * 0.1f;
            for (int r = r0; r < r0 + 6; r++)
                for (int q = c0; q < c0 + 6; q++) x[i * 784 + r * 28 + q] = 1f;
        }
        return new LabeledImages(x, y, 784, 10);
    }

    internal static DatasetSplits Data() => new(Quadrants(60, 1), Quadrants(20, 2), Quadrants(20, 3));

    internal static CnnConfig Small(bool bn, float ratio, float decay) => new()
    {
        ConvChannels = [4, 8],
        Hidden = [16],
        BatchNorm = bn,
        TopKRatio = ratio,
        Decay = decay,
        BatchSize = 10,
        Epochs = 3,
        EvalBatchSize = 7,
        Seed = 5,
    };

    [Theory]
    [InlineData(false, 1f, 0f)]
    [InlineData(false, 0.1f, 0.6f)]
    [InlineData(true, 0.1f, 0.6f)]
    public void TrainsOnASyntheticTask(bool bn, float ratio, float decay)
    {
        var r = new CnnTrainer(Small(bn, ratio, decay), backend, Data()).Run(TestContext.Current.CancellationToken);
        Assert.Equal(3, r.Epochs.Count);
        Assert.True(r.Epochs[^1].TrainLoss < r.Epochs[0].TrainLoss, $"loss did not fall: {string.Join(", ", r.Epochs.Select(e => e.TrainLoss))}");
        Assert.InRange(r.TestAccuracy, 40, 100);
        var layers = r.Epochs[0].LayerBackwardSeconds!;
        Assert.Equal(["conv1", "conv2", "fc1", "fc2"], layers.Keys.ToArray());
        if (ratio < 1)
        {
            // conv maps: 28 x 28 and 14 x 14 positions, k = ceil(0.1 * P) = 79 and 20
            Assert.Equal(79.0 / 784, r.Epochs[0].LayerBackpropRatios[0], 6);
            Assert.Equal(20.0 / 196, r.Epochs[0].LayerBackpropRatios[1], 6);
            Assert.Equal(1.0, r.Epochs[0].LayerBackpropRatios[2]);
        }
    }

    [Fact]
    public void TheSavedModelIsTheBestDevEvaluationsWithItsBatchNormEstimates()
    {
        string dir = Directory.CreateTempSubdirectory("meprop-cnn-model-").FullName;
        try
        {
            var c = Small(true, 0.1f, 0.6f);
            c.Epochs = 8; // dev accuracy peaks before the last epoch
            c.Out = dir;
            var r = new CnnTrainer(c, backend, Data()).Run(TestContext.Current.CancellationToken);
            Assert.Equal(Path.Combine(dir, "model.bin"), r.ExportedModel);
            Assert.Equal(r.TestAccuracy, r.ExportedModelTestAccuracy);
            Assert.True(r.BestEpoch < c.Epochs, $"the test needs a run whose best dev epoch ({r.BestEpoch}) is not its last");

            // the model of the best dev evaluation: the same run stopped at that epoch ends with it
            var stopped = c.Clone();
            stopped.Epochs = r.BestEpoch;
            stopped.Out = Path.Combine(dir, "stopped");
            new CnnTrainer(stopped, backend, Data()).Run(TestContext.Current.CancellationToken);
            var names = CheckpointComparison.AssertSame(Path.Combine(stopped.Out, "model.bin"), r.ExportedModel!, "conv_channels", "hidden", "batchnorm");
            Assert.Contains("bn1.running_mean", names);
            Assert.Contains("bn_fc1.running_variance", names);

            var loaded = CnnModelFile.Load(backend, r.ExportedModel!);
            Assert.Equal(r.ReportedLayerSizes, loaded.Sizes);
            Assert.All(loaded.ConvLayers, l => Assert.Null(l.Selection)); // an inference model: dense back propagation
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AResumedRunEqualsAnUninterruptedOne()
    {
        string dir = Path.Combine(Path.GetTempPath(), "meprop-cnn-resume-" + Guid.NewGuid().ToString("N"));
        string straightDir = dir + "-straight";
        try
        {
            var full = Small(true, 0.1f, 0.6f);
            full.Dropout = 0.3f;
            var straightConfig = full.Clone();
            straightConfig.Out = straightDir;
            var straight = new CnnTrainer(straightConfig, backend, Data()).Run(TestContext.Current.CancellationToken);

            var first = full.Clone();
            first.Epochs = 1;
            first.Out = dir;
            new CnnTrainer(first, backend, Data()).Run(TestContext.Current.CancellationToken);
            var rest = full.Clone();
            rest.Out = dir;
            rest.Resume = true;
            var resumed = new CnnTrainer(rest, backend, Data()).Run(TestContext.Current.CancellationToken);

            Assert.Equal(1, resumed.ResumedFromEpoch);
            Assert.Equal(straight.Epochs.Select(e => e.TrainLoss), resumed.Epochs.Select(e => e.TrainLoss));
            Assert.Equal(straight.Epochs.Select(e => e.DevAccuracy), resumed.Epochs.Select(e => e.DevAccuracy));
            Assert.True(File.Exists(Path.Combine(dir, "results.json")));
            Assert.Equal(resumed.TestAccuracy, ResultsWriter.Read(Path.Combine(dir, "results.json")).TestAccuracy);

            // the checkpoints the two runs end with: the same counters, and the same parameters, Adam moments, BatchNorm
            // running estimates and decay-selection running gradients bit for bit
            var tensors = CheckpointComparison.AssertSame(Path.Combine(straightDir, "checkpoint.bin"), Path.Combine(dir, "checkpoint.bin"),
                "epochs_done", "step", "examples_seen", "optimizer_steps");
            Assert.Contains("bn1.running_mean", tensors);
            Assert.Contains("conv1.run_grad", tensors);
            Assert.Contains("reported_model/bn1.running_mean", tensors);
            CheckpointComparison.AssertSame(Path.Combine(straightDir, "model.bin"), Path.Combine(dir, "model.bin"), "conv_channels");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            if (Directory.Exists(straightDir)) Directory.Delete(straightDir, recursive: true);
        }
    }

    [Fact]
    public void LrDecayScalesTheLearningRateByTheDecayPerEpochContinuously()
    {
        var c = Small(false, 0.1f, 0.6f);
        c.Epochs = 2;
        c.LrDecay = 0.5f;
        var recorder = new LearningRateRecorder();
        var trainer = new CnnTrainer(c, backend, Data(), recorder);
        recorder.Optimizer = trainer.Optimizer;
        trainer.Run(TestContext.Current.CancellationToken);
        recorder.AssertContinuousPerEpochDecay(0.5f, epochs: 2);
    }

    [Fact]
    public void OfTiedDevEvaluationsTheEarliestIsReported()
    {
        // a learning rate this small leaves every prediction, so every dev accuracy, as it was: all four evaluations
        // tie, and the best one is the first (a later evaluation must be strictly better to replace it)
        var c = Small(false, 1f, 0f);
        c.LearningRate = 1e-7f;
        c.Epochs = 2;
        c.EvalsPerEpoch = 2;
        var r = new CnnTrainer(c, backend, Data()).Run(TestContext.Current.CancellationToken);
        var evaluations = r.Epochs.SelectMany(e => e.Evaluations).ToList();
        Assert.Equal(4, evaluations.Count);
        Assert.All(evaluations, e => Assert.Equal(evaluations[0].DevAccuracy, e.DevAccuracy));
        Assert.Equal((1, 1), (r.BestEpoch, r.BestPoint));
        Assert.Equal(evaluations[0].TestAccuracy, r.TestAccuracy);
    }

    [Fact]
    public void FullRatioTrainsLikeDense()
    {
        // one training step of a small network: the conv layers' sparse path keeping every position gives the dense
        // path's gradients up to summation order (ConvolutionTests checks bit equality on integer data)
        var dense = new Models.Cnn(backend, new CnnOptions { ConvChannels = [3, 4], Hidden = [8], Kernel = 3, Seed = 2 });
        var sparse = new Models.Cnn(backend, new CnnOptions { ConvChannels = [3, 4], Hidden = [8], Kernel = 3, Seed = 2, TopKRatio = 0.999f });
        // a ratio just below 1 keeps every position of these small maps (k = ceil(0.999 P) = P) but takes the sparse path
        Assert.All(sparse.ConvLayers, c => Assert.NotNull(c.Selection));
        Assert.All(sparse.ConvLayers, c => Assert.Equal(c.Geometry.Positions, c.Selection!.K(c.Geometry.Positions)));
        var x = TestData.Tensor(backend, TestData.Integers(4 * 784, 3, 2), 4, 784);
        var labels = backend.AllocateIndices(4, 1);
        backend.Upload([1, 2, 3, 0], labels);
        var loss = new SoftmaxCrossEntropyLoss(backend);
        foreach (var m in new[] { dense, sparse })
        {
            var g = loss.Forward(m.Forward(x, StepContext.TrainingStep(0, 0)), labels, computeGradient: true)!;
            m.Backward(g);
        }
        for (int i = 0; i < dense.Parameters.Count; i++)
            TestData.Close(TestData.Host(backend, dense.Parameters[i].Gradient), TestData.Host(backend, sparse.Parameters[i].Gradient), 1e-5f, dense.Parameters[i].Name);
    }

    [Fact]
    public void ConfigRoundTripsThroughJsonAndNamesItsRun()
    {
        var c = new CnnConfig { TopKRatio = 0.05f, Decay = 0.6f, BatchNorm = true };
        var json = c.ToJson();
        Assert.Equal(0.05f, json["topk_ratio"]!.GetValue<float>());
        Assert.True(json["batchnorm"]!.GetValue<bool>());
        Assert.Equal(["conv1", "conv2"], json["sparse_layers"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray());
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{ "topk_ratio": 0.08, "decay": 0.6, "sparse_layers": ["conv1", "conv2", "fc1"], "epochs": 2 }""");
            var loaded = CnnConfig.Load(path);
            Assert.Equal(0.08f, loaded.TopKRatio);
            Assert.Equal(2, loaded.Epochs);
            Assert.Equal("cnn-top8-decay0.6-sparse-conv1-conv2-fc1", loaded.RunName());
            File.WriteAllText(path, """{ "topk_ratio": 0.05, "unknown_key": 1 }""");
            Assert.Throws<ConfigException>(() => CnnConfig.Load(path));
        }
        finally { File.Delete(path); }
        Assert.Equal("cnn-top5-decay0.6-bn", c.RunName());
        Assert.Equal("cnn-top5-decay0.6-lrdecay0.5-bn", new CnnConfig { TopKRatio = 0.05f, Decay = 0.6f, BatchNorm = true, LrDecay = 0.5f }.RunName());
        Assert.Equal("cnn-dense", new CnnConfig().RunName());
        Assert.Contains(new CnnConfig { TopKRatio = 0f }.Problems(), p => p.Contains("topk_ratio"));
        Assert.Contains(new CnnConfig { SparseLayers = ["conv3"] }.Problems(), p => p.Contains("conv3"));
        Assert.Contains("batchnorm needs batch_size >= 2.", new CnnConfig { BatchNorm = true, BatchSize = 1 }.Problems());
        Assert.Empty(new CnnConfig { BatchSize = 1 }.Problems());
    }

    [Fact]
    public void TheDefaultNetworkIsThePapersTable1()
    {
        var m = new Models.Cnn(backend, new CnnOptions { TopKRatio = 0.05f, Decay = 0.6f });
        Assert.Equal([784, 32, 64, 3136, 1024, 10], m.Sizes);
        Assert.Equal(5 * 5 * 1, m.ConvLayers[0].Geometry.PatchSize);
        Assert.Equal(5 * 5 * 32, m.ConvLayers[1].Geometry.PatchSize);
        Assert.Equal((28, 28, 14, 14), (m.ConvLayers[0].Geometry.OutputHeight, m.ConvLayers[0].Geometry.OutputWidth, m.ConvLayers[1].Geometry.OutputHeight, m.ConvLayers[1].Geometry.OutputWidth));
        Assert.False(m.ConvLayers[0].ComputeInputGradient);
        Assert.Equal(40, m.ConvLayers[0].Selection!.K(784));
        Assert.Equal(10, m.ConvLayers[1].Selection!.K(196));
        Assert.All(m.LinearLayers, l => Assert.IsType<DenseStrategy>(l.Strategy));
        var withFc = new Models.Cnn(backend, new CnnOptions { TopKRatio = 0.05f, SparseLayers = ["conv1", "conv2", "fc1"] });
        Assert.Equal(52, Assert.IsType<TopKStrategy>(withFc.LinearLayers[0].Strategy).K);
        Assert.IsType<DenseStrategy>(withFc.LinearLayers[1].Strategy);
    }

    [Fact]
    public void TheBatchNormMomentumOfTheConfigReachesEveryBatchNormLayer()
    {
        var c = new CnnConfig { ConvChannels = [2, 3], Hidden = [4], BatchNorm = true, BatchNormMomentum = 0.3f };
        var m = new Models.Cnn(backend, c.ToCnnOptions());
        Assert.Equal(3, m.BatchNorms.Count);
        Assert.All(m.BatchNorms, bn => Assert.Equal(0.3f, bn.Momentum));
    }
}
