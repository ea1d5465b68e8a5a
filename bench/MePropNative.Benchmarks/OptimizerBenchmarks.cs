using BenchmarkDotNet.Attributes;
using MePropNative.Bindings;

namespace MePropNative.Benchmarks;

/// <summary>One Adam step over a parameter of n floats (fc2's W: 250,000; fc1's W: 392,000; a large layer: 4M): libmeprop's
/// mp_adam_step_f32 on the library's threads and on 1 thread, against a single-threaded C# Vector loop with the same
/// operations (the baseline). Per element the step reads w, g, m and v and writes all four (32 bytes) and does a
/// divide and a square root besides 9 multiplies and adds. Buffers are 64-byte aligned.</summary>
[Config(typeof(BenchConfig))]
public class OptimizerBenchmarks
{
    [Params(250_000, 392_000, 4_000_000)] public int N;

    private AlignedArray<float> w = AlignedArray<float>.Empty, g = AlignedArray<float>.Empty,
        m = AlignedArray<float>.Empty, v = AlignedArray<float>.Empty;

    [GlobalSetup]
    public void Setup()
    {
        w = new(N); g = new(N); m = new(N); v = new(N);
        var rng = new Random(1);
        for (int i = 0; i < N; i++) { w.Span[i] = (float)rng.NextDouble() - 0.5f; v.Span[i] = 1e-4f; }
    }

    // A fresh gradient each invocation would time its writing too; the steps run on the zeroed one, the same work.

    [Benchmark(Baseline = true, Description = "C# Vector loop (1 thread)")]
    public void Managed() => ManagedAdam.Step(w, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f);

    [Benchmark(Description = "libmeprop (library threads)")]
    public void Native() => Kernels.AdamStep(w, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 1f, 0f, 0f);

    [Benchmark(Description = "libmeprop (1 thread)")]
    public void NativeOneThread()
    {
        int threads = MePropLibrary.NumThreads;
        MePropLibrary.NumThreads = 1;
        Native();
        MePropLibrary.NumThreads = threads;
    }
}
