using MePropNative.Bindings;
using MePropNative.Bindings.Cuda;

namespace MePropNative.Tests.Cuda;

/// <summary>One primary context for the GPU tests of a class, or the reason there is none. Tests call
/// <see cref="Gpu"/> / <see cref="Kernels"/> first: without a device they are skipped with the reason.</summary>
public sealed class CudaFixture : IDisposable
{
    public CudaFixture()
    {
        if (CudaContext.IsAvailable(out string reason)) Context = new CudaContext(0);
        Reason = reason;
    }

    public CudaContext? Context { get; }
    public string Reason { get; }

    public CudaContext Gpu()
    {
        Assert.SkipWhen(Context is null, "no CUDA device: " + Reason);
        return Context!;
    }

    /// <summary>The device, plus a libmeprop built with its CUDA kernels.</summary>
    public CudaContext Kernels()
    {
        CudaContext context = Gpu();
        Assert.SkipUnless(CudaKernels.BuiltWithCuda, "libmeprop was built without CUDA (" + MePropLibrary.BuildInfo + ")");
        Assert.SkipWhen(MePropLibrary.CudaDeviceCount == 0, "libmeprop's CUDA runtime sees no device");
        return context;
    }

    public void Dispose() => Context?.Dispose();
}

/// <summary>Host-side helpers for the GPU comparisons: random data, poisoned outputs, references, tolerances.</summary>
internal static class GpuCheck
{
    public static float[] Random(Random random, int count, float scale = 1f)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return x;
    }

    public static CudaDeviceVariable<T> Poisoned<T>(CudaContext context, long length, T poison) where T : unmanaged
    {
        var v = new CudaDeviceVariable<T>(context, length);
        var host = new T[length];
        Array.Fill(host, poison);
        v.CopyToDevice(host);
        return v;
    }

    /// <summary>|got - want| &lt;= 1e-4 * scale (scale: the sum of |terms|, so cancellation is fair).</summary>
    public static void Close(ReadOnlySpan<float> got, ReadOnlySpan<double> want, ReadOnlySpan<double> scale, string what)
    {
        for (int i = 0; i < want.Length; i++)
        {
            double tolerance = 1e-4 * Math.Max(scale[i], 1e-6);
            if (!(Math.Abs(got[i] - want[i]) <= tolerance))
                Assert.Fail($"{what}[{i}] = {got[i]}, want {want[i]} (tolerance {tolerance})");
        }
    }

    /// <summary>Top-k of one row by the contract: NaN first, then larger |x|, then lower index; ascending.</summary>
    public static int[] TopK(ReadOnlySpan<float> row, int k)
    {
        float[] copy = row.ToArray();
        int[] order = Enumerable.Range(0, copy.Length).ToArray();
        Array.Sort(order, (a, b) =>
        {
            bool na = float.IsNaN(copy[a]), nb = float.IsNaN(copy[b]);
            if (na != nb) return na ? -1 : 1;
            float ma = MathF.Abs(copy[a]), mb = MathF.Abs(copy[b]);
            if (!na && ma != mb) return mb.CompareTo(ma);
            return a.CompareTo(b);
        });
        int[] chosen = order[..k];
        Array.Sort(chosen);
        return chosen;
    }
}
