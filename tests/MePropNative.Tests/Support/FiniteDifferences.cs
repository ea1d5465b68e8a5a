namespace MePropNative.Tests.Support;

/// <summary>Central-difference gradient checks of a parameter held on a backend.</summary>
internal static class FiniteDifferences
{
    /// <summary>
    /// For every <paramref name="stride"/>-th element i: (L(p + eps) - L(p - eps)) / (2 eps), with L = loss() after
    /// <paramref name="set"/> wrote the perturbed values, must be within tolerance * (1 + |numeric|) of analytic[i].
    /// The original values are written back after each element.
    /// </summary>
    public static void Check(string name, float[] value, float[] analytic, Action<float[]> set, Func<double> loss, int stride,
        double tolerance, float eps = 1e-2f)
    {
        for (int i = 0; i < value.Length; i += stride)
        {
            var plus = (float[])value.Clone(); plus[i] += eps;
            set(plus); double lp = loss();
            var minus = (float[])value.Clone(); minus[i] -= eps;
            set(minus); double lm = loss();
            set(value);
            double numeric = (lp - lm) / (2 * eps);
            Assert.True(Math.Abs(numeric - analytic[i]) < tolerance * (1 + Math.Abs(numeric)), $"{name}[{i}]: numeric {numeric}, analytic {analytic[i]}");
        }
    }
}
