using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Optimizers;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Training;

/// <summary>The hot loop (forward, loss, backward, update) allocates nothing once the buffers of a batch size exist.</summary>
public class AllocationTests
{
    [Theory]
    [InlineData(StrategyKind.Dense)]
    [InlineData(StrategyKind.TopK)]
    [InlineData(StrategyKind.Unified)]
    [InlineData(StrategyKind.Random)]
    [InlineData(StrategyKind.Msbp)]
    public void ATrainingStepAllocatesNothingAfterWarmUp(StrategyKind strategy)
    {
        var backend = new CpuBackend();
        var mlp = new Mlp(backend, new MlpOptions { Inputs = 30, Hidden = [20, 16], Classes = 5, Strategy = strategy, HiddenK = [4], Dropout = 0.1f, Seed = 1 });
        var adam = new Adam(new OptimizerOptions());
        var loss = new SoftmaxCrossEntropyLoss(backend);
        int batch = 8;
        var x = TestData.Tensor(backend, TestData.Random(batch * 30, 1), batch, 30);
        var labels = backend.AllocateIndices(batch, 1);
        backend.Upload(new[] { 0, 1, 2, 3, 4, 0, 1, 2 }, labels);
        var parameters = mlp.Parameters;
        void Step(int s)
        {
            mlp.Backward(loss.Forward(mlp.Forward(x, StepContext.TrainingStep(s, s * batch)), labels, true)!);
            adam.Step(parameters);
        }
        // warm up past the JIT's tiering (methods are recompiled after 30 calls), then measure windows of 50 steps.
        // Layers, strategies, optimizers and the bindings' argument checks (whose messages are built only on failure)
        // allocate nothing once the buffers of a batch size exist, so a window allocates nothing. A step that
        // allocates shows in every window; the runtime's own one-off work (a method tiered up late while other tests
        // load the machine) shows in one, so up to four windows are measured.
        for (int s = 0; s < 60; s++) Step(s);
        var windows = new List<long>();
        for (int w = 0, s = 60; w < 4 && (windows.Count == 0 || windows[^1] != 0); w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int end = s + 50; s < end; s++) Step(s);
            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(windows[^1] == 0, $"{strategy}: bytes allocated per window of 50 steps: {string.Join(", ", windows)}");
    }
}
