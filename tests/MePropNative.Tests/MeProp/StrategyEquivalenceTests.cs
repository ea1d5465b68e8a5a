using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.MeProp;

public class StrategyEquivalenceTests
{
    private readonly CpuBackend backend = new();

    /// <summary>Runs one backward pass of a linear layer (W n x m) with the given strategy; returns (dW, db, dx).</summary>
    private (float[] Dw, float[] Db, float[] Dx) Backward(IMePropStrategy strategy, float[] x, float[] w, float[] dy, int batch, int m, int n)
    {
        var linear = new Linear(backend, m, n, strategy);
        backend.Upload(w, linear.Weight.Value);
        var xt = TestData.Tensor(backend, x, batch, m);
        var dyt = TestData.Tensor(backend, dy, batch, n);
        var dx = backend.Allocate(batch, m);
        linear.Backward(xt, dyt, dx, StepContext.TrainingStep(0, 0));
        return (TestData.Host(backend, linear.Weight.Gradient), TestData.Host(backend, linear.Bias!.Gradient), TestData.Host(backend, dx));
    }

    /// <summary>Host reference: dW = s(dy)^T x, dx = s(dy) W, where s keeps the given entries of dy; db = colsum dy (the bias
    /// gradient is never sparsified, as in the paper's reference code).</summary>
    private static (float[] Dw, float[] Db, float[] Dx) Reference(float[] x, float[] w, float[] dy, int batch, int m, int n, Func<int, int, bool> kept)
    {
        var dw = new float[n * m]; var db = new float[n]; var dx = new float[batch * m];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < n; j++)
            {
                float g = dy[b * n + j];
                db[j] += g;
                if (!kept(b, j)) continue;
                for (int i = 0; i < m; i++) { dw[j * m + i] += g * x[b * m + i]; dx[b * m + i] += g * w[j * m + i]; }
            }
        return (dw, db, dx);
    }

    [Fact]
    public void DenseMatchesTheHostReference()
    {
        int batch = 4, m = 7, n = 6;
        var x = TestData.Random(batch * m, 1); var w = TestData.Random(n * m, 2); var dy = TestData.Random(batch * n, 3);
        var got = Backward(new DenseStrategy(), x, w, dy, batch, m, n);
        var want = Reference(x, w, dy, batch, m, n, (_, _) => true);
        TestData.Close(want.Dw, got.Dw, 1e-5f, "dW"); TestData.Close(want.Db, got.Db, 1e-5f, "db"); TestData.Close(want.Dx, got.Dx, 1e-5f, "dx");
    }

    [Fact]
    public void TopKKeepsTheLargestMagnitudesPerExample()
    {
        int batch = 5, m = 6, n = 9, k = 3;
        var x = TestData.Random(batch * m, 4); var w = TestData.Random(n * m, 5); var dy = TestData.Random(batch * n, 6);
        var got = Backward(new TopKStrategy(backend, k), x, w, dy, batch, m, n);
        var want = Reference(x, w, dy, batch, m, n, (b, j) =>
            Enumerable.Range(0, n).OrderByDescending(c => MathF.Abs(dy[b * n + c])).ThenBy(c => c).Take(k).Contains(j));
        TestData.Close(want.Dw, got.Dw, 1e-5f, "dW"); TestData.Close(want.Db, got.Db, 1e-5f, "db"); TestData.Close(want.Dx, got.Dx, 1e-5f, "dx");
    }

    [Fact]
    public void UnifiedKeepsTheColumnsWithTheLargestSummedMagnitude()
    {
        int batch = 5, m = 6, n = 9, k = 4;
        var x = TestData.Random(batch * m, 7); var w = TestData.Random(n * m, 8); var dy = TestData.Random(batch * n, 9);
        var sums = Enumerable.Range(0, n).Select(j => Enumerable.Range(0, batch).Sum(b => MathF.Abs(dy[b * n + j]))).ToArray();
        var cols = Enumerable.Range(0, n).OrderByDescending(j => sums[j]).ThenBy(j => j).Take(k).ToHashSet();
        var got = Backward(new UnifiedTopKStrategy(backend, k), x, w, dy, batch, m, n);
        var want = Reference(x, w, dy, batch, m, n, (_, j) => cols.Contains(j));
        TestData.Close(want.Dw, got.Dw, 1e-5f, "dW"); TestData.Close(want.Db, got.Db, 1e-5f, "db"); TestData.Close(want.Dx, got.Dx, 1e-5f, "dx");
    }

    [Fact]
    public void TopKWithKEqualToNEqualsDenseExactly()
    {
        // integer-valued data: every product and sum is exact in float32, so any summation order gives the same bits
        int batch = 6, m = 11, n = 8;
        var x = TestData.Integers(batch * m, 10); var w = TestData.Integers(n * m, 11); var dy = TestData.Integers(batch * n, 12);
        var dense = Backward(new DenseStrategy(), x, w, dy, batch, m, n);
        foreach (var strategy in new IMePropStrategy[] { new TopKStrategy(backend, n), new UnifiedTopKStrategy(backend, n), new MemorizedTopKStrategy(backend, n, 0.8f) })
        {
            var sparse = Backward(strategy, x, w, dy, batch, m, n);
            Assert.Equal(dense.Dw, sparse.Dw);
            Assert.Equal(dense.Db, sparse.Db);
            Assert.Equal(dense.Dx, sparse.Dx);
        }
    }

    [Fact]
    public void TopKWithKEqualToNMatchesDenseOnRandomData()
    {
        int batch = 7, m = 13, n = 10;
        var x = TestData.Random(batch * m, 13); var w = TestData.Random(n * m, 14); var dy = TestData.Random(batch * n, 15);
        var dense = Backward(new DenseStrategy(), x, w, dy, batch, m, n);
        var sparse = Backward(new TopKStrategy(backend, n), x, w, dy, batch, m, n);
        TestData.Close(dense.Dw, sparse.Dw, 1e-6f, "dW"); TestData.Close(dense.Db, sparse.Db, 1e-6f, "db"); TestData.Close(dense.Dx, sparse.Dx, 1e-6f, "dx");
    }

    [Fact]
    public void UnifiedWithBatchOneEqualsPerExample()
    {
        int m = 9, n = 12, k = 5;
        var x = TestData.Integers(m, 16); var w = TestData.Integers(n * m, 17);
        // distinct magnitudes so both selections are the same set without relying on tie rules
        var dy = Enumerable.Range(0, n).Select(j => (float)((j * 7 % n + 1) * (j % 2 == 0 ? 1 : -1))).ToArray();
        var unified = Backward(new UnifiedTopKStrategy(backend, k), x, w, dy, 1, m, n);
        var perExample = Backward(new TopKStrategy(backend, k), x, w, dy, 1, m, n);
        Assert.Equal(perExample.Dw, unified.Dw);
        Assert.Equal(perExample.Db, unified.Db);
        Assert.Equal(perExample.Dx, unified.Dx);
    }

    [Fact]
    public void RandomKPropagatesExactlyKEntriesPerExampleAndIsSeeded()
    {
        int batch = 4, m = 5, n = 10, k = 3;
        var x = TestData.Random(batch * m, 18); var w = TestData.Random(n * m, 19); var dy = TestData.Random(batch * n, 20);
        var a = Backward(new RandomKStrategy(backend, k, seed: 7), x, w, dy, batch, m, n);
        var b = Backward(new RandomKStrategy(backend, k, seed: 7), x, w, dy, batch, m, n);
        Assert.Equal(a.Dw, b.Dw);
        int nonzeroRows = Enumerable.Range(0, n).Count(j => Enumerable.Range(0, m).Any(i => a.Dw[j * m + i] != 0));
        Assert.InRange(nonzeroRows, k, Math.Min(n, batch * k));
    }
}

public class StrategyAtMnistSizesTests
{
    private readonly CpuBackend backend = new();

    [Theory]
    [InlineData(100, 784, 500, 20, false)]
    [InlineData(100, 500, 500, 20, true)]
    [InlineData(33, 500, 500, 80, true)]
    [InlineData(100, 500, 500, 20, true, 0.6)]
    [InlineData(100, 784, 500, 20, false, 0.97)]
    public void TopKMatchesTheHostReferenceAtMnistSizes(int batch, int m, int n, int k, bool withDx, double zeros = 0)
    {
        var x = TestData.Random(batch * m, 21); var w = TestData.Random(n * m, 22, 0.1f); var dy = TestData.Random(batch * n, 23, 0.01f);
        // gradients behind a ReLU are mostly exact zeros: ties the selection must break by index
        var rng = new System.Random(24);
        for (int i = 0; i < dy.Length; i++) if (rng.NextDouble() < zeros) dy[i] = 0;
        var linear = new Linear(backend, m, n, new TopKStrategy(backend, k)) { ComputeInputGradient = withDx };
        backend.Upload(w, linear.Weight.Value);
        var xt = TestData.Tensor(backend, x, batch, m);
        var dyt = TestData.Tensor(backend, dy, batch, n);
        var dx = withDx ? backend.Allocate(batch, m) : null;
        linear.Backward(xt, dyt, dx, StepContext.TrainingStep(0, 0));
        var dw = new double[n * m]; var dxr = new double[batch * m];
        for (int b = 0; b < batch; b++)
            foreach (int j in Enumerable.Range(0, n).OrderByDescending(c => MathF.Abs(dy[b * n + c])).ThenBy(c => c).Take(k))
                for (int i = 0; i < m; i++) { dw[j * m + i] += dy[b * n + j] * x[b * m + i]; dxr[b * m + i] += dy[b * n + j] * w[j * m + i]; }
        TestData.Close(dw.Select(v => (float)v).ToArray(), TestData.Host(backend, linear.Weight.Gradient), 1e-5f, "dW");
        var db = new double[n];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < n; j++) db[j] += dy[b * n + j];
        TestData.Close(db.Select(v => (float)v).ToArray(), TestData.Host(backend, linear.Bias!.Gradient), 1e-5f, "db");
        if (dx is not null) TestData.Close(dxr.Select(v => (float)v).ToArray(), TestData.Host(backend, dx), 1e-5f, "dx");
    }
}
