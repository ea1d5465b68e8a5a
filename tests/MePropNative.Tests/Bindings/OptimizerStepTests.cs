using MePropNative.Bindings;

namespace MePropNative.Tests.Bindings;

/// <summary>The optimizer steps through the bindings: the spans are checked (lengths, overlaps, an empty parameter) before
/// native code runs, nothing is written on a bad call, and plain SGD takes an empty velocity.</summary>
public class OptimizerStepTests
{
    [Fact]
    public void PlainSgdTakesAnEmptyVelocityAndConsumesTheGradient()
    {
        float[] w = [1, 2, 3, 4, 5, 6, 7, 8, 9], g = [1, 1, 1, 1, 1, 1, 1, 1, 4];
        Kernels.SgdStep(w, g, default, 0.5f, 0.9f, 1f, 0f, 0f);
        Assert.Equal([0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f, 7f], w);
        Assert.All(g, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void AdamWithClippingMovesEveryWeightByAtMostTheStepSize()
    {
        var random = new Random(3);
        const int n = 1001;
        float[] w = Reference.RandomMatrix(random, n), before = (float[])w.Clone(), g = Reference.RandomMatrix(random, n);
        float[] m = new float[n], v = new float[n];
        for (int i = 0; i < n; i++) g[i] *= 100;
        Kernels.AdamStep(w, g, m, v, 1e-2f, 0.9f, 0.999f, 1e-8f, 1f, 0f, 0.5f);
        // First step from zero state: m = 0.1 g, v = 0.001 g^2, so |step| = 1e-2 * 0.1 |g| / sqrt(0.001 g^2) = 0.0316 for any g.
        for (int i = 0; i < n; i++) Assert.InRange(Math.Abs(w[i] - before[i]), 0.0316f, 0.0317f);
        Assert.All(m, x => Assert.InRange(Math.Abs(x), 0f, 0.0500001f)); // 0.1 * |g| clipped to 0.5
        Assert.Contains(m, x => Math.Abs(x) > 0.0499f);
        Assert.All(g, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void BadSpansAreNamedAndNothingIsWritten()
    {
        float[] w = Reference.Filled(8, 1f), g = Reference.Filled(8, 2f), m = Reference.Filled(8, 3f), v = Reference.Filled(8, 4f);
        float[] shortV = new float[7];
        var e = Assert.Throws<ArgumentException>(() => Kernels.AdamStep(w, g, m, shortV, 1, 0.9f, 0.999f, 1e-8f, 1, 0, 0));
        Assert.Contains("v has 7 elements but the parameter has 8", e.Message);
        e = Assert.Throws<ArgumentException>(() => Kernels.AdamStep(w, g.AsSpan(0, 5), m, v, 1, 0.9f, 0.999f, 1e-8f, 1, 0, 0));
        Assert.Contains("g has 5 elements but the parameter has 8", e.Message);
        e = Assert.Throws<ArgumentException>(() => Kernels.AdamStep(w, g, m, m, 1, 0.9f, 0.999f, 1e-8f, 1, 0, 0));
        Assert.Contains("v overlaps", e.Message);
        e = Assert.Throws<ArgumentException>(() => Kernels.AdaGradStep(w, g, g, 0.1f, 1e-6f, 1, 0, 0));
        Assert.Contains("h overlaps", e.Message);
        e = Assert.Throws<ArgumentException>(() => Kernels.SgdStep(w.AsSpan(0, 4), w.AsSpan(2, 4), default, 0.1f, 0, 1, 0, 0));
        Assert.Contains("the parameter overlaps its gradient", e.Message);
        e = Assert.Throws<ArgumentException>(() => Kernels.SgdStep(Span<float>.Empty, Span<float>.Empty, default, 0.1f, 0, 1, 0, 0));
        Assert.Contains("no elements", e.Message);
        Assert.All(w, x => Assert.Equal(1f, x));
        Assert.All(g, x => Assert.Equal(2f, x));
        Assert.All(m, x => Assert.Equal(3f, x));
        Assert.All(v, x => Assert.Equal(4f, x));
    }

    [Fact]
    public void HyperparametersOutOfRangeAreNamedByTheLibraryAndNothingIsWritten()
    {
        float[] w = Reference.Filled(8, 1f), g = Reference.Filled(8, 2f), m = Reference.Filled(8, 3f), v = Reference.Filled(8, 4f);
        foreach (var (step, message) in new (Action, string)[]
                 {
                     (() => Kernels.AdamStep(w, g, m, v, float.NaN, 0.9f, 0.999f, 1e-8f, 1, 0, 0), "mp_adam_step_f32: step_size = NaN must be finite"),
                     (() => Kernels.AdamStep(w, g, m, v, 1, 2f, 0.999f, 1e-8f, 1, 0, 0), "beta1 = 2 must be in [0, 1)"),
                     (() => Kernels.AdamStep(w, g, m, v, 1, 0.9f, 0.999f, 0, 1, 0, 0), "eps = 0 must be finite and > 0"),
                     (() => Kernels.AdaGradStep(w, g, m, 0.1f, 1e-6f, 1, 0, -1), "clip = -1 must be finite and >= 0"),
                     (() => Kernels.SgdStep(w, g, m, 0.1f, float.NaN, 1, 0, 0), "mp_sgd_step_f32: momentum = NaN must be in [0, 1)"),
                 })
        {
            var e = Assert.Throws<MePropNativeException>(step);
            Assert.Equal(MePropStatus.InvalidArgument, e.Status);
            Assert.Contains(message, e.Message);
        }
        Assert.All(w, x => Assert.Equal(1f, x));
        Assert.All(g, x => Assert.Equal(2f, x));
        Assert.All(m, x => Assert.Equal(3f, x));
        Assert.All(v, x => Assert.Equal(4f, x));
    }
}
