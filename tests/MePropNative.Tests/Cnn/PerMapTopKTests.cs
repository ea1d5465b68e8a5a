using MePropNative.Backends;
using MePropNative.MeProp;
using MePropNative.Tests.Support;
using static MePropNative.Tests.Cnn.CnnTestSupport;

namespace MePropNative.Tests.Cnn;

public class PerMapTopKTests
{
    private readonly CpuBackend backend = new();

    /// <summary>Checks the channel-major selection against per-map host top-k of the given score.</summary>
    private void AssertSelection(float[] dy, int n, int c, int positions, int k, Func<int, int, int, float> score, int[] idx, float[] val)
    {
        Assert.Equal(c * n * k, idx.Length);
        for (int ch = 0; ch < c; ch++)
            for (int e = 0; e < n; e++)
            {
                var want = TopK(score, e, ch, positions, k);
                for (int t = 0; t < k; t++)
                {
                    int j = ch * n * k + e * k + t;
                    Assert.Equal(e * positions + want[t], idx[j]);
                    Assert.Equal(dy[(e * positions + want[t]) * c + ch], val[j]);
                }
            }
    }

    [Theory]
    [InlineData(3, 5, 20, 0.15f)]
    [InlineData(2, 4, 49, 0.05f)]
    [InlineData(1, 3, 7, 1f)]
    public void KeepsExactlyKPerMapTheLargestMagnitudes(int n, int c, int positions, float ratio)
    {
        var dy = TestData.Random(n * positions * c, 50);
        var s = new PerMapTopK(backend, ratio);
        int k = s.K(positions);
        var (idx, val, kk) = s.Select(Upload(backend, dy, n, positions * c), c);
        Assert.Equal(k, kk);
        AssertSelection(dy, n, c, positions, k, (e, ch, p) => MathF.Abs(dy[(e * positions + p) * c + ch]), TestData.Host(backend, idx), TestData.Host(backend, val));
        Assert.Equal((long)n * c * k, s.Selected);
        Assert.Equal((long)n * c * positions, s.Total);
    }

    [Fact]
    public void TiesGoToTheLowerPosition()
    {
        int n = 2, c = 3, positions = 16;
        var dy = TestData.Integers(n * positions * c, 51, 1);   // values in {-1, 0, 1}: many ties
        var s = new PerMapTopK(backend, 0.25f);
        var (idx, val, k) = s.Select(Upload(backend, dy, n, positions * c), c);
        AssertSelection(dy, n, c, positions, k, (e, ch, p) => MathF.Abs(dy[(e * positions + p) * c + ch]), TestData.Host(backend, idx), TestData.Host(backend, val));
    }

    [Theory]
    [InlineData(0.05f, 196, 10)]
    [InlineData(0.08f, 196, 16)]
    [InlineData(0.10f, 196, 20)]
    [InlineData(0.05f, 784, 40)]
    [InlineData(0.10f, 1000, 100)]
    [InlineData(0.01f, 10, 1)]
    [InlineData(1f, 49, 49)]
    [InlineData(1e-6f, 10, 1)]     // ratio * P rounds to 0: still one position per map
    public void KIsTheCeilingOfRatioTimesPositions(float ratio, int positions, int k) =>
        Assert.Equal(k, new PerMapTopK(backend, ratio).K(positions));

    [Fact]
    public void DecayZeroEqualsPlainTopK()
    {
        int n = 3, c = 4, positions = 25;
        var plain = new PerMapTopK(backend, 0.2f);
        var decay0 = new PerMapTopK(backend, 0.2f, 0f);
        for (int step = 0; step < 3; step++)
        {
            var dy = TestData.Random(n * positions * c, 60 + step);
            var t = Upload(backend, dy, n, positions * c);
            var a = plain.Select(t, c);
            var ai = TestData.Host(backend, a.Indices); var av = TestData.Host(backend, a.Values);
            var b = decay0.Select(t, c);
            Assert.Equal(ai, TestData.Host(backend, b.Indices));
            Assert.Equal(av, TestData.Host(backend, b.Values));
            AssertSelection(dy, n, c, positions, a.K, (e, ch, p) => MathF.Abs(dy[(e * positions + p) * c + ch]), ai, av);
        }
        Assert.Null(decay0.Running);

        // the backend operation itself: a running gradient with decay 0 changes nothing
        var g = TestData.Random(n * positions * c, 70);
        var gt = Upload(backend, g, n, positions * c);
        int k = plain.K(positions);
        var running = Upload(backend, TestData.Random(c * positions, 71, 5f), c, positions);
        (int[], float[]) Op(Backends.IBackend b, Tensors.Tensor? r, float decay)
        {
            var idx = b.AllocateIndices(c, n * k); var val = b.Allocate(c, n * k);
            b.TopKPerMap(gt, c, k, r, decay, b.Allocate(n * c, positions), b.AllocateIndices(n * c, k), idx, val);
            return (TestData.Host(b, idx), TestData.Host(b, val));
        }
        var withNull = Op(backend, null, 0f);
        var withRunning = Op(backend, running, 0f);
        Assert.Equal(withNull.Item1, withRunning.Item1);
        Assert.Equal(withNull.Item2, withRunning.Item2);
    }

    [Fact]
    public void DecaySelectionRanksByTheRunningGradientAndPropagatesTheCurrentValues()
    {
        int n = 3, c = 2, positions = 30;
        const float decay = 0.6f;
        var s = new PerMapTopK(backend, 0.1f, decay);
        int k = s.K(positions);
        var run = new float[c * positions];   // host model of Eq. 15 (batch-mean state), same float arithmetic
        bool differsFromPlain = false;
        for (int step = 0; step < 4; step++)
        {
            // later steps are smaller, so the history matters to the ranking
            var dy = TestData.Random(n * positions * c, 80 + step, 1f / (1 + 3 * step));
            var before = (float[])run.Clone();
            float Score(int e, int ch, int p) => decay * before[ch * positions + p] + (1f - decay) * MathF.Abs(dy[(e * positions + p) * c + ch]);
            var (idx, val, _) = s.Select(Upload(backend, dy, n, positions * c), c);
            var hi = TestData.Host(backend, idx); var hv = TestData.Host(backend, val);
            AssertSelection(dy, n, c, positions, k, Score, hi, hv);
            var sum = new float[run.Length];
            for (int e = 0; e < n; e++)
                for (int p = 0; p < positions; p++)
                    for (int ch = 0; ch < c; ch++)
                        sum[ch * positions + p] += MathF.Abs(dy[(e * positions + p) * c + ch]);
            for (int i = 0; i < run.Length; i++) run[i] = decay * run[i] + (1f - decay) / n * sum[i];
            TestData.Close(run, TestData.Host(backend, s.Running!), 1e-6f, "run_grad");
            for (int ch = 0; ch < c && !differsFromPlain; ch++)
                for (int e = 0; e < n; e++)
                    if (!TopK((e2, ch2, p) => MathF.Abs(dy[(e2 * positions + p) * c + ch2]), e, ch, positions, k)
                        .SequenceEqual(TopK(Score, e, ch, positions, k))) { differsFromPlain = true; break; }
        }
        Assert.True(differsFromPlain, "the test data never made decay selection differ from plain top-k");
    }

    [Fact]
    public void DecaySelectionStartsANewRunningGradientWhenTheMapsChangeShape()
    {
        const float decay = 0.5f;
        var s = new PerMapTopK(backend, 0.2f, decay);
        s.Select(Upload(backend, TestData.Random(2 * 25 * 3, 90), 2, 25 * 3), 3);
        Assert.Equal((3, 25), (s.Running!.Rows, s.Running.Cols));
        // maps of another shape: the state of the old ones means nothing to them, so the selection starts from 0 (plain
        // top-k of (1 - decay) |dy|) and the new state is (1 - decay) * mean_n |dy|
        int n = 2, c = 2, positions = 16;
        var dy = TestData.Random(n * positions * c, 91);
        var (idx, val, k) = s.Select(Upload(backend, dy, n, positions * c), c);
        Assert.Equal((c, positions), (s.Running!.Rows, s.Running.Cols));
        AssertSelection(dy, n, c, positions, k, (e, ch, p) => MathF.Abs(dy[(e * positions + p) * c + ch]), TestData.Host(backend, idx), TestData.Host(backend, val));
        var want = new float[c * positions];
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < positions; p++)
                want[ch * positions + p] = (1f - decay) / n * (MathF.Abs(dy[p * c + ch]) + MathF.Abs(dy[(positions + p) * c + ch]));
        TestData.Close(want, TestData.Host(backend, s.Running), 1e-6f, "run_grad");
    }
}
