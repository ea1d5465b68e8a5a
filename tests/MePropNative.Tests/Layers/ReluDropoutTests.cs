using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Layers;

/// <summary>The fused ReLU + dropout layer against the two layers it replaces, on the CPU backend.</summary>
public class ReluDropoutTests
{
    private readonly CpuBackend backend = new();

    /// <summary>Random values with exact zeros, negative zeros and large magnitudes mixed in.</summary>
    private static float[] Inputs(int count, int seed)
    {
        var a = TestData.Random(count, seed, 3f);
        for (int i = 0; i < a.Length; i += 5) a[i] = 0f;
        for (int i = 2; i < a.Length; i += 11) a[i] = -0f;
        for (int i = 3; i < a.Length; i += 13) a[i] = 1e30f;
        return a;
    }

    [Theory]
    [InlineData(1, 1, 0.5f)]
    [InlineData(3, 7, 0.1f)]
    [InlineData(17, 300, 0.3f)]
    [InlineData(4, 33, 0f)]
    [InlineData(2, 64, 0.9f)]
    public void ForwardIsBitwiseAndBackwardEqualsReluThenDropout(int rows, int cols, float rate)
    {
        const ulong seed = 77;
        var fused = new ReluDropout(backend, rate, seed);
        var relu = new Relu(backend);
        var dropout = new Dropout(backend, rate, seed);
        var x = TestData.Tensor(backend, Inputs(rows * cols, rows + cols), rows, cols);
        var dy = TestData.Tensor(backend, TestData.Random(rows * cols, 5 * rows + cols), rows, cols);

        for (long step = 0; step < 3; step++)
        {
            var ctx = StepContext.TrainingStep(step, 0);
            var yFused = TestData.Host(backend, fused.Forward(x, ctx));
            var yChain = TestData.Host(backend, dropout.Forward(relu.Forward(x, ctx), ctx));
            Assert.Equal(yChain.Select(BitConverter.SingleToInt32Bits), yFused.Select(BitConverter.SingleToInt32Bits));

            var dxFused = TestData.Host(backend, fused.Backward(dy)!);
            var dxChain = TestData.Host(backend, relu.Backward(dropout.Backward(dy)!)!);
            for (int i = 0; i < dxFused.Length; i++)
            {
                Assert.True(dxChain[i] == dxFused[i], $"step {step}, dx[{i}]: chain {dxChain[i]}, fused {dxFused[i]}");
                if (dxFused[i] == 0f) Assert.Equal(0, BitConverter.SingleToInt32Bits(dxFused[i])); // +0, never -0
            }
        }
    }

    [Fact]
    public void DroppedAndNonPositiveUnitsGetZeroGradientWhateverDyHolds()
    {
        int rows = 6, cols = 50;
        var layer = new ReluDropout(backend, 0.5f, seed: 9);
        var xs = Inputs(rows * cols, 3);
        var x = TestData.Tensor(backend, xs, rows, cols);
        var y = TestData.Host(backend, layer.Forward(x, StepContext.TrainingStep(2, 0)));
        var dys = new float[rows * cols];
        for (int i = 0; i < dys.Length; i++) dys[i] = (i % 3) switch { 0 => float.PositiveInfinity, 1 => float.NaN, _ => float.NegativeInfinity };
        var dx = TestData.Host(backend, layer.Backward(TestData.Tensor(backend, dys, rows, cols))!);
        int kept = 0, zeroed = 0;
        for (int i = 0; i < dx.Length; i++)
        {
            bool passes = xs[i] > 0 && y[i] != 0f;
            if (passes) { kept++; Assert.False(float.IsFinite(dx[i]), $"dx[{i}] = {dx[i]} should carry dy's {dys[i]}"); }
            else { zeroed++; Assert.Equal(0, BitConverter.SingleToInt32Bits(dx[i])); }
        }
        Assert.True(kept > 0 && zeroed > 0, $"kept {kept}, zeroed {zeroed}: the test needs both");
    }

    [Fact]
    public void NaNInputsAreNotPassed()
    {
        var layer = new ReluDropout(backend, 0.2f, seed: 1);
        var x = TestData.Tensor(backend, [float.NaN, 2f, float.NaN, -1f, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN], 1, 9);
        var y = TestData.Host(backend, layer.Forward(x, StepContext.TrainingStep(0, 0)));
        Assert.All(new[] { 0, 2, 3, 4, 5, 6, 7, 8 }, i => Assert.Equal(0f, y[i]));
    }

    [Fact]
    public void InferenceIsAPlainRelu()
    {
        var layer = new ReluDropout(backend, 0.5f, seed: 4);
        var relu = new Relu(backend);
        var x = TestData.Tensor(backend, TestData.Random(40, 6), 4, 10);
        Assert.Equal(TestData.Host(backend, relu.Forward(x, StepContext.Inference)), TestData.Host(backend, layer.Forward(x, StepContext.Inference)));
        Assert.Throws<InvalidOperationException>(() => layer.Backward(x));
    }

    [Fact]
    public void BadRatesAndBackwardBeforeForwardAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReluDropout(backend, 1f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReluDropout(backend, -0.1f, 0));
        var layer = new ReluDropout(backend, 0.5f, 0);
        var e = Assert.Throws<InvalidOperationException>(() => layer.Backward(backend.Allocate(2, 2)));
        Assert.Contains("without a training Forward", e.Message);
        var x = backend.Allocate(2, 3);
        Assert.Throws<ArgumentException>(() => backend.ReluDropoutForward(x, backend.Allocate(3, 2), backend.Allocate(2, 3), 0.5f, 1, 1));
        Assert.Throws<ArgumentException>(() => backend.ReluDropoutBackward(x, backend.Allocate(2, 3), backend.Allocate(2, 2)));
        var wide = backend.Allocate(2, 6);
        var overlap = Assert.Throws<ArgumentException>(() => backend.ReluDropoutForward(x, x, backend.Allocate(2, 3), 0.5f, 1, 1));
        Assert.Contains("must not share elements with x", overlap.Message);
        Assert.Throws<ArgumentException>(() => backend.ReluDropoutForward(wide.ColumnSlice(0, 3), wide.ColumnSlice(2, 3), backend.Allocate(2, 3), 0.5f, 1, 1));
        var left = wide.RowSlice(0, 1).ColumnSlice(0, 3); var right = wide.RowSlice(1, 1).ColumnSlice(3, 3);
        backend.ReluDropoutForward(left, right, backend.Allocate(1, 3), 0.5f, 1, 1); // disjoint views of one buffer are fine
        backend.ReluDropoutForward(x, backend.Allocate(2, 3), x, 0.5f, 1, 1);           // y may be x
    }
}
