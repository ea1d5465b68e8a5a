using MePropNative.Backends;

namespace MePropNative.Tests.TensorViews;

public class TensorOverlapTests
{
    private readonly CpuBackend backend = new();

    [Fact]
    public void ViewsOfOneBufferOverlapWhereTheirElementRangesMeet()
    {
        var t = backend.Allocate(4, 6);
        Assert.True(t.Overlaps(t));
        Assert.True(t.Overlaps(t.RowSlice(3, 1)));
        Assert.False(t.RowSlice(0, 2).Overlaps(t.RowSlice(2, 2)));
        Assert.True(t.RowSlice(0, 3).Overlaps(t.RowSlice(2, 2)));
        Assert.False(t.RowSlice(0, 1).ColumnSlice(0, 3).Overlaps(t.RowSlice(0, 1).ColumnSlice(3, 3)));
        Assert.True(t.ColumnSlice(0, 3).Overlaps(t.ColumnSlice(3, 3))); // rows interleave: counted as overlapping
        Assert.False(t.Overlaps(backend.Allocate(4, 6)));
        Assert.False(t.RowSlice(1, 0).Overlaps(t));
    }
}
