using MePropNative.Backends;
using MePropNative.Experiments;
using MePropNative.Training;

namespace MePropNative.Tests.Experiments;

public class ExperimentArgumentTests
{
    private static readonly string[] Groups = ["main", "k", "bench"];

    [Fact]
    public void OnlyNamesKnownGroups()
    {
        Assert.Null(ExperimentGroups.Parse(null, Groups));
        Assert.Equal(["main", "bench"], ExperimentGroups.Parse(" Main , bench,", Groups)!);
        var unknown = Assert.Throws<ConfigException>(() => ExperimentGroups.Parse("main,mian,kk", Groups));
        Assert.Equal("--only: no group 'mian', 'kk'; the groups are main, k, bench.", unknown.Message);
        var none = Assert.Throws<ConfigException>(() => ExperimentGroups.Parse(" , ", Groups));
        Assert.Equal("--only names no group; the groups are main, k, bench.", none.Message);
    }

    [Theory]
    [InlineData(0, 10, "batch size")]
    [InlineData(10, 0, "repetitions")]
    public void TheBackwardBenchmarksRefuseEmptyBatchesAndRepetitions(int batch, int repetitions, string parameter)
    {
        using var backend = new CpuBackend();
        var mlp = Assert.Throws<ArgumentOutOfRangeException>(() =>
            MlpBackwardBenchmark.Run(backend, new MlpBackwardBenchmark.Settings { BatchSize = batch, Repetitions = repetitions }, images: null));
        Assert.Equal(parameter, mlp.ParamName);
        var conv = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ConvBackwardBenchmark.Run(backend, new ConvBackwardBenchmark.Settings { BatchSize = batch, Repetitions = repetitions }, data: null));
        Assert.Equal(parameter, conv.ParamName);
    }
}
