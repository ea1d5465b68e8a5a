namespace MePropNative.Nlp;

/// <summary>
/// The time-major layout of a batch of sentences sorted by length, longest first (what PyTorch calls a packed
/// sequence): at step t the sentences still running are a prefix 0..n_t-1 of the batch, and their tokens occupy rows
/// StepOffset(t) .. StepOffset(t) + n_t - 1 of every per-token matrix. The rows of one step are therefore a contiguous
/// row range, a step's GEMM covers exactly the live sentences, and padding takes neither rows nor work (so there is
/// nothing to mask). Token (b, t) of a sentence is row StepOffset(t) + b; read right to left (the backward direction of
/// a bidirectional LSTM) it is row StepOffset(length_b - 1 - t) + b.
/// </summary>
public sealed class PackedSequences
{
    private readonly int[] lengths;
    private readonly int[] stepRows;
    private readonly int[] stepOffsets;

    /// <param name="lengths">sentence lengths, non-increasing, each >= 1.</param>
    public PackedSequences(IReadOnlyList<int> lengths)
    {
        if (lengths.Count == 0) throw new ArgumentException("a batch needs at least one sentence.");
        for (int b = 0; b < lengths.Count; b++)
        {
            if (lengths[b] < 1) throw new ArgumentException($"sentence {b} is empty.");
            if (b > 0 && lengths[b] > lengths[b - 1]) throw new ArgumentException("sentences must be sorted by length, longest first.");
        }
        this.lengths = lengths.ToArray();
        Steps = this.lengths[0];
        stepRows = new int[Steps];
        stepOffsets = new int[Steps + 1];
        for (int t = 0; t < Steps; t++)
        {
            int n = 0;
            while (n < this.lengths.Length && this.lengths[n] > t) n++;
            stepRows[t] = n;
            stepOffsets[t + 1] = stepOffsets[t] + n;
        }
        Tokens = stepOffsets[Steps];
    }

    public int Batch => lengths.Length;
    public int Steps { get; }
    public int Tokens { get; }
    public IReadOnlyList<int> Lengths => lengths;

    /// <summary>Sentences still running at step t (n_t).</summary>
    public int StepRows(int t) => stepRows[t];

    /// <summary>First row of step t.</summary>
    public int StepOffset(int t) => stepOffsets[t];

    /// <summary>Row of token t of sentence b, read left to right.</summary>
    public int Row(int b, int t) => stepOffsets[t] + b;

    /// <summary>Row of token t of sentence b in the right-to-left reading.</summary>
    public int ReverseRow(int b, int t) => stepOffsets[lengths[b] - 1 - t] + b;
}
