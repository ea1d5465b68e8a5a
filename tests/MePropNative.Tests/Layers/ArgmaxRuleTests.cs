using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Layers;

/// <summary>
/// The arg-max behind every accuracy (the loss's count of correct rows for the MLP and the CNN, ArgmaxRows for the
/// tagger), on the CPU backend: the first maximum on ties (IBackend.ArgmaxRows), and a NaN is never larger than
/// anything (a comparison with NaN is false), so a NaN in column 0 stays the arg-max and a NaN elsewhere is skipped —
/// the rule the CUDA kernels follow (test_cuda_backend_ops.cpp, ArgmaxRowsFirstMaximumNaNNeverWins), whose test needs a
/// GPU.
/// </summary>
public class ArgmaxRuleTests
{
    private const int Cols = 11;
    private readonly CpuBackend backend = new();

    /// <summary>Rows with ties and NaNs, and the arg-max of each by the rule.</summary>
    private static (float[] Logits, int[] Expected) Rows()
    {
        float nan = float.NaN;
        float[][] rows =
        [
            [0, 1, 2, 9, 4, 5, 6, 9, 8, 7, 6],           // tie: the first 9
            [nan, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],        // NaN in column 0: nothing is larger
            [0, 1, 2, 3, 4, nan, 100, 7, 8, 9, 10],      // NaN skipped, the maximum after it
            [0, 1, 40, 3, 4, nan, 5, 6, 7, 8, 9],        // NaN skipped, the maximum before it
            [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],           // all equal: column 0
            [-1, -5, -1, -2, nan, nan, -3, -4, -1, -6, -7], // negatives, NaNs and a three-way tie
        ];
        return (rows.SelectMany(r => r).ToArray(), [3, 0, 6, 2, 0, 0]);
    }

    [Fact]
    public void ArgmaxRowsTakesTheFirstMaximumAndNaNNeverWins()
    {
        var (logits, expected) = Rows();
        var x = TestData.Tensor(backend, logits, expected.Length, Cols);
        var arg = backend.AllocateIndices(1, expected.Length);
        backend.ArgmaxRows(x, arg);
        Assert.Equal(expected, TestData.Host(backend, arg));
    }

    [Fact]
    public void TheLossCountsARowCorrectByTheSameRule()
    {
        // each row once with the rule's arg-max as its label (correct), once with the other candidate (not correct):
        // the later index of a tie, the column after a NaN, or the last column
        var (logits, expected) = Rows();
        int n = expected.Length;
        int[] other = [7, 10, 5, 5, 10, 8];
        var x = TestData.Tensor(backend, [.. logits, .. logits], 2 * n, Cols);
        var labels = backend.AllocateIndices(1, 2 * n);
        backend.Upload([.. expected, .. other], labels);
        var stats = backend.Allocate(1, 2);
        backend.SoftmaxCrossEntropy(x, labels, null, 1f, stats);
        Assert.Equal(n, TestData.Host(backend, stats)[1]);

        // one at a time, so that a wrong row is named
        for (int r = 0; r < n; r++)
            foreach (var (label, correct) in new[] { (expected[r], 1f), (other[r], 0f) })
            {
                var row = TestData.Tensor(backend, logits.AsSpan(r * Cols, Cols).ToArray(), 1, Cols);
                var one = backend.AllocateIndices(1, 1);
                backend.Upload([label], one);
                var s = backend.Allocate(1, 2);
                backend.SoftmaxCrossEntropy(row, one, null, 1f, s);
                Assert.True(correct == TestData.Host(backend, s)[1], $"row {r}, label {label}: counted {TestData.Host(backend, s)[1]}, want {correct}");
            }
    }
}
