using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Tensors;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Layers;

/// <summary>Finite-difference checks: each layer's analytic gradients against central differences of a scalar loss
/// L = sum(output * R) for a fixed random R (so dL/doutput = R), in float32 with a step and tolerance to match.</summary>
public class GradientCheckTests
{
    private readonly CpuBackend backend = new();
    private const float Step = 1e-2f;
    private const float Tolerance = 2e-2f;

    private double Loss(Tensor output, float[] r)
    {
        var y = TestData.Host(backend, output);
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += (double)y[i] * r[i];
        return s;
    }

    /// <summary>Central difference of f with respect to each element of t (perturbed in place).</summary>
    private float[] Numeric(Tensor t, Func<double> f)
    {
        var v = TestData.Host(backend, t);
        var g = new float[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            float orig = v[i];
            v[i] = orig + Step; backend.Upload(v, t); double up = f();
            v[i] = orig - Step; backend.Upload(v, t); double down = f();
            v[i] = orig; backend.Upload(v, t);
            g[i] = (float)((up - down) / (2 * Step));
        }
        return g;
    }

    [Fact]
    public void LinearGradientsMatchFiniteDifferences()
    {
        int batch = 3, m = 5, n = 4;
        var layer = new Linear(backend, m, n, new DenseStrategy());
        backend.Upload(TestData.Random(n * m, 1), layer.Weight.Value);
        backend.Upload(TestData.Random(n, 2), layer.Bias!.Value);
        var x = TestData.Tensor(backend, TestData.Random(batch * m, 3), batch, m);
        var r = TestData.Random(batch * n, 4);
        var ctx = StepContext.TrainingStep(0, 0);
        double L() => Loss(layer.Forward(x, ctx), r);

        layer.Forward(x, ctx);
        var dx = layer.Backward(TestData.Tensor(backend, r, batch, n))!;
        var analyticDx = TestData.Host(backend, dx);
        var analyticDw = TestData.Host(backend, layer.Weight.Gradient);
        var analyticDb = TestData.Host(backend, layer.Bias.Gradient);

        TestData.Close(Numeric(x, L), analyticDx, Tolerance, "dx");
        TestData.Close(Numeric(layer.Weight.Value, L), analyticDw, Tolerance, "dW");
        TestData.Close(Numeric(layer.Bias.Value, L), analyticDb, Tolerance, "db");
    }

    [Fact]
    public void ReluGradientMatchesFiniteDifferences()
    {
        int batch = 3, n = 6;
        var layer = new Relu(backend);
        // keep inputs away from the kink at 0, where finite differences are meaningless
        var xs = TestData.Random(batch * n, 5).Select(v => v + MathF.Sign(v) * 0.1f).ToArray();
        var x = TestData.Tensor(backend, xs, batch, n);
        var r = TestData.Random(batch * n, 6);
        var ctx = StepContext.TrainingStep(0, 0);
        layer.Forward(x, ctx);
        var analytic = TestData.Host(backend, layer.Backward(TestData.Tensor(backend, r, batch, n))!);
        TestData.Close(Numeric(x, () => Loss(layer.Forward(x, ctx), r)), analytic, Tolerance, "dx");
    }

    [Fact]
    public void DropoutGradientMatchesFiniteDifferencesAndItsMaskIsSeeded()
    {
        int batch = 4, n = 8;
        var layer = new Dropout(backend, 0.5f, seed: 3);
        var x = TestData.Tensor(backend, TestData.Random(batch * n, 7), batch, n);
        var r = TestData.Random(batch * n, 8);
        var ctx = StepContext.TrainingStep(5, 0);
        var y = TestData.Host(backend, layer.Forward(x, ctx));
        Assert.Contains(y, v => v == 0f);
        var analytic = TestData.Host(backend, layer.Backward(TestData.Tensor(backend, r, batch, n))!);
        TestData.Close(Numeric(x, () => Loss(layer.Forward(x, ctx), r)), analytic, Tolerance, "dx");
        Assert.Equal(y, TestData.Host(backend, layer.Forward(x, ctx)));
        Assert.Equal(TestData.Host(backend, x), TestData.Host(backend, layer.Forward(x, StepContext.Inference)));
    }

    [Fact]
    public void ReluDropoutGradientMatchesFiniteDifferences()
    {
        int batch = 4, n = 8;
        var layer = new ReluDropout(backend, 0.5f, seed: 3);
        var xs = TestData.Random(batch * n, 11).Select(v => v + MathF.Sign(v) * 0.1f).ToArray();
        var x = TestData.Tensor(backend, xs, batch, n);
        var r = TestData.Random(batch * n, 12);
        var ctx = StepContext.TrainingStep(5, 0);
        var y = TestData.Host(backend, layer.Forward(x, ctx));
        Assert.Contains(xs.Zip(y), p => p.First > 0 && p.Second == 0f); // some positive inputs were dropped
        var analytic = TestData.Host(backend, layer.Backward(TestData.Tensor(backend, r, batch, n))!);
        TestData.Close(Numeric(x, () => Loss(layer.Forward(x, ctx), r)), analytic, Tolerance, "dx");
    }

    [Fact]
    public void SoftmaxCrossEntropyGradientIsTheMeanLossGradient()
    {
        int batch = 4, classes = 5;
        var loss = new SoftmaxCrossEntropyLoss(backend);
        var logits = TestData.Tensor(backend, TestData.Random(batch * classes, 9, 3f), batch, classes);
        var labels = backend.AllocateIndices(batch, 1);
        backend.Upload(new[] { 0, 3, 4, 1 }, labels);
        var analytic = TestData.Host(backend, loss.Forward(logits, labels, computeGradient: true)!);
        loss.ReadAndReset();
        double MeanLoss() { loss.Forward(logits, labels, computeGradient: false); return loss.ReadAndReset().MeanLoss; }
        TestData.Close(Numeric(logits, MeanLoss), analytic, Tolerance, "dlogits");
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.3f)]
    public void WholeMlpGradientMatchesFiniteDifferences(float dropout)
    {
        var mlp = new Mlp(backend, new MlpOptions { Inputs = 6, Hidden = [5, 4], Classes = 3, Dropout = dropout, Strategy = StrategyKind.Dense, Seed = 4 });
        // a first layer that computes its dx too, so the check covers the input gradient path
        mlp.LinearLayers[0].ComputeInputGradient = true;
        int batch = 3;
        var x = TestData.Tensor(backend, TestData.Random(batch * 6, 10), batch, 6);
        var labels = backend.AllocateIndices(batch, 1);
        backend.Upload(new[] { 2, 0, 1 }, labels);
        var loss = new SoftmaxCrossEntropyLoss(backend);
        var ctx = StepContext.TrainingStep(1, 0);
        double L() { loss.Forward(mlp.Forward(x, ctx), labels, false); return loss.ReadAndReset().MeanLoss; }
        var g = loss.Forward(mlp.Forward(x, ctx), labels, true)!;
        loss.ReadAndReset();
        mlp.Backward(g);
        foreach (var p in mlp.Parameters)
            TestData.Close(Numeric(p.Value, L), TestData.Host(backend, p.Gradient), 3e-2f, p.Name);
    }

    [Fact]
    public void TopKLinearGradientIsTheGradientOfTheSparsifiedOutputGradient()
    {
        // meProp's backward is the exact gradient of L' = sum(y * s(R)), with s keeping the top-k |R| per row
        int batch = 3, m = 5, n = 6, k = 2;
        var layer = new Linear(backend, m, n, new TopKStrategy(backend, k));
        backend.Upload(TestData.Random(n * m, 11), layer.Weight.Value);
        var x = TestData.Tensor(backend, TestData.Random(batch * m, 12), batch, m);
        var r = TestData.Random(batch * n, 13);
        var sparse = (float[])r.Clone();
        for (int b = 0; b < batch; b++)
        {
            var keep = Enumerable.Range(0, n).OrderByDescending(j => MathF.Abs(r[b * n + j])).Take(k).ToHashSet();
            for (int j = 0; j < n; j++) if (!keep.Contains(j)) sparse[b * n + j] = 0;
        }
        var ctx = StepContext.TrainingStep(0, 0);
        layer.Forward(x, ctx);
        var dx = TestData.Host(backend, layer.Backward(TestData.Tensor(backend, r, batch, n))!);
        var dw = TestData.Host(backend, layer.Weight.Gradient);
        double L() => Loss(layer.Forward(x, ctx), sparse);
        TestData.Close(Numeric(x, L), dx, Tolerance, "dx");
        TestData.Close(Numeric(layer.Weight.Value, L), dw, Tolerance, "dW");
    }
}
