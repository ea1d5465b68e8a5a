using System.Reflection;
using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Tensors;
using MePropNative.Tests.Support;
using MePropNative.Training;

namespace MePropNative.Tests.MeProp;

/// <summary>
/// --strategy auto on the CPU backend with a scripted timer (deterministic): it keeps the fastest candidate, takes the
/// minimum over rounds, measures each (device, batch, n, m, k, dx) once, leaves the real gradients as the chosen
/// strategy alone would, switches a backend's sparse algorithm per candidate and puts it back, and reports its choices.
/// (The tests that replace <see cref="AutoStrategyOptions.Default"/> are in this one class, which xunit runs serially.)
/// </summary>
public class AutoStrategyTests
{
    /// <summary>Returns times from a script by call number; runs the work once per call so every path executes.</summary>
    private sealed class ScriptedTimer(Func<int, double> script) : IOperationTimer
    {
        public int Calls;
        public double SecondsPerRun(Action work, int repetitions)
        {
            work();
            return script(Calls++);
        }
    }

    private static AutoStrategyOptions Options(ScriptedTimer timer, string candidates = "dense,topk,unified", AutoStrategyCache? cache = null) => new()
    {
        Candidates = AutoStrategyOptions.ParseCandidates(candidates),
        Warmup = 1,
        Repetitions = 1,
        Rounds = 3,
        Cache = cache ?? new AutoStrategyCache(),
        TimerFactory = _ => timer,
    };

    private sealed record Layer(Linear Linear, Tensor X, Tensor Dy, Tensor Dx);

    private static Layer MakeLayer(IBackend b, IMePropStrategy strategy, int batch, int m, int n, int seed)
    {
        var linear = new Linear(b, m, n, strategy);
        b.Upload(TestData.Random(n * m, seed), linear.Weight.Value);
        return new Layer(linear, TestData.Tensor(b, TestData.Random(batch * m, seed + 1), batch, m),
            TestData.Tensor(b, TestData.Random(batch * n, seed + 2), batch, n), b.Allocate(batch, m));
    }

    private static void Backward(Layer l) => l.Linear.Backward(l.X, l.Dy, l.Dx, StepContext.TrainingStep(0, 0));

    [Fact]
    public void KeepsTheFastestCandidate()
    {
        using var cpu = new CpuBackend();
        double[] perCandidate = [3e-3, 1e-3, 2e-3]; // dense, topk, unified
        var timer = new ScriptedTimer(i => perCandidate[i % 3]);
        var auto = new AutoStrategy(cpu, 4, Options(timer));
        Assert.Equal(["dense", "topk", "unified"], auto.Candidates);
        Assert.Equal("auto(4)", auto.Name);
        Backward(MakeLayer(cpu, auto, batch: 8, m: 12, n: 20, seed: 1));
        var choice = Assert.Single(auto.Choices);
        Assert.Equal("topk", choice.Chosen);
        Assert.Equal(new AutoKey("cpu", 8, 20, 12, 4, true), choice.Key);
        Assert.Equal(1e-3, choice.Seconds["topk"]);
        Assert.Equal(3, choice.Seconds.Count);
        Assert.Equal(9, timer.Calls); // 3 candidates x 3 rounds
        Assert.Equal("auto(4): topk", auto.Name);
        Assert.Contains("topk 1000.0 us", choice.ToString());
    }

    [Fact]
    public void TakesTheMinimumOverInterleavedRounds()
    {
        using var cpu = new CpuBackend();
        // call order: round 0: dense topk unified, round 1: dense topk unified, ...
        double[] script = [1.0, 5.0, 2.0, 1.0, 0.5, 2.0, 1.0, 5.0, 0.9];
        var timer = new ScriptedTimer(i => script[i]);
        var auto = new AutoStrategy(cpu, 3, Options(timer));
        Backward(MakeLayer(cpu, auto, 4, 6, 10, 2));
        var choice = Assert.Single(auto.Choices);
        Assert.Equal("topk", choice.Chosen);
        Assert.Equal(0.5, choice.Seconds["topk"]);
        Assert.Equal(0.9, choice.Seconds["unified"]);
        Assert.Equal(1.0, choice.Seconds["dense"]);
    }

    [Fact]
    public void EachShapeIsMeasuredOncePerCache()
    {
        using var cpu = new CpuBackend();
        var timer = new ScriptedTimer(i => (i % 3) + 1.0); // dense always fastest
        var cache = new AutoStrategyCache();
        var a = new AutoStrategy(cpu, 4, Options(timer, cache: cache));
        var b = new AutoStrategy(cpu, 4, Options(timer, cache: cache));
        var la = MakeLayer(cpu, a, 8, 12, 20, 3);
        Backward(la);
        Assert.Equal(9, timer.Calls);
        Backward(la);                                  // same layer, same shape: cached
        Backward(MakeLayer(cpu, b, 8, 12, 20, 4));     // another layer of the same shape: cached
        Assert.Equal(9, timer.Calls);
        Assert.Equal(1, cache.Count);
        Backward(MakeLayer(cpu, a, 5, 12, 20, 5));     // another batch size: measured
        Assert.Equal(18, timer.Calls);
        var noDx = MakeLayer(cpu, b, 8, 12, 20, 6);
        noDx.Linear.Backward(noDx.X, noDx.Dy, null, StepContext.TrainingStep(0, 0)); // no dx (a first layer): measured
        Assert.Equal(27, timer.Calls);
        Assert.Equal(3, cache.Count);
        Assert.True(cache.TryGet(new AutoKey("cpu", 8, 20, 12, 4, true), out var c8));
        Assert.Equal("dense", c8!.Chosen);
        Assert.Equal(2, a.Choices.Count);
        Assert.Single(AutoStrategy.ChoicesOf([a]), c => c.Batch == 5);

        var fresh = new AutoStrategy(cpu, 4, Options(timer));  // another cache: measured again
        Backward(MakeLayer(cpu, fresh, 8, 12, 20, 7));
        Assert.Equal(36, timer.Calls);
    }

    [Theory]
    [InlineData("topk")]
    [InlineData("unified")]
    [InlineData("dense")]
    public void MeasuringLeavesTheRealGradientsAsTheChosenStrategyAloneWould(string winner)
    {
        using var cpu = new CpuBackend();
        string[] order = ["dense", "topk", "unified"];
        var timer = new ScriptedTimer(i => order[i % 3] == winner ? 1.0 : 2.0);
        int batch = 6, m = 9, n = 15, k = 4;
        var auto = MakeLayer(cpu, new AutoStrategy(cpu, k, Options(timer)), batch, m, n, 11);
        IMePropStrategy plain = winner switch
        {
            "topk" => new TopKStrategy(cpu, k),
            "unified" => new UnifiedTopKStrategy(cpu, k),
            _ => new DenseStrategy(),
        };
        var reference = MakeLayer(cpu, plain, batch, m, n, 11);
        Backward(auto);
        Backward(reference);
        Assert.Equal(TestData.Host(cpu, reference.Linear.Weight.Gradient), TestData.Host(cpu, auto.Linear.Weight.Gradient));
        Assert.Equal(TestData.Host(cpu, reference.Linear.Bias!.Gradient), TestData.Host(cpu, auto.Linear.Bias!.Gradient));
        Assert.Equal(TestData.Host(cpu, reference.Dx), TestData.Host(cpu, auto.Dx));
        Assert.Equal(reference.Linear.Statistics.SelectedRows, auto.Linear.Statistics.SelectedRows);
    }

    /// <summary>A CPU backend that claims several sparse algorithms (a DispatchProxy over <see cref="CpuBackend"/>) and
    /// records which one was set whenever a sparse backward ran.</summary>
    public interface ISparseCpu : IBackend, ISparseBackwardAlgorithms;

    public class SparseCpuProxy : DispatchProxy
    {
        public CpuBackend Inner = null!;
        public SparseBackwardAlgorithm Algorithm = SparseBackwardAlgorithm.EllSorted;
        public List<SparseBackwardAlgorithm> SparseCalls = [];

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            switch (method!.Name)
            {
                case "get_SupportedSparseAlgorithms":
                    return new[] { SparseBackwardAlgorithm.EllSorted, SparseBackwardAlgorithm.EllAtomic, SparseBackwardAlgorithm.CuSparse };
                case "get_SparseAlgorithm": return Algorithm;
                case "set_SparseAlgorithm": Algorithm = (SparseBackwardAlgorithm)args![0]!; return null;
                case "get_Name": return "fake-gpu";
                case "SparseBackwardDx": SparseCalls.Add(Algorithm); break;
                case "SparseBackward" when args![5] is not null: SparseCalls.Add(Algorithm); break; // dW and dx in one call
            }
            // buffers must belong to the inner backend, which owns every tensor this test allocates through the proxy
            return typeof(CpuBackend).GetMethod(method.Name, method.GetParameters().Select(p => p.ParameterType).ToArray())!.Invoke(Inner, args);
        }
    }

    [Fact]
    public void TopkExpandsToTheBackendsSparseAlgorithmsAndEachRunsWithItsOwn()
    {
        using var cpu = new CpuBackend();
        var backend = DispatchProxy.Create<ISparseCpu, SparseCpuProxy>();
        var proxy = (SparseCpuProxy)(object)backend;
        proxy.Inner = cpu;
        Assert.Equal(["dense", "topk/ell", "topk/ell-atomic", "topk/cusparse", "unified"],
            AutoStrategy.Expand(backend, ["dense", "topk", "unified"]));
        Assert.Equal(["topk/cusparse"], AutoStrategy.Expand(backend, ["TOPK/cusparse", "topk/cusparse"]));

        // cusparse is the fastest; the backend's own setting (ell-atomic) comes back after every candidate
        proxy.Algorithm = SparseBackwardAlgorithm.EllAtomic;
        string[] order = ["topk/ell", "topk/ell-atomic", "topk/cusparse"];
        var timer = new ScriptedTimer(i => order[i % 3] == "topk/cusparse" ? 1.0 : 3.0);
        var auto = new AutoStrategy(backend, 3, Options(timer, candidates: "topk"));
        var linear = new Linear(cpu, 7, 11, auto);
        cpu.Upload(TestData.Random(77, 1), linear.Weight.Value);
        var x = TestData.Tensor(cpu, TestData.Random(35, 2), 5, 7);
        var dy = TestData.Tensor(cpu, TestData.Random(55, 3), 5, 11);
        var dx = cpu.Allocate(5, 7);
        // the layer's own backend is the CPU one; the strategy sees the proxy through its constructor argument only
        // for the algorithm switch, so call it directly with the proxy as the request's backend
        auto.Backward(new LinearGradientRequest(backend, x, dy, dx, linear.Weight, linear.Bias, linear.Statistics, StepContext.TrainingStep(0, 0)));
        var choice = Assert.Single(auto.Choices);
        Assert.Equal("topk/cusparse", choice.Chosen);
        Assert.Equal("fake-gpu", choice.Device);
        Assert.Equal(SparseBackwardAlgorithm.EllAtomic, proxy.Algorithm);
        // warm-up (1 each), 3 rounds, then the real step with the winner
        Assert.Equal(
            [SparseBackwardAlgorithm.EllSorted, SparseBackwardAlgorithm.EllAtomic, SparseBackwardAlgorithm.CuSparse,
             SparseBackwardAlgorithm.EllSorted, SparseBackwardAlgorithm.EllAtomic, SparseBackwardAlgorithm.CuSparse,
             SparseBackwardAlgorithm.EllSorted, SparseBackwardAlgorithm.EllAtomic, SparseBackwardAlgorithm.CuSparse,
             SparseBackwardAlgorithm.EllSorted, SparseBackwardAlgorithm.EllAtomic, SparseBackwardAlgorithm.CuSparse,
             SparseBackwardAlgorithm.CuSparse],
            proxy.SparseCalls);
    }

    [Fact]
    public void CandidatesAreValidatedAgainstTheBackend()
    {
        using var cpu = new CpuBackend();
        Assert.Equal(["dense", "topk", "unified"], AutoStrategy.Expand(cpu, [" Dense", "topk", "", "unified", "topk"]));
        Assert.Throws<ArgumentException>(() => AutoStrategy.Expand(cpu, ["topk/cusparse"])); // the CPU has no cuSPARSE
        Assert.Throws<ArgumentException>(() => AutoStrategy.Expand(cpu, ["random"]));
        Assert.Throws<ArgumentException>(() => AutoStrategy.Expand(cpu, ["unified/ell"]));
        Assert.Throws<ArgumentException>(() => AutoStrategy.Expand(cpu, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AutoStrategy(cpu, 0));
    }

    [Fact]
    public void TheStopwatchTimerMeasuresRealTimeOnTheCpu()
    {
        using var cpu = new CpuBackend();
        var timer = StopwatchTimer.For(cpu);
        Assert.IsType<StopwatchTimer>(timer);
        int runs = 0;
        double s = timer.SecondsPerRun(() => { runs++; Thread.Sleep(2); }, 3);
        Assert.Equal(3, runs);
        Assert.InRange(s, 0.0015, 1.0);
    }

    [Fact]
    public void TrainingWithAutoReportsTheChoicesInTheResults()
    {
        using var tiny = new TinyMnist(train: 120, test: 40);
        var saved = AutoStrategyOptions.Default;
        var timer = new ScriptedTimer(i => (i % 3) == 2 ? 1.0 : 2.0); // unified wins
        try
        {
            var config = new TrainConfig
            {
                DataDir = tiny.Directory, DevSize = 20, Hidden = [16, 16], Classes = 4, K = [4], Strategy = StrategyKind.Auto,
                AutoCandidates = "dense,topk,unified", Epochs = 1, BatchSize = 16, Dropout = 0,
            };
            Assert.Empty(config.Problems());
            using var backend = DeviceOptions.CreateBackend(config);
            Assert.Equal(["dense", "topk", "unified"], AutoStrategyOptions.Default.Candidates);
            AutoStrategyOptions.Default = AutoStrategyOptions.Default with { TimerFactory = _ => timer, Cache = new AutoStrategyCache() };
            var data = config.DataFiles().Load(config.DevSize, config.TrainLimit, config.Classes);
            var result = new Trainer(config, backend, data).Run(TestContext.Current.CancellationToken);
            Assert.NotNull(result.AutoChoices);
            // hidden layers of 16 with k 4: (batch 16 and the last, smaller batch) x (first layer without dx, second with)
            Assert.All(result.AutoChoices!, c => Assert.Equal("unified", c.Chosen));
            Assert.Contains(result.AutoChoices!, c => c is { Batch: 16, N: 16, M: 16, InputGradient: true });
            Assert.Contains(result.AutoChoices!, c => c.Batch == 16 && c.M == tiny.Features && !c.InputGradient);
            string folder = Directory.CreateTempSubdirectory("meprop-auto-").FullName;
            try
            {
                ResultsWriter.Write(result, folder);
                var back = ResultsWriter.Read(Path.Combine(folder, "results.json"));
                Assert.Equal(result.AutoChoices!.Count, back.AutoChoices!.Count);
                Assert.Equal(result.AutoChoices[0].Key, back.AutoChoices[0].Key);
                Assert.Equal(result.AutoChoices[0].Seconds["unified"], back.AutoChoices[0].Seconds["unified"]);
                Assert.Contains("\"auto_choices\"", File.ReadAllText(Path.Combine(folder, "results.json")));
            }
            finally { Directory.Delete(folder, true); }
        }
        finally { AutoStrategyOptions.Default = saved; }
    }

    [Fact]
    public void ResultsWithoutAutoHaveNoChoices()
    {
        using var tiny = new TinyMnist(train: 60, test: 20);
        var config = new TrainConfig { DataDir = tiny.Directory, DevSize = 10, Hidden = [8], Classes = 4, K = [2], Epochs = 1, BatchSize = 16 };
        using var backend = new CpuBackend();
        var result = new Trainer(config, backend, config.DataFiles().Load(config.DevSize, 0, config.Classes)).Run(TestContext.Current.CancellationToken);
        Assert.Null(result.AutoChoices);
        Assert.DoesNotContain("auto_choices", System.Text.Json.JsonSerializer.Serialize(result, ResultsWriter.Json));
    }

    [Fact]
    public void TheFactoryMakesAutoFromTheDefaultOptions()
    {
        using var cpu = new CpuBackend();
        var s = StrategyFactory.Create(cpu, StrategyKind.Auto, 20, 1, 0.8f);
        var auto = Assert.IsType<AutoStrategy>(s);
        Assert.Equal(20, auto.K);
        Assert.Equal(StrategyKind.Auto, StrategyKinds.Parse("auto"));
        Assert.IsType<DenseStrategy>(StrategyFactory.Create(cpu, StrategyKind.Auto, null, 1, 0.8f));
    }
}
