using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Optimizers;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.MeProp;

/// <summary>Several training steps with the sparse kernels against the same steps done the plain way: dy masked to its
/// per-example top-k on the host, then the dense backward.</summary>
public class TopKTrainingTests
{
    private readonly CpuBackend backend = new();

    private sealed class HostMaskedTopK(CpuBackend backend, int k) : IMePropStrategy
    {
        private readonly DenseStrategy dense = new();
        public string Name => "host-masked";
        public void Backward(in LinearGradientRequest r)
        {
            var dy = TestData.Host(backend, r.Dy);
            int n = r.Outputs;
            for (int b = 0; b < r.Batch; b++)
            {
                var keep = Enumerable.Range(0, n).OrderByDescending(j => MathF.Abs(dy[b * n + j])).ThenBy(j => j).Take(k).ToHashSet();
                for (int j = 0; j < n; j++) if (!keep.Contains(j)) dy[b * n + j] = 0;
            }
            var masked = TestData.Tensor(backend, dy, r.Batch, n);
            // the bias gradient comes from the full dy in the sparse strategies too
            var full = r with { Dy = masked };
            dense.Backward(full);
            if (r.Bias is not null) backend.ColumnSums(r.Dy, r.Bias.Gradient, accumulate: false);
        }
        public IReadOnlyList<MePropNative.Tensors.Tensor> State => [];
        public void RestoreState(IReadOnlyList<MePropNative.Tensors.Tensor> state) { }
        public void OnOutputsResized() { }
    }

    [Theory]
    [InlineData(64, 40, 32, 5, 15)]
    [InlineData(784, 500, 100, 20, 12)]
    public void SparseTopKTrainingFollowsTheMaskedDenseReference(int inputs, int hidden, int batch, int k, int steps)
    {
        var opts = new MlpOptions { Inputs = inputs, Hidden = [hidden, hidden], Classes = 10, Strategy = StrategyKind.TopK, HiddenK = [k], Seed = 2 };
        var sparse = new Mlp(backend, opts);
        var reference = new Mlp(backend, opts);
        foreach (var l in reference.LinearLayers.Take(2)) l.Strategy = new HostMaskedTopK(backend, k);
        var adamA = new Adam(new OptimizerOptions());
        var adamB = new Adam(new OptimizerOptions());
        var loss = new SoftmaxCrossEntropyLoss(backend);
        var labels = backend.AllocateIndices(batch, 1);
        for (int s = 0; s < steps; s++)
        {
            var x = TestData.Tensor(backend, TestData.Random(batch * inputs, 50 + s).Select(v => Math.Max(v, 0)).ToArray(), batch, inputs);
            backend.Upload(Enumerable.Range(0, batch).Select(i => (i * 7 + s) % 10).ToArray(), labels);
            var ctx = StepContext.TrainingStep(s, s * batch);
            sparse.Backward(loss.Forward(sparse.Forward(x, ctx), labels, true)!);
            adamA.Step(sparse.Parameters);
            reference.Backward(loss.Forward(reference.Forward(x, ctx), labels, true)!);
            adamB.Step(reference.Parameters);
        }
        for (int i = 0; i < sparse.Parameters.Count; i++)
            TestData.Close(TestData.Host(backend, reference.Parameters[i].Value), TestData.Host(backend, sparse.Parameters[i].Value), 1e-4f, sparse.Parameters[i].Name);
    }
}
