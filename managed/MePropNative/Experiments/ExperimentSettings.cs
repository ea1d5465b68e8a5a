namespace MePropNative.Experiments;

/// <summary>How `meprop experiment mnist` runs: where it writes, how long the runs are, which groups.</summary>
public sealed record ExperimentSettings
{
    public string OutDir { get; init; } = "docs/results/mnist";
    public string DataDir { get; init; } = "data/mnist";
    /// <summary>Epochs of the main runs (the accuracy targets: dense, top-80, top-20) and of meSimp.</summary>
    public int MainEpochs { get; init; } = 20;
    /// <summary>Epochs of the comparison runs (k sweep, random-k, dense of size k, dropout, depth, MSBP).</summary>
    public int SweepEpochs { get; init; } = 10;
    public int BatchSize { get; init; } = 100;
    public int TrainLimit { get; init; }
    public long Seed { get; init; } = 1;
    /// <summary>Groups to run (null: all).</summary>
    public string[]? Groups { get; init; }
}
