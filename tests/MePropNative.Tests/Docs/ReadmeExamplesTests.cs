using System.Text.RegularExpressions;
using MePropNative.Tests.Bindings;
using MePropNative.Tests.Support;
using MePropNative.Training;

namespace MePropNative.Tests.Docs;

/// <summary>README.md's C# examples are the code of <see cref="ReadmeExamples"/>, and that code runs and does what the
/// README says.</summary>
[Collection(nameof(ThreadCountCollection))]
public partial class ReadmeExamplesTests
{
    [Fact]
    public void TheReadmeShowsExactlyTheExamplesThatAreCompiledAndRun()
    {
        string root = RepositoryRoot();
        var shown = CodeBlocks(File.ReadAllText(Path.Combine(root, "README.md")));
        var compiled = MarkedExamples(File.ReadAllText(Path.Combine(root, "tests", "MePropNative.Tests", "Docs", "ReadmeExamples.cs")));
        Assert.Equal(3, compiled.Count);
        Assert.Equal(compiled, shown);
    }

    [Fact]
    public void TheTrainerExampleLearnsAnEasyTask()
    {
        using var tiny = new TinyMnist(train: 5400, test: 100); // the first 5,000 are the dev set
        RunResult result = ReadmeExamples.TrainTopK20(tiny.Directory);
        Assert.Equal(5, result.Epochs.Count);
        Assert.InRange(result.TestAccuracy, 90, 100);
        Assert.InRange(result.BestEpoch, 1, 5);
    }

    [Fact]
    public void TheOwnLoopExampleLearnsAnEasyTask()
    {
        using var tiny = new TinyMnist(train: 640);
        var train = new TrainConfig { DataDir = tiny.Directory }.DataFiles().Load(devSize: 40).Train; // 600 examples
        double accuracy = ReadmeExamples.TrainInOwnLoop(train.Features, train.Labels, train.FeatureCount, epochs: 6);
        Assert.InRange(accuracy, 0.9, 1.0);
    }

    [Fact]
    public void TheKernelExampleIsTheDenseBackwardOfTheMaskedGradient()
    {
        const int batch = 7, n = 50, m = 33, k = 5;
        var random = new Random(11);
        float[] dy = Reference.RandomMatrix(random, batch * n);
        float[] w = Reference.RandomMatrix(random, n * m);
        float[] x = Reference.RandomMatrix(random, batch * m);

        var (indices, dx, dw) = ReadmeExamples.SparseBackwardOfOneLayer(dy, w, x, batch, n, m, k);

        var masked = new float[batch * n];
        for (int b = 0; b < batch; b++)
        {
            int[] top = Reference.TopKAbs(dy.AsSpan(b * n, n), k);
            Assert.Equal(top, indices[(b * k)..((b + 1) * k)]);
            foreach (int j in top) masked[b * n + j] = dy[b * n + j];
        }
        TestData.Close(Reference.Gemm(false, false, batch, m, n, masked, w).Select(v => (float)v).ToArray(), dx, 1e-5f, "dx");
        TestData.Close(Reference.Gemm(true, false, n, m, batch, masked, x).Select(v => (float)v).ToArray(), dw, 1e-5f, "dW");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MePropNative.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no MePropNative.sln above {AppContext.BaseDirectory}: the tests run from the repository's build output.");
    }

    /// <summary>The ```csharp blocks of a markdown file.</summary>
    private static List<string> CodeBlocks(string markdown) =>
        CSharpBlock().Matches(markdown.ReplaceLineEndings("\n")).Select(m => Dedent(m.Groups[1].Value)).ToList();

    /// <summary>The code between "// README example: ..." and "// end README example" lines.</summary>
    private static List<string> MarkedExamples(string source) =>
        MarkedRegion().Matches(source.ReplaceLineEndings("\n")).Select(m => Dedent(m.Groups[1].Value)).ToList();

    private static string Dedent(string code)
    {
        var lines = code.TrimEnd('\n').Split('\n').Select(l => l.TrimEnd()).ToArray();
        int indent = lines.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l));
    }

    [GeneratedRegex(@"^```csharp\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^[ \t]*// README example: [^\n]*\n(.*?)^[ \t]*// end README example", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex MarkedRegion();
}
