using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Optimizers;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Optimizers;

/// <summary>The optimizer's side of the gradient handling (OptimizerOptions): the global-norm clipping it computes, the
/// L2 factor and clip value it hands to the backend's step, and SGD's velocity. The backend steps themselves are checked
/// against their formulas in <see cref="CpuOptimizerStepTests"/>; these go through <see cref="IOptimizer.Step"/>, with
/// plain SGD at learning rate 1 where that makes the weight change the transformed gradient.</summary>
public class GradientTransformTests
{
    private readonly CpuBackend backend = new();

    private Parameter NewParameter(string name, float[] value) => new(name, TestData.Tensor(backend, value, 1, value.Length));

    private void SetGradient(Parameter p, float[] gradient)
    {
        backend.Upload(gradient, p.Gradient);
        p.GradientIsZero = false;
    }

    /// <summary>One step; the change of each parameter's value.</summary>
    private float[][] StepChanges(IOptimizer optimizer, params Parameter[] ps)
    {
        var before = ps.Select(p => TestData.Host(backend, p.Value)).ToArray();
        optimizer.Step(ps);
        return ps.Select((p, i) => TestData.Host(backend, p.Value).Zip(before[i], (a, b) => a - b).ToArray()).ToArray();
    }

    private static IOptimizer Sgd(float clipNorm = 0, float clipValue = 0, float l2 = 0, float momentum = 0, float lr = 1f) =>
        OptimizerBase.Create(new OptimizerOptions
        {
            Kind = OptimizerKind.Sgd, LearningRate = lr, Momentum = momentum, ClipNorm = clipNorm, ClipValue = clipValue, L2 = l2,
        });

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdaGrad)]
    [InlineData(OptimizerKind.Sgd)]
    public void LearningRateScaleMultipliesTheStep(OptimizerKind kind)
    {
        // the trainers' lr_decay sets LearningRateScale; every optimizer's step is linear in it
        float[] g = [0.5f, -2, 1, 0.25f, -1, 3, -0.5f, 2, 1.5f];
        var changes = new List<float[]>();
        foreach (float scale in new[] { 1f, 0.25f })
        {
            var optimizer = OptimizerBase.Create(new OptimizerOptions { Kind = kind, LearningRate = 0.01f, Momentum = 0.9f });
            optimizer.LearningRateScale = scale;
            var p = NewParameter("w", [1, 2, 3, 4, 5, 6, 7, 8, 9]);
            SetGradient(p, g);
            changes.Add(StepChanges(optimizer, p)[0]);
        }
        Assert.All(changes[0], d => Assert.True(Math.Abs(d) > 1e-3f, $"{kind}: a step of {d}"));
        TestData.Close(changes[0].Select(d => 0.25f * d).ToArray(), changes[1], 1e-6f, $"{kind}'s step at scale 0.25");
    }

    [Fact]
    public void ClipNormRescalesTheWholeGradientToTheLimitWhenItsGlobalNormExceedsIt()
    {
        // Two parameters whose gradients together have the L2 norm 10 (6 and 8 in different tensors): with clip_norm 5
        // both are halved, so the global norm becomes 5; a limit above 10 leaves them alone.
        float[] ga = [6, 0, 0], gb = [0, 8];
        foreach (var (limit, factor) in new[] { (5f, 0.5f), (2.5f, 0.25f), (20f, 1f), (10.5f, 1f) })
        {
            var a = NewParameter("a", [1, 2, 3]);
            var b = NewParameter("b", [4, 5]);
            SetGradient(a, ga);
            SetGradient(b, gb);
            var d = StepChanges(Sgd(clipNorm: limit), a, b);
            TestData.Close(ga.Select(g => -factor * g).ToArray(), d[0], 1e-6f, $"a's change at clip_norm {limit}");
            TestData.Close(gb.Select(g => -factor * g).ToArray(), d[1], 1e-6f, $"b's change at clip_norm {limit}");
        }
    }

    [Fact]
    public void ClipValueClampsEachGradientElementToBothBounds()
    {
        var p = NewParameter("w", [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);   // 10: a vector of 8 and a tail
        SetGradient(p, [2, -3, 0.25f, -0.25f, 0.5f, -0.5f, 7, -7, 0.75f, -0.75f]);
        var d = StepChanges(Sgd(clipValue: 0.5f), p)[0];
        TestData.Close([-0.5f, 0.5f, -0.25f, 0.25f, -0.5f, 0.5f, -0.5f, 0.5f, -0.5f, 0.5f], d, 1e-6f, "the change at clip_value 0.5");
    }

    [Fact]
    public void L2AddsL2TimesTheWeightToTheGradientOfEveryParameter()
    {
        // g + l2 * w (weight decay pulls every weight, of every parameter handed to Step, towards zero)
        var w = NewParameter("w", [2, -4, 0.5f]);
        var bias = NewParameter("b", [-1, 3]);
        SetGradient(w, [1, 1, -1]);
        SetGradient(bias, [0.5f, 0]);
        var d = StepChanges(Sgd(l2: 0.1f), w, bias);
        TestData.Close([-(1 + 0.2f), -(1 - 0.4f), -(-1 + 0.05f)], d[0], 1e-6f, "w's change with l2 0.1");
        TestData.Close([-(0.5f - 0.1f), -(0 + 0.3f)], d[1], 1e-6f, "b's change with l2 0.1");
    }

    [Fact]
    public void SgdWithMomentumStepsAlongAVelocityThatAccumulatesTheGradients()
    {
        // velocity form (OptimizerOptions.Momentum): v = momentum * v + g, w -= lr * v, v starting at 0
        const float lr = 0.1f, mu = 0.9f;
        float[] g1 = [1, -2, 0.5f], g2 = [-1, 1, 2];
        var p = NewParameter("w", [0, 0, 0]);
        var sgd = Sgd(momentum: mu, lr: lr);
        SetGradient(p, g1);
        TestData.Close(g1.Select(g => -lr * g).ToArray(), StepChanges(sgd, p)[0], 1e-6f, "the first step");
        SetGradient(p, g2);
        TestData.Close(g1.Zip(g2, (a, b) => -lr * (mu * a + b)).ToArray(), StepChanges(sgd, p)[0], 1e-6f, "the second step");
        // without momentum there is no velocity: the second step is the second gradient alone
        var q = NewParameter("w", [0, 0, 0]);
        var plain = Sgd(lr: lr);
        SetGradient(q, g1);
        StepChanges(plain, q);
        SetGradient(q, g2);
        TestData.Close(g2.Select(g => -lr * g).ToArray(), StepChanges(plain, q)[0], 1e-6f, "the second step without momentum");
    }
}
