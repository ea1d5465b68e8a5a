using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Optimizers;

namespace MePropNative.Training;

/// <summary>
/// Everything that defines a training run. The JSON config (snake_case keys) and the CLI flags (--kebab-case) are two
/// spellings of the same options, listed once in <see cref="ConfigOptions"/>; the original meProp/meSimp program's
/// config files map onto it through <see cref="LegacyConfig"/>.
/// </summary>
public sealed class TrainConfig
{
    // data
    public string Model { get; set; } = "mlp";
    public string Dataset { get; set; } = "mnist";
    public string DataDir { get; set; } = "data/mnist";
    public string? TrainImages { get; set; }
    public string? TrainLabels { get; set; }
    public string? TestImages { get; set; }
    public string? TestLabels { get; set; }
    public int DevSize { get; set; } = 5000;
    public int TrainLimit { get; set; }

    // model
    public int[] Hidden { get; set; } = [500, 500];
    public int Classes { get; set; } = 10;
    public float Dropout { get; set; } = 0.1f;

    // meProp
    public StrategyKind Strategy { get; set; } = StrategyKind.TopK;
    public int[] K { get; set; } = [20];
    public int OutputK { get; set; }
    public float MemoryRatio { get; set; } = 0.8f;
    /// <summary>Candidates of --strategy auto ("dense,topk,unified"; topk expands to every sparse algorithm of the device).</summary>
    public string AutoCandidates { get; set; } = string.Join(",", MeProp.AutoStrategyOptions.DefaultCandidates);

    // device
    /// <summary>"cpu", "cuda" (device 0) or "cuda:N".</summary>
    public string Device { get; set; } = "cpu";
    /// <summary>Per-example sparse backward on the device: default, ell, ell-atomic, cusparse (CUDA only).</summary>
    public string SparseAlgorithm { get; set; } = "default";

    // optimizer
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Adam;
    public float LearningRate { get; set; } = 0.001f;
    public float Beta1 { get; set; } = 0.9f;
    public float Beta2 { get; set; } = 0.999f;
    public float AdamEpsilon { get; set; } = 1e-8f;
    public float AdaGradEpsilon { get; set; } = 1e-6f;
    public float Momentum { get; set; } = 0.9f;
    public float L2 { get; set; }
    public float ClipValue { get; set; }
    public float ClipNorm { get; set; }
    public float LearningRateDecay { get; set; } = 1f;

    // schedule
    public int BatchSize { get; set; } = 32;
    public int Epochs { get; set; } = 5;
    public int EvalsPerEpoch { get; set; } = 1;
    public string SelectBy { get; set; } = "dev";
    public int Patience { get; set; }
    public long Seed { get; set; } = 1;
    public int Threads { get; set; }
    public int EvalBatchSize { get; set; } = 1000;

    // meSimp
    public bool MeSimp { get; set; }
    public float MeSimpThreshold { get; set; } = 0.1f;
    public int MeSimpCycle { get; set; } = 5;

    // output
    public string? Out { get; set; }
    public string? Checkpoint { get; set; }
    public bool Resume { get; set; }

    /// <summary>Where the config came from (a file, "defaults", "flags"), for the results.</summary>
    public string Source { get; set; } = "defaults";

    public TrainConfig Clone()
    {
        var c = (TrainConfig)MemberwiseClone();
        c.Hidden = (int[])Hidden.Clone();
        c.K = (int[])K.Clone();
        return c;
    }

    public MlpOptions ToMlpOptions(int inputs) => new()
    {
        Inputs = inputs,
        Hidden = Hidden,
        Classes = Classes,
        Dropout = Dropout,
        Strategy = Strategy,
        HiddenK = Strategy == StrategyKind.Dense ? [] : K.Select(k => (int?)k).ToArray(), // dense ignores k
        OutputK = OutputK > 0 ? OutputK : null,
        MemoryRatio = MemoryRatio,
        Seed = (ulong)Seed,
    };

    public OptimizerOptions ToOptimizerOptions() => new()
    {
        Kind = Optimizer,
        LearningRate = LearningRate,
        Beta1 = Beta1,
        Beta2 = Beta2,
        AdamEpsilon = AdamEpsilon,
        AdaGradEpsilon = AdaGradEpsilon,
        Momentum = Momentum,
        L2 = L2,
        ClipValue = ClipValue,
        ClipNorm = ClipNorm,
        LearningRateDecay = LearningRateDecay,
    };

    /// <summary>The config key of each optimizer option (<see cref="OptimizerOptions.OutOfRange"/> names properties).</summary>
    private static readonly Dictionary<string, string> OptimizerKeys = new()
    {
        [nameof(OptimizerOptions.LearningRate)] = "lr",
        [nameof(OptimizerOptions.Beta1)] = "beta1",
        [nameof(OptimizerOptions.Beta2)] = "beta2",
        [nameof(OptimizerOptions.AdamEpsilon)] = "adam_eps",
        [nameof(OptimizerOptions.AdaGradEpsilon)] = "adagrad_eps",
        [nameof(OptimizerOptions.Momentum)] = "momentum",
        [nameof(OptimizerOptions.L2)] = "l2",
        [nameof(OptimizerOptions.ClipValue)] = "clip_value",
        [nameof(OptimizerOptions.ClipNorm)] = "clip_norm",
        [nameof(OptimizerOptions.LearningRateDecay)] = "lr_decay",
    };

    /// <summary>Every problem with the values, one message each (empty when valid).</summary>
    public List<string> Problems()
    {
        var p = new List<string>();
        if (Model != "mlp") p.Add($"model '{Model}' is not available (valid: mlp).");
        if (Dataset != "mnist") p.Add($"dataset '{Dataset}' is not available (valid: mnist).");
        p.AddRange(DevSetRule.Problems(DevSize, SelectBy, Patience));
        if (TrainLimit < 0) p.Add($"train_limit = {TrainLimit} must be >= 0.");
        if (Hidden.Length == 0) p.Add("hidden must list at least one hidden layer size.");
        if (Hidden.Any(h => h < 1)) p.Add($"hidden sizes must be >= 1 (got [{string.Join(", ", Hidden)}]).");
        if (Classes < 2) p.Add($"classes = {Classes} must be >= 2.");
        if (Dropout is not (>= 0 and < 1)) p.Add($"dropout = {Dropout} must be in [0, 1).");
        if (Strategy != StrategyKind.Dense)
        {
            if (K.Length == 0) p.Add($"strategy {Strategy.ToName()} needs k.");
            if (K.Any(k => k < 1)) p.Add($"k must be >= 1 (got [{string.Join(", ", K)}]).");
            if (K.Length > 1 && K.Length != Hidden.Length) p.Add($"k lists {K.Length} values for {Hidden.Length} hidden layers (give one value, or one per hidden layer).");
        }
        if (OutputK < 0) p.Add($"output_k = {OutputK} must be >= 0 (0: dense output layer).");
        if (MemoryRatio is not (>= 0 and <= 1)) p.Add($"memory_ratio = {MemoryRatio} must be in [0, 1].");
        p.AddRange(DeviceOptions.Problems(Device, SparseAlgorithm, Strategy == StrategyKind.Auto ? AutoCandidates : null));
        foreach (var (option, value, range) in ToOptimizerOptions().OutOfRange()) p.Add($"{OptimizerKeys[option]} = {value} must be {range}.");
        if (BatchSize < 1) p.Add($"batch_size = {BatchSize} must be >= 1.");
        if (Epochs < 1) p.Add($"epochs = {Epochs} must be >= 1.");
        if (EvalsPerEpoch < 1) p.Add($"evals_per_epoch = {EvalsPerEpoch} must be >= 1.");
        if (SelectBy is not ("dev" or "last")) p.Add($"select_by = '{SelectBy}' must be dev or last.");
        if (Patience < 0) p.Add($"patience = {Patience} must be >= 0 (0: no early stop).");
        if (Threads < 0) p.Add($"threads = {Threads} must be >= 0 (0: all cores).");
        if (EvalBatchSize < 1) p.Add($"eval_batch_size = {EvalBatchSize} must be >= 1.");
        if (MeSimp && Strategy is not (StrategyKind.TopK or StrategyKind.Unified or StrategyKind.Msbp))
            p.Add($"mesimp needs a top-k strategy (topk, unified or msbp), not {Strategy.ToName()}.");
        if (MeSimpThreshold is not (>= 0 and <= 1)) p.Add($"mesimp_threshold = {MeSimpThreshold} must be in [0, 1].");
        if (MeSimpCycle < 1) p.Add($"mesimp_cycle = {MeSimpCycle} must be >= 1.");
        if (Out == "") p.Add("out is an empty path (leave it out for no results folder).");
        if (Checkpoint == "") p.Add("checkpoint is an empty path (leave it out for out/checkpoint.bin, or none without out).");
        if (Resume && CheckpointPath() is null) p.Add("resume needs checkpoint (or out, whose checkpoint.bin is used).");
        return p;
    }

    /// <summary>Every problem of an MLP run: the <see cref="Problems"/> it shares with the tagger and parser, and the
    /// MLP's own (each hidden layer's k against its size, its output layer's k against the classes, which for the tagger and parser come from the data; the
    /// size of each layer's weights, the first layer's only when <paramref name="inputs"/>, the pixels per image, is known).</summary>
    public List<string> MlpProblems(int? inputs = null)
    {
        var p = Problems();
        if (Strategy != StrategyKind.Dense && (K.Length == 1 || K.Length == Hidden.Length))
            for (int h = 0; h < Hidden.Length; h++)
                if (K[Math.Min(h, K.Length - 1)] is var k && k > Hidden[h])
                    p.Add($"k = {k} exceeds the {Hidden[h]} units of hidden layer {h + 1} (k may be at most the layer's size; k = size is dense).");
        if (OutputK > Classes) p.Add($"output_k = {OutputK} exceeds the {Classes} classes (output_k may be at most classes; 0 or classes is a dense output layer).");
        if (Hidden.Length > 0 && Hidden.All(h => h >= 1) && Classes >= 2)
        {
            int[] sizes = [inputs ?? 1, .. Hidden, Classes];
            for (int i = inputs is null ? 2 : 1; i < sizes.Length; i++)
                if (ParameterLimit.Problem(i < sizes.Length - 1 ? $"hidden = [{string.Join(", ", Hidden)}]" : $"classes = {Classes}",
                        i < sizes.Length - 1 ? $"hidden{i}" : "output", sizes[i], sizes[i - 1]) is { } problem)
                    p.Add(problem);
        }
        return p;
    }

    /// <summary>Throws a <see cref="ConfigException"/> listing every problem of an MLP run whose images are not yet known.</summary>
    public void Validate() => Validate(null);

    /// <summary>Throws a <see cref="ConfigException"/> listing every problem of an MLP run on images of
    /// <paramref name="inputs"/> pixels (see <see cref="MlpProblems"/>).</summary>
    public void Validate(int? inputs)
    {
        ConfigException.ThrowIfAny(MlpProblems(inputs));
    }

    /// <summary>The checkpoint file: the explicit one, else out/checkpoint.bin, else none.</summary>
    public string? CheckpointPath() => Checkpoint ?? (Out is null ? null : Path.Combine(Out, "checkpoint.bin"));

    /// <summary>The four MNIST files (explicit paths override data_dir).</summary>
    public Data.MnistFiles DataFiles()
    {
        var d = Data.MnistFiles.InDirectory(DataDir);
        return new Data.MnistFiles(TrainImages ?? d.TrainImages, TrainLabels ?? d.TrainLabels, TestImages ?? d.TestImages, TestLabels ?? d.TestLabels);
    }

    /// <summary>A short name such as "topk-k20" or "dense".</summary>
    public string RunName()
    {
        string name = Strategy == StrategyKind.Dense ? "dense" : $"{Strategy.ToName()}-k{string.Join("_", K)}";
        if (MeSimp) name = "mesimp-" + name;
        return name;
    }
}
