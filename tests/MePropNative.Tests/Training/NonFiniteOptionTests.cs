using System.Reflection;
using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Optimizers;
using MePropNative.Training;

namespace MePropNative.Tests.Training;

/// <summary>A range check written as `x &lt; 0 || x &gt;= 1` lets NaN through; every floating-point option must reject
/// NaN and the infinities, whether it comes from C#, a JSON config (1e40 reads as infinity) or the command line.</summary>
public class NonFiniteOptionTests
{
    public static TheoryData<float> NonFinite => [float.NaN, float.PositiveInfinity, float.NegativeInfinity];

    private static IEnumerable<PropertyInfo> FloatProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.PropertyType == typeof(float) && p.CanWrite);

    [Theory]
    [MemberData(nameof(NonFinite))]
    public void EveryFloatOptionOfTheMlpAndCnnConfigsIsOneProblem(float value)
    {
        EachFloatOptionIsOneProblem(() => new TrainConfig(), c => c.Problems(), value, atLeast: 13);
        EachFloatOptionIsOneProblem(() => new CnnConfig(), c => c.Problems(), value, atLeast: 8);
    }

    private static void EachFloatOptionIsOneProblem<TConfig>(Func<TConfig> make, Func<TConfig, List<string>> problems, float value, int atLeast)
    {
        Assert.Empty(problems(make()));
        var properties = FloatProperties(typeof(TConfig)).ToList();
        Assert.True(properties.Count >= atLeast, $"only {properties.Count} float options found in {typeof(TConfig).Name}");
        foreach (var p in properties)
        {
            var config = make();
            p.SetValue(config, value);
            var problem = Assert.Single(problems(config));
            Assert.Contains(value.ToString(), problem);
        }
    }

    [Fact]
    public void TheMessagesNameTheConfigKey()
    {
        var mlp = new TrainConfig { LearningRate = float.NaN, AdamEpsilon = 0, Dropout = float.NaN, ClipNorm = float.PositiveInfinity };
        var e = Assert.Throws<ConfigException>(mlp.Validate);
        Assert.Contains("lr = NaN must be a finite number > 0.", e.Message);
        Assert.Contains("adam_eps = 0 must be a finite number > 0.", e.Message);
        Assert.Contains("dropout = NaN must be in [0, 1).", e.Message);
        Assert.Contains("clip_norm = " + float.PositiveInfinity + " must be a finite number >= 0 (0: off).", e.Message);
        var cnn = new CnnConfig { Decay = float.NaN, BatchNormMomentum = float.NaN };
        var c = Assert.Throws<ConfigException>(cnn.Validate);
        Assert.Contains("decay = NaN must be in [0, 1).", c.Message);
        Assert.Contains("batchnorm_momentum = NaN must be in (0, 1].", c.Message);
    }

    [Theory]
    [MemberData(nameof(NonFinite))]
    public void EveryFloatOptionOfAnOptimizerIsCheckedWhenItIsMade(float value)
    {
        var properties = FloatProperties(typeof(OptimizerOptions)).ToList();
        Assert.True(properties.Count >= 10, $"only {properties.Count} float options found");
        foreach (var kind in Enum.GetValues<OptimizerKind>())
        {
            Assert.NotNull(OptimizerBase.Create(new OptimizerOptions { Kind = kind }));
            foreach (var p in properties)
            {
                var options = new OptimizerOptions { Kind = kind };
                p.SetValue(options, value);
                var e = Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerBase.Create(options));
                Assert.Equal(p.Name, e.ParamName);
            }
        }
    }

    [Fact]
    public void OptimizerOptionsOutOfRangeAreRejectedAndTheDefaultsAccepted()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(new OptimizerOptions { LearningRate = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(new OptimizerOptions { Beta1 = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdaGrad(new OptimizerOptions { Kind = OptimizerKind.AdaGrad, AdaGradEpsilon = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(new OptimizerOptions { Kind = OptimizerKind.Sgd, Momentum = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(new OptimizerOptions { Kind = OptimizerKind.Sgd, LearningRateDecay = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(new OptimizerOptions { Kind = OptimizerKind.Sgd, ClipValue = -1 }));
        Assert.NotNull(new Sgd(new OptimizerOptions { Kind = OptimizerKind.Sgd, Momentum = 0, LearningRateDecay = 1, ClipValue = 0, L2 = 0 }));
        Assert.NotNull(OptimizerBase.Create(new TrainConfig().ToOptimizerOptions()));
        Assert.NotNull(OptimizerBase.Create(new CnnConfig().ToOptimizerOptions()));
    }

    [Fact]
    public void AnOptimizerRefusesOptionsOfAnotherKind()
    {
        var e = Assert.Throws<ArgumentException>(() => new Adam(new OptimizerOptions { Kind = OptimizerKind.Sgd }));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("OptimizerOptions.Kind is Sgd, but this optimizer is Adam", e.Message);
        Assert.Throws<ArgumentException>(() => new Sgd(new OptimizerOptions()));
        Assert.IsType<Sgd>(OptimizerBase.Create(new OptimizerOptions { Kind = OptimizerKind.Sgd }));
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e40")]
    public void ACommandLineNumberMustBeFiniteAsAFloat(string text)
    {
        var e = Assert.Throws<FormatException>(() => OptionCatalog.FiniteNumber(text));
        Assert.Equal("not a finite number.", e.Message);
        Assert.Equal(0.5, OptionCatalog.FiniteNumber("0.5"));
        Assert.Equal(-3e38, OptionCatalog.FiniteNumber("-3e38"));
    }

    [Theory]
    [MemberData(nameof(NonFinite))]
    public void LayerAndStrategyArgumentsRejectNonFiniteValues(float value)
    {
        using var backend = new CpuBackend();
        foreach (var (parameter, make) in new (string, Action)[]
                 {
                     ("ratio", () => new PerMapTopK(backend, value)),
                     ("decay", () => new PerMapTopK(backend, 0.1f, value)),
                     ("epsilon", () => new BatchNorm(backend, 2, epsilon: value)),
                     ("momentum", () => new BatchNorm(backend, 2, momentum: value)),
                     ("memoryRatio", () => new MemorizedTopKStrategy(backend, 2, value)),
                     ("memoryRatio", () => new RecurrentGateStrategy(backend, StrategyKind.Msbp, 2, 4, 1, value)),
                     ("options", () => new Models.Cnn(backend, new CnnOptions { TopKRatio = value is float.PositiveInfinity ? float.NaN : value })),
                 })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(make);
            Assert.Equal(parameter, e.ParamName);
        }
    }

    [Fact]
    public void MlpOptionsOutOfRangeAreRefusedNamingTheProperty()
    {
        using var backend = new CpuBackend();
        var base_ = new MlpOptions { Inputs = 4, Hidden = [3, 3], Classes = 2 };
        foreach (var (options, property) in new (MlpOptions, string)[]
        {
            (base_ with { Classes = 1 }, "Classes"),
            (base_ with { Dropout = float.NaN }, "Dropout"),
            (base_ with { HiddenK = [1, 1, 1] }, "HiddenK"),
            (base_ with { HiddenK = [0] }, "HiddenK"),
            (base_ with { OutputK = -1 }, "OutputK"),
            (base_ with { Inputs = 0 }, "Inputs"),
            (base_ with { MemoryRatio = 2 }, "MemoryRatio"),
            (base_ with { Hidden = [3, 0] }, "Hidden"),
        })
        {
            var e = Assert.ThrowsAny<ArgumentException>(() => new Mlp(backend, options));
            Assert.Equal(property, e.ParamName);
            Assert.Contains($"MlpOptions.{property}", e.Message);
        }
        Assert.Equal([4, 2], new Mlp(backend, base_ with { Hidden = [] }).Sizes); // softmax regression
        Assert.Equal("dense", new Mlp(backend, base_ with { Strategy = StrategyKind.TopK, HiddenK = [5] }).LinearLayers[0].Strategy.Name);
    }
}
