using MePropNative.MeProp;
using MePropNative.Training;

namespace MePropNative.Experiments;

/// <summary>The runs behind the meProp paper's MNIST tables and figures, regenerated.</summary>
public static class ExperimentPlan
{
    public static readonly string[] Groups = ["main", "speed", "k", "random", "dense-k", "dropout", "depth", "msbp", "mesimp"];

    public static readonly int[] SweepK = [5, 10, 20, 40, 80, 160, 320];
    public static readonly int[] RandomK = [10, 20, 80];
    public static readonly int[] DenseK = [10, 20, 40, 80];
    public static readonly int[] Depths = [2, 3, 5];

    public static List<ExperimentRun> Mnist(ExperimentSettings s)
    {
        var runs = new List<ExperimentRun>();
        TrainConfig Base(int epochs) => new()
        {
            DataDir = s.DataDir,
            Epochs = epochs,
            BatchSize = s.BatchSize,
            Dropout = s.Dropout,
            TrainLimit = s.TrainLimit,
            Seed = s.Seed,
            Source = "meprop experiment mnist",
        };
        TrainConfig Dense(int epochs) { var c = Base(epochs); c.Strategy = StrategyKind.Dense; c.K = []; return c; }
        TrainConfig Sparse(StrategyKind kind, int k, int epochs) { var c = Base(epochs); c.Strategy = kind; c.K = [k]; return c; }
        void Add(string group, TrainConfig c, string? name = null) => runs.Add(new ExperimentRun(group, Name(c, name), c));

        // main: the accuracy targets and the speed ratios (dense vs top-20 backward, dense GEMM share)
        Add("main", Dense(s.MainEpochs));
        Add("main", Sparse(StrategyKind.TopK, 80, s.MainEpochs));
        Add("main", Sparse(StrategyKind.TopK, 20, s.MainEpochs));
        Add("main", Sparse(StrategyKind.Unified, 20, s.MainEpochs));

        // speed: the backward ratio and the GEMM share, at a larger batch, without dropout
        { var c = Dense(s.SpeedEpochs); c.BatchSize = s.SpeedBatchSize; c.Dropout = 0; Add("speed", c, $"dense-b{s.SpeedBatchSize}"); }
        { var c = Sparse(StrategyKind.TopK, 20, s.SpeedEpochs); c.BatchSize = s.SpeedBatchSize; c.Dropout = 0; Add("speed", c, $"topk-k20-b{s.SpeedBatchSize}"); }
        { var c = Sparse(StrategyKind.Unified, 20, s.SpeedEpochs); c.BatchSize = s.SpeedBatchSize; c.Dropout = 0; Add("speed", c, $"unified-k20-b{s.SpeedBatchSize}"); }

        // accuracy and backprop time vs k
        Add("k", Dense(s.SweepEpochs));
        foreach (int k in SweepK) Add("k", Sparse(StrategyKind.TopK, k, s.SweepEpochs));

        foreach (int k in RandomK) Add("random", Sparse(StrategyKind.Random, k, s.SweepEpochs));

        // meProp top-k vs an ordinary network whose hidden layers have k units
        foreach (int k in DenseK) { var c = Dense(s.SweepEpochs); c.Hidden = [k, k]; Add("dense-k", c, $"dense-h{k}"); }

        { var c = Dense(s.SweepEpochs); c.Dropout = 0; Add("dropout", c, "dense-nodropout"); }
        { var c = Sparse(StrategyKind.TopK, 20, s.SweepEpochs); c.Dropout = 0; Add("dropout", c, "topk-k20-nodropout"); }

        foreach (int depth in Depths.Where(d => d != 2))
        {
            var d = Dense(s.SweepEpochs); d.Hidden = Enumerable.Repeat(500, depth).ToArray(); Add("depth", d, $"dense-depth{depth}");
            var t = Sparse(StrategyKind.TopK, 20, s.SweepEpochs); t.Hidden = Enumerable.Repeat(500, depth).ToArray(); Add("depth", t, $"topk-k20-depth{depth}");
        }

        foreach (int k in new[] { 5, 20 })
        {
            var m = Sparse(StrategyKind.Msbp, k, s.SweepEpochs); m.MemoryRatio = 0.8f; Add("msbp", m);
            if (k != 20) Add("msbp", Sparse(StrategyKind.TopK, k, s.SweepEpochs));
        }
        // where plain per-example top-k is unstable with Adam: batch 100, no dropout
        foreach (var kind in new[] { StrategyKind.TopK, StrategyKind.Msbp })
        {
            var c = Sparse(kind, 20, s.SweepEpochs); c.BatchSize = s.SpeedBatchSize; c.Dropout = 0; c.MemoryRatio = 0.8f;
            Add("msbp", c, $"{kind.ToName()}-k20-b{s.SpeedBatchSize}-nodropout");
        }

        // meSimp as in the original program's default config: top-160, prune 0.1, cycles of 5 epochs, 8 evaluations per epoch
        {
            var c = Sparse(StrategyKind.TopK, 160, s.MainEpochs);
            c.MeSimp = true; c.MeSimpThreshold = 0.1f; c.MeSimpCycle = 5; c.EvalsPerEpoch = 8;
            Add("mesimp", c);
        }

        // a run shared by several groups is trained once
        runs = runs.GroupBy(r => r.Name).Select(g => g.First()).ToList();
        return s.Groups is null ? runs : runs.Where(r => s.Groups.Contains(r.Group)).ToList();
    }

    /// <summary>The run's folder name: strategy, k, and the epochs (runs of different lengths are different runs).</summary>
    private static string Name(TrainConfig c, string? name) => RunName(name ?? c.RunName(), c.Epochs, c.TrainLimit);

    public static string RunName(string baseName, int epochs, int trainLimit) => $"{baseName}-e{epochs}" + (trainLimit > 0 ? $"-n{trainLimit}" : "");

    /// <summary>The runs of a group, looked up by group name in the full plan (a run may serve several tables).</summary>
    public static IEnumerable<ExperimentRun> InGroup(IEnumerable<ExperimentRun> plan, string group) => plan.Where(r => r.Group == group);
}
