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

    [Fact]
    public void ACnnExperimentChecksItsBenchmarkSettingsBeforeTheFirstRun()
    {
        string output = Directory.CreateTempSubdirectory("meprop-plan-").FullName;
        try
        {
            var (code, stdout, err) = MepropCli.Run("experiment", "cnn", "--out", output, "--only", "fc1,bench", "--train-limit", "20", "--bench-repetitions", "0");
            Assert.True(code == 2, $"exit code {code}: {err}{stdout}");
            Assert.Equal("meprop: invalid experiment settings, nothing was run:\n  bench: --bench-repetitions 0 must be >= 1.", err.Trim());
            Assert.False(Directory.Exists(Path.Combine(output, "runs")));
        }
        finally { Directory.Delete(output, recursive: true); }
    }

    [Theory]
    [InlineData("cnn", 200, 14, ": the images have 196 pixels, the benchmarked networks take 28 x 28 = 784.")]
    [InlineData("mnist", 50, 28, ": 50 images are fewer than the batch size 100.")]
    public void AnExperimentChecksItsBenchmarkImagesBeforeTheFirstRun(string experiment, int images, int side, string message)
    {
        using var data = new TinyMnist(train: images, test: 10, side: side);
        string output = Path.Combine(data.Directory, "out");
        var (code, stdout, err) = MepropCli.Run("experiment", experiment, "--out", output, "--data-dir", data.Directory,
            "--only", experiment == "cnn" ? "fc1,bench" : "main,bench", "--train-limit", "20");
        Assert.True(code == 3, $"exit code {code}: {err}{stdout}");
        Assert.Equal($"meprop: {Path.Combine(data.Directory, "train-images-idx3-ubyte")}{message}", err.Trim());
        Assert.False(Directory.Exists(Path.Combine(output, "runs")));
    }

    [Fact]
    public void EveryPlannedMnistRunMeetsTheMlpRules()
    {
        foreach (var run in ExperimentPlan.Mnist(new ExperimentSettings()))
            Assert.True(run.Config.MlpProblems().Count == 0, $"{run.Name}: {string.Join(" ", run.Config.MlpProblems())}");
    }

    [Fact]
    public void TheBackwardBenchmarksRefuseImagesTheyCannotUse()
    {
        using var backend = new CpuBackend();
        var fifty = new MePropNative.Data.LabeledImages(new float[50 * 784], new int[50], 784, 10);
        var tooFew = Assert.Throws<ArgumentException>(() =>
            MlpBackwardBenchmark.Run(backend, new MlpBackwardBenchmark.Settings { BatchSize = 100, Repetitions = 1 }, fifty));
        Assert.Equal("images", tooFew.ParamName);
        Assert.StartsWith("50 images are fewer than the batch size 100.", tooFew.Message);
        var small = new MePropNative.Data.LabeledImages(new float[200 * 196], new int[200], 196, 10);
        const string smallImages = "the images have 196 pixels, the benchmarked networks take 28 x 28 = 784.";
        var mlpSmall = Assert.Throws<ArgumentException>(() =>
            MlpBackwardBenchmark.Run(backend, new MlpBackwardBenchmark.Settings { BatchSize = 10, Repetitions = 1 }, small));
        Assert.Equal("images", mlpSmall.ParamName);
        Assert.StartsWith(smallImages, mlpSmall.Message);
        var convSmall = Assert.Throws<ArgumentException>(() => ConvBackwardBenchmark.Run(backend, new ConvBackwardBenchmark.Settings { Repetitions = 1 }, small));
        Assert.Equal("data", convSmall.ParamName);
        Assert.StartsWith(smallImages, convSmall.Message);
        var none = Assert.Throws<ArgumentException>(() =>
            ConvBackwardBenchmark.Run(backend, new ConvBackwardBenchmark.Settings { Repetitions = 1 }, fifty.Slice(0, 0)));
        Assert.Equal("data", none.ParamName);
        Assert.StartsWith("there are no images.", none.Message);
        Assert.Equal("batch size", Assert.Throws<ArgumentOutOfRangeException>(() =>
            ConvBackwardBenchmark.Run(backend, new ConvBackwardBenchmark.Settings { BatchNorm = true, BatchSize = 1, Repetitions = 1 }, data: null)).ParamName);
    }

    [Theory]
    [InlineData("mlp", 50, 28, ": 50 images are fewer than the batch size 100.")]
    [InlineData("mlp", 200, 14, ": the images have 196 pixels, the benchmarked networks take 28 x 28 = 784.")]
    [InlineData("cnn", 200, 14, ": the images have 196 pixels, the benchmarked networks take 28 x 28 = 784.")]
    [InlineData("cnn", 0, 28, " holds no images.")]
    public void ABenchmarkOnImagesItCannotUseIsADataErrorNamingTheFile(string model, int images, int side, string message)
    {
        using var data = new TinyMnist(train: images, test: 10, side: side);
        var (code, stdout, err) = MepropCli.Run("bench", model, "--data-dir", data.Directory, "--repetitions", "1");
        Assert.True(code == 3, $"exit code {code}: {err}{stdout}");
        Assert.Equal($"meprop: {Path.Combine(data.Directory, "train-images-idx3-ubyte")}{message}", err.Trim());
    }

    [Theory]
    [InlineData("mlp", "--markdown", "", "meprop: --markdown: the path is empty.")]
    [InlineData("cnn", "--markdown", "FOLDER", "meprop: --markdown FOLDER is a folder; give the path of a file.")]
    [InlineData("cnn", "--batchnorm", "--batch-size=1", "meprop: --batchnorm needs --batch-size >= 2 (as train cnn's batchnorm does).")]
    public void ABenchmarkWithABadOptionRunsNothing(string model, string option, string value, string message)
    {
        string folder = Directory.CreateTempSubdirectory("meprop-bench-").FullName;
        try
        {
            var (code, stdout, err) = MepropCli.Run("bench", model, "--data-dir", folder, "--repetitions", "1", option, value.Replace("FOLDER", folder));
            Assert.True(code == 2, $"exit code {code}: {err}{stdout}");
            Assert.Equal(message.Replace("FOLDER", folder), err.Trim());
            Assert.Empty(stdout);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void ABenchmarkReportInAFolderThatCannotBeMadeRunsNothing()
    {
        var (code, stdout, err) = MepropCli.Run("bench", "mlp", "--repetitions", "1", "--markdown", "/proc/meprop/report.md");
        Assert.True(code == 4, $"exit code {code}: {err}{stdout}");
        Assert.StartsWith("meprop: cannot write to the folder /proc/meprop", err);
        Assert.Empty(stdout);
    }
}
