using System.Diagnostics;

namespace MePropNative.Backends;

/// <summary>Measures how long work queued on a backend takes (used by the auto strategy to compare candidates).</summary>
public interface IOperationTimer
{
    /// <summary>Runs <paramref name="work"/> <paramref name="repetitions"/> times and returns the seconds per run as the
    /// backend sees them (the work's own time, queue included, excluding what was queued before).</summary>
    double SecondsPerRun(Action work, int repetitions);
}

/// <summary>A backend that times its own work better than a host stopwatch can (CUDA: events on its stream).</summary>
public interface ITimedBackend
{
    IOperationTimer CreateTimer();
}

/// <summary>Host wall time with the backend synchronized before and after (exact on the CPU backend).</summary>
public sealed class StopwatchTimer(IBackend backend) : IOperationTimer
{
    public double SecondsPerRun(Action work, int repetitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
        backend.Synchronize();
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < repetitions; i++) work();
        backend.Synchronize();
        return (double)(Stopwatch.GetTimestamp() - t0) / Stopwatch.Frequency / repetitions;
    }

    /// <summary>The backend's own timer when it has one, else this.</summary>
    public static IOperationTimer For(IBackend backend) => backend is ITimedBackend t ? t.CreateTimer() : new StopwatchTimer(backend);
}
