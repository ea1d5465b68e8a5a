using MePropNative.Backends;

namespace MePropNative.Tests.Storage;

public class CpuBufferTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(784 * 500)]
    public unsafe void ElementZeroIsOnA64ByteBoundaryAndEveryElementIsReachable(int length)
    {
        var backend = new CpuBackend();
        var floats = new CpuBuffer<float>(backend, length);
        var ints = new CpuBuffer<int>(backend, length);
        Assert.Equal(0, (long)(nint)floats.Pointer(0) % 64);
        Assert.Equal(0, (long)(nint)ints.Pointer(0) % 64);
        var span = floats.Span(0, length);
        span.Fill(3f);
        Assert.Equal(3f, floats.Pointer(0)[length - 1]);
        Assert.True(floats.Span(length - 1, 1)[0] == 3f);
    }
}
