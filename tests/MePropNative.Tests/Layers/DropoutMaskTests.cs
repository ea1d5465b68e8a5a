using MePropNative.Backends;

namespace MePropNative.Tests.Layers;

public class DropoutMaskTests
{
    [Theory]
    [InlineData(0f, 1UL, 0UL, 37)]
    [InlineData(0.1f, 7UL, 3UL, 1000)]
    [InlineData(0.5f, 12345UL, 99UL, 8)]
    [InlineData(0.3333f, ulong.MaxValue, ulong.MaxValue - 5, 203)] // counters wrap around
    [InlineData(0.9999999f, 2UL, 1UL << 40, 64)]
    public void TheVectorMaskEqualsTheScalarDraws(float rate, ulong seed, ulong first, int length)
    {
        float keep = 1f / (1f - rate);
        var mask = new float[length];
        CounterRandom.DropoutMask(seed, 42, first, rate, keep, mask);
        for (int i = 0; i < length; i++)
            Assert.Equal(CounterRandom.Uniform(seed, 42, first + (ulong)i) < rate ? 0f : keep, mask[i]);
    }

    [Fact]
    public void TheDropFractionIsTheRate()
    {
        var mask = new float[200_000];
        CounterRandom.DropoutMask(3, 5, 0, 0.25f, 4f / 3f, mask);
        double dropped = mask.Count(v => v == 0f) / (double)mask.Length;
        Assert.InRange(dropped, 0.245, 0.255);
    }
}
