using MePropNative.Backends;
using MePropNative.Tensors;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Optimizers;

/// <summary>The CPU optimizer steps against a plain scalar rendering of their formulas, on a short parameter and a long
/// one (lengths that are not a multiple of the vector width), and the gradient they leave zeroed.</summary>
public class CpuOptimizerStepTests
{
    private static readonly GradientTransform Transform = new(GradientScale: 0.5f, L2: 1e-3f, ClipValue: 0.2f);

    private static float Transformed(float g, float w) => Math.Clamp(g * Transform.GradientScale + Transform.L2 * w, -Transform.ClipValue, Transform.ClipValue);

    private sealed record State(Tensor W, Tensor G, Tensor S1, Tensor S2);

    private static State Fresh(CpuBackend b, int n) => new(
        TestData.Tensor(b, TestData.Random(n, 1), 1, n), TestData.Tensor(b, TestData.Random(n, 2, 0.6f), 1, n),
        TestData.Tensor(b, TestData.Random(n, 3, 0.01f), 1, n), TestData.Tensor(b, TestData.Random(n, 4, 0.1f).Select(v => v * v).ToArray(), 1, n));

    [Theory]
    [InlineData(37)]
    [InlineData(100_003)]
    public void AdamMatchesItsFormulaAndZeroesTheGradient(int n)
    {
        var b = new CpuBackend();
        var s = Fresh(b, n);
        float[] w = TestData.Host(b, s.W), g = TestData.Host(b, s.G), m = TestData.Host(b, s.S1), v = TestData.Host(b, s.S2);
        var args = new AdamStepArguments(1e-3f, 0.9f, 0.999f, 1e-8f, Transform);
        b.AdamStep(s.W, s.G, s.S1, s.S2, args);
        for (int i = 0; i < n; i++)
        {
            float gi = Transformed(g[i], w[i]);
            m[i] = 0.9f * m[i] + 0.1f * gi;
            v[i] = 0.999f * v[i] + (1 - 0.999f) * gi * gi;
            w[i] -= 1e-3f * m[i] / (MathF.Sqrt(v[i]) + 1e-8f);
        }
        TestData.Close(m, TestData.Host(b, s.S1), 1e-6f, "m");
        TestData.Close(v, TestData.Host(b, s.S2), 1e-6f, "v");
        TestData.Close(w, TestData.Host(b, s.W), 1e-5f, "w");
        Assert.All(TestData.Host(b, s.G), x => Assert.Equal(0f, x));
    }

    [Theory]
    [InlineData(37)]
    [InlineData(100_003)]
    public void AdaGradAndSgdMatchTheirFormulasAndZeroTheGradient(int n)
    {
        var b = new CpuBackend();
        var s = Fresh(b, n);
        float[] w = TestData.Host(b, s.W), g = TestData.Host(b, s.G), h = TestData.Host(b, s.S2);
        b.AdaGradStep(s.W, s.G, s.S2, new AdaGradStepArguments(0.01f, 1e-6f, Transform));
        for (int i = 0; i < n; i++)
        {
            float gi = Transformed(g[i], w[i]);
            h[i] += gi * gi;
            w[i] -= 0.01f * gi / MathF.Sqrt(h[i] + 1e-6f);
        }
        TestData.Close(h, TestData.Host(b, s.S2), 1e-6f, "adagrad h");
        TestData.Close(w, TestData.Host(b, s.W), 1e-5f, "adagrad w");
        Assert.All(TestData.Host(b, s.G), x => Assert.Equal(0f, x));

        s = Fresh(b, n);
        w = TestData.Host(b, s.W); g = TestData.Host(b, s.G);
        float[] velocity = TestData.Host(b, s.S1);
        b.SgdStep(s.W, s.G, s.S1, new SgdStepArguments(0.05f, 0.9f, Transform));
        for (int i = 0; i < n; i++)
        {
            velocity[i] = 0.9f * velocity[i] + Transformed(g[i], w[i]);
            w[i] -= 0.05f * velocity[i];
        }
        TestData.Close(velocity, TestData.Host(b, s.S1), 1e-6f, "sgd velocity");
        TestData.Close(w, TestData.Host(b, s.W), 1e-5f, "sgd w");
        Assert.All(TestData.Host(b, s.G), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void ShapeMismatchIsAnErrorNamingBothLengths()
    {
        var b = new CpuBackend();
        var w = b.Allocate(1, 10);
        var ex = Assert.ThrowsAny<ArgumentException>(() => b.SgdStep(w, b.Allocate(1, 9), null, new SgdStepArguments(0.1f, 0f, default)));
        Assert.Contains("10", ex.Message);
        Assert.Contains("9", ex.Message);
    }
}
