using MePropNative.Nlp;
using MePropNative.Nlp.Training;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Nlp;

/// <summary>`meprop train tagger|parser`, `meprop tag` and `meprop parse` as processes, on a tiny synthetic treebank.</summary>
public class NlpCliTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("meprop-nlpcli-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static (int Code, string Out, string Err) Meprop(params string[] args) => MepropCli.Run(args);

    [Fact]
    public void TrainTagAndParseFromTheCommandLine()
    {
        string treebank = Path.Combine(dir, "tb.conllu");
        Conllu.WriteFile(treebank, SyntheticTreebank.Learnable(60, seed: 2));
        string[] files = ["--train-file", treebank, "--dev-file", treebank, "--test-file", treebank, "--min-count", "1", "--no-progress"];
        string tagger = Path.Combine(dir, "tagger"), parser = Path.Combine(dir, "parser");
        var t = Meprop(["train", "tagger", .. files, "--hidden", "12", "--embedding-size", "6", "--k", "3", "--epochs", "2", "--batch-size", "8", "--out", tagger]);
        Assert.True(t.Code == 0, t.Err + t.Out);
        Assert.Contains("best dev", t.Out);
        var config = Path.Combine(dir, "parser.json");
        File.WriteAllText(config, """{ "model": "parser", "hidden": 24, "k": 4, "embedding_size": 6, "epochs": 2, "batch_size": 16 }""");
        var p = Meprop(["train", "parser", "--config", config, .. files, "--out", parser]);
        Assert.True(p.Code == 0, p.Err + p.Out);
        Assert.Contains("UAS/LAS", p.Out);
        var results = NlpRunResult.Read(Path.Combine(parser, "results.json"));
        Assert.Equal("parser", results.Task);
        Assert.Equal(24, results.Common.FinalLayerSizes[1]);
        Assert.NotNull(results.TestLas);

        string text = Path.Combine(dir, "input.txt");
        File.WriteAllText(text, "w1 w2 w3\n\nw4 w5\n");
        string tagged = Path.Combine(dir, "tagged.conllu");
        var tag = Meprop("tag", "--model", Path.Combine(tagger, "model.bin"), "--input", text, "--output", tagged);
        Assert.True(tag.Code == 0, tag.Err);
        var ts = Conllu.ReadFile(tagged);
        Assert.Equal(2, ts.Count);
        Assert.All(ts.SelectMany(s => s.Tokens), k => Assert.Contains(k.Xpos, new[] { "A", "B", "R" }));

        var parse = Meprop("parse", "--model", Path.Combine(parser, "model.bin"), "--tagger", Path.Combine(tagger, "model.bin"), "--input", text);
        Assert.True(parse.Code == 0, parse.Err);
        var ps = Conllu.Parse(parse.Out);
        Assert.Equal([3, 2], ps.Select(s => s.Count));
        Assert.All(ps, s => Assert.Equal(1, s.Tokens.Count(k => k.Head == 0)));

        var noTags = Meprop("parse", "--model", Path.Combine(parser, "model.bin"), "--input", text);
        Assert.Equal(2, noTags.Code);
        Assert.Contains("--tagger", noTags.Err);
        string commentsOnly = Path.Combine(dir, "comments.conllu");
        File.WriteAllText(commentsOnly, "# sent_id = 1\n# text = w1 w2\n");
        var noWords = Meprop("parse", "--model", Path.Combine(parser, "model.bin"), "--input", commentsOnly);
        Assert.Equal(3, noWords.Code);
        Assert.Contains($"{commentsOnly}: the input holds no sentences", noWords.Err);

        // the models and the output folder are checked before the input is read and tagged
        var taggerAsParser = Meprop("parse", "--model", Path.Combine(tagger, "model.bin"), "--input", text);
        Assert.Equal(3, taggerAsParser.Code);
        Assert.Contains("is not a saved parser", taggerAsParser.Err);
        var parserAsTagger = Meprop("parse", "--model", Path.Combine(parser, "model.bin"), "--tagger", Path.Combine(parser, "model.bin"), "--input", text);
        Assert.Equal(3, parserAsTagger.Code);
        Assert.Contains("is not a saved tagger", parserAsTagger.Err);
        var underAFile = Meprop("tag", "--model", Path.Combine(tagger, "model.bin"), "--input", text, "--output", Path.Combine(text, "tagged.conllu"));
        Assert.Equal(4, underAFile.Code);
        Assert.StartsWith($"meprop: cannot write to the folder {text}", underAFile.Err);
        var intoAFolder = Meprop("parse", "--model", Path.Combine(parser, "model.bin"), "--input", text, "--output", dir);
        Assert.Equal(2, intoAFolder.Code);
        Assert.Equal($"meprop: --output {dir} is a folder; give the path of a file.", intoAFolder.Err.Trim());
    }

    [Fact]
    public void AnExperimentRunOfSomeGroupsKeepsTheOtherGroupsCachedRunsInTheReport()
    {
        string data = Path.Combine(dir, "ewt"), output = Path.Combine(dir, "experiment");
        Directory.CreateDirectory(data);
        foreach (var split in new[] { "train", "dev", "test" })
            Conllu.WriteFile(Path.Combine(data, $"en_ewt-ud-{split}.conllu"), SyntheticTreebank.Learnable(30, seed: 3));
        (int Code, string Out, string Err) Experiment(string group) =>
            Meprop("experiment", "nlp", "--out", output, "--data-dir", data, "--only", group, "--tagger-epochs", "1", "--parser-epochs", "1");
        string[] TaggerRandomRows() => File.ReadAllLines(Path.Combine(output, "report.md")).Where(l => l.StartsWith("| random-10 |")).ToArray();

        var first = Experiment("tagger-random");
        Assert.True(first.Code == 0, first.Err + first.Out);
        var rows = TaggerRandomRows();
        Assert.NotEmpty(rows);
        Assert.All(rows, row => Assert.DoesNotContain("not run", row));

        var second = Experiment("parser-random");
        Assert.True(second.Code == 0, second.Err + second.Out);
        Assert.Equal(rows, TaggerRandomRows());
    }

    [Fact]
    public void FilesWithoutSentencesAndOptionsTheModelCannotHaveAreReportedBeforeTraining()
    {
        string treebank = Path.Combine(dir, "tb.conllu"), empty = Path.Combine(dir, "empty.conllu"), comments = Path.Combine(dir, "comments.conllu");
        Conllu.WriteFile(treebank, SyntheticTreebank.Learnable(30, seed: 4));
        File.WriteAllText(empty, "");
        File.WriteAllText(comments, "# sent_id = 1\n# text = nothing\n\n");
        (int Code, string Out, string Err) Train(string task, string train, string dev, string test, string k = "2", params string[] more) =>
            Meprop(["train", task, "--train-file", train, "--dev-file", dev, "--test-file", test, "--min-count", "1", "--hidden", "8", "--k", k,
                    "--embedding-size", "4", "--epochs", "1", "--no-progress", .. more]);

        foreach (var (task, train, dev, test, bad, role) in new[]
                 {
                     ("tagger", treebank, empty, comments, empty, "dev file"),
                     ("parser", treebank, treebank, comments, comments, "test file"),
                     ("parser", comments, treebank, treebank, comments, "training file"),
                     ("tagger", empty, treebank, treebank, empty, "training file"),
                 })
        {
            var r = Train(task, train, dev, test);
            Assert.True(r.Code == 3, $"{task} {role}: {r.Code} {r.Err}{r.Out}");
            Assert.Contains($"{bad}: the {role} holds no sentences", r.Err);
            Assert.DoesNotContain("best dev", r.Out);
        }

        string untagged = Path.Combine(dir, "untagged.conllu"); // two tags, but every sentence has a word without one
        Conllu.WriteFile(untagged, SyntheticTreebank.Learnable(10, seed: 6).Select(s => s.With(t => t.Id == 1 ? t with { Xpos = "_" } : t)));
        var noTrainable = Train("tagger", untagged, treebank, treebank);
        Assert.True(noTrainable.Code == 3, noTrainable.Err + noTrainable.Out);
        Assert.Contains($"{untagged}: no training sentence has an XPOS tag on every word", noTrainable.Err);

        // the tagger's 3 tags (A, B, R), the parser's 7 transitions (SHIFT and two arcs for each of 3 labels): k = n is dense and allowed
        var k = Train("parser", treebank, treebank, treebank, k: "9");
        Assert.Equal(2, k.Code);
        Assert.Contains("k = 9 exceeds the parser's hidden layer size 8 (hidden)", k.Err);
        var parserOutputK = Train("parser", treebank, treebank, treebank, "8", "--output-k", "8");
        Assert.Equal(2, parserOutputK.Code);
        Assert.Contains("output_k = 8 exceeds the 7 transitions (1 + 2 x 3 labels of the training data)", parserOutputK.Err);
        var taggerOutputK = Train("tagger", treebank, treebank, treebank, "2", "--output-k", "4");
        Assert.Equal(2, taggerOutputK.Code);
        Assert.Contains("output_k = 4 exceeds the 3 XPOS tags of the training data", taggerOutputK.Err);
        var dense = Train("parser", treebank, treebank, treebank, "8", "--output-k", "7");
        Assert.True(dense.Code == 0, dense.Err + dense.Out);
    }

    [Theory]
    [InlineData("tagger", "200000000", "1", "embedding_size = 200000000: layer embedding would have ")]
    [InlineData("tagger", "4", "30000", "embedding_size = 4, hidden = [30000]: layer lstm_fw would have 120000 x 30004 = 3600480000 weights, more than one tensor holds (2147483575).")]
    [InlineData("parser", "10000000", "500", "embedding_size = 10000000, hidden = [500]: layer hidden would have 500 x 480000000 = 240000000000 weights, more than one tensor holds (2147483575).")]
    public void LayersWhoseWeightsCannotBeHeldAreRefusedNamingTheOptions(string task, string embeddingSize, string hidden, string problem)
    {
        // they used to fail making the model: "a CPU buffer of N elements is too large" (exit 4)
        string treebank = Path.Combine(dir, "tb.conllu");
        Conllu.WriteFile(treebank, SyntheticTreebank.Learnable(30, seed: 4));
        var r = Meprop("train", task, "--train-file", treebank, "--dev-file", treebank, "--test-file", treebank, "--min-count", "1",
            "--embedding-size", embeddingSize, "--hidden", hidden, "--k", "1", "--batch-size", "1", "--eval-batch-size", "1", "--no-progress");
        Assert.True(r.Code == 2, $"exit code {r.Code}: {r.Err}{r.Out}");
        Assert.StartsWith("meprop: invalid configuration:\n  " + problem, r.Err);
        Assert.EndsWith("more than one tensor holds (2147483575).", r.Err.Trim());
    }

    [Fact]
    public void ABatchLargerThanTheDataIsOneBatchOfAllOfIt()
    {
        string data = Path.Combine(dir, "ewt");
        Directory.CreateDirectory(data);
        foreach (var split in new[] { "train", "test" }) // no dev file: the run has no dev evaluation
            Conllu.WriteFile(Path.Combine(data, $"en_ewt-ud-{split}.conllu"), SyntheticTreebank.Learnable(30, seed: 5));
        foreach (var task in new[] { "tagger", "parser" })
        {
            var r = Meprop("train", task, "--data-dir", data, "--min-count", "1", "--hidden", "8", "--k", "2", "--embedding-size", "4", "--epochs", "1",
                "--batch-size", "2147483647", "--select-by", "last", "--no-progress");
            Assert.True(r.Code == 0, $"{task}: {r.Err}{r.Out}");
            Assert.Contains("epochs 1..1, 1 steps each", r.Out);
            if (task == "parser") Assert.Matches(@"UAS/LAS \(no punctuation\): test \d+\.\d\d/\d+\.\d\d\n", r.Out.ReplaceLineEndings("\n"));
        }
    }

    [Fact]
    public void WithoutADevFileARunThatChoosesOrStopsOnDevIsRefused()
    {
        string data = Path.Combine(dir, "no-dev");
        Directory.CreateDirectory(data);
        foreach (var split in new[] { "train", "test" })
            Conllu.WriteFile(Path.Combine(data, $"en_ewt-ud-{split}.conllu"), SyntheticTreebank.Learnable(10, seed: 6));
        string devPath = Path.Combine(data, "en_ewt-ud-dev.conllu");
        foreach (var (task, extra) in new[] { ("tagger", new string[0]), ("parser", ["--select-by", "last", "--patience", "2"]) })
        {
            var r = Meprop(["train", task, "--data-dir", data, "--min-count", "1", "--hidden", "8", "--k", "2", "--embedding-size", "4", "--no-progress", .. extra]);
            Assert.True(r.Code == 2, $"{task}: exit code {r.Code}: {r.Err}{r.Out}");
            Assert.Equal($"meprop: no dev file: {devPath} does not exist, and the run chooses its reported evaluation (select_by = dev) " +
                "or stops early (patience) by the dev accuracy; give dev_file, or select_by = last.", r.Err.Trim());
        }
    }

    [Fact]
    public void MalformedInputIsReportedWithItsLine()
    {
        string bad = Path.Combine(dir, "bad.conllu");
        File.WriteAllText(bad, "1\tw1\t_\tX\tA\t_\t0\troot\t_\t_\n2\tw2\t_\tX\n");
        var r = Meprop("train", "tagger", "--train-file", bad, "--test-file", bad, "--dev-file", bad, "--no-progress");
        Assert.Equal(3, r.Code);
        Assert.Contains($"{bad}:2: expected 10 tab-separated columns, found 4", r.Err);
        var c = Meprop("train", "parser", "--train-file", bad, "--gate-selection", "whole", "--k", "0");
        Assert.Equal(2, c.Code);
        Assert.Contains("k must be >= 1", c.Err);
    }
}
