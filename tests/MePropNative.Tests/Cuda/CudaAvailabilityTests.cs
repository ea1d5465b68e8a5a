using MePropNative.Bindings;
using MePropNative.Bindings.Cuda;

namespace MePropNative.Tests.Cuda;

/// <summary>What must hold on every machine, with or without a GPU: probing CUDA never crashes, says why it is
/// unavailable, and leaves the CPU path working.</summary>
public class CudaAvailabilityTests
{
    [Fact]
    public void IsAvailableNeverThrowsAndGivesAReasonWhenFalse()
    {
        bool available = CudaContext.IsAvailable(out string reason);
        if (available)
        {
            Assert.True(CudaContext.DeviceCount >= 1);
            return;
        }
        Assert.False(string.IsNullOrWhiteSpace(reason));
        // The reason names the layer that failed: the driver library, cuInit's error, or an empty device list.
        Assert.Matches("driver|cuInit|CUDA_ERROR|device", reason);
        Assert.Equal(0, CudaContext.DeviceCount);
        Assert.Equal(0, CudaDriver.DeviceCount);
        // Asking twice gives the same answer (cached; cuInit is not retried).
        Assert.False(CudaContext.IsAvailable(out string again));
        Assert.Equal(reason, again);
    }

    [Fact]
    public void CreatingAContextWithoutCudaThrowsACudaExceptionWithTheReason()
    {
        Assert.SkipWhen(CudaContext.IsAvailable(out _), "a CUDA device is present: this test is for machines without one");
        CudaContext.IsAvailable(out string reason);
        var e = Assert.Throws<CudaException>(() => new CudaContext());
        Assert.Contains(reason, e.Message);
        Assert.Equal("CUDA_UNAVAILABLE", e.ErrorName);
    }

    [Fact]
    public void TheNativeLibraryAgreesWithTheDriver()
    {
        if (!CudaContext.IsAvailable(out _)) Assert.Equal(0, MePropLibrary.CudaDeviceCount);
        else if (CudaKernels.BuiltWithCuda) Assert.Equal(CudaContext.DeviceCount, MePropLibrary.CudaDeviceCount);
        (int runtime, int driver) = CudaKernels.Versions;
        if (CudaKernels.BuiltWithCuda) Assert.True(runtime >= 11000, $"runtime {runtime}");
        else Assert.Equal((0, 0), (runtime, driver));
    }

    [Fact]
    public void DescribeReportsEveryLibraryAndNeverThrows()
    {
        string text = CudaLibraries.Describe();
        Assert.Contains("driver", text);
        Assert.Contains("cuBLAS", text);
        Assert.Contains("cuSPARSE", text);
        Assert.Contains("devices", text);
    }

    [Fact]
    public void TheCpuPathKeepsWorkingAfterCudaWasProbed()
    {
        CudaContext.IsAvailable(out _);
        _ = CudaLibraries.Describe();
        float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8], c = new float[4];
        Kernels.Sgemm(Transpose.No, Transpose.No, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
        Assert.Equal([19f, 22f, 43f, 50f], c);
    }
}
