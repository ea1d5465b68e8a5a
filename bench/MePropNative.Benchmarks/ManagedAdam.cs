using System.Numerics;
using System.Runtime.InteropServices;

namespace MePropNative.Benchmarks;

/// <summary>The baseline of <see cref="OptimizerBenchmarks"/>: one Adam step as a single-threaded C# loop over
/// <see cref="Vector{T}"/> with unchecked loads and stores (the CPU backend's code before the step moved into libmeprop),
/// with the same operations: the gradient zeroed, the new state flushed below the smallest normal float.</summary>
public static class ManagedAdam
{
    private static readonly Vector<float> MinNormal = new(1.17549435e-38f);

    public static void Step(Span<float> w, Span<float> g, Span<float> m, Span<float> v, float stepSize, float beta1, float beta2, float eps)
    {
        var b1 = new Vector<float>(beta1); var b2 = new Vector<float>(beta2);
        var c1 = new Vector<float>(1 - beta1); var c2 = new Vector<float>(1 - beta2);
        var step = new Vector<float>(stepSize); var e = new Vector<float>(eps);
        ref float rw = ref MemoryMarshal.GetReference(w), rg = ref MemoryMarshal.GetReference(g);
        ref float rm = ref MemoryMarshal.GetReference(m), rv = ref MemoryMarshal.GetReference(v);
        int i = 0;
        for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            nuint at = (nuint)i;
            var wi = Vector.LoadUnsafe(ref rw, at);
            var gi = Vector.LoadUnsafe(ref rg, at);
            Vector<float>.Zero.StoreUnsafe(ref rg, at);
            var mi = Flush(b1 * Vector.LoadUnsafe(ref rm, at) + c1 * gi);
            var vi = Flush(b2 * Vector.LoadUnsafe(ref rv, at) + c2 * gi * gi);
            mi.StoreUnsafe(ref rm, at);
            vi.StoreUnsafe(ref rv, at);
            (wi - step * mi / (Vector.SquareRoot(vi) + e)).StoreUnsafe(ref rw, at);
        }
        for (; i < w.Length; i++)
        {
            float gi = g[i];
            g[i] = 0f;
            m[i] = Flush(beta1 * m[i] + (1 - beta1) * gi);
            v[i] = Flush(beta2 * v[i] + (1 - beta2) * gi * gi);
            w[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) + eps);
        }
    }

    private static float Flush(float x) => MathF.Abs(x) < MinNormal[0] ? 0f : x;

    private static Vector<float> Flush(Vector<float> x) => Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(x), MinNormal), Vector<float>.Zero, x);
}
