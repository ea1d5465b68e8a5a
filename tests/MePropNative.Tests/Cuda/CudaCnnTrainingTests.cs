using MePropNative.Backends;
using MePropNative.Tests.Cnn;
using MePropNative.Training;

namespace MePropNative.Tests.Cuda;

/// <summary>meProp-CNN training on the CUDA backend follows the CPU backend: the same small network, data and seed,
/// dense and per-map top-k (with decay and BatchNorm). Skipped without a CUDA device.</summary>
public class CudaCnnTrainingTests(CudaBackendFixture fixture) : IClassFixture<CudaBackendFixture>, IDisposable
{
    private readonly CpuBackend cpu = new();

    public void Dispose() => cpu.Dispose();

    [Theory]
    [InlineData(false, 1f, 0f)]
    [InlineData(false, 0.1f, 0f)]
    [InlineData(true, 0.1f, 0.6f)]
    public void TrainingOnTheGpuFollowsTheCpu(bool batchNorm, float ratio, float decay)
    {
        var gpu = fixture.Gpu();
        var data = CnnTrainingTests.Data();
        var onCpu = new CnnTrainer(CnnTrainingTests.Small(batchNorm, ratio, decay), cpu, data).Run(TestContext.Current.CancellationToken);
        var onGpu = new CnnTrainer(CnnTrainingTests.Small(batchNorm, ratio, decay), gpu, data).Run(TestContext.Current.CancellationToken);
        Assert.Equal("cuda:0", onGpu.Backend);
        Assert.Equal(onCpu.Epochs.Count, onGpu.Epochs.Count);
        for (int e = 0; e < onCpu.Epochs.Count; e++)
        {
            // Reductions run in another order on the GPU, so a near-tie may pick another position: 1% of the loss.
            Assert.Equal(onCpu.Epochs[e].TrainLoss, onGpu.Epochs[e].TrainLoss, 1e-2 * onCpu.Epochs[e].TrainLoss);
            Assert.Equal(onCpu.Epochs[e].LayerBackpropRatios, onGpu.Epochs[e].LayerBackpropRatios);
        }
        Assert.InRange(onGpu.TestAccuracy, 40, 100);
    }
}
