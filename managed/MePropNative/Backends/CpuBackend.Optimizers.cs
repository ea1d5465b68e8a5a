using System.Numerics;
using System.Runtime.CompilerServices;
using MePropNative.Tensors;

namespace MePropNative.Backends;

// Optimizer steps. Each reads the gradient once and leaves it zeroed in the same pass (the next backward accumulates
// into it). They are bound by memory bandwidth (Adam reads four arrays and writes four), so they run on the calling
// thread: splitting them over a second core measured no faster on the 2-core development machine.
public sealed partial class CpuBackend
{
    public void AdamStep(Tensor weights, Tensor gradient, Tensor firstMoment, Tensor secondMoment, in AdamStepArguments args)
    {
        int length = Contiguous(weights).Length;
        CheckParameterShapes(length, Contiguous(gradient).Length, Contiguous(firstMoment).Length, Contiguous(secondMoment).Length);
        AdamUpdate(Contiguous(weights), Contiguous(gradient), Contiguous(firstMoment), Contiguous(secondMoment), args);
    }

    public void AdaGradStep(Tensor weights, Tensor gradient, Tensor squaredSum, in AdaGradStepArguments args)
    {
        int length = Contiguous(weights).Length;
        CheckParameterShapes(length, Contiguous(gradient).Length, Contiguous(squaredSum).Length, Contiguous(squaredSum).Length);
        AdaGradUpdate(Contiguous(weights), Contiguous(gradient), Contiguous(squaredSum), args);
    }

    public void SgdStep(Tensor weights, Tensor gradient, Tensor? velocity, in SgdStepArguments args)
    {
        bool momentum = velocity is not null && args.Momentum != 0;
        int length = Contiguous(weights).Length;
        CheckParameterShapes(length, Contiguous(gradient).Length, momentum ? Contiguous(velocity!).Length : length, length);
        SgdUpdate(Contiguous(weights), Contiguous(gradient), momentum ? Contiguous(velocity!) : default, momentum, args);
    }

    private static void CheckParameterShapes(int w, int g, int s1, int s2)
    {
        if (g != w || s1 != w || s2 != w) throw new ArgumentException($"parameter, gradient and optimizer state differ in length ({w}, {g}, {s1}, {s2}).");
    }

    private static void AdamUpdate(Span<float> w, Span<float> g, Span<float> m, Span<float> v, in AdamStepArguments args)
    {
        var t = args.Transform;
        float b1 = args.Beta1, b2 = args.Beta2, c1 = 1 - b1, c2 = 1 - b2, step = args.StepSize, eps = args.Epsilon;
        var vb1 = new Vector<float>(b1); var vb2 = new Vector<float>(b2); var vc1 = new Vector<float>(c1); var vc2 = new Vector<float>(c2);
        var vstep = new Vector<float>(step); var veps = new Vector<float>(eps);
        int i = 0;
        for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var wi = VectorSpan.LoadAt(w, i);
            var gi = Transform(VectorSpan.LoadAt(g, i), wi, t);
            Vector<float>.Zero.StoreAt(g, i);
            var mi = FlushSubnormals(vb1 * VectorSpan.LoadAt(m, i) + vc1 * gi);
            var vi = FlushSubnormals(vb2 * VectorSpan.LoadAt(v, i) + vc2 * gi * gi);
            mi.StoreAt(m, i);
            vi.StoreAt(v, i);
            (wi - vstep * mi / (Vector.SquareRoot(vi) + veps)).StoreAt(w, i);
        }
        for (; i < w.Length; i++)
        {
            float gi = Transform(g[i], w[i], t);
            g[i] = 0f;
            float mi = Flush(b1 * m[i] + c1 * gi), vi = Flush(b2 * v[i] + c2 * gi * gi);
            m[i] = mi; v[i] = vi;
            w[i] -= step * mi / (MathF.Sqrt(vi) + eps);
        }
    }

    private static void AdaGradUpdate(Span<float> w, Span<float> g, Span<float> h, in AdaGradStepArguments args)
    {
        var t = args.Transform;
        var vlr = new Vector<float>(args.LearningRate); var veps = new Vector<float>(args.Epsilon);
        int i = 0;
        for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var wi = VectorSpan.LoadAt(w, i);
            var gi = Transform(VectorSpan.LoadAt(g, i), wi, t);
            Vector<float>.Zero.StoreAt(g, i);
            var hi = FlushSubnormals(VectorSpan.LoadAt(h, i) + gi * gi);
            hi.StoreAt(h, i);
            (wi - vlr * gi / Vector.SquareRoot(hi + veps)).StoreAt(w, i);
        }
        for (; i < w.Length; i++)
        {
            float gi = Transform(g[i], w[i], t);
            g[i] = 0f;
            float hi = Flush(h[i] + gi * gi);
            h[i] = hi;
            w[i] -= args.LearningRate * gi / MathF.Sqrt(hi + args.Epsilon);
        }
    }

    private static void SgdUpdate(Span<float> w, Span<float> g, Span<float> vel, bool momentum, in SgdStepArguments args)
    {
        var t = args.Transform;
        var vlr = new Vector<float>(args.LearningRate); var vmu = new Vector<float>(args.Momentum);
        int i = 0;
        for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var wi = VectorSpan.LoadAt(w, i);
            var gi = Transform(VectorSpan.LoadAt(g, i), wi, t);
            Vector<float>.Zero.StoreAt(g, i);
            if (momentum)
            {
                gi = FlushSubnormals(vmu * VectorSpan.LoadAt(vel, i) + gi);
                gi.StoreAt(vel, i);
            }
            (wi - vlr * gi).StoreAt(w, i);
        }
        for (; i < w.Length; i++)
        {
            float gi = Transform(g[i], w[i], t);
            g[i] = 0f;
            if (momentum) { gi = Flush(args.Momentum * vel[i] + gi); vel[i] = gi; }
            w[i] -= args.LearningRate * gi;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Transform(Vector<float> g, Vector<float> w, in GradientTransform t)
    {
        if (t.GradientScale != 1f) g *= new Vector<float>(t.GradientScale);
        if (t.L2 != 0f) g += new Vector<float>(t.L2) * w;
        if (t.ClipValue > 0f) g = Vector.Min(Vector.Max(g, new Vector<float>(-t.ClipValue)), new Vector<float>(t.ClipValue));
        return g;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Transform(float g, float w, in GradientTransform t)
    {
        g = g * t.GradientScale + t.L2 * w;
        if (t.ClipValue > 0f) g = Math.Clamp(g, -t.ClipValue, t.ClipValue);
        return g;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> FlushSubnormals(Vector<float> x) =>
        Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(x), MinNormal), Vector<float>.Zero, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Flush(float x) => MathF.Abs(x) < SmallestNormal ? 0f : x;
}
