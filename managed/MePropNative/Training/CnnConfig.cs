using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MePropNative.Models;
using MePropNative.Optimizers;

namespace MePropNative.Training;

/// <summary>
/// Everything that defines a CNN training run (`meprop train cnn`). The JSON config uses the snake_case names of the
/// properties (e.g. {"topk_ratio": 0.05, "decay": 0.6, "batchnorm": true}), the CLI the same names as --kebab-case flags;
/// flags override the file. Defaults are the meProp-CNN paper's MNIST setup: conv 5x5x32 - pool - conv 5x5x64 - pool -
/// fc 1024 - fc 10, Adam (0.001, 0.9, 0.999, 1e-8), batch 10; topk_ratio 1 is dense back propagation.
/// </summary>
public sealed class CnnConfig
{
    // data
    public string DataDir { get; set; } = "data/mnist";
    public int DevSize { get; set; } = 5000;
    public int TrainLimit { get; set; }

    // model
    public int[] ConvChannels { get; set; } = [32, 64];
    public int Kernel { get; set; } = 5;
    public int[] Hidden { get; set; } = [1024];
    [JsonPropertyName("batchnorm")] public bool BatchNorm { get; set; }
    [JsonPropertyName("batchnorm_momentum")] public float BatchNormMomentum { get; set; } = 0.01f;
    public float Dropout { get; set; }

    // meProp-CNN
    [JsonPropertyName("topk_ratio")] public float TopKRatio { get; set; } = 1f;
    public float Decay { get; set; }
    public string[] SparseLayers { get; set; } = ["conv1", "conv2"];

    // optimizer (Adam)
    [JsonPropertyName("lr")] public float LearningRate { get; set; } = 0.001f;
    public float Beta1 { get; set; } = 0.9f;
    public float Beta2 { get; set; } = 0.999f;
    [JsonPropertyName("adam_eps")] public float AdamEpsilon { get; set; } = 1e-8f;
    /// <summary>The learning rate is multiplied by this per epoch, continuously (lr * decay^(step / steps per epoch)); 1: constant.</summary>
    public float LrDecay { get; set; } = 1f;

    // schedule
    public int BatchSize { get; set; } = 10;
    public int Epochs { get; set; } = 3;
    public int EvalsPerEpoch { get; set; } = 1;
    public int EvalBatchSize { get; set; } = 100;
    public string SelectBy { get; set; } = "dev";
    public long Seed { get; set; } = 1;
    public int Threads { get; set; }
    /// <summary>"cpu", "cuda" (device 0) or "cuda:N".</summary>
    public string Device { get; set; } = "cpu";

    // output
    public string? Out { get; set; }
    public bool Resume { get; set; }

    /// <summary>Where the config came from, for the results (not part of the configuration).</summary>
    [JsonIgnore] public string Source { get; set; } = "defaults";

    /// <summary>How <see cref="ToJson"/> names the properties (config files are read through <see cref="Options"/>).</summary>
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Keys whose value may change without changing what a run computes (cached results, checkpoints).</summary>
    public static readonly HashSet<string> RunIndependentKeys = ["out", "resume", "threads", "data_dir", "eval_batch_size"];

    /// <summary>The value of <paramref name="key"/> in a saved configuration (under its earlier name, if it had one), or
    /// the default when it predates the key.</summary>
    public static JsonNode? Saved(JsonObject saved, string key) =>
        saved.TryGetPropertyValue(key, out var v) || (EarlierNames.TryGetValue(key, out var earlier) && saved.TryGetPropertyValue(earlier, out v))
            ? v : new CnnConfig().ToJson()[key];

    /// <summary>Keys renamed since runs were saved: adam_eps was adam_epsilon until it took the other train commands' name.</summary>
    private static readonly Dictionary<string, string> EarlierNames = new() { ["adam_eps"] = "adam_epsilon" };

    public CnnConfig Clone()
    {
        var c = (CnnConfig)MemberwiseClone();
        c.ConvChannels = (int[])ConvChannels.Clone();
        c.Hidden = (int[])Hidden.Clone();
        c.SparseLayers = (string[])SparseLayers.Clone();
        return c;
    }

    public JsonObject ToJson() => JsonSerializer.SerializeToNode(this, Json)!.AsObject();

    /// <summary>The JSON key of a property: its <see cref="JsonPropertyNameAttribute"/>, else its snake_case name.</summary>
    public static string KeyOf(PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);

    /// <summary>The configuration's properties (not <see cref="Source"/>), in declaration order.</summary>
    public static readonly IReadOnlyList<PropertyInfo> Properties = typeof(CnnConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && p.GetCustomAttribute<JsonIgnoreAttribute>() is null).ToList();

    private static readonly Dictionary<string, string> OptionHelp = new()
    {
        ["data_dir"] = "MNIST folder (scripts/fetch-data.sh installs it into data/mnist)",
        ["dev_size"] = "the first N training images are the dev set",
        ["train_limit"] = "use only N training examples (0: all)",
        ["conv_channels"] = "output channels of the conv layers",
        ["kernel"] = "conv kernel size (same padding, stride 1)",
        ["hidden"] = "hidden fully connected layer sizes",
        ["batchnorm"] = "BatchNorm after every conv and hidden fc layer (batch statistics in training, running estimates at inference)",
        ["batchnorm_momentum"] = "weight of the batch statistic in the running estimates",
        ["dropout"] = "dropout rate after the hidden fc layers",
        ["topk_ratio"] = "fraction of each feature map's (and each sparsified fc layer's) gradient that is propagated; 1 = dense",
        ["decay"] = "decay selection: top-k on decay * run_grad + (1 - decay) * |dy| (0 = plain top-k)",
        ["sparse_layers"] = "layers meProp sparsifies",
        ["lr"] = "Adam learning rate",
        ["beta1"] = "Adam beta1",
        ["beta2"] = "Adam beta2",
        ["adam_eps"] = "Adam epsilon",
        ["lr_decay"] = "multiply the learning rate by this per epoch, continuously (1: constant)",
        ["batch_size"] = "mini-batch size",
        ["epochs"] = "training epochs",
        ["evals_per_epoch"] = "dev/test evaluations per epoch",
        ["eval_batch_size"] = "batch size of the evaluations",
        ["select_by"] = "report the test accuracy of the best dev evaluation (dev) or of the last (last)",
        ["seed"] = "run seed (initialization, shuffling, dropout)",
        ["threads"] = "libmeprop threads (0: its default)",
        ["device"] = "where to train: cpu, cuda (device 0) or cuda:N",
        ["out"] = "folder for results.json, results.csv and checkpoint.bin",
        ["resume"] = "continue from OUT/checkpoint.bin when it exists",
    };

    /// <summary>Every option, for config files and command-line flags alike, read with the checks and messages of the
    /// other `train` commands' configs (unknown keys listed with the valid ones, a wrong type named with its key, null
    /// keeps the default). The help shows each default.</summary>
    public static readonly IReadOnlyList<ConfigOption<CnnConfig>> Options = BuildOptions();

    private static readonly Dictionary<string, ConfigOption<CnnConfig>> OptionsByKey = Options.ToDictionary(o => o.Key);

    private static List<ConfigOption<CnnConfig>> BuildOptions()
    {
        var defaults = new CnnConfig().ToJson();
        return Properties.Select(p =>
        {
            string key = KeyOf(p);
            string? shown = defaults[key] switch { null => null, JsonArray a => string.Join(",", a.Select(n => n!.ToString())), var v => v.ToString() };
            string help = OptionHelp[key] + (shown is null || p.PropertyType == typeof(bool) ? "" : $" (default {shown})");
            string? placeholder = key switch { "device" => "cpu|cuda|cuda:N", "select_by" => "dev|last", _ => null };
            return new ConfigOption<CnnConfig>(key, OptionTypeOf(p.PropertyType), help, c => p.GetValue(c),
                (c, e) => p.SetValue(c, Read(p.PropertyType, e)), Placeholder: placeholder);
        }).ToList();
    }

    public static CnnConfig Load(string path)
    {
        using var doc = JsonConfigFile.Parse(path);
        var c = new CnnConfig();
        OptionCatalog.Apply(Options, OptionsByKey, c, doc.RootElement, path);
        c.Source = path;
        return c;
    }

    private static OptionType OptionTypeOf(Type t) =>
        t == typeof(int) ? OptionType.Int : t == typeof(long) ? OptionType.Long : t == typeof(float) ? OptionType.Float : t == typeof(bool) ? OptionType.Bool
        : t == typeof(int[]) ? OptionType.IntList : t == typeof(string[]) ? OptionType.StringList : OptionType.String;

    private static object Read(Type t, JsonElement e) => OptionTypeOf(t) switch
    {
        OptionType.Int => OptionCatalog.ReadInt(e),
        OptionType.Long => OptionCatalog.ReadLong(e),
        OptionType.Float => OptionCatalog.ReadFloat(e),
        OptionType.Bool => OptionCatalog.ReadBool(e),
        OptionType.IntList => OptionCatalog.ReadIntList(e),
        OptionType.StringList => OptionCatalog.ReadStringList(e),
        _ => OptionCatalog.ReadString(e),
    };

    [JsonIgnore] public bool IsDense => TopKRatio >= 1f;

    public CnnOptions ToCnnOptions() => new()
    {
        ConvChannels = ConvChannels,
        Kernel = Kernel,
        Hidden = Hidden,
        BatchNorm = BatchNorm,
        BatchNormMomentum = BatchNormMomentum,
        Dropout = Dropout,
        TopKRatio = TopKRatio,
        Decay = Decay,
        SparseLayers = SparseLayers,
        Seed = (ulong)Seed,
    };

    public OptimizerOptions ToOptimizerOptions() => new()
    {
        Kind = OptimizerKind.Adam,
        LearningRate = LearningRate,
        Beta1 = Beta1,
        Beta2 = Beta2,
        AdamEpsilon = AdamEpsilon,
    };

    /// <summary>The config key of each optimizer option this config sets (the others keep their valid defaults).</summary>
    private static readonly Dictionary<string, string> OptimizerKeys = new()
    {
        [nameof(OptimizerOptions.LearningRate)] = "lr",
        [nameof(OptimizerOptions.Beta1)] = "beta1",
        [nameof(OptimizerOptions.Beta2)] = "beta2",
        [nameof(OptimizerOptions.AdamEpsilon)] = "adam_eps",
    };

    public List<string> Problems()
    {
        var p = new List<string>();
        p.AddRange(DevSetRule.Problems(DevSize, SelectBy, patience: 0));
        if (TrainLimit < 0) p.Add($"train_limit = {TrainLimit} must be >= 0.");
        if (ConvChannels.Length == 0 || ConvChannels.Any(c => c < 1)) p.Add("conv_channels must list >= 1 positive channel counts.");
        if (Kernel < 1) p.Add($"kernel = {Kernel} must be >= 1.");
        if (Kernel > ImageSide) p.Add($"kernel = {Kernel} is larger than the {ImageSide} x {ImageSide} images.");
        if (Hidden.Any(h => h < 1)) p.Add("hidden sizes must be >= 1.");
        if (Kernel is >= 1 && Kernel <= ImageSide && ConvChannels.Length > 0 && ConvChannels.All(c => c >= 1) && Hidden.All(h => h >= 1)) p.AddRange(LayerSizeProblems());
        if (BatchNormMomentum is not (> 0 and <= 1)) p.Add($"batchnorm_momentum = {BatchNormMomentum} must be in (0, 1].");
        if (Dropout is not (>= 0 and < 1)) p.Add($"dropout = {Dropout} must be in [0, 1).");
        if (TopKRatio is not (> 0 and <= 1)) p.Add($"topk_ratio = {TopKRatio} must be in (0, 1] (1: dense).");
        if (Decay is not (>= 0 and < 1)) p.Add($"decay = {Decay} must be in [0, 1).");
        var names = new CnnOptions { ConvChannels = ConvChannels, Hidden = Hidden }.LayerNames.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var l in SparseLayers.Where(l => !names.Contains(l)))
            p.Add($"sparse_layers: no layer '{l}' (layers: {string.Join(", ", names)}).");
        foreach (var (option, value, range) in ToOptimizerOptions().OutOfRange()) p.Add($"{OptimizerKeys[option]} = {value} must be {range}.");
        if (LrDecay is not (> 0 and <= 1)) p.Add($"lr_decay = {LrDecay} must be in (0, 1].");
        if (BatchSize < 1) p.Add($"batch_size = {BatchSize} must be >= 1.");
        if (BatchNorm && BatchSize < 2) p.Add("batchnorm needs batch_size >= 2.");
        if (Epochs < 1) p.Add($"epochs = {Epochs} must be >= 1.");
        if (EvalsPerEpoch < 1) p.Add($"evals_per_epoch = {EvalsPerEpoch} must be >= 1.");
        if (EvalBatchSize < 1) p.Add($"eval_batch_size = {EvalBatchSize} must be >= 1.");
        if (SelectBy is not ("dev" or "last")) p.Add($"select_by = '{SelectBy}' must be dev or last.");
        if (Threads < 0) p.Add($"threads = {Threads} must be >= 0 (0: the library's default).");
        p.AddRange(DeviceOptions.Problems(Device, "default", autoCandidates: null));
        if (Out == "") p.Add("out is an empty path (leave it out for no results folder).");
        if (Resume && Out is null) p.Add("resume needs out (its checkpoint.bin is resumed).");
        return p;
    }

    /// <summary>The side of the MNIST images the CNN takes.</summary>
    private const int ImageSide = 28;

    /// <summary>Each conv layer keeps its input's size (same padding) and its 2 x 2 pooling halves it, so the images
    /// must not shrink to nothing; every layer's weights must fit one tensor (<see cref="ParameterLimit"/>), and so must
    /// every work tensor of one image.</summary>
    private IEnumerable<string> LayerSizeProblems()
    {
        int side = ImageSide >> ConvChannels.Length;
        if (side == 0)
        {
            yield return $"conv_channels lists {ConvChannels.Length} conv layers: the {ImageSide} x {ImageSide} images shrink to nothing after " +
                $"{ConvChannels.Length} 2 x 2 poolings (at most {(int)Math.Log2(ImageSide)} conv layers).";
            yield break;
        }
        string channels = $"conv_channels = [{string.Join(", ", ConvChannels)}]";
        for (int i = 0; i < ConvChannels.Length; i++)
            if (ParameterLimit.Problem(channels + $", kernel = {Kernel}", $"conv{i + 1}", ConvChannels[i], (long)Kernel * Kernel * (i == 0 ? 1 : ConvChannels[i - 1])) is { } conv)
                yield return conv;
        long[] sizes = [(long)side * side * ConvChannels[^1], .. Hidden, 10];
        for (int i = 1; i < sizes.Length; i++)
            if (ParameterLimit.Problem(i == 1 ? $"{channels}, hidden = [{string.Join(", ", Hidden)}]" : $"hidden = [{string.Join(", ", Hidden)}]",
                    $"fc{i}", sizes[i], sizes[i - 1]) is { } fc)
                yield return fc;
        // batch_size and eval_batch_size are checked against this once the data is read (BatchSizeLimit); one image must fit
        var widest = ToCnnOptions().WidestRow();
        if (widest.Values > ParameterLimit.MaxValues)
            yield return $"{channels}, kernel = {Kernel}: one image needs {widest.Values} values in {widest.Tensor}, more than one tensor holds ({ParameterLimit.MaxValues}).";
    }

    public void Validate()
    {
        ConfigException.ThrowIfAny(Problems());
    }

    public string? CheckpointPath() => Out is null ? null : Path.Combine(Out, "checkpoint.bin");

    /// <summary>"cnn-dense", "cnn-top5-decay0.6-bn", ...</summary>
    public string RunName()
    {
        var inv = CultureInfo.InvariantCulture;
        string name = IsDense ? "cnn-dense" : $"cnn-top{(TopKRatio * 100).ToString("0.##", inv)}" + (Decay > 0 ? $"-decay{Decay.ToString("0.##", inv)}" : "");
        if (!IsDense && !SparseLayers.Order(StringComparer.OrdinalIgnoreCase).SequenceEqual(["conv1", "conv2"], StringComparer.OrdinalIgnoreCase))
            name += "-sparse-" + string.Join("-", SparseLayers);
        if (LrDecay != 1f) name += $"-lrdecay{LrDecay.ToString("0.##", inv)}";
        return BatchNorm ? name + "-bn" : name;
    }
}
