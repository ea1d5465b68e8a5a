using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Layers;

/// <summary>Inverted dropout's scaling at training time, in <see cref="Dropout"/> and <see cref="ReluDropout"/>: a kept
/// unit is multiplied by 1 / (1 - rate) forward and backward, so the expected activation is the inference one. (The
/// other dropout tests compare the two layers with each other, or count the dropped units, which a missing scale leaves
/// alike.)</summary>
public class DropoutScalingTests
{
    private const int Rows = 64, Cols = 50;
    private readonly CpuBackend backend = new();

    /// <summary>Inputs in [0.1, 1.1], and with <paramref name="negatives"/> every third one negated.</summary>
    private static float[] Inputs(int seed, bool negatives) =>
        TestData.Random(Rows * Cols, seed).Select((v, i) => (negatives && i % 3 == 0 ? -1 : 1) * (0.6f + 0.5f * v)).ToArray();

    private void Check(ILayer layer, float rate, float[] xs, Func<float, float> inference)
    {
        float keep = 1f / (1f - rate);
        var x = TestData.Tensor(backend, xs, Rows, Cols);
        float[] y = TestData.Host(backend, layer.Forward(x, StepContext.TrainingStep(3, 0)));
        float[] dx = TestData.Host(backend, layer.Backward(TestData.Tensor(backend, Enumerable.Repeat(1f, Rows * Cols).ToArray(), Rows, Cols))!);
        int kept = 0, dropped = 0;
        double sumY = 0, sumInference = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            float want = inference(xs[i]);
            sumY += y[i];
            sumInference += want;
            if (want == 0f) { Assert.Equal(0f, y[i]); Assert.Equal(0f, dx[i]); continue; }
            if (y[i] == 0f) { dropped++; Assert.Equal(0f, dx[i]); continue; }
            kept++;
            Assert.True(MathF.Abs(y[i] - want * keep) <= 1e-6f * want * keep, $"y[{i}] = {y[i]} for x = {xs[i]}, want {want * keep} (x / (1 - {rate}))");
            Assert.True(MathF.Abs(dx[i] - keep) <= 1e-6f * keep, $"dx[{i}] = {dx[i]} for dy = 1, want {keep}");
        }
        Assert.True(kept > 0 && dropped > 0, $"kept {kept}, dropped {dropped}");
        // The expected activation is preserved: over 3200 units the sum is within a few percent of the inference one.
        Assert.InRange(sumY / sumInference, 0.94, 1.06);
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    public void DropoutScalesTheKeptUnitsByOneOverOneMinusTheRate(float rate) =>
        Check(new Dropout(backend, rate, seed: 11), rate, Inputs(1, negatives: false), v => v);

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    public void ReluDropoutScalesTheKeptPositiveUnitsByOneOverOneMinusTheRate(float rate) =>
        Check(new ReluDropout(backend, rate, seed: 11), rate, Inputs(2, negatives: true), v => MathF.Max(v, 0f));
}
