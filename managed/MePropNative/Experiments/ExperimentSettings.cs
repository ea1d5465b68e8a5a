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
    /// <summary>Batch and dropout of every run (the settings of the paper's reference PyTorch code), except where a table varies them.</summary>
    public int BatchSize { get; init; } = 32;
    public float Dropout { get; init; } = 0.1f;
    /// <summary>Batch of the speed runs: per-step overhead (the dense Adam update over all weights) is amortised over more examples.</summary>
    public int SpeedBatchSize { get; init; } = 100;
    public int SpeedEpochs { get; init; } = 2;
    public int TrainLimit { get; init; }
    public long Seed { get; init; } = 1;
    /// <summary>Groups to run (null: all).</summary>
    public string[]? Groups { get; init; }
}
