using System.Text.Json;
using System.Text.Json.Nodes;
using MePropNative.MeProp;
using MePropNative.Nlp.Training;
using MePropNative.Optimizers;
using MePropNative.Training;

namespace MePropNative.Tests.Cli;

public class ConfigTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("meprop-config-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string json)
    {
        string p = Path.Combine(dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(p, json);
        return p;
    }

    [Fact]
    public void ARecordedConfigReadsBackToTheSameValues()
    {
        // results.json records the config; feeding it back must give the same run (an Adam epsilon of 1e-8 once read 0)
        var original = new TrainConfig { AdamEpsilon = 1e-8f, LearningRate = 0.001f, MemoryRatio = 0.8f, Dropout = 0.1f };
        var json = ConfigOptions.ToJson(original);
        Assert.Equal(1e-8, json["adam_eps"]!.GetValue<double>());
        var back = ConfigLoader.Load(Write(json.ToJsonString()));
        Assert.Equal(1e-8f, back.AdamEpsilon);
        Assert.True(JsonNode.DeepEquals(ConfigOptions.ToJson(back), json));
    }

    [Fact]
    public void OptionValuesOfEarlierFilesRoundedTo7DecimalsStillMatch()
    {
        Assert.True(OptionCatalog.SameValue(JsonValue.Create(1e-8), JsonNode.Parse("0")));
        Assert.True(OptionCatalog.SameValue(JsonValue.Create(0.1), JsonNode.Parse("0.1")));
        Assert.False(OptionCatalog.SameValue(JsonValue.Create(0.001), JsonNode.Parse("0.002")));
        Assert.False(OptionCatalog.SameValue(JsonValue.Create("adam"), JsonNode.Parse("\"sgd\"")));
    }

    [Fact]
    public void ReadsThisProgramsKeys()
    {
        var c = ConfigLoader.Load(Write("""{ "strategy": "unified", "k": [30, 40], "hidden": [300, 200], "epochs": 3, "lr": 0.002, "mesimp": false }"""));
        Assert.Equal(StrategyKind.Unified, c.Strategy);
        Assert.Equal([30, 40], c.K);
        Assert.Equal([300, 200], c.Hidden);
        Assert.Equal(3, c.Epochs);
        Assert.Equal(0.002f, c.LearningRate);
        c.Validate();
    }

    [Fact]
    public void AnUnknownKeyIsAnErrorThatListsTheValidKeys()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("""{ "epochs": 3, "learning_rate": 0.1 }""")));
        Assert.Contains("unknown key(s) 'learning_rate'", e.Message);
        foreach (var o in ConfigOptions.All) Assert.Contains(o.Key, e.Message);
    }

    [Fact]
    public void WrongTypesAndValuesAreClearErrors()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("""{ "epochs": "three" }""")));
        Assert.Contains("epochs: expected an integer", e.Message);
        var bad = ConfigLoader.Load(Write("""{ "k": 0, "dropout": 1.5, "strategy": "topk" }"""));
        var v = Assert.Throws<ConfigException>(bad.Validate);
        Assert.Contains("k must be >= 1", v.Message);
        Assert.Contains("dropout = 1.5", v.Message);
        var s = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("""{ "strategy": "fastest" }""")));
        Assert.Contains("unknown strategy 'fastest'", s.Message);
        var json = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("""{ "epochs": """)));
        Assert.Contains("not valid JSON", json.Message);
    }

    [Fact]
    public void AKeyGivenTwiceIsAnErrorInEveryConfig()
    {
        string path = Write("""{ "epochs": 3, "epochs": 4 }""");
        Assert.Contains("Duplicate property 'epochs'", Assert.Throws<ConfigException>(() => ConfigLoader.Load(path)).Message);
        Assert.Contains("Duplicate property 'epochs'", Assert.Throws<ConfigException>(() => MePropNative.Nlp.Training.NlpConfigOptions.Load(path, "tagger")).Message);
        Assert.Contains("Duplicate property 'epochs'", Assert.Throws<ConfigException>(() => CnnConfig.Load(path)).Message);
    }

    [Fact]
    public void TheCnnConfigReportsWhatTheOtherConfigsReport()
    {
        var unknown = Assert.Throws<ConfigException>(() => CnnConfig.Load(Write("""{ "epochs": 3, "learning_rate": 0.1 }""")));
        Assert.Contains("unknown key(s) 'learning_rate'. Valid keys: data_dir, dev_size,", unknown.Message);
        foreach (var p in CnnConfig.Properties) Assert.Contains(CnnConfig.KeyOf(p), unknown.Message);
        var types = Assert.Throws<ConfigException>(() => CnnConfig.Load(Write("""{ "epochs": "three", "sparse_layers": [1], "batchnorm": 1 }""")));
        Assert.Contains("epochs: expected an integer, got \"three\"", types.Message);
        Assert.Contains("sparse_layers: expected a string, got 1", types.Message);
        Assert.Contains("batchnorm: expected true or false, got 1", types.Message);
        Assert.Contains("the config must be a JSON object", Assert.Throws<ConfigException>(() => CnnConfig.Load(Write("[1]"))).Message);
        var c = CnnConfig.Load(Write("""{ "topk_ratio": null, "sparse_layers": "fc1", "hidden": 64, "out": null }"""));
        Assert.Equal(new CnnConfig().TopKRatio, c.TopKRatio); // null keeps the default, as in the other configs
        Assert.Equal(["fc1"], c.SparseLayers);
        Assert.Equal([64], c.Hidden);
        Assert.Null(c.Out);
    }

    [Fact]
    public void FlagsAreReadTheSameWayByEveryCatalogIntegersExactly()
    {
        var mlp = new TrainConfig();
        ConfigOptions.ByKey["seed"].SetFromFlag(mlp, "9007199254740993"); // 2^53 + 1: a double would make it 2^53
        Assert.Equal(9007199254740993L, mlp.Seed);
        var nlp = new MePropNative.Nlp.Training.NlpConfig("parser");
        MePropNative.Nlp.Training.NlpConfigOptions.ByKey["seed"].SetFromFlag(nlp, "-9007199254740993");
        Assert.Equal(-9007199254740993L, nlp.Common.Seed);
        var cnn = new CnnConfig();
        var cnnOptions = CnnConfig.Options.ToDictionary(o => o.Key);
        cnnOptions["seed"].SetFromFlag(cnn, "9007199254740993");
        Assert.Equal(9007199254740993L, cnn.Seed);
        cnnOptions["conv_channels"].SetFromFlag(cnn, "4, 8");
        Assert.Equal([4, 8], cnn.ConvChannels);
        cnnOptions["topk_ratio"].SetFromFlag(cnn, "0.05");
        Assert.Equal(0.05f, cnn.TopKRatio);

        foreach (var (option, text, expected) in new[]
                 {
                     (ConfigOptions.ByKey["epochs"], "2.5", "--epochs 2.5: expected an integer, got 2.5"),
                     (ConfigOptions.ByKey["epochs"], "1e1", "--epochs 1e1: expected an integer, got 1e1"),
                     (ConfigOptions.ByKey["dev_size"], "3000000000", "--dev-size 3000000000: expected an integer from -2147483648 to 2147483647, got 3000000000"),
                     (ConfigOptions.ByKey["seed"], "99999999999999999999", "--seed 99999999999999999999: expected an integer, got 99999999999999999999"),
                     (ConfigOptions.ByKey["hidden"], "500,a", "--hidden 500,a: expected an integer, got a"),
                     (ConfigOptions.ByKey["lr"], "NaN", "--lr NaN: not a finite number."),
                 })
            Assert.Equal(expected, Assert.Throws<ConfigException>(() => option.SetFromFlag(new TrainConfig(), text)).Message);
        Assert.Equal("--epochs 2.5: expected an integer, got 2.5",
            Assert.Throws<ConfigException>(() => cnnOptions["epochs"].SetFromFlag(new CnnConfig(), "2.5")).Message);
        Assert.Equal("--hidden 8,x: expected an integer, got x",
            Assert.Throws<ConfigException>(() => cnnOptions["hidden"].SetFromFlag(new CnnConfig(), "8,x")).Message);
        Assert.Equal("--beta1 inf: expected a number, got inf",
            Assert.Throws<ConfigException>(() => cnnOptions["beta1"].SetFromFlag(new CnnConfig(), "inf")).Message);
    }

    [Fact]
    public void TheOriginalProgramsKeysMapOntoThisProgram()
    {
        var c = ConfigLoader.Load(Write("""
        {
          "ClipBound": 5.0, "DecayRate": 0.09, "Eps": 1E-06, "HiddenSize": 300, "IterPerEpoch": 8, "L2RegFactor": 0.0001,
          "LabelCount": 10, "Layers": 4, "LearningRate": 0.01, "MaxEpoch": 12, "MinibatchSize": 50, "NetType": "mlpvar",
          "OptType": "adam", "Prune": 0.1, "RandomSeed": 7, "TestFile": "t10k-images.idx3-ubyte", "TestLabelFile": "t10k-labels.idx1-ubyte",
          "TrainCycle": 5, "TrainFile": "train-images.idx3-ubyte", "TrainLabelFile": "train-labels.idx1-ubyte", "TrainTop": 160
        }
        """));
        Assert.Equal([300, 300, 300], c.Hidden);
        Assert.Equal(StrategyKind.TopK, c.Strategy);
        Assert.True(c.MeSimp);
        Assert.Equal([160], c.K);
        Assert.Equal(0.1f, c.MeSimpThreshold);
        Assert.Equal(5, c.MeSimpCycle);
        Assert.Equal(8, c.EvalsPerEpoch);
        Assert.Equal(12, c.Epochs);
        Assert.Equal(50, c.BatchSize);
        Assert.Equal(5f, c.ClipValue);
        Assert.Equal(0.0001f, c.L2);
        Assert.Equal(7, c.Seed);
        Assert.Equal(0f, c.Dropout);
        Assert.Equal(OptimizerKind.Adam, c.Optimizer);
        Assert.Equal(0.001f, c.LearningRate); // the original's Adam ignored LearningRate
        Assert.EndsWith("train-images.idx3-ubyte", c.TrainImages);
        c.Validate();

        var sgd = ConfigLoader.Load(Write("""{ "NetType": "mlptop", "OptType": "sgd", "LearningRate": 0.1, "DecayRate": 0.5, "MinibatchSize": 10 }"""));
        Assert.Equal(OptimizerKind.Sgd, sgd.Optimizer);
        Assert.Equal(0f, sgd.Momentum);
        Assert.Equal(0.1f, sgd.LearningRate);
        Assert.Equal(MathF.Pow(0.5f, 0.1f), sgd.LearningRateDecay, 6);
        Assert.Equal([500, 500], sgd.Hidden); // the original's defaults: HiddenSize 500, Layers 3
        Assert.Equal(StrategyKind.Random, ConfigLoader.Load(Write("""{ "NetType": "mlprand" }""")).Strategy);
        Assert.Equal(StrategyKind.Dense, ConfigLoader.Load(Write("""{ "NetType": "mlp" }""")).Strategy);
    }

    /// <summary>Keys an original config leaves out take the original program's defaults (its Config constructor:
    /// MinibatchSize 100, MaxEpoch 20, IterPerEpoch 8, LabelCount 10, ClipBound 5, Eps 1e-6, L2RegFactor 0,
    /// HiddenSize 500, Layers 3, TrainTop 160, Prune 0.1, TrainCycle 5, DecayRate 0.09, LearningRate 0.001, OptType adam),
    /// not this program's; a RandomSeed of 0 is a seed (only a negative one asks for a fresh one).</summary>
    [Fact]
    public void KeysAnOriginalConfigLeavesOutTakeTheOriginalProgramsDefaults()
    {
        var c = ConfigLoader.Load(Write("""{ "NetType": "mlptop", "RandomSeed": 0 }"""));
        Assert.Equal((100, 20, 8, 10), (c.BatchSize, c.Epochs, c.EvalsPerEpoch, c.Classes));
        Assert.Equal((5f, 1e-6f, 0f), (c.ClipValue, c.AdaGradEpsilon, c.L2));
        Assert.Equal([500, 500], c.Hidden);
        Assert.Equal([160], c.K);
        Assert.Equal((0.1f, 5, false), (c.MeSimpThreshold, c.MeSimpCycle, c.MeSimp));
        Assert.Equal((OptimizerKind.Adam, 0.001f, 1f), (c.Optimizer, c.LearningRate, c.LearningRateDecay));
        Assert.Equal((0L, 0f, 5000), (c.Seed, c.Dropout, c.DevSize));
        Assert.Null(c.TrainImages);
        c.Validate();

        // L2RegFactor as the original's optimizers used it: added to the gradient by Adam and AdaGrad, never read by SGD
        Assert.Equal(0.01f, ConfigLoader.Load(Write("""{ "OptType": "adam", "L2RegFactor": 0.01 }""")).L2);
        Assert.Equal(0.01f, ConfigLoader.Load(Write("""{ "OptType": "adagrad", "L2RegFactor": 0.01 }""")).L2);
        Assert.Equal(0f, ConfigLoader.Load(Write("""{ "OptType": "sgd", "L2RegFactor": 0.01 }""")).L2);

        var sgd = ConfigLoader.Load(Write("""{ "OptType": "sgd", "RandomSeed": 3 }"""));
        Assert.Equal((OptimizerKind.Sgd, 0.001f, 0f), (sgd.Optimizer, sgd.LearningRate, sgd.Momentum));
        Assert.Equal(MathF.Pow(0.09f, 1f / 100), sgd.LearningRateDecay, 6);
        Assert.Equal(3, sgd.Seed);
        var adagrad = ConfigLoader.Load(Write("""{ "OptType": "adagrad", "LearningRate": 0.05, "DecayRate": 0.5, "Eps": 1e-4 }"""));
        Assert.Equal((OptimizerKind.AdaGrad, 0.05f, 1e-4f), (adagrad.Optimizer, adagrad.LearningRate, adagrad.AdaGradEpsilon));
        Assert.Equal(1f, adagrad.LearningRateDecay); // the original decayed only SGD's rate
        Assert.InRange(ConfigLoader.Load(Write("""{ "RandomSeed": -1 }""")).Seed, 0, int.MaxValue);
    }

    [Fact]
    public void EachOfTheOriginalFileKeysSetsItsOwnFile()
    {
        var c = ConfigLoader.Load(Write("""
        { "TrainFile": "a-images.bin", "TrainLabelFile": "a-labels.bin", "TestFile": "b-images.bin", "TestLabelFile": "b-labels.bin" }
        """));
        Assert.Equal(Path.Combine(dir, "a-images.bin"), c.TrainImages); // relative to the config's folder
        Assert.Equal(Path.Combine(dir, "a-labels.bin"), c.TrainLabels);
        Assert.Equal(Path.Combine(dir, "b-images.bin"), c.TestImages);
        Assert.Equal(Path.Combine(dir, "b-labels.bin"), c.TestLabels);
    }

    [Fact]
    public void AConfigMixingTheOriginalKeysWithThisProgramsIsReadAsAnOriginalOneAndRefused()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("""{ "HiddenSize": 100, "epochs": 3 }""")));
        Assert.Contains("unknown key(s) 'epochs' in a config of the original meProp program", e.Message);
        Assert.Contains("the two cannot be mixed", e.Message);
    }

    [Fact]
    public void AnUnknownKeyInAnOriginalConfigListsTheOriginalKeys()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("""{ "HiddenSize": 100, "Dropout": 0.5 }""")));
        Assert.Contains("'Dropout'", e.Message);
        foreach (var k in LegacyConfig.Keys.Keys) Assert.Contains(k, e.Message);
        var net = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("""{ "NetType": "cnn" }""")));
        Assert.Contains("NetType 'cnn'", net.Message);
    }

    /// <summary>The keys of a tagger or parser config that the file leaves out: the papers' settings (tagger top-10 per
    /// gate, parser top-20 of 500 hidden units, Chen and Manning's 50-wide embeddings), not train mlp's defaults.</summary>
    [Fact]
    public void TaggerAndParserConfigsTakeTheirOwnDefaultsForKeysTheyLeaveOut()
    {
        var parser = NlpConfigOptions.Load(Write("""{ "model": "parser", "epochs": 2 }"""), "parser");
        var p = parser.Common;
        Assert.Equal(2, p.Epochs);
        Assert.Equal((StrategyKind.TopK, 20, 500), (p.Strategy, p.K.Single(), p.Hidden.Single()));
        Assert.Equal((256, 4000, 0.1f, 5f, 0.001f), (p.BatchSize, p.EvalBatchSize, p.Dropout, p.ClipNorm, p.LearningRate));
        Assert.Equal((0.05f, 1), (p.MeSimpThreshold, p.MeSimpCycle));
        Assert.Equal((50, 2, "cube", "lift"), (parser.EmbeddingSize, parser.MinCount, parser.Activation, parser.NonProjective));
        Assert.Equal(Path.Combine("data/ud-english-ewt", "en_ewt-ud-train.conllu"), parser.TrainPath);

        var tagger = NlpConfigOptions.Load(Write("""{ "model": "tagger" }"""), "tagger");
        var t = tagger.Common;
        Assert.Equal((StrategyKind.TopK, 10, 500), (t.Strategy, t.K.Single(), t.Hidden.Single()));
        Assert.Equal((32, 128, 0f, 4), (t.BatchSize, t.EvalBatchSize, t.Dropout, t.Epochs));
        Assert.Equal((100, 2, true, "per_gate"), (tagger.EmbeddingSize, tagger.MinCount, tagger.Bidirectional, tagger.GateSelection));
    }

    /// <summary>Every training option of train mlp but its data, device and output-layer keys is a tagger and parser
    /// option too, under the same key, and sets the run's shared options.</summary>
    [Fact]
    public void TheTaggerAndParserConfigsTakeEverySharedTrainingOption()
    {
        string[] notShared = ["model", "dataset", "data_dir", "train_images", "train_labels", "test_images", "test_labels", "dev_size", "train_limit",
            "classes", "device", "sparse_algorithm", "auto_candidates"];
        var source = new TrainConfig
        {
            Hidden = [64], Dropout = 0.3f, Strategy = StrategyKind.Msbp, K = [7], OutputK = 3, MemoryRatio = 0.5f, Optimizer = OptimizerKind.Sgd,
            LearningRate = 0.02f, Beta1 = 0.8f, Beta2 = 0.99f, AdamEpsilon = 1e-7f, AdaGradEpsilon = 1e-5f, Momentum = 0.5f, L2 = 0.001f, ClipValue = 2,
            ClipNorm = 3, LearningRateDecay = 0.9f, BatchSize = 17, Epochs = 6, EvalsPerEpoch = 2, SelectBy = "last", Patience = 2, Seed = 9, Threads = 1,
            EvalBatchSize = 33, MeSimp = true, MeSimpThreshold = 0.2f, MeSimpCycle = 3, Out = "o", Checkpoint = "c", Resume = true,
        };
        var all = ConfigOptions.ToJson(source);
        var shared = new JsonObject();
        foreach (var o in ConfigOptions.All.Where(o => !notShared.Contains(o.Key))) shared[o.Key] = all[o.Key]!.DeepClone();
        Assert.Equal(31, shared.Count);
        var defaults = ConfigOptions.ToJson(new NlpConfig("parser").Common);
        var read = ConfigOptions.ToJson(NlpConfigOptions.Load(Write(shared.ToJsonString()), "parser").Common);
        foreach (var (key, value) in shared)
        {
            Assert.Equal(ConfigOptions.ByKey[key].Flag, NlpConfigOptions.ByKey[key].Flag);
            Assert.False(OptionCatalog.SameValue(defaults[key], value), $"{key}: the test needs a value other than the default");
            Assert.True(OptionCatalog.SameValue(read[key], value), $"{key}: read {read[key]}, written {value}");
        }
    }

    [Fact]
    public void TaggerAndParserConfigProblems()
    {
        var other = Assert.Throws<ConfigException>(() => NlpConfigOptions.Load(Write("""{ "model": "parser" }"""), "tagger"));
        Assert.Contains("model: this command trains the tagger, the config says 'parser'", other.Message);

        var parser = new NlpConfig("parser");
        parser.Common.K = [10, 20];
        Assert.Contains("k must be one value for the parser.", parser.Problems());
        parser.Common.K = [20];
        parser.Common.Hidden = [500, 500];
        Assert.Contains("hidden must be one size for the parser (got [500, 500]).", parser.Problems());

        foreach (var kind in Enum.GetValues<StrategyKind>())
        {
            var tagger = new NlpConfig("tagger");
            tagger.Common.Strategy = kind;
            bool lstm = kind is StrategyKind.Dense or StrategyKind.TopK or StrategyKind.Unified or StrategyKind.Random or StrategyKind.RandomUnified or StrategyKind.Msbp;
            Assert.Equal(!lstm, tagger.Problems().Any(p => p.StartsWith($"strategy {kind.ToName()} is not available for the tagger's LSTM")));
            var parserKind = new NlpConfig("parser");
            parserKind.Common.Strategy = kind;
            Assert.DoesNotContain(parserKind.Problems(), p => p.Contains("tagger"));
        }
    }

    [Fact]
    public void TheConfigRoundTripsThroughJson()
    {
        var c = new TrainConfig { Strategy = StrategyKind.Msbp, K = [7], Hidden = [64, 32], MemoryRatio = 0.5f, Epochs = 9 };
        string json = ConfigOptions.ToJson(c).ToJsonString();
        var back = ConfigLoader.FromJson(JsonDocument.Parse(json).RootElement, "test", dir);
        Assert.Equal(ConfigOptions.ToJson(c).ToJsonString(), ConfigOptions.ToJson(back).ToJsonString());
    }

    [Fact]
    public void ACnnResultsConfigReadsBackAsAConfigFile()
    {
        // results.json's config, fed back with --config, must be accepted and give the same run (it held is_dense,
        // which is no key, so the file was refused)
        var c = new CnnConfig { TopKRatio = 0.05f, Decay = 0.6f, AdamEpsilon = 1e-6f, Hidden = [32], Epochs = 3 };
        var json = c.ToJson();
        Assert.False(json.ContainsKey("is_dense"));
        Assert.Equal(1e-6, json["adam_eps"]!.GetValue<double>(), 1e-12); // the other train commands' name for it
        var back = CnnConfig.Load(Write(json.ToJsonString()));
        Assert.True(JsonNode.DeepEquals(c.ToJson(), back.ToJson()));
    }

    [Fact]
    public void ACnnRunSavedUnderTheEarlierEpsilonKeyIsComparedByItsValue()
    {
        var saved = new CnnConfig().ToJson();
        saved.Remove("adam_eps");
        saved["adam_epsilon"] = 1e-4;
        Assert.Equal(1e-4, CnnConfig.Saved(saved, "adam_eps")!.GetValue<double>());
        saved.Remove("adam_epsilon");
        Assert.Equal(1e-8, CnnConfig.Saved(saved, "adam_eps")!.GetValue<double>(), 1e-15); // predates both: the default
    }

    [Fact]
    public void NoDevSetIsAProblemWhileTheReportedEvaluationIsChosenOnDev()
    {
        const string problem = "dev_size = 0 leaves no dev set to choose the reported evaluation by (select_by = dev): give dev_size >= 1, or select_by = last.";
        Assert.Contains(problem, new TrainConfig { DevSize = 0 }.Problems());
        Assert.Contains(problem, new CnnConfig { DevSize = 0 }.Problems());
        Assert.Contains("patience = 2 stops on the dev accuracy, but dev_size = 0 leaves no dev set.", new TrainConfig { DevSize = 0, SelectBy = "last", Patience = 2 }.Problems());
        Assert.Empty(new TrainConfig { DevSize = 0, SelectBy = "last" }.Problems());
        Assert.Empty(new CnnConfig { DevSize = 0, SelectBy = "last" }.Problems());
    }

    [Theory]
    [InlineData(0, "dev")]
    [InlineData(-1, "dev")]
    [InlineData(0, "last")]
    [InlineData(100, "dev")]
    public void TheMlpAndCnnConfigsShareOneDevSetRule(int devSize, string selectBy)
    {
        var rule = DevSetRule.Problems(devSize, selectBy, patience: 0).ToList();
        Assert.Equal(rule, new TrainConfig { DevSize = devSize, SelectBy = selectBy }.Problems().Where(p => p.Contains("dev_size")));
        Assert.Equal(rule, new CnnConfig { DevSize = devSize, SelectBy = selectBy }.Problems().Where(p => p.Contains("dev_size")));
        Assert.Equal(selectBy == "dev", DevSetRule.NeedsDev(selectBy, patience: 0));
        Assert.True(DevSetRule.NeedsDev("last", patience: 1));
    }

    [Fact]
    public void AKAboveItsLayersSizeIsAProblemNamingTheLayerAndBothNumbers()
    {
        Assert.Equal(["k = 501 exceeds the 500 units of hidden layer 1 (k may be at most the layer's size; k = size is dense).",
            "k = 501 exceeds the 500 units of hidden layer 2 (k may be at most the layer's size; k = size is dense)."], new TrainConfig { K = [501] }.MlpProblems());
        Assert.Equal(["k = 600 exceeds the 100 units of hidden layer 2 (k may be at most the layer's size; k = size is dense)."],
            new TrainConfig { Hidden = [1000, 100], K = [20, 600] }.MlpProblems());
        Assert.Empty(new TrainConfig { K = [500] }.MlpProblems());
        Assert.Empty(new TrainConfig { K = [501], Strategy = StrategyKind.Dense }.MlpProblems());
        Assert.Equal(["output_k = 11 exceeds the 10 classes (output_k may be at most classes; 0 or classes is a dense output layer)."],
            new TrainConfig { OutputK = 11 }.MlpProblems());
        Assert.Empty(new TrainConfig { OutputK = 10 }.MlpProblems());
        var parser = new MePropNative.Nlp.Training.NlpConfig("parser");
        parser.Common.K = [501];
        Assert.Equal(["k = 501 exceeds the parser's hidden layer size 500 (hidden)."], parser.Problems()); // the NLP wording, once
    }

    [Fact]
    public void LayersWhoseWeightsCannotBeHeldAreProblemsNamingTheOptions()
    {
        Assert.Equal(["hidden = [100000000]: layer hidden1 would have 100000000 x 784 = 78400000000 weights, more than one tensor holds (2147483575)."],
            new TrainConfig { Hidden = [100_000_000], K = [20] }.MlpProblems(inputs: 784));
        Assert.Empty(new TrainConfig { Hidden = [100_000_000], K = [20] }.MlpProblems());
        Assert.Contains("hidden = [100000, 100000]: layer hidden2 would have 100000 x 100000", string.Join("\n", new TrainConfig { Hidden = [100_000, 100_000] }.MlpProblems()));
        Assert.Equal(["kernel = 100 is larger than the 28 x 28 images."], new CnnConfig { Kernel = 100 }.Problems());
        Assert.Equal(["conv_channels = [100000, 100000], kernel = 5: layer conv2 would have 100000 x 2500000 = 250000000000 weights, more than one tensor holds (2147483575).",
            "conv_channels = [100000, 100000], hidden = [1024]: layer fc1 would have 1024 x 4900000 = 5017600000 weights, more than one tensor holds (2147483575)."],
            new CnnConfig { ConvChannels = [100_000, 100_000] }.Problems());
        Assert.Equal(["conv_channels = [32, 64], hidden = [100000000]: layer fc1 would have 100000000 x 3136 = 313600000000 weights, more than one tensor holds (2147483575)."],
            new CnnConfig { Hidden = [100_000_000] }.Problems());
        Assert.Equal(["conv_channels lists 5 conv layers: the 28 x 28 images shrink to nothing after 5 2 x 2 poolings (at most 4 conv layers)."],
            new CnnConfig { ConvChannels = [2, 2, 2, 2, 2], SparseLayers = [] }.Problems());
        Assert.Empty(new CnnConfig { ConvChannels = [2, 2, 2, 2], Kernel = 28 }.Problems());
        // weights that fit, work tensors of one image that do not
        Assert.Equal(["conv_channels = [3000000], kernel = 1: one image needs 2352000000 values in conv1's outputs, more than one tensor holds (2147483575)."],
            new CnnConfig { ConvChannels = [3_000_000], Kernel = 1, Hidden = [1], SparseLayers = ["conv1"] }.Problems());
        Assert.Empty(new CnnConfig { ConvChannels = [2_000_000], Kernel = 1, Hidden = [1], SparseLayers = ["conv1"] }.Problems());
    }

    [Fact]
    public void EmptyOutputPathsAreProblems()
    {
        Assert.Equal(["out is an empty path (leave it out for no results folder)."], new TrainConfig { Out = "" }.Problems());
        Assert.Equal(["checkpoint is an empty path (leave it out for out/checkpoint.bin, or none without out)."], new TrainConfig { Checkpoint = "" }.Problems());
        Assert.Equal(["out is an empty path (leave it out for no results folder)."], new CnnConfig { Out = "" }.Problems());
    }

    [Fact]
    public void AnEmptyListItemOnTheCommandLineIsAnError()
    {
        var hidden = ConfigOptions.All.Single(o => o.Key == "hidden");
        Assert.Equal("--hidden 500,,500: an empty item", Assert.Throws<ConfigException>(() => hidden.SetFromFlag(new TrainConfig(), "500,,500")).Message);
        Assert.Equal("--hidden 500,: an empty item", Assert.Throws<ConfigException>(() => hidden.SetFromFlag(new TrainConfig(), "500,")).Message);
        var config = new TrainConfig();
        hidden.SetFromFlag(config, " 300 , 200 ");
        Assert.Equal([300, 200], config.Hidden);
    }
}
