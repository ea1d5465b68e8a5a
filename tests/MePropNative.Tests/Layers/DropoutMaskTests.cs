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

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void RatesOutsideZeroToOneAreRejectedByTheLayersAndTheBackend(float rate)
    {
        var backend = new CpuBackend();
        var x = backend.Allocate(2, 3);
        foreach (var make in new Action[]
                 {
                     () => CounterRandom.DropoutKeep(rate),
                     () => new MePropNative.Layers.Dropout(backend, rate, 1),
                     () => new MePropNative.Layers.ReluDropout(backend, rate, 1),
                     () => backend.DropoutForward(x, backend.Allocate(2, 3), backend.Allocate(2, 3), rate, 1, 1),
                     () => backend.ReluDropoutForward(x, backend.Allocate(2, 3), backend.Allocate(2, 3), rate, 1, 1),
                 })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(make);
            Assert.Equal("rate", e.ParamName);
            Assert.Contains("[0, 1)", e.Message);
        }
        Assert.Equal(1f / 0.75f, CounterRandom.DropoutKeep(0.25f));
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
