using MePropNative.Bindings;

namespace MePropNative.Tests.Bindings;

public class LibraryTests
{
    [Fact]
    public void LoadsTheNativeLibraryAndReportsItsBuild()
    {
        Assert.Contains("libmeprop", MePropLibrary.BuildInfo);
        Assert.True(MePropLibrary.NumThreads >= 1);
        Assert.True(MePropLibrary.CudaDeviceCount >= 0);
    }

    [Fact]
    public void ForcingAnUnknownIsaThrowsWithTheNativeMessage()
    {
        var e = Assert.Throws<MePropNativeException>(() => MePropLibrary.Isa = (Isa)9);
        Assert.Equal(MePropStatus.InvalidArgument, e.Status);
        Assert.Contains("isa = 9", e.Message);
    }
}
