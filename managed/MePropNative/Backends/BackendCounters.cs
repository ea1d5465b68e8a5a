using System.Diagnostics;

namespace MePropNative.Backends;

/// <summary>
/// Counters a backend keeps about its own work: how often and how long the dense GEMM kernel, the sparse backward
/// kernels and the meProp selection kernels (top-k, random-k) ran (Stopwatch ticks, host wall time around the kernel
/// call; a device backend records the kernels' own time). Reset by the trainer at each epoch start.
/// </summary>
public sealed class BackendCounters
{
    public long GemmCalls;
    public long GemmTicks;
    public long SparseCalls;
    public long SparseTicks;
    public long SelectionCalls;
    public long SelectionTicks;

    public double GemmSeconds => (double)GemmTicks / Stopwatch.Frequency;
    public double SparseSeconds => (double)SparseTicks / Stopwatch.Frequency;
    public double SelectionSeconds => (double)SelectionTicks / Stopwatch.Frequency;

    public void Reset()
    {
        GemmCalls = GemmTicks = SparseCalls = SparseTicks = SelectionCalls = SelectionTicks = 0;
    }
}
