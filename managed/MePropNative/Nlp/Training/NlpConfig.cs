using System.Text.Json;
using System.Text.Json.Nodes;
using MePropNative.MeProp;
using MePropNative.Nlp.Parser;
using MePropNative.Training;

namespace MePropNative.Nlp.Training;

/// <summary>
/// A tagger or parser training run. The options shared with `train mlp` (strategy, k, optimizer, schedule, meSimp,
/// output, checkpoints: see <see cref="NlpConfigOptions.SharedKeys"/>) live in <see cref="Common"/>, a
/// <see cref="TrainConfig"/>, and keep their meaning and spelling; the options of the NLP models are here.
/// </summary>
public sealed class NlpConfig
{
    public NlpConfig(string task)
    {
        if (task is not ("tagger" or "parser")) throw new ArgumentException($"unknown task '{task}' (tagger or parser).");
        Task = task;
        Common = new TrainConfig
        {
            Hidden = [500],
            Strategy = StrategyKind.TopK,
            K = [task == "tagger" ? 10 : 20],
            Optimizer = Optimizers.OptimizerKind.Adam,
            LearningRate = 0.001f,
            BatchSize = task == "tagger" ? 32 : 256,
            Epochs = 4,
            EvalBatchSize = task == "tagger" ? 128 : 4000,
            ClipNorm = 5f,
            // the rest spelled out, so that a change of TrainConfig's (MLP) defaults does not change these runs
            Dropout = task == "tagger" ? 0f : 0.1f,
            OutputK = 0,
            MemoryRatio = 0.8f,
            Beta1 = 0.9f,
            Beta2 = 0.999f,
            AdamEpsilon = 1e-8f,
            L2 = 0f,
            ClipValue = 0f,
            LearningRateDecay = 1f,
            EvalsPerEpoch = 1,
            SelectBy = "dev",
            Patience = 0,
            Seed = 1,
            Threads = 0,
            MeSimp = false,
            MeSimpThreshold = 0.05f,
            MeSimpCycle = 1,
        };
        EmbeddingSize = task == "tagger" ? 100 : 50;
    }

    /// <summary>"tagger" or "parser" (JSON key "model").</summary>
    public string Task { get; private set; }
    public TrainConfig Common { get; private set; }

    // data
    public string DataDir { get; set; } = "data/ud-english-ewt";
    public string? TrainFile { get; set; }
    public string? DevFile { get; set; }
    public string? TestFile { get; set; }
    /// <summary>Use only the first N training sentences (0: all).</summary>
    public int TrainLimit { get; set; }
    /// <summary>Training words seen fewer times than this share unknown-word signature rows.</summary>
    public int MinCount { get; set; } = 2;

    // models
    public int EmbeddingSize { get; set; }
    public bool Bidirectional { get; set; } = true;
    /// <summary>"per_gate" (k per LSTM gate) or "whole" (4k over the 4H gate vector).</summary>
    public string GateSelection { get; set; } = "per_gate";
    /// <summary>Parser hidden activation: "cube" (Chen and Manning 2014) or "relu".</summary>
    public string Activation { get; set; } = "cube";
    /// <summary>Non-projective training trees: "lift" (projectivize by lifting arcs) or "skip".</summary>
    public string NonProjective { get; set; } = "lift";

    public string Source { get => Common.Source; set => Common.Source = value; }

    public NlpConfig Clone()
    {
        var c = (NlpConfig)MemberwiseClone();
        c.Common = Common.Clone();
        return c;
    }

    public string TrainPath => TrainFile ?? Path.Combine(DataDir, "en_ewt-ud-train.conllu");
    public string DevPath => DevFile ?? Path.Combine(DataDir, "en_ewt-ud-dev.conllu");
    public string TestPath => TestFile ?? Path.Combine(DataDir, "en_ewt-ud-test.conllu");

    /// <summary>k per gate / of the hidden layer, or null for dense.</summary>
    public int? K => Common.Strategy == StrategyKind.Dense || Common.K.Length == 0 ? null : Common.K[0];

    public List<string> Problems()
    {
        var p = Common.Problems();
        if (EmbeddingSize < 1) p.Add($"embedding_size = {EmbeddingSize} must be >= 1.");
        if (MinCount < 1) p.Add($"min_count = {MinCount} must be >= 1.");
        if (TrainLimit < 0) p.Add($"train_limit = {TrainLimit} must be >= 0.");
        if (Common.Hidden.Length != 1) p.Add($"hidden must be one size for the {Task} (got [{string.Join(", ", Common.Hidden)}]).");
        if (Common.K.Length > 1) p.Add($"k must be one value for the {Task}.");
        if (GateSelection is not ("per_gate" or "whole")) p.Add($"gate_selection = '{GateSelection}' must be per_gate or whole.");
        if (Activation is not ("cube" or "relu")) p.Add($"activation = '{Activation}' must be cube or relu.");
        if (NonProjective is not ("lift" or "skip")) p.Add($"nonprojective = '{NonProjective}' must be lift or skip.");
        if (Task == "tagger" && Common.Strategy is not (StrategyKind.Dense or StrategyKind.TopK or StrategyKind.Unified or StrategyKind.Random
                or StrategyKind.RandomUnified or StrategyKind.Msbp))
            p.Add($"strategy {Common.Strategy.ToName()} is not available for the tagger's LSTM (dense, topk, unified, random, random-unified, msbp).");
        if (K is int k && Common.Hidden is [var hidden] && k > hidden)
            p.Add(Task == "tagger" ? $"k = {k} (per gate) exceeds the LSTM hidden size {hidden}." : $"k = {k} exceeds the parser's hidden layer size {hidden} (hidden).");
        p.AddRange(WeightProblems(embeddingRows: null, outputs: null));
        return p;
    }

    /// <summary>The layers whose weights would exceed one tensor (<see cref="ParameterLimit"/>): the LSTM gates (tagger)
    /// or the hidden layer (parser) from the options alone, the embedding table and the output layer once the data gives
    /// their rows (the vocabulary) and outputs (the tags or transitions). None while the sizes are out of range.</summary>
    private IEnumerable<string> WeightProblems(int? embeddingRows, int? outputs)
    {
        if (EmbeddingSize < 1 || Common.Hidden is not [var h] || h < 1) yield break;
        long e = EmbeddingSize;
        bool tagger = Task == "tagger";
        if (ParameterLimit.Problem($"embedding_size = {e}, hidden = [{h}]", tagger ? "lstm_fw" : "hidden", tagger ? 4L * h : h,
                tagger ? e + h : ParserFeatures.Count * e) is { } hidden)
            yield return hidden;
        if (embeddingRows is { } rows && ParameterLimit.Problem($"embedding_size = {e}", "embedding", rows, e) is { } embedding)
            yield return embedding;
        if (outputs is { } n && ParameterLimit.Problem($"hidden = [{h}]", "output", n, tagger && Bidirectional ? 2L * h : h) is { } output)
            yield return output;
    }

    /// <summary>Throws a <see cref="ConfigException"/> when the embedding table (<paramref name="embeddingRows"/> rows)
    /// or the output layer (<paramref name="outputs"/>), whose sizes the training data decides, would not fit one
    /// tensor: called when the data is read, before the model is made.</summary>
    public void ValidateWeights(int embeddingRows, int outputs)
    {
        ConfigException.ThrowIfAny(WeightProblems(embeddingRows, outputs));
    }

    /// <summary>Checks output_k against the size of the output layer, which the training data decides (the tagger's
    /// XPOS tags, the parser's transitions): called when the data is read, before training starts.</summary>
    public void ValidateOutputK(int outputs, string what)
    {
        if (Common.OutputK > outputs)
            ConfigException.ThrowIfAny([$"output_k = {Common.OutputK} exceeds the {outputs} {what}."]);
    }

    public void Validate()
    {
        ConfigException.ThrowIfAny(Problems());
    }

    /// <summary>"tagger-topk-k10", "parser-dense", "tagger-mesimp-topk-k10", ...</summary>
    public string RunName() => $"{Task}-{Common.RunName()}";

    /// <summary>The options of a run as JSON (every key of <see cref="NlpConfigOptions.All"/>; what results.json records).</summary>
    public JsonObject ToJson() => NlpConfigOptions.ToJson(this);
}

/// <summary>The option catalog of `train tagger` and `train parser`: the shared training options of
/// <see cref="ConfigOptions"/> (same keys, same flags) plus the NLP ones.</summary>
public static class NlpConfigOptions
{
    /// <summary>Keys of <see cref="ConfigOptions"/> that tagger and parser runs take as they are.</summary>
    public static readonly string[] SharedKeys =
    [
        "hidden", "dropout", "strategy", "k", "output_k", "memory_ratio", "optimizer", "lr", "beta1", "beta2", "adam_eps", "adagrad_eps",
        "momentum", "l2", "clip_value", "clip_norm", "lr_decay", "batch_size", "epochs", "evals_per_epoch", "select_by", "patience", "seed",
        "threads", "eval_batch_size", "mesimp", "mesimp_threshold", "mesimp_cycle", "out", "checkpoint", "resume",
    ];

    private static readonly Dictionary<string, string> HelpOverrides = new()
    {
        ["hidden"] = "tagger: LSTM hidden size (per direction); parser: hidden layer size (paper: 500)",
        ["k"] = "tagger: k per LSTM gate (paper: top-10); parser: k of the hidden layer (paper: top-20)",
        ["batch_size"] = "tagger: sentences per mini-batch (bucketed by length); parser: transitions per mini-batch",
        ["eval_batch_size"] = "tagger: sentences per evaluation batch; parser: parser states scored per evaluation batch",
        ["dropout"] = "dropout rate: tagger on the LSTM outputs, parser on the hidden layer (0: none)",
        ["output_k"] = "k of the output layer (0: dense, the paper's setting)",
        ["mesimp"] = "meSimp: prune LSTM hidden units (tagger) / hidden units (parser) seldom selected by top-k, in cycles",
    };

    public static readonly IReadOnlyList<ConfigOption<NlpConfig>> All = Build();

    public static readonly IReadOnlyDictionary<string, ConfigOption<NlpConfig>> ByKey = All.ToDictionary(o => o.Key);

    private static List<ConfigOption<NlpConfig>> Build()
    {
        var list = new List<ConfigOption<NlpConfig>>
        {
            new("model", OptionType.Choice, "model: tagger (LSTM POS tagger) or parser (arc-standard MLP parser)", c => c.Task,
                (c, e) => { if (Str(e) != c.Task) throw new FormatException($"this command trains the {c.Task}, the config says '{Str(e)}'"); }, ["tagger", "parser"]),
            new("data_dir", OptionType.String, "folder with en_ewt-ud-{train,dev,test}.conllu (scripts/fetch-data.sh ud_ewt)", c => c.DataDir, (c, e) => c.DataDir = Str(e)),
            new("train_file", OptionType.String, "training CoNLL-U file (overrides data_dir)", c => c.TrainFile, (c, e) => c.TrainFile = Str(e)),
            new("dev_file", OptionType.String, "dev CoNLL-U file (overrides data_dir)", c => c.DevFile, (c, e) => c.DevFile = Str(e)),
            new("test_file", OptionType.String, "test CoNLL-U file (overrides data_dir)", c => c.TestFile, (c, e) => c.TestFile = Str(e)),
            new("train_limit", OptionType.Int, "use only the first N training sentences (0: all)", c => c.TrainLimit, (c, e) => c.TrainLimit = Int(e)),
            new("min_count", OptionType.Int, "training words seen fewer times share unknown-word signature embeddings", c => c.MinCount, (c, e) => c.MinCount = Int(e)),
            new("embedding_size", OptionType.Int, "embedding size (tagger words; parser words, tags and labels: 50 in Chen and Manning)", c => c.EmbeddingSize, (c, e) => c.EmbeddingSize = Int(e)),
            new("bidirectional", OptionType.Bool, "tagger: a second LSTM reads right to left, hidden states concatenated (default true; --bidirectional false: one LSTM)", c => c.Bidirectional, (c, e) => c.Bidirectional = Bool(e)),
            new("gate_selection", OptionType.Choice, "tagger: per_gate (top-k in each of the 4 gates) or whole (top-4k over all gates)", c => c.GateSelection,
                (c, e) => c.GateSelection = Str(e), ["per_gate", "whole"]),
            new("activation", OptionType.Choice, "parser: hidden activation, cube (Chen and Manning 2014) or relu", c => c.Activation, (c, e) => c.Activation = Str(e), ["cube", "relu"]),
            new("nonprojective", OptionType.Choice, "parser: non-projective training trees are lifted to projective ones (lift) or skipped (skip)", c => c.NonProjective,
                (c, e) => c.NonProjective = Str(e), ["lift", "skip"]),
        };
        foreach (var key in SharedKeys)
        {
            var o = ConfigOptions.ByKey[key];
            list.Add(new ConfigOption<NlpConfig>(o.Key, o.Type, HelpOverrides.GetValueOrDefault(key, o.Help), c => o.Get(c.Common), (c, e) => o.Set(c.Common, e), o.Choices));
        }
        return list;
    }

    private static string Str(JsonElement e) => OptionCatalog.ReadString(e);
    private static bool Bool(JsonElement e) => OptionCatalog.ReadBool(e);
    private static int Int(JsonElement e) => OptionCatalog.ReadInt(e);

    /// <summary>Applies a JSON object's properties; unknown keys and wrong types are one error listing them all.</summary>
    public static void Apply(NlpConfig config, JsonElement obj, string source) => OptionCatalog.Apply(All, ByKey, config, obj, source);

    /// <summary>Reads a JSON config file over the defaults of <paramref name="task"/>.</summary>
    public static NlpConfig Load(string path, string task)
    {
        using var doc = JsonConfigFile.Parse(path);
        var c = new NlpConfig(task);
        Apply(c, doc.RootElement, path);
        c.Source = path;
        return c;
    }

    public static JsonObject ToJson(NlpConfig config) => OptionCatalog.ToJson(All, config);
}
