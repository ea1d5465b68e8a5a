using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Tensors;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Cnn;

/// <summary>Finite-difference gradient checks and host references for the CNN tests.</summary>
internal static class CnnTestSupport
{
    public static readonly StepContext Train = StepContext.TrainingStep(0, 0);

    /// <summary>L = sum_i y_i * r_i in double.</summary>
    public static double Dot(float[] y, float[] r)
    {
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += (double)y[i] * r[i];
        return s;
    }

    /// <summary>
    /// Checks analytic[i] against the central difference (L(p + eps) - L(p - eps)) / (2 eps) for every element of a
    /// parameter (or every <paramref name="every"/>-th), where L = loss() after <paramref name="set"/> wrote the perturbed values.
    /// </summary>
    public static void CheckGradient(string what, float[] value, Action<float[]> set, Func<double> loss, float[] analytic,
        float eps = 1e-2f, float tolerance = 2e-2f, int every = 1)
    {
        Assert.Equal(value.Length, analytic.Length);
        var p = (float[])value.Clone();
        int checkedCount = 0;
        for (int i = 0; i < p.Length; i += every)
        {
            float old = p[i];
            p[i] = old + eps; set(p); double plus = loss();
            p[i] = old - eps; set(p); double minus = loss();
            p[i] = old; set(p);
            double numeric = (plus - minus) / (2 * eps);
            double scale = Math.Max(1.0, Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])));
            if (!(Math.Abs(numeric - analytic[i]) <= tolerance * scale))   // a NaN gradient fails too
                Assert.Fail($"{what}[{i}]: analytic {analytic[i]}, numeric {numeric}");
            checkedCount++;
        }
        Assert.True(checkedCount > 0);
    }

    /// <summary>Plain host convolution, channels-last, for reference: y[n, oh, ow, co] = b[co] + sum w[co, kh, kw, ci] x[...].</summary>
    public static float[] ConvReference(float[] x, float[] w, float[]? b, int n, in ConvGeometry g, int cout)
    {
        var y = new float[n * g.Positions * cout];
        for (int e = 0; e < n; e++)
            for (int oh = 0; oh < g.OutputHeight; oh++)
                for (int ow = 0; ow < g.OutputWidth; ow++)
                    for (int co = 0; co < cout; co++)
                    {
                        double s = b?[co] ?? 0;
                        for (int kh = 0; kh < g.KernelHeight; kh++)
                            for (int kw = 0; kw < g.KernelWidth; kw++)
                            {
                                int ih = oh * g.Stride - g.PadTop + kh, iw = ow * g.Stride - g.PadLeft + kw;
                                if (ih < 0 || ih >= g.InputHeight || iw < 0 || iw >= g.InputWidth) continue;
                                for (int ci = 0; ci < g.InputChannels; ci++)
                                    s += (double)w[co * g.PatchSize + (kh * g.KernelWidth + kw) * g.InputChannels + ci] *
                                         x[e * g.InputSize + (ih * g.InputWidth + iw) * g.InputChannels + ci];
                            }
                        y[(e * g.Positions + oh * g.OutputWidth + ow) * cout + co] = (float)s;
                    }
        return y;
    }

    /// <summary>Per (n, c) map of a channels-last gradient, the top-k positions by score (descending, lower position on ties).</summary>
    public static int[] TopK(Func<int, int, int, float> score, int n, int c, int positions, int k) =>
        Enumerable.Range(0, positions).OrderByDescending(p => score(n, c, p)).ThenBy(p => p).Take(k).OrderBy(p => p).ToArray();

    public static Tensor Upload(IBackend b, float[] data, int rows, int cols) => TestData.Tensor(b, data, rows, cols);
}
