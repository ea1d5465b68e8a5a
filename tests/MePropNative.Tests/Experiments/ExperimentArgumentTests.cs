using MePropNative.Backends;
using MePropNative.Experiments;
using MePropNative.Tests.Support;
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

    [Fact]
    public void EveryRunOfAPlanIsCheckedBeforeTheFirstRuns()
    {
        var problems = Assert.Throws<ConfigException>(() => PlanCheck.Validate([
            ("a", ["epochs = 0 must be >= 1."]), ("b", []), ("c", ["epochs = 0 must be >= 1.", "k must be >= 1."]),
            ("d", ["epochs = 0 must be >= 1."]), ("e", ["epochs = 0 must be >= 1."]),
        ]));
        Assert.Equal("invalid experiment settings, nothing was run:\n  a, c, d and 1 more runs: epochs = 0 must be >= 1.\n  c: k must be >= 1.", problems.Message);
        PlanCheck.Validate([("a", []), ("b", [])]);
    }

    [Theory]
    [InlineData("mnist", "--sweep-epochs", "0")]
    [InlineData("nlp", "--parser-epochs", "0")]
    [InlineData("cnn", "--epochs", "0")]
    public void AnExperimentWithABadSettingRunsNothing(string experiment, string flag, string value)
    {
        string output = Directory.CreateTempSubdirectory("meprop-plan-").FullName;
        try
        {
            var (code, stdout, err) = MepropCli.Run("experiment", experiment, "--out", output, flag, value);
            Assert.True(code == 2, $"exit code {code}: {err}{stdout}");
            Assert.StartsWith("meprop: invalid experiment settings, nothing was run:", err);
            Assert.Contains("epochs = 0 must be >= 1.", err);
            Assert.False(Directory.Exists(Path.Combine(output, "runs")));
        }
        finally { Directory.Delete(output, recursive: true); }
    }
}
