using System.Diagnostics;

namespace MePropNative.Backends;

/// <summary>
/// Counters a backend keeps about its own work: how often and how long the dense GEMM kernel ran (Stopwatch ticks,
/// host wall time around the kernel call; a device backend records the kernel's own time). Reset by the trainer at
/// each epoch start.
/// </summary>
public sealed class BackendCounters
{
    public long GemmCalls;
    public long GemmTicks;
    public long SparseCalls;
    public long SparseTicks;

    public double GemmSeconds => (double)GemmTicks / Stopwatch.Frequency;
    public double SparseSeconds => (double)SparseTicks / Stopwatch.Frequency;

    public void Reset()
    {
        GemmCalls = GemmTicks = SparseCalls = SparseTicks = 0;
    }
}
