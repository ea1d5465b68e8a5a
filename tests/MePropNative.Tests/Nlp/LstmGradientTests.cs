using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Nlp;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Nlp;

/// <summary>
/// The LSTM's back propagation through time: against finite differences of the loss (dense), against a host reference
/// of BPTT in double precision (dense, and top-k per gate / over all gates with the selection at every step), and
/// meProp with k = H per gate against dense.
/// </summary>
public class LstmGradientTests
{
    private readonly CpuBackend backend = new();
    private const int E = 3;
    /// <summary>Hidden size: 4 in most tests, below the CPU kernels' vector width.</summary>
    private int H { get; set; } = 4;
    private static readonly int[] Lengths = [5, 3, 3, 1];

    private sealed record Result(double[] Dw, double[] Db, double[] Dx, double Loss);

    /// <summary>Runs the layer on a packed batch with loss = sum_t,b r_tb . h_tb; returns its gradients (dx in packed row order).</summary>
    private Result RunLayer(float[] w, float[] b, float[] x, float[] r, RecurrentGateStrategy strategy)
    {
        var p = new PackedSequences(Lengths);
        var lstm = new Lstm(backend, E, H, strategy, "lstm");
        backend.Upload(w, lstm.Gates.Weight.Value);
        backend.Upload(b, lstm.Gates.Bias!.Value);
        backend.Upload(x, lstm.Inputs(p));
        var h = lstm.Forward(StepContext.TrainingStep(0, 0));
        var hs = TestData.Host(backend, h);
        double loss = 0;
        for (int i = 0; i < hs.Length; i++) loss += (double)hs[i] * r[i];
        var dh = TestData.Tensor(backend, r, p.Tokens, H);
        var dx = lstm.Backward(dh, StepContext.TrainingStep(0, 0));
        var dxs = TestData.Host(backend, dx);
        var dxOnly = new double[p.Tokens * E];
        for (int i = 0; i < p.Tokens; i++) for (int j = 0; j < E; j++) dxOnly[i * E + j] = dxs[i * (E + H) + j];
        return new Result(TestData.Host(backend, lstm.Gates.Weight.Gradient).Select(v => (double)v).ToArray(),
            TestData.Host(backend, lstm.Gates.Bias.Gradient).Select(v => (double)v).ToArray(), dxOnly, loss);
    }

    /// <summary>Host BPTT in double; <paramref name="select"/> (gate-gradient row of 4H, returns the kept columns) models
    /// meProp's selection at each step; null keeps everything. The bias gradient is always the full dz's.</summary>
    private Result Reference(float[] w, float[] b, float[] x, float[] r, Func<double[], bool[]>? select)
    {
        var p = new PackedSequences(Lengths);
        int m = E + H;
        var dw = new double[4 * H * m]; var db = new double[4 * H]; var dx = new double[p.Tokens * E];
        double loss = 0;
        for (int s = 0; s < Lengths.Length; s++)
        {
            int len = Lengths[s];
            var xh = new double[len][]; var a = new double[len][]; var c = new double[len][]; var tc = new double[len][];
            var hPrev = new double[H]; var cPrev = new double[H];
            for (int t = 0; t < len; t++)
            {
                int row = p.Row(s, t);
                xh[t] = new double[m];
                for (int j = 0; j < E; j++) xh[t][j] = x[row * E + j];
                for (int j = 0; j < H; j++) xh[t][E + j] = hPrev[j];
                a[t] = new double[4 * H];
                for (int q = 0; q < 4 * H; q++)
                {
                    double z = b[q];
                    for (int j = 0; j < m; j++) z += w[q * m + j] * xh[t][j];
                    a[t][q] = q / H == 2 ? Math.Tanh(z) : 1 / (1 + Math.Exp(-z));
                }
                c[t] = new double[H]; tc[t] = new double[H];
                var h = new double[H];
                for (int j = 0; j < H; j++)
                {
                    c[t][j] = a[t][H + j] * cPrev[j] + a[t][j] * a[t][2 * H + j];
                    tc[t][j] = Math.Tanh(c[t][j]);
                    h[j] = a[t][3 * H + j] * tc[t][j];
                    loss += h[j] * r[row * H + j];
                }
                hPrev = h; cPrev = c[t];
            }
            var dhNext = new double[H]; var dcNext = new double[H];
            for (int t = len - 1; t >= 0; t--)
            {
                int row = p.Row(s, t);
                var dz = new double[4 * H];
                var dcPrev = new double[H];
                for (int j = 0; j < H; j++)
                {
                    double dh = r[row * H + j] + dhNext[j];
                    double i = a[t][j], f = a[t][H + j], g = a[t][2 * H + j], o = a[t][3 * H + j];
                    double dc = dcNext[j] + dh * o * (1 - tc[t][j] * tc[t][j]);
                    double cp = t > 0 ? c[t - 1][j] : 0;
                    dz[j] = dc * g * i * (1 - i);
                    dz[H + j] = dc * cp * f * (1 - f);
                    dz[2 * H + j] = dc * i * (1 - g * g);
                    dz[3 * H + j] = dh * tc[t][j] * o * (1 - o);
                    dcPrev[j] = dc * f;
                }
                for (int q = 0; q < 4 * H; q++) db[q] += dz[q];
                var keep = select?.Invoke(dz);
                if (keep is not null) for (int q = 0; q < 4 * H; q++) if (!keep[q]) dz[q] = 0;
                var dxh = new double[m];
                for (int q = 0; q < 4 * H; q++)
                    for (int j = 0; j < m; j++) { dw[q * m + j] += dz[q] * xh[t][j]; dxh[j] += dz[q] * w[q * m + j]; }
                for (int j = 0; j < E; j++) dx[row * E + j] = dxh[j];
                for (int j = 0; j < H; j++) dhNext[j] = dxh[E + j];
                dcNext = dcPrev;
            }
        }
        return new Result(dw, db, dx, loss);
    }

    /// <summary>Keeps the k largest |dz| in each of <paramref name="groups"/> column groups (ties: lower index).</summary>
    private static Func<double[], bool[]> TopK(int k, int groups) => dz =>
    {
        var keep = new bool[dz.Length];
        int width = dz.Length / groups;
        for (int g = 0; g < groups; g++)
            foreach (int q in Enumerable.Range(g * width, width).OrderByDescending(q => Math.Abs(dz[q])).ThenBy(q => q).Take(k)) keep[q] = true;
        return keep;
    };

    private (float[] W, float[] B, float[] X, float[] R) Data(int seed)
    {
        int tokens = Lengths.Sum();
        return (TestData.Random(4 * H * (E + H), seed, 0.8f), TestData.Random(4 * H, seed + 1, 0.3f),
            TestData.Random(tokens * E, seed + 2), TestData.Random(tokens * H, seed + 3));
    }

    private RecurrentGateStrategy Strategy(StrategyKind kind, int? k, int groups = 4) => new(backend, kind, k, groups, 7, 0.8f);

    private static void Close(double[] want, double[] got, double tolerance, string what)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= tolerance * (1 + Math.Abs(want[i])), $"{what}[{i}]: want {want[i]}, got {got[i]}");
    }

    [Fact]
    public void DenseBackpropagationThroughTimeMatchesFiniteDifferences()
    {
        var (w, b, x, r) = Data(11);
        var got = RunLayer(w, b, x, r, Strategy(StrategyKind.Dense, null));
        double Loss(float[] w2, float[] b2, float[] x2) => RunLayer(w2, b2, x2, r, Strategy(StrategyKind.Dense, null)).Loss;
        const float eps = 1e-2f;
        // every bias entry, a spread of weights (input and recurrent columns of each gate), every input entry of the short sentences
        foreach (int q in Enumerable.Range(0, 4 * H))
        {
            var bp = (float[])b.Clone(); bp[q] += eps; var bm = (float[])b.Clone(); bm[q] -= eps;
            double numeric = (Loss(w, bp, x) - Loss(w, bm, x)) / (2 * eps);
            Assert.True(Math.Abs(numeric - got.Db[q]) < 2e-3 * (1 + Math.Abs(numeric)), $"db[{q}]: numeric {numeric}, analytic {got.Db[q]}");
        }
        for (int idx = 0; idx < w.Length; idx += 3)
        {
            var wp = (float[])w.Clone(); wp[idx] += eps; var wm = (float[])w.Clone(); wm[idx] -= eps;
            double numeric = (Loss(wp, b, x) - Loss(wm, b, x)) / (2 * eps);
            Assert.True(Math.Abs(numeric - got.Dw[idx]) < 2e-3 * (1 + Math.Abs(numeric)), $"dW[{idx}]: numeric {numeric}, analytic {got.Dw[idx]}");
        }
        for (int idx = 0; idx < x.Length; idx++)
        {
            var xp = (float[])x.Clone(); xp[idx] += eps; var xm = (float[])x.Clone(); xm[idx] -= eps;
            double numeric = (Loss(w, b, xp) - Loss(w, b, xm)) / (2 * eps);
            Assert.True(Math.Abs(numeric - got.Dx[idx]) < 2e-3 * (1 + Math.Abs(numeric)), $"dx[{idx}]: numeric {numeric}, analytic {got.Dx[idx]}");
        }
    }

    [Fact]
    public void DenseMatchesTheHostReference()
    {
        var (w, b, x, r) = Data(21);
        var got = RunLayer(w, b, x, r, Strategy(StrategyKind.Dense, null));
        var want = Reference(w, b, x, r, null);
        Assert.True(Math.Abs(want.Loss - got.Loss) < 1e-4 * (1 + Math.Abs(want.Loss)));
        Close(want.Dw, got.Dw, 1e-4, "dW"); Close(want.Db, got.Db, 1e-4, "db"); Close(want.Dx, got.Dx, 1e-4, "dx");
    }

    [Fact]
    public void DenseMatchesTheHostReferenceWithGatesWiderThanAVector()
    {
        // The CPU LSTM cell kernels work in vectors of Vector<float>.Count units, then unit by unit: H = 4 never leaves
        // the unit-by-unit loop, so a vector block and a tail are checked here.
        H = System.Numerics.Vector<float>.Count + 3;
        var (w, b, x, r) = Data(61);
        var got = RunLayer(w, b, x, r, Strategy(StrategyKind.Dense, null));
        var want = Reference(w, b, x, r, null);
        Assert.True(Math.Abs(want.Loss - got.Loss) < 1e-4 * (1 + Math.Abs(want.Loss)));
        Close(want.Dw, got.Dw, 1e-4, "dW"); Close(want.Db, got.Db, 1e-4, "db"); Close(want.Dx, got.Dx, 1e-4, "dx");
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 4)]
    [InlineData(3, 1)]
    public void TopKSelectsAtEveryStepAsTheHostReference(int k, int groups)
    {
        var (w, b, x, r) = Data(31 + k);
        var got = RunLayer(w, b, x, r, Strategy(StrategyKind.TopK, k, groups));
        var want = Reference(w, b, x, r, TopK(groups == 4 ? k : 4 * k, groups));
        Close(want.Dw, got.Dw, 1e-4, "dW"); Close(want.Db, got.Db, 1e-4, "db"); Close(want.Dx, got.Dx, 1e-4, "dx");
    }

    [Fact]
    public void TopKWithKEqualToTheHiddenSizeIsDense()
    {
        var (w, b, x, r) = Data(41);
        var dense = RunLayer(w, b, x, r, Strategy(StrategyKind.Dense, null));
        foreach (var kind in new[] { StrategyKind.TopK, StrategyKind.Unified, StrategyKind.Random, StrategyKind.Msbp })
        {
            var all = RunLayer(w, b, x, r, Strategy(kind, H));
            Close(dense.Dw, all.Dw, 1e-5, $"{kind} dW"); Close(dense.Db, all.Db, 1e-5, $"{kind} db"); Close(dense.Dx, all.Dx, 1e-5, $"{kind} dx");
        }
    }

    [Fact]
    public void RandomKAndUnifiedPropagateKEntriesPerGate()
    {
        var (w, b, x, r) = Data(51);
        foreach (var kind in new[] { StrategyKind.Random, StrategyKind.Unified, StrategyKind.RandomUnified, StrategyKind.Msbp })
        {
            var s = Strategy(kind, 1);
            var p = new PackedSequences(Lengths);
            var lstm = new Lstm(backend, E, H, s, "lstm");
            backend.Upload(w, lstm.Gates.Weight.Value);
            backend.Upload(x, lstm.Inputs(p));
            lstm.Forward(StepContext.TrainingStep(3, 100));
            lstm.Backward(TestData.Tensor(backend, r, p.Tokens, H), StepContext.TrainingStep(3, 100));
            Assert.Equal(0.25, lstm.Gates.Statistics.BackpropRatio, 6); // 4 of 16 gate rows per token
            Assert.All(TestData.Host(backend, lstm.Gates.Weight.Gradient), v => Assert.True(float.IsFinite(v)));
        }
    }

    [Fact]
    public void PackedLayoutPutsEachStepsLiveSentencesInAContiguousRowRange()
    {
        var p = new PackedSequences([3, 2, 2, 1]);
        Assert.Equal(8, p.Tokens);
        Assert.Equal([4, 3, 1], Enumerable.Range(0, p.Steps).Select(p.StepRows));
        Assert.Equal([0, 4, 7], Enumerable.Range(0, p.Steps).Select(p.StepOffset));
        Assert.Equal(5, p.Row(1, 1));
        Assert.Equal(p.Row(0, 0), p.ReverseRow(0, 2));
        Assert.Equal(p.Row(1, 0), p.ReverseRow(1, 1));
        Assert.Throws<ArgumentException>(() => new PackedSequences([1, 2]));
    }
}
