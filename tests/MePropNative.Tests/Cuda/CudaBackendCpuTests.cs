using MePropNative.Backends;
using MePropNative.Bindings.Cuda;
using MePropNative.MeProp;
using MePropNative.Training;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Cuda;

/// <summary>The GPU path's logic that needs no GPU: the device option, the error without a device, the pure CSR form
/// of a per-example pattern, the managed constants the GPU dropout reproduces. Runs on every machine.</summary>
public class CudaBackendCpuTests
{
    [Theory]
    [InlineData("cpu", false, 0)]
    [InlineData("CPU", false, 0)]
    [InlineData("cuda", true, 0)]
    [InlineData("gpu", true, 0)]
    [InlineData(" cuda:0 ", true, 0)]
    [InlineData("cuda:3", true, 3)]
    public void DeviceValuesParse(string text, bool cuda, int index)
    {
        Assert.True(DeviceSpec.TryParse(text, out var spec, out string error), error);
        Assert.Equal(new DeviceSpec(cuda, index), spec);
        Assert.Equal(cuda ? $"cuda:{index}" : "cpu", spec.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("gpu:1")]
    [InlineData("tpu")]
    public void BadDeviceValuesAreRejectedWithTheFormsThatWork(string text)
    {
        Assert.False(DeviceSpec.TryParse(text, out _, out string error));
        Assert.Contains("cpu, cuda or cuda:N", error);
        Assert.Throws<ArgumentException>(() => DeviceSpec.Parse(text));
        var config = new TrainConfig { Device = text };
        Assert.Contains(config.Problems(), p => p.Contains("cpu, cuda or cuda:N"));
    }

    [Fact]
    public void DeviceOptionsAreConfigKeysAndFlags()
    {
        foreach (string key in new[] { "device", "sparse_algorithm", "auto_candidates" })
            Assert.True(ConfigOptions.ByKey.ContainsKey(key), key);
        Assert.Equal("--device", ConfigOptions.ByKey["device"].Flag);
        var config = new TrainConfig();
        Assert.Equal("cpu", config.Device);
        ConfigOptions.ByKey["device"].SetFromFlag(config, "cuda:1");
        Assert.Equal("cuda:1", config.Device);
        Assert.Equal("cuda:1", ConfigOptions.ToJson(config)["device"]!.GetValue<string>());
        Assert.Contains("auto", ConfigOptions.ByKey["strategy"].Choices!);
        Assert.Contains("cusparse", ConfigOptions.ByKey["sparse_algorithm"].Choices!);
    }

    [Fact]
    public void GpuKernelChoicesNeedTheGpu()
    {
        var config = new TrainConfig { SparseAlgorithm = "cusparse" };
        Assert.Contains(config.Problems(), p => p.Contains("needs --device cuda"));
        config.Device = "cuda";
        Assert.DoesNotContain(config.Problems(), p => p.Contains("sparse_algorithm"));

        var auto = new TrainConfig { Strategy = StrategyKind.Auto, K = [20], AutoCandidates = "dense,topk/cusparse" };
        Assert.Contains(auto.Problems(), p => p.Contains("needs --device cuda"));
        auto.AutoCandidates = "dense,topk,unified,bogus";
        Assert.Contains(auto.Problems(), p => p.Contains("'bogus'"));
        auto.AutoCandidates = "unified/ell";
        Assert.Contains(auto.Problems(), p => p.Contains("only topk takes an algorithm"));
        auto.AutoCandidates = "dense, topk ,unified";
        Assert.Empty(auto.Problems());
    }

    [Fact]
    public void WithoutAGpuAskingForCudaFailsWithTheReason()
    {
        Assert.SkipWhen(CudaBackend.IsAvailable(0, out _), "a usable CUDA device is present: this test is for machines without one");
        Assert.False(CudaBackend.IsAvailable(0, out string reason));
        Assert.False(string.IsNullOrWhiteSpace(reason));

        var e = Assert.Throws<ConfigException>(() => DeviceOptions.CreateBackend("cuda"));
        Assert.StartsWith("--device cuda: no CUDA device: ", e.Message);
        Assert.EndsWith(reason, e.Message);
        var e1 = Assert.Throws<ConfigException>(() => DeviceOptions.CreateBackend("cuda:1"));
        Assert.StartsWith("--device cuda:1: no CUDA device: ", e1.Message);

        var direct = Assert.Throws<InvalidOperationException>(() => new CudaBackend());
        Assert.StartsWith("no CUDA device: ", direct.Message);

        // the CPU keeps working after the probe
        using var cpu = DeviceOptions.CreateBackend("cpu");
        Assert.IsType<CpuBackend>(cpu);
        var t = cpu.Allocate(2, 3);
        cpu.Fill(t, 2f);
        Assert.Equal(24.0, cpu.SumOfSquares(t));
    }

    [Theory]
    [InlineData("train mlp --device cuda --epochs 1")]
    [InlineData("train cnn --device cuda --epochs 1")]
    [InlineData("bench cnn --device cuda --repetitions 1")]
    public void TheCliReportsTheMissingDeviceAndExitsWithAConfigError(string arguments)
    {
        Assert.SkipWhen(CudaBackend.IsAvailable(0, out _), "a usable CUDA device is present");
        var (code, stdout, err) = MepropCli.Run(arguments.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains("meprop: --device cuda: no CUDA device: ", err);
        Assert.DoesNotContain("Exception", err + stdout);
    }

    [Fact]
    public void CounterRandomIsTheFunctionTheGpuDropoutReproduces()
    {
        // The same constants are asserted in tests/native/test_cuda_backend_ops.cpp against the C++ reference the GPU
        // dropout kernel is checked with (bitwise), so CPU and GPU draw the same masks.
        Assert.Equal(0x2d0f28c7e7e786b2UL, CounterRandom.Hash(0, 0, 0));
        Assert.Equal(0xa53ae58f0c93c151UL, CounterRandom.Hash(1, 2, 3));
        Assert.Equal(0x52ac72c0919f344dUL, CounterRandom.Hash(12345, 7, 1000000));
        Assert.Equal(0xb4d055fcf2cbbd7bUL, CounterRandom.Hash(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue));
        Assert.Equal((0xa53ae58f0c93c151UL >> 40) * (1.0f / (1 << 24)), CounterRandom.Uniform(1, 2, 3));
    }

    [Fact]
    public void SparseAlgorithmNamesRoundTrip()
    {
        foreach (var (name, a) in SparseBackwardAlgorithms.ByName)
        {
            Assert.Equal(a, SparseBackwardAlgorithms.Parse(name));
            Assert.Equal(name, a.ToName());
        }
        Assert.Throws<ArgumentException>(() => SparseBackwardAlgorithms.Parse("csr"));
        Assert.Equal(SparseBackwardAlgorithm.EllSorted, SparseBackwardAlgorithms.Parse("ELL"));
    }

    [Fact]
    public void CudaActivationValuesAreTheNativeEnum()
    {
        // mp_activation in meprop.h
        Assert.Equal(0, (int)CudaActivation.Relu);
        Assert.Equal(1, (int)CudaActivation.Sigmoid);
        Assert.Equal(2, (int)CudaActivation.Tanh);
        Assert.Equal(3, (int)CudaActivation.Cube);
    }
}

/// <summary>The CSR form of a per-example (ELL) pattern that the cuSPARSE path hands to SpMM.</summary>
public class EllCsrTests
{
    [Fact]
    public void RowOffsetsAreMultiplesOfK()
    {
        Assert.Equal([0, 3, 6, 9], EllCsr.RowOffsets(3, 3));
        Assert.Equal([0], EllCsr.RowOffsets(0, 5));
        Assert.Equal([0, 0, 0], EllCsr.RowOffsets(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => EllCsr.RowOffsets(70000, 70000));
    }

    [Fact]
    public void FromEllCopiesTheRowsOutOfPaddedLayouts()
    {
        // batch 3, k 2, n 6, ldi 3 and ldv 4 (padding must be skipped)
        int[] idx = [1, 4, -9, 0, 5, -9, 2, 3, -9];
        float[] val = [10, 40, 99, 99, -1, 5, 99, 99, 7, 8, 99, 99];
        var (offsets, cols, vals) = EllCsr.FromEll(idx, 3, val, 4, batch: 3, k: 2, n: 6);
        Assert.Equal([0, 2, 4, 6], offsets);
        Assert.Equal([1, 4, 0, 5, 2, 3], cols);
        Assert.Equal([10f, 40, -1, 5, 7, 8], vals);
        float[] dense = EllCsr.ToDense(offsets, cols, vals, 6);
        Assert.Equal([0f, 10, 0, 0, 40, 0, -1, 0, 0, 0, 0, 5, 0, 0, 7, 8, 0, 0], dense);
    }

    [Fact]
    public void FromEllRejectsWhatCsrConsumersCannotTake()
    {
        Assert.Throws<ArgumentException>(() => EllCsr.FromEll([3, 1], 2, [1f, 2], 2, 1, 2, 5));        // descending
        Assert.Throws<ArgumentException>(() => EllCsr.FromEll([1, 1], 2, [1f, 2], 2, 1, 2, 5));        // repeated
        Assert.Throws<ArgumentOutOfRangeException>(() => EllCsr.FromEll([1, 5], 2, [1f, 2], 2, 1, 2, 5)); // outside n
        Assert.Throws<ArgumentException>(() => EllCsr.FromEll([1, 2], 1, [1f, 2], 2, 1, 2, 5));        // ldi < k
        Assert.Throws<ArgumentException>(() => EllCsr.FromEll([1, 2], 2, [1f, 2], 2, 2, 2, 5));        // too short
    }

    [Fact]
    public void TheCsrProductIsTheSparseBackwardOfTheCpuBackend()
    {
        // dx = A W with A the CSR of a top-k pattern equals the CPU's ELL SparseBackwardDx; dW = A^T x its SparseBackwardDw.
        int batch = 6, n = 40, m = 9, k = 5;
        using var cpu = new CpuBackend();
        var dyHost = Support.TestData.Random(batch * n, 31);
        var wHost = Support.TestData.Random(n * m, 32);
        var xHost = Support.TestData.Random(batch * m, 33);
        var dy = Support.TestData.Tensor(cpu, dyHost, batch, n);
        var idx = cpu.AllocateIndices(batch, k);
        var val = cpu.Allocate(batch, k);
        cpu.TopKAbsRows(dy, k, idx, val);
        int[] hostIdx = Support.TestData.Host(cpu, idx);
        float[] hostVal = Support.TestData.Host(cpu, val);
        var (offsets, cols, vals) = EllCsr.FromEll(hostIdx, k, hostVal, k, batch, k, n);
        Assert.Equal(hostIdx, cols); // ELL with ldi = k is CSR as it is: nothing to convert on the device
        float[] a = EllCsr.ToDense(offsets, cols, vals, n);

        var dx = cpu.Allocate(batch, m);
        cpu.SparseBackwardDx(idx, val, Support.TestData.Tensor(cpu, wHost, n, m), dx);
        var dw = cpu.Allocate(n, m);
        cpu.SparseBackwardDw(idx, val, Support.TestData.Tensor(cpu, xHost, batch, m), dw);
        var wantDx = new float[batch * m];
        var wantDw = new float[n * m];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < n; j++)
                for (int i = 0; i < m; i++)
                {
                    wantDx[b * m + i] += a[b * n + j] * wHost[j * m + i];
                    wantDw[j * m + i] += a[b * n + j] * xHost[b * m + i];
                }
        Support.TestData.Close(wantDx, Support.TestData.Host(cpu, dx), 1e-5f, "dx");
        Support.TestData.Close(wantDw, Support.TestData.Host(cpu, dw), 1e-5f, "dW");
    }
}
