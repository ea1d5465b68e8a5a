using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Optimizers;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Optimizers;

/// <summary>The Adam optimizer over several steps: its bias correction (the native step only sees the step size the
/// optimizer computes from its step counter), and the counter's restart on <see cref="IOptimizer.Reset"/>.</summary>
public class AdamTests
{
    private const int N = 37; // a vector block and a scalar tail in the native step
    private const float LearningRate = 0.01f;
    private readonly CpuBackend backend = new();

    private Parameter NewParameter() => new("w", TestData.Tensor(backend, TestData.Random(N, 1), 1, N));

    private void Step(IOptimizer adam, Parameter p, float[] gradient)
    {
        backend.Upload(gradient, p.Gradient);
        p.GradientIsZero = false;
        adam.Step([p]);
    }

    /// <summary>Gradients of magnitude 1e-3 to 1 (far above epsilon), both signs.</summary>
    private static float[] Gradient(int seed) =>
        TestData.Random(N, seed).Select((v, i) => MathF.CopySign(MathF.Pow(10, -3 * MathF.Abs(v)), i % 3 == 0 ? -v : v)).ToArray();

    [Fact]
    public void TheFirstStepMovesEveryWeightByTheLearningRateAgainstItsGradient()
    {
        // With the moments starting at zero, the bias-corrected m / sqrt(v) of the first step is g / |g|.
        AssertAFirstStep(new Adam(new OptimizerOptions { LearningRate = LearningRate }), NewParameter(), Gradient(2), "");
    }

    /// <summary>Steps with <paramref name="g"/> and asserts that every weight moved by the learning rate against its
    /// gradient's sign, as a first step (bias-corrected moments from zero) does.</summary>
    private void AssertAFirstStep(IOptimizer adam, Parameter p, float[] g, string when)
    {
        float[] before = TestData.Host(backend, p.Value);
        Step(adam, p, g);
        float[] after = TestData.Host(backend, p.Value);
        for (int i = 0; i < N; i++)
            Assert.True(MathF.Abs(after[i] - before[i] + LearningRate * MathF.Sign(g[i])) < 1e-3f * LearningRate,
                $"w[{i}] moved by {after[i] - before[i]} for g = {g[i]}{when}, want {-LearningRate * MathF.Sign(g[i])}");
    }

    [Fact]
    public void StepsFollowTheBiasCorrectedMoments()
    {
        // Kingma and Ba in double, in the form of their section 2 that folds the bias correction into the step size:
        // w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps), i.e. lr * mhat / sqrt(vhat) up to epsilon.
        const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
        var adam = new Adam(new OptimizerOptions { LearningRate = LearningRate });
        var p = NewParameter();
        double[] w = TestData.Host(backend, p.Value).Select(v => (double)v).ToArray(), m = new double[N], v = new double[N];
        for (int t = 1; t <= 6; t++)
        {
            float[] g = Gradient(10 + t);
            Step(adam, p, g);
            for (int i = 0; i < N; i++)
            {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                w[i] -= LearningRate * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t)) * m[i] / (Math.Sqrt(v[i]) + eps);
            }
            Assert.Equal(t, adam.Steps);
            TestData.Close(w.Select(x => (float)x).ToArray(), TestData.Host(backend, p.Value), 2e-6f, $"w after step {t}");
        }
    }

    [Fact]
    public void ResetRestartsTheBiasCorrection()
    {
        // After some steps and a reset, the next step is a first step again: every weight moves by the learning rate.
        var adam = new Adam(new OptimizerOptions { LearningRate = LearningRate });
        var p = NewParameter();
        for (int t = 0; t < 4; t++) Step(adam, p, Gradient(20 + t));
        adam.Reset([p]);
        Assert.Equal(0, adam.Steps);
        AssertAFirstStep(adam, p, Gradient(30), " after the reset");
    }
}
