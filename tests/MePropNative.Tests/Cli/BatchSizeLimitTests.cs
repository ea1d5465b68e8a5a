using MePropNative.Nlp;
using MePropNative.Tests.Nlp;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Cli;

/// <summary>A batch_size or eval_batch_size whose largest batch would outgrow one tensor in the model's widest work
/// tensor is a configuration error naming the option, found once the data is read and before the model is made (it
/// used to end in "a CPU buffer of N elements is too large", exit 4, after the weights were allocated). The models
/// here are made wide so that tiny data sets reach the limit.</summary>
public class BatchSizeLimitTests : IDisposable
{
    private const string Limit = "more than one tensor holds (2147483575)";
    private readonly string dir = Directory.CreateTempSubdirectory("meprop-batch-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static void AssertConfigError(string[] args, params string[] problems)
    {
        var (code, stdout, err) = MepropCli.Run(args);
        Assert.True(code == 2, $"exit code {code}: {err}{stdout}");
        Assert.Equal(string.Join("\n  ", ["meprop: invalid configuration:", .. problems]), err.Trim());
    }

    [Theory]
    [InlineData("8", "1000", "eval_batch_size = 1000: an evaluation batch of 80 examples needs 80 x 100000000 = 8000000000 values in hidden1's outputs, " + Limit + "; give eval_batch_size <= 21.")]
    [InlineData("100", "10", "batch_size = 100: a training batch of 100 examples needs 100 x 100000000 = 10000000000 values in hidden1's outputs, " + Limit + "; give batch_size <= 21.")]
    [InlineData("1000000", "10", "batch_size = 1000000: a training batch of 200 examples needs 200 x 100000000 = 20000000000 values in hidden1's outputs, " + Limit + "; give batch_size <= 21.")]
    public void TrainMlp(string batchSize, string evalBatchSize, string problem)
    {
        using var data = new TinyMnist(train: 240, test: 80);
        AssertConfigError(["train", "mlp", "--data-dir", data.Directory, "--dev-size", "40", "--hidden", "100000000", "--k", "4", "--classes", "4",
            "--batch-size", batchSize, "--eval-batch-size", evalBatchSize, "--no-progress"], problem);
    }

    [Fact]
    public void TrainCnn()
    {
        // conv1 with a million 1 x 1 filters: 28 x 28 x 1000000 outputs per image
        using var data = new TinyMnist(train: 30, test: 10, side: 28);
        AssertConfigError(["train", "cnn", "--data-dir", data.Directory, "--dev-size", "5", "--conv-channels", "1000000", "--sparse-layers", "conv1", "--kernel", "1", "--hidden", "1",
            "--batch-size", "10", "--eval-batch-size", "100", "--no-progress"],
            "batch_size = 10: a training batch of 10 examples needs 10 x 784000000 = 7840000000 values in conv1's outputs, " + Limit + "; give batch_size <= 2.",
            "eval_batch_size = 100: an evaluation batch of 10 examples needs 10 x 784000000 = 7840000000 values in conv1's outputs, " + Limit + "; give eval_batch_size <= 2.");
    }

    [Fact]
    public void TrainTagger()
    {
        // embeddings of ten million values: a batch of more than 214 tokens does not fit
        string treebank = Path.Combine(dir, "tb.conllu");
        var sentences = SyntheticTreebank.Learnable(100, seed: 4);
        Conllu.WriteFile(treebank, sentences);
        long tokens = sentences.Sum(s => (long)s.Tokens.Count);
        AssertConfigError(["train", "tagger", "--train-file", treebank, "--dev-file", treebank, "--test-file", treebank, "--min-count", "1",
            "--embedding-size", "10000000", "--hidden", "1", "--k", "1", "--batch-size", "1000", "--eval-batch-size", "1000", "--no-progress"],
            $"batch_size = 1000: a training batch of {tokens} tokens needs {tokens} x 10000001 = {tokens * 10000001} values in lstm_fw's [x, h] rows, " + Limit + "; give a smaller batch_size.",
            $"eval_batch_size = 1000: an evaluation batch of {tokens} tokens needs {tokens} x 10000001 = {tokens * 10000001} values in lstm_fw's [x, h] rows, " + Limit + "; give a smaller eval_batch_size.");
    }

    [Fact]
    public void TrainParser()
    {
        // 48 feature embeddings of ten million values: 480000000 per parser state, so at most 4 states per batch
        string treebank = Path.Combine(dir, "tb.conllu");
        Conllu.WriteFile(treebank, SyntheticTreebank.Learnable(30, seed: 5));
        AssertConfigError(["train", "parser", "--train-file", treebank, "--dev-file", treebank, "--test-file", treebank, "--min-count", "1",
            "--embedding-size", "10000000", "--hidden", "1", "--k", "1", "--batch-size", "4", "--eval-batch-size", "4000", "--no-progress"],
            "eval_batch_size = 4000: an evaluation batch of 30 parser states needs 30 x 480000000 = 14400000000 values in the feature embeddings, " + Limit + "; give eval_batch_size <= 4.");
    }
}
