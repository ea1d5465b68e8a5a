using System.Numerics;
using System.Runtime.CompilerServices;
using MePropNative.Bindings;
using MePropNative.Tensors;

namespace MePropNative.Backends;

// Optimizer steps. Each reads the gradient once and leaves it zeroed (the next backward accumulates into it). Parameters
// of ParallelUpdateMinElements or more are split over libmeprop's threads (MePropLibrary.NumThreads, the cores the
// kernels use); every element is updated on its own, so the results do not depend on the split.
public sealed partial class CpuBackend
{
    private const int ParallelUpdateMinElements = 1 << 15;

    private AdamWork? adamWork;
    private AdaGradWork? adaGradWork;
    private SgdWork? sgdWork;

    public void AdamStep(Tensor weights, Tensor gradient, Tensor firstMoment, Tensor secondMoment, in AdamStepArguments args)
    {
        int length = Contiguous(weights).Length;
        CheckParameterShapes(length, Contiguous(gradient).Length, Contiguous(firstMoment).Length, Contiguous(secondMoment).Length);
        var work = adamWork ??= new AdamWork(this);
        (work.W, work.G, work.M, work.V, work.Args) = (weights, gradient, firstMoment, secondMoment, args);
        ParallelPieces.Shared.Run(length, MePropLibrary.NumThreads, ParallelUpdateMinElements, work);
        (work.W, work.G, work.M, work.V) = (null!, null!, null!, null!);
    }

    public void AdaGradStep(Tensor weights, Tensor gradient, Tensor squaredSum, in AdaGradStepArguments args)
    {
        int length = Contiguous(weights).Length;
        CheckParameterShapes(length, Contiguous(gradient).Length, Contiguous(squaredSum).Length, Contiguous(squaredSum).Length);
        var work = adaGradWork ??= new AdaGradWork(this);
        (work.W, work.G, work.H, work.Args) = (weights, gradient, squaredSum, args);
        ParallelPieces.Shared.Run(length, MePropLibrary.NumThreads, ParallelUpdateMinElements, work);
        (work.W, work.G, work.H) = (null!, null!, null!);
    }

    public void SgdStep(Tensor weights, Tensor gradient, Tensor? velocity, in SgdStepArguments args)
    {
        bool momentum = velocity is not null && args.Momentum != 0;
        int length = Contiguous(weights).Length;
        CheckParameterShapes(length, Contiguous(gradient).Length, momentum ? Contiguous(velocity!).Length : length, length);
        var work = sgdWork ??= new SgdWork(this);
        (work.W, work.G, work.Velocity, work.Args) = (weights, gradient, momentum ? velocity : null, args);
        ParallelPieces.Shared.Run(length, MePropLibrary.NumThreads, ParallelUpdateMinElements, work);
        (work.W, work.G, work.Velocity) = (null!, null!, null);
    }

    private static void CheckParameterShapes(int w, int g, int s1, int s2)
    {
        if (g != w || s1 != w || s2 != w) throw new ArgumentException($"parameter, gradient and optimizer state differ in length ({w}, {g}, {s1}, {s2}).");
    }

    private sealed class AdamWork(CpuBackend backend) : IPieceWork
    {
        public Tensor W = null!, G = null!, M = null!, V = null!;
        public AdamStepArguments Args;

        public void Run(int start, int count) => AdamRange(backend.Contiguous(W).Slice(start, count), backend.Contiguous(G).Slice(start, count),
            backend.Contiguous(M).Slice(start, count), backend.Contiguous(V).Slice(start, count), Args);
    }

    private sealed class AdaGradWork(CpuBackend backend) : IPieceWork
    {
        public Tensor W = null!, G = null!, H = null!;
        public AdaGradStepArguments Args;

        public void Run(int start, int count) => AdaGradRange(backend.Contiguous(W).Slice(start, count), backend.Contiguous(G).Slice(start, count),
            backend.Contiguous(H).Slice(start, count), Args);
    }

    private sealed class SgdWork(CpuBackend backend) : IPieceWork
    {
        public Tensor W = null!, G = null!;
        public Tensor? Velocity;
        public SgdStepArguments Args;

        public void Run(int start, int count) => SgdRange(backend.Contiguous(W).Slice(start, count), backend.Contiguous(G).Slice(start, count),
            Velocity is null ? default : backend.Contiguous(Velocity).Slice(start, count), Velocity is not null, Args);
    }

    private static void AdamRange(Span<float> w, Span<float> g, Span<float> m, Span<float> v, in AdamStepArguments args)
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

    private static void AdaGradRange(Span<float> w, Span<float> g, Span<float> h, in AdaGradStepArguments args)
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

    private static void SgdRange(Span<float> w, Span<float> g, Span<float> vel, bool momentum, in SgdStepArguments args)
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
