using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Optimizers;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.MeProp;

public class MemorizedTopKTests
{
    private readonly CpuBackend backend = new();

    private float[][] Train(StrategyKind strategy, float memoryRatio, int steps = 6)
    {
        var mlp = new Mlp(backend, new MlpOptions { Inputs = 12, Hidden = [10, 9], Classes = 4, Strategy = strategy, HiddenK = [3], MemoryRatio = memoryRatio, Seed = 9 });
        var adam = new Adam(new OptimizerOptions());
        var loss = new SoftmaxCrossEntropyLoss(backend);
        int batch = 5;
        var labels = backend.AllocateIndices(batch, 1);
        for (int s = 0; s < steps; s++)
        {
            var x = TestData.Tensor(backend, TestData.Random(batch * 12, 100 + s), batch, 12);
            backend.Upload(Enumerable.Range(0, batch).Select(i => (i + s) % 4).ToArray(), labels);
            mlp.Backward(loss.Forward(mlp.Forward(x, StepContext.TrainingStep(s, s * batch)), labels, true)!);
            adam.Step(mlp.Parameters);
        }
        return mlp.Parameters.Select(p => TestData.Host(backend, p.Value)).ToArray();
    }

    [Fact]
    public void ZeroMemoryRatioEqualsPlainTopK()
    {
        var topk = Train(StrategyKind.TopK, 0.8f);
        var msbp = Train(StrategyKind.Msbp, 0f);
        for (int i = 0; i < topk.Length; i++) Assert.Equal(topk[i], msbp[i]);
    }

    [Fact]
    public void NonZeroMemoryRatioChangesTraining()
    {
        var topk = Train(StrategyKind.TopK, 0.8f);
        var msbp = Train(StrategyKind.Msbp, 0.8f);
        Assert.NotEqual(topk[0], msbp[0]);
    }

    [Fact]
    public void TheMemoryHoldsTheScaledUnpropagatedGradient()
    {
        int batch = 2, m = 3, n = 5, k = 2;
        var strategy = new MemorizedTopKStrategy(backend, k, 0.5f);
        var layer = new Linear(backend, m, n, strategy);
        var x = TestData.Tensor(backend, TestData.Random(batch * m, 1), batch, m);
        float[] dy1 = [1, -5, 2, 4, 0.5f, 3, 1, -6, 2, 0.1f];
        layer.Backward(x, TestData.Tensor(backend, dy1, batch, n), null, StepContext.TrainingStep(0, 0));
        // row 0 keeps -5 and 4; row 1 keeps 3 and -6: the rest, halved, is remembered
        Assert.Equal(new[] { 0.5f, 0, 1, 0, 0.25f, 0, 0.5f, 0, 1, 0.05f }, TestData.Host(backend, strategy.State[0]));
        // the next step selects from dy + memory
        float[] dy2 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        layer.Backward(x, TestData.Tensor(backend, dy2, batch, n), null, StepContext.TrainingStep(1, 2));
        Assert.Equal(new[] { 0f, 0, 0, 0, 0.125f, 0, 0, 0, 0, 0.025f }, TestData.Host(backend, strategy.State[0]));
    }
}
