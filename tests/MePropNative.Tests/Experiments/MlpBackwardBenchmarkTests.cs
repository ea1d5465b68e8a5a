using MePropNative.Backends;
using MePropNative.Experiments;

namespace MePropNative.Tests.Experiments;

public class MlpBackwardBenchmarkTests
{
    [Fact]
    public void TimesEveryStrategyAndReportsTheTurnLength()
    {
        using var backend = new CpuBackend();
        var report = MlpBackwardBenchmark.Run(backend,
            new MlpBackwardBenchmark.Settings { BatchSize = 8, Repetitions = 5, Warmup = 1, TurnLength = 2, Hidden = [100, 90] }, images: null);
        Assert.Equal(MlpBackwardBenchmark.Models.Select(m => m.Name), report.Rows.Select(r => r.Name));
        Assert.Equal(2, report.TurnLength);
        Assert.Equal(1.0, report.Rows[0].BackwardSpeedup, 12);
        Assert.All(report.Rows, r => Assert.True(r.BackwardMs > 0 && r.LinearBackwardMs > 0 && r.LinearBackwardMs <= r.BackwardMs, r.Name));
        Assert.All(report.Rows.Where(r => r.Name.StartsWith("top-", StringComparison.Ordinal)), r => Assert.True(r.SparseKernelsMs > 0, r.Name));
        Assert.Equal(0, report.Rows[0].SparseKernelsMs);
        Assert.Contains("taking turns of 2 batches", report.ToMarkdown());
    }
}
