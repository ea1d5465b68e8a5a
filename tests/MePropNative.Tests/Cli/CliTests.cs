using MePropNative.Tests.Support;
using MePropNative.Training;

namespace MePropNative.Tests.Cli;

/// <summary>Runs the built `meprop` CLI (the Cli project's output sits next to the test assembly) as a process.</summary>
public class CliTests : IDisposable
{
    private readonly TinyMnist tiny = new(train: 200, test: 60);
    private readonly string outDir = Directory.CreateTempSubdirectory("meprop-cli-").FullName;

    public void Dispose()
    {
        tiny.Dispose();
        Directory.Delete(outDir, recursive: true);
    }

    private static (int Code, string Out, string Err) Meprop(params string[] args) => MepropCli.Run(args);

    [Fact]
    public void TrainsWritesResultsAndPrintsASummary()
    {
        var (code, stdout, err) = Meprop("train", "mlp", "--data-dir", tiny.Directory, "--dev-size", "40", "--hidden", "16,16", "--classes", "4",
            "--k", "4", "--strategy", "unified", "--epochs", "2", "--batch-size", "16", "--out", outDir, "--no-progress");
        Assert.True(code == 0, err + stdout);
        Assert.Contains("best dev", stdout);
        Assert.Contains("linear bwd s", stdout);
        Assert.True(File.Exists(Path.Combine(outDir, "results.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "results.csv")));
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    public void ClassifyAppliesTheSavedModelAsTheRunScoredIt(string kind)
    {
        using var images = new TinyMnist(train: 120, test: 30, side: kind == "cnn" ? 28 : 4);
        string[] shape = kind == "cnn" ? ["--conv-channels", "2", "--sparse-layers", "conv1", "--topk-ratio", "0.1", "--hidden", "8", "--batchnorm"] : ["--hidden", "16,16", "--k", "4", "--classes", "4"];
        var (code, stdout, err) = Meprop(["train", kind, "--data-dir", images.Directory, "--dev-size", "20", "--epochs", "2",
            "--batch-size", "16", "--out", outDir, "--no-progress", .. shape]);
        Assert.True(code == 0, err + stdout);
        var r = ResultsWriter.Read(Path.Combine(outDir, "results.json"));
        Assert.Equal(r.TestAccuracy, r.ExportedModelTestAccuracy);

        string testImages = images.Path_("t10k-images-idx3-ubyte"), csv = Path.Combine(outDir, "predictions.csv");
        (code, stdout, err) = Meprop("classify", "--model", Path.Combine(outDir, "model.bin"), "--images", testImages,
            "--labels", images.Path_("t10k-labels-idx1-ubyte"), "--output", csv, "--batch-size", "7");
        Assert.True(code == 0, err + stdout);
        Assert.StartsWith(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"accuracy {r.TestAccuracy:F2}% ("), stdout);
        Assert.Contains($" of 30 images of {testImages} with ", stdout);
        var rows = File.ReadAllLines(csv);
        Assert.Equal("index,predicted,label", rows[0]);
        Assert.Equal(31, rows.Length);
        Assert.Equal((int)Math.Round(r.TestAccuracy * 30 / 100), rows.Skip(1).Count(line => line.Split(',') is [_, var p, var l] && p == l));

        (code, stdout, err) = Meprop("classify", "--model", Path.Combine(outDir, "model.bin"), "--images", testImages);
        Assert.True(code == 0, err + stdout);
        Assert.StartsWith($"classified 30 images of {testImages} with ", stdout);
    }

    [Fact]
    public void ClassifyNamesAModelThatIsNoClassifierAndImagesOfTheWrongSize()
    {
        var (code, stdout, err) = Meprop("train", "mlp", "--data-dir", tiny.Directory, "--dev-size", "40", "--hidden", "8", "--k", "4", "--classes", "4",
            "--epochs", "1", "--out", outDir, "--no-progress");
        Assert.True(code == 0, err + stdout);
        string checkpoint = Path.Combine(outDir, "checkpoint.bin");
        (code, _, err) = Meprop("classify", "--model", checkpoint, "--images", tiny.Path_("t10k-images-idx3-ubyte"));
        Assert.Equal(3, code);
        Assert.Equal($"meprop: {checkpoint} is not a saved image classifier (its format is not given; meprop train mlp and meprop train cnn " +
            "write one as OUT/model.bin).", err.Trim());

        using var larger = new TinyMnist(train: 10, test: 10, side: 5);
        string images = larger.Path_("t10k-images-idx3-ubyte");
        (code, _, err) = Meprop("classify", "--model", Path.Combine(outDir, "model.bin"), "--images", images);
        Assert.Equal(3, code);
        Assert.Equal($"meprop: {images}: the images have 25 pixels, the model takes 16 inputs.", err.Trim());

        (code, _, err) = Meprop("classify", "--model", Path.Combine(outDir, "model.bin"), "--images", images, "--batch-size", "0");
        Assert.Equal(2, code);
        Assert.Equal("meprop: --batch-size 0 must be >= 1.", err.Trim());
    }

    [Fact]
    public void TheSummaryNamesTheExportedModelsSizesWhenMeSimpPrunedAfterTheReportedEvaluation()
    {
        var (code, stdout, err) = Meprop("train", "mlp", "--data-dir", tiny.Directory, "--dev-size", "40", "--hidden", "24,24", "--classes", "4",
            "--k", "3", "--mesimp", "--mesimp-threshold", "0.1", "--mesimp-cycle", "2", "--evals-per-epoch", "2", "--select-by", "last",
            "--epochs", "1", "--batch-size", "16", "--out", outDir, "--no-progress");
        Assert.True(code == 0, err + stdout);
        var r = ResultsWriter.Read(Path.Combine(outDir, "results.json"));
        Assert.False(r.ReportedLayerSizes.SequenceEqual(r.FinalLayerSizes), "the test needs pruning after the last evaluation");
        Assert.Contains($"with layer sizes {string.Join("-", r.ReportedLayerSizes)} (model.bin); final layer sizes {string.Join("-", r.FinalLayerSizes)};", stdout);
    }

    [Fact]
    public void AnExperimentRunOfSomeGroupsKeepsTheOtherGroupsCachedRunsInTheReport()
    {
        using var data = new TinyMnist(train: 5100, test: 40);
        string[] Experiment(string group) =>
            ["experiment", "mnist", "--out", outDir, "--data-dir", data.Directory, "--only", group, "--sweep-epochs", "1", "--train-limit", "60"];
        string[] DepthRows() => File.ReadAllLines(Path.Combine(outDir, "report.md"))
            .SkipWhile(l => !l.StartsWith("## 2, 3 and 5 hidden layers")).Skip(1).TakeWhile(l => !l.StartsWith("## "))
            .Where(l => l.StartsWith("| 3 |") || l.StartsWith("| 5 |")).ToArray();

        var (code, stdout, err) = Meprop(Experiment("depth"));
        Assert.True(code == 0, err + stdout);
        var depthRows = DepthRows();
        Assert.Equal(2, depthRows.Length);
        Assert.All(depthRows, row => Assert.DoesNotContain("—", row));

        (code, stdout, err) = Meprop(Experiment("dropout"));
        Assert.True(code == 0, err + stdout);
        Assert.Equal(depthRows, DepthRows());
    }

    [Fact]
    public void HelpListsEveryOption()
    {
        var (code, stdout, _) = Meprop("train", "mlp", "--help");
        Assert.Equal(0, code);
        foreach (var o in MePropNative.Training.ConfigOptions.All) Assert.Contains(o.Flag, stdout);
        Assert.Contains("--config", stdout);
        Assert.Contains("--device <cpu|cuda|cuda:N>", stdout);
        Assert.Contains("--model <mlp>", stdout);
        Assert.Contains("--train-images <PATH>", stdout);
        Assert.Contains("--data-dir <DIR>", stdout);
    }

    [Fact]
    public void ABadConfigFileIsAClearErrorWithExitCode2()
    {
        string cfg = Path.Combine(outDir, "bad.json");
        File.WriteAllText(cfg, """{ "epochz": 2 }""");
        var (code, _, err) = Meprop("train", "mlp", "--config", cfg);
        Assert.Equal(2, code);
        Assert.Contains("unknown key(s) 'epochz'", err);
        Assert.Contains("Valid keys:", err);
    }

    [Fact]
    public void ArgumentErrorsPrintWithoutTheLinesDotNetAppends()
    {
        var (code, _, err) = Meprop("bench", "mlp", "--threads", "-1");
        Assert.Equal(2, code);
        Assert.Equal("meprop: threads ('-1') must be a non-negative value.", err.Trim());
        Assert.Equal("k must be >= 1. (got 0)", MePropNative.Cli.CliErrors.Message(new ArgumentOutOfRangeException("k", 0, "k must be >= 1.")));
        Assert.Equal("rate: must be in [0, 1) (got NaN)", MePropNative.Cli.CliErrors.Message(new ArgumentOutOfRangeException("rate", float.NaN, "must be in [0, 1)")));
        Assert.Equal("shape: wrong", MePropNative.Cli.CliErrors.Message(new ArgumentException("wrong", "shape")));
        Assert.Equal("dev_size must be < 10. (got 12)", MePropNative.Cli.CliErrors.Message(new ArgumentOutOfRangeException("devSize", 12, "dev_size must be < 10.")));
        Assert.Equal("devSize: must be < 10. (got 12)", MePropNative.Cli.CliErrors.Message(new ArgumentOutOfRangeException("devSize", 12, "must be < 10.")));
        Assert.Equal("no parameter", MePropNative.Cli.CliErrors.Message(new ArgumentException("no parameter")));
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    [InlineData("tagger")]
    public void ANonFiniteNumberOnTheCommandLineIsAClearErrorWithExitCode2(string model)
    {
        var (code, _, err) = Meprop("train", model, "--lr", "NaN");
        Assert.Equal(2, code);
        Assert.Contains("--lr NaN: not a finite number.", err);
    }

    [Theory]
    [InlineData(2, "meprop: dev_size must be in [0, 200) for a training file of 200 examples. (got 500)", "--dev-size", "500")]
    [InlineData(2, "mp_set_num_threads: threads = 1000 is out of range", "--dev-size", "40", "--threads", "1000")]
    [InlineData(2, "hidden = [200000000]: layer hidden1 would have 200000000 x 16 = 3200000000 weights", "--dev-size", "40", "--hidden", "200000000", "--k", "4")]
    [InlineData(2, "--hidden 500,,500: an empty item", "--hidden", "500,,500")]
    [InlineData(2, "k = 100000 exceeds the 16 units of hidden layer 1", "--dev-size", "40", "--hidden", "16", "--k", "100000")]
    [InlineData(2, "dev_size = 0 leaves no dev set to choose the reported evaluation by (select_by = dev)", "--dev-size", "0", "--hidden", "16", "--k", "4")]
    public void FailuresTheUserCanFixPrintTheirMessageAndNoStackTrace(int exitCode, string message, params string[] options)
    {
        var (code, _, err) = Meprop(["train", "mlp", "--data-dir", tiny.Directory, "--classes", "4", "--epochs", "1", "--no-progress", .. options]);
        Assert.True(code == exitCode, $"exit code {code}: {err}");
        Assert.StartsWith("meprop: ", err);
        Assert.Contains(message, err);
        Assert.DoesNotContain("Unhandled exception", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Theory]
    [InlineData("mlp", "--out", "", "--dev-size", "40")]
    [InlineData("mlp", "--checkpoint", "/checkpoint.bin", "--dev-size", "40")]
    [InlineData("cnn", "--out", "", "--dev-size", "40")]
    [InlineData("tagger", "--out", "")]
    public void AFolderThatCannotBeWrittenStopsTheRunBeforeItTrains(string model, string option, string below, params string[] more)
    {
        string file = Path.Combine(outDir, "a-file");
        File.WriteAllText(file, "not a folder");
        var (code, stdout, err) = Meprop(["train", model, "--data-dir", tiny.Directory, option, file + below, "--no-progress", .. more]);
        Assert.True(code == 4, $"exit code {code}: {err}");
        Assert.StartsWith($"meprop: cannot write to the folder {file}", err);
        Assert.DoesNotContain("epoch 1", stdout);
        Assert.Equal("not a folder", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("mlp", "--out", "", "out is an empty path (leave it out for no results folder).")]
    [InlineData("cnn", "--out", "", "out is an empty path (leave it out for no results folder).")]
    [InlineData("tagger", "--out", "", "out is an empty path (leave it out for no results folder).")]
    [InlineData("mlp", "--checkpoint", "", "checkpoint is an empty path (leave it out for out/checkpoint.bin, or none without out).")]
    public void AnEmptyOutputPathStopsTheRunBeforeItTrains(string model, string option, string value, string message)
    {
        var (code, stdout, err) = Meprop("train", model, "--data-dir", tiny.Directory, option, value, "--no-progress");
        Assert.True(code == 2, $"exit code {code}: {err}");
        Assert.Contains(message, err);
        Assert.DoesNotContain("epoch 1", stdout);
    }

    [Fact]
    public void ACheckpointThatIsAFolderStopsTheRunBeforeItTrains()
    {
        var (code, stdout, err) = Meprop("train", "mlp", "--data-dir", tiny.Directory, "--classes", "4", "--dev-size", "40", "--hidden", "8", "--k", "4",
            "--checkpoint", outDir, "--no-progress");
        Assert.True(code == 2, $"exit code {code}: {err}");
        Assert.Equal($"meprop: checkpoint {outDir} is a folder; give the path of a file.", err.Trim());
        Assert.DoesNotContain("epoch 1", stdout);

        string checkpoint = Directory.CreateDirectory(Path.Combine(outDir, "checkpoint.bin")).FullName;
        using var images = new TinyMnist(train: 60, test: 10, side: 28);
        (code, stdout, err) = Meprop("train", "cnn", "--data-dir", images.Directory, "--dev-size", "10", "--conv-channels", "2", "--sparse-layers", "conv1",
            "--hidden", "8", "--out", outDir, "--no-progress");
        Assert.True(code == 2, $"exit code {code}: {err}");
        Assert.Equal($"meprop: checkpoint {checkpoint} is a folder; give the path of a file.", err.Trim());
        Assert.DoesNotContain("epoch 1", stdout);

        (code, stdout, err) = Meprop("train", "tagger", "--checkpoint", outDir, "--epochs", "1", "--no-progress");
        Assert.True(code == 2, $"exit code {code}: {err}");
        Assert.Equal($"meprop: checkpoint {outDir} is a folder; give the path of a file.", err.Trim());
        Assert.DoesNotContain("epoch 1", stdout);
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    public void AnEmptyTestSetIsADataErrorNamingTheFile(string model)
    {
        using var images = new TinyMnist(train: 60, test: 0, side: 28);
        var (code, stdout, err) = Meprop("train", model, "--data-dir", images.Directory, "--dev-size", "10", "--no-progress");
        Assert.True(code == 3, $"exit code {code}: {err}");
        Assert.Equal($"meprop: {Path.Combine(images.Directory, "t10k-images-idx3-ubyte")} holds no images.", err.Trim());
        Assert.DoesNotContain("epoch 1", stdout);
    }

    [Fact]
    public void AnUnknownFlagIsAParseErrorWithExitCode2()
    {
        var (code, _, err) = Meprop("train", "mlp", "--epochz", "2");
        Assert.Equal(2, code);
        Assert.Contains("Unrecognized command or argument '--epochz'", err);
    }

    [Fact]
    public void AMissingNativeLibraryIsAClearErrorWithExitCode4()
    {
        string alone = Path.Combine(outDir, "without-libmeprop");
        Directory.CreateDirectory(alone);
        foreach (var file in Directory.GetFiles(AppContext.BaseDirectory))
            if (!Path.GetFileName(file).StartsWith("libmeprop", StringComparison.Ordinal)) File.Copy(file, Path.Combine(alone, Path.GetFileName(file)));
        var (code, _, err) = MepropCli.RunFrom(alone, "info");
        Assert.True(code == 4, $"exit code {code}: {err}");
        Assert.StartsWith("meprop: Could not load the native library", err);
        Assert.Contains(Path.Combine(alone, "libmeprop.so") + " (not found)", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void CorruptDataIsAClearErrorWithExitCode3()
    {
        File.WriteAllBytes(Path.Combine(tiny.Directory, "train-labels-idx1-ubyte"), [0, 0, 8, 1, 0, 0]);
        var (code, _, err) = Meprop("train", "mlp", "--data-dir", tiny.Directory, "--classes", "4", "--dev-size", "10");
        Assert.Equal(3, code);
        Assert.Contains("truncated", err);
    }

    [Fact]
    public void ResumingFromATruncatedCheckpointIsAClearErrorWithExitCode3()
    {
        string[] args = ["train", "mlp", "--data-dir", tiny.Directory, "--classes", "4", "--dev-size", "40", "--hidden", "8", "--k", "2",
            "--epochs", "1", "--out", outDir, "--no-progress"];
        var (code, stdout, err) = Meprop(args);
        Assert.True(code == 0, err + stdout);
        string checkpoint = Path.Combine(outDir, "checkpoint.bin");
        File.WriteAllBytes(checkpoint, File.ReadAllBytes(checkpoint)[..100]); // cut inside the JSON header
        (code, _, err) = Meprop([.. args, "--resume"]);
        Assert.True(code == 3, $"exit code {code}: {err}");
        Assert.StartsWith($"meprop: {checkpoint} is damaged or truncated", err);
        Assert.DoesNotContain("   at ", err);
    }
}
