using System.Text.Json;
using MePropNative.MeProp;
using MePropNative.Optimizers;

namespace MePropNative.Training;

/// <summary>
/// Reads the configuration files of the original meProp/meSimp C# program (lancopku/meProp, src/csharp/nnmnist/Config.cs:
/// PascalCase keys such as HiddenSize, Layers, MinibatchSize, NetType), so their experiments can be rerun. Keys the
/// file leaves out take the original program's defaults (its Config constructor), not ours.
/// </summary>
public static class LegacyConfig
{
    /// <summary>The original program's keys, with what each becomes here.</summary>
    public static readonly IReadOnlyDictionary<string, string> Keys = new Dictionary<string, string>
    {
        ["ClipBound"] = "clip_value (element-wise gradient clipping; 0 = off)",
        ["DecayRate"] = "lr_decay for sgd (the original decays lr by DecayRate^(updates/examples); lr_decay = DecayRate^(1/MinibatchSize) per epoch is the same)",
        ["Eps"] = "adagrad_eps",
        ["HiddenSize"] = "hidden (every hidden layer)",
        ["IterPerEpoch"] = "evals_per_epoch (and meSimp pruning points per epoch)",
        ["L2RegFactor"] = "l2",
        ["LabelCount"] = "classes",
        ["Layers"] = "number of linear layers including the output layer: hidden has Layers - 1 entries",
        ["LearningRate"] = "lr for sgd and adagrad (the original's Adam always used 0.001)",
        ["MaxEpoch"] = "epochs",
        ["MinibatchSize"] = "batch_size",
        ["NetType"] = "mlp -> dense, mlptop -> topk, mlprand -> random, mlpvar -> topk + mesimp",
        ["OptType"] = "optimizer (sgd is plain SGD: momentum 0)",
        ["Prune"] = "mesimp_threshold",
        ["RandomSeed"] = "seed (-1: a fresh seed, recorded in the results)",
        ["TestFile"] = "test_images",
        ["TestLabelFile"] = "test_labels",
        ["TrainCycle"] = "mesimp_cycle",
        ["TrainFile"] = "train_images",
        ["TrainLabelFile"] = "train_labels",
        ["TrainTop"] = "k",
    };

    /// <summary>True when the object uses the original program's keys (any key starting with an upper-case letter).</summary>
    public static bool Looks(JsonElement obj) =>
        obj.ValueKind == JsonValueKind.Object && obj.EnumerateObject().Any(p => p.Name.Length > 0 && char.IsUpper(p.Name[0]));

    /// <param name="baseDirectory">folder that relative file names are resolved against (the config file's)</param>
    public static TrainConfig Read(JsonElement obj, string source, string baseDirectory, string dataDir = "data/mnist")
    {
        var unknown = obj.EnumerateObject().Select(p => p.Name).Where(n => !Keys.ContainsKey(n)).ToList();
        if (unknown.Count > 0)
            throw new ConfigException($"{source}: unknown key(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))} in a config of the original " +
                $"meProp program. Valid keys: {string.Join(", ", Keys.Keys)}. (Or use this program's keys: {string.Join(", ", ConfigOptions.All.Select(o => o.Key))}; the two cannot be mixed.)");

        var v = obj.EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
        var errors = new List<string>();
        T Get<T>(string key, T fallback, Func<JsonElement, T> read)
        {
            if (!v.TryGetValue(key, out var e) || e.ValueKind == JsonValueKind.Null) return fallback;
            try { return read(e); }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException) { errors.Add($"{key}: {ex.Message} (got {e.GetRawText()})"); return fallback; }
        }
        float F(JsonElement e) => (float)e.GetDouble();
        int I(JsonElement e) => e.GetInt32();
        string S(JsonElement e) => e.GetString() ?? throw new FormatException("expected a string");

        // The original program's defaults (Config()).
        int minibatch = Get("MinibatchSize", 100, I);
        int hiddenSize = Get("HiddenSize", 500, I);
        int layers = Get("Layers", 3, I);
        string netType = Get("NetType", "mlp", S);
        string optType = Get("OptType", "adam", S);
        int seed = Get("RandomSeed", -1, I);

        var c = new TrainConfig
        {
            Source = source,
            DataDir = dataDir,
            ClipValue = Get("ClipBound", 5f, F),
            AdaGradEpsilon = Get("Eps", 1e-6f, F),
            EvalsPerEpoch = Get("IterPerEpoch", 8, I),
            L2 = Get("L2RegFactor", 0f, F),
            Classes = Get("LabelCount", 10, I),
            Epochs = Get("MaxEpoch", 20, I),
            BatchSize = minibatch,
            MeSimpThreshold = Get("Prune", 0.1f, F),
            MeSimpCycle = Get("TrainCycle", 5, I),
            K = [Get("TrainTop", 160, I)],
            Seed = seed >= 0 ? seed : Environment.TickCount64 & 0x7FFFFFFF,
            DevSize = 5000,
            Dropout = 0, // the original program had no dropout
        };
        if (layers < 2) errors.Add($"Layers = {layers}: this program's MLP has at least one hidden layer (Layers >= 2).");
        c.Hidden = Enumerable.Repeat(hiddenSize, Math.Max(1, layers - 1)).ToArray();

        switch (netType)
        {
            case "mlp": c.Strategy = StrategyKind.Dense; break;
            case "mlptop": c.Strategy = StrategyKind.TopK; break;
            case "mlprand": c.Strategy = StrategyKind.Random; break;
            case "mlpvar": c.Strategy = StrategyKind.TopK; c.MeSimp = true; break;
            default: errors.Add($"NetType '{netType}' is not one of mlp, mlptop, mlprand, mlpvar."); break;
        }
        switch (optType)
        {
            case "adam": c.Optimizer = OptimizerKind.Adam; c.LearningRate = 0.001f; break;
            case "adagrad": c.Optimizer = OptimizerKind.AdaGrad; c.LearningRate = Get("LearningRate", 0.001f, F); break;
            case "sgd":
                c.Optimizer = OptimizerKind.Sgd;
                c.Momentum = 0;
                c.L2 = 0; // the original's Sgd.Update never read L2RegFactor (its Adam and AdaGrad added it to the gradient)
                c.LearningRate = Get("LearningRate", 0.001f, F);
                c.LearningRateDecay = MathF.Pow(Get("DecayRate", 0.09f, F), 1f / minibatch);
                break;
            default: errors.Add($"OptType '{optType}' is not one of sgd, adagrad, adam."); break;
        }

        string? File(string key)
        {
            string? f = Get<string?>(key, null, S);
            if (f is null) return null;
            string p = Path.IsPathRooted(f) ? f : Path.Combine(baseDirectory, f);
            if (System.IO.File.Exists(p)) return p;
            // The original expected the MNIST files next to its executable, named train-images.idx3-ubyte etc.;
            // fall back to the installed copy when the file name is one of those.
            string canonical = Path.GetFileName(f).Replace(".idx", "-idx");
            string installed = Path.Combine(dataDir, canonical);
            return Data.MnistFiles.Names.Contains(canonical) && System.IO.File.Exists(installed) ? installed : p;
        }
        c.TrainImages = File("TrainFile");
        c.TrainLabels = File("TrainLabelFile");
        c.TestImages = File("TestFile");
        c.TestLabels = File("TestLabelFile");

        if (errors.Count > 0) throw new ConfigException($"{source}: " + string.Join("\n  ", errors));
        return c;
    }
}
