using System.Text.Json;
using System.Text.Json.Nodes;
using MePropNative.MeProp;
using MePropNative.Optimizers;

namespace MePropNative.Training;

/// <summary>The catalog of training options, shared by JSON configs and the command line.</summary>
public static class ConfigOptions
{
    public static readonly IReadOnlyList<ConfigOption<TrainConfig>> All =
    [
        Str("model", "model to train (mlp)", c => c.Model, (c, v) => c.Model = v, placeholder: "mlp"),
        Str("dataset", "dataset (mnist)", c => c.Dataset, (c, v) => c.Dataset = v, placeholder: "mnist"),
        Str("data_dir", "folder with the MNIST IDX files (plain or .gz)", c => c.DataDir, (c, v) => c.DataDir = v),
        Str("train_images", "training images IDX file (overrides data_dir)", c => c.TrainImages, (c, v) => c.TrainImages = v),
        Str("train_labels", "training labels IDX file (overrides data_dir)", c => c.TrainLabels, (c, v) => c.TrainLabels = v),
        Str("test_images", "test images IDX file (overrides data_dir)", c => c.TestImages, (c, v) => c.TestImages = v),
        Str("test_labels", "test labels IDX file (overrides data_dir)", c => c.TestLabels, (c, v) => c.TestLabels = v),
        Int("dev_size", "the first N training examples form the dev set (paper: 5000)", c => c.DevSize, (c, v) => c.DevSize = v),
        Int("train_limit", "use only the first N remaining training examples (0: all)", c => c.TrainLimit, (c, v) => c.TrainLimit = v),
        IntList("hidden", "hidden layer sizes, e.g. 500,500", c => c.Hidden, (c, v) => c.Hidden = v),
        Int("classes", "number of classes", c => c.Classes, (c, v) => c.Classes = v),
        Float("dropout", "dropout rate after each hidden layer (0: none)", c => c.Dropout, (c, v) => c.Dropout = v),
        Choice("strategy", "back propagation: dense, topk (meProp), unified (one top-k per batch), random, random-unified, msbp, auto (fastest of auto_candidates per layer shape)",
            StrategyKinds.ByName.Keys.ToList(), c => c.Strategy.ToName(), (c, v) => c.Strategy = StrategyKinds.Parse(v)),
        IntList("k", "k of the hidden layers: one value, or one per hidden layer", c => c.K, (c, v) => c.K = v),
        Int("output_k", "k of the output layer (0: dense, the paper's setting)", c => c.OutputK, (c, v) => c.OutputK = v),
        Float("memory_ratio", "MSBP: fraction of the unpropagated gradient kept in memory (paper: 0.8)", c => c.MemoryRatio, (c, v) => c.MemoryRatio = v),
        Str("auto_candidates", "strategy auto: comma-separated candidates timed once per layer shape, the fastest kept (dense, topk, topk/ALGORITHM, unified)",
            c => c.AutoCandidates, (c, v) => c.AutoCandidates = v, placeholder: "NAME[,NAME...]"),
        Str("device", "where to train: cpu, cuda (device 0) or cuda:N", c => c.Device, (c, v) => c.Device = v, placeholder: "cpu|cuda|cuda:N"),
        Choice("sparse_algorithm", "per-example sparse backward on the GPU: ell (sorted dW, deterministic), ell-atomic, cusparse (CSR SpMM); default: ell on CUDA, the AVX2 kernels on the CPU",
            Backends.SparseBackwardAlgorithms.ByName.Keys.ToList(), c => c.SparseAlgorithm, (c, v) => c.SparseAlgorithm = v),
        Choice("optimizer", "adam, adagrad or sgd (with momentum)", OptimizerKinds.ByName.Keys.ToList(), c => c.Optimizer.ToName(), (c, v) => c.Optimizer = OptimizerKinds.Parse(v)),
        Float("lr", "learning rate", c => c.LearningRate, (c, v) => c.LearningRate = v),
        Float("beta1", "Adam beta1", c => c.Beta1, (c, v) => c.Beta1 = v),
        Float("beta2", "Adam beta2", c => c.Beta2, (c, v) => c.Beta2 = v),
        Float("adam_eps", "Adam epsilon", c => c.AdamEpsilon, (c, v) => c.AdamEpsilon = v),
        Float("adagrad_eps", "AdaGrad epsilon", c => c.AdaGradEpsilon, (c, v) => c.AdaGradEpsilon = v),
        Float("momentum", "SGD momentum (0: plain SGD)", c => c.Momentum, (c, v) => c.Momentum = v),
        Float("l2", "L2 regularization factor (added to the gradient)", c => c.L2, (c, v) => c.L2 = v),
        Float("clip_value", "clip each gradient element to [-v, v] (0: off; the original program used 5)", c => c.ClipValue, (c, v) => c.ClipValue = v),
        Float("clip_norm", "rescale the gradient when its global L2 norm exceeds this (0: off)", c => c.ClipNorm, (c, v) => c.ClipNorm = v),
        Float("lr_decay", "learning-rate factor per epoch (1: constant)", c => c.LearningRateDecay, (c, v) => c.LearningRateDecay = v),
        Int("batch_size", "mini-batch size", c => c.BatchSize, (c, v) => c.BatchSize = v),
        Int("epochs", "training epochs", c => c.Epochs, (c, v) => c.Epochs = v),
        Int("evals_per_epoch", "dev (and test) evaluations per epoch", c => c.EvalsPerEpoch, (c, v) => c.EvalsPerEpoch = v),
        Choice("select_by", "which evaluation's test accuracy is reported: dev (best dev) or last", ["dev", "last"], c => c.SelectBy, (c, v) => c.SelectBy = v),
        Int("patience", "stop after this many epochs without a better dev accuracy (0: never)", c => c.Patience, (c, v) => c.Patience = v),
        Long("seed", "random seed (initialization, shuffling, dropout, random-k)", c => c.Seed, (c, v) => c.Seed = v),
        Int("threads", "threads of the native kernels (0: all cores)", c => c.Threads, (c, v) => c.Threads = v),
        Int("eval_batch_size", "batch size of evaluation", c => c.EvalBatchSize, (c, v) => c.EvalBatchSize = v),
        Bool("mesimp", "meSimp: prune hidden units seldom selected by top-k, in cycles", c => c.MeSimp, (c, v) => c.MeSimp = v),
        Float("mesimp_threshold", "meSimp: prune units selected in fewer than this fraction of back propagations", c => c.MeSimpThreshold, (c, v) => c.MeSimpThreshold = v),
        Int("mesimp_cycle", "meSimp: epochs per cycle (prune in even cycles, train in odd ones)", c => c.MeSimpCycle, (c, v) => c.MeSimpCycle = v),
        Str("out", "output folder: results.json, results.csv, model.bin, checkpoint.bin", c => c.Out, (c, v) => c.Out = v),
        Str("checkpoint", "checkpoint file (default: OUT/checkpoint.bin when --out is given)", c => c.Checkpoint, (c, v) => c.Checkpoint = v),
        Bool("resume", "continue from the checkpoint", c => c.Resume, (c, v) => c.Resume = v),
    ];

    public static readonly IReadOnlyDictionary<string, ConfigOption<TrainConfig>> ByKey = All.ToDictionary(o => o.Key);

    /// <summary>Applies the properties of a JSON object; unknown keys and wrong types are one error listing them all.</summary>
    public static void Apply(TrainConfig config, JsonElement obj, string source) => OptionCatalog.Apply(All, ByKey, config, obj, source);

    /// <summary>The config as a JSON object with every option (what results.json records).</summary>
    public static JsonObject ToJson(TrainConfig config) => OptionCatalog.ToJson(All, config);

    // ---- option builders -----------------------------------------------------------------------------------------

    private static ConfigOption<TrainConfig> Str(string key, string help, Func<TrainConfig, string?> get, Action<TrainConfig, string> set,
        string? placeholder = null) =>
        new(key, OptionType.String, help, get, (c, e) => set(c, OptionCatalog.ReadString(e)), Placeholder: placeholder);

    private static ConfigOption<TrainConfig> Choice(string key, string help, IReadOnlyList<string> choices, Func<TrainConfig, string> get, Action<TrainConfig, string> set) =>
        new(key, OptionType.Choice, help, get, (c, e) => set(c, OptionCatalog.ReadString(e)), choices);

    private static ConfigOption<TrainConfig> Int(string key, string help, Func<TrainConfig, int> get, Action<TrainConfig, int> set) =>
        new(key, OptionType.Int, help, c => get(c), (c, e) => set(c, OptionCatalog.ReadInt(e)));

    private static ConfigOption<TrainConfig> Long(string key, string help, Func<TrainConfig, long> get, Action<TrainConfig, long> set) =>
        new(key, OptionType.Long, help, c => get(c), (c, e) => set(c, OptionCatalog.ReadLong(e)));

    private static ConfigOption<TrainConfig> Float(string key, string help, Func<TrainConfig, float> get, Action<TrainConfig, float> set) =>
        new(key, OptionType.Float, help, c => get(c), (c, e) => set(c, OptionCatalog.ReadFloat(e)));

    private static ConfigOption<TrainConfig> Bool(string key, string help, Func<TrainConfig, bool> get, Action<TrainConfig, bool> set) =>
        new(key, OptionType.Bool, help, c => get(c), (c, e) => set(c, OptionCatalog.ReadBool(e)));

    private static ConfigOption<TrainConfig> IntList(string key, string help, Func<TrainConfig, int[]> get, Action<TrainConfig, int[]> set) =>
        new(key, OptionType.IntList, help, get, (c, e) => set(c, OptionCatalog.ReadIntList(e)));
}
