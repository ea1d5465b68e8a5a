using MePropNative.Backends;

namespace MePropNative.Tests.MeProp;

/// <summary>A backend's selection given a k out of range says so, naming k and the range, whatever output tensors it
/// was given (they used to be checked first: "indices must be 2 x 0, not 2 x 1").</summary>
public class SelectionArgumentTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(6)]
    public void AKOutOfRangeIsNamedBeforeTheOutputShapes(int k)
    {
        using var backend = new CpuBackend();
        var x = backend.Allocate(2, 5);
        var indices = backend.AllocateIndices(2, 1);
        string expected = $"k = {k} is out of range [1, n = 5].";
        foreach (var select in new Action[]
                 {
                     () => backend.TopKAbsRows(x, k, indices, null),
                     () => backend.TopKAbsUnified(x, k, indices),
                     () => backend.RandomKRows(5, k, seed: 1, firstRow: 0, indices),
                     () => backend.RandomKUnified(5, k, seed: 1, indices),
                 })
            Assert.StartsWith(expected, Assert.Throws<ArgumentOutOfRangeException>(select).Message);
        Assert.StartsWith($"k = {k} is out of range [1, the group width = 5].",
            Assert.Throws<ArgumentOutOfRangeException>(() => backend.TopKAbsRowsGrouped(backend.Allocate(2, 10), 2, k, indices, null)).Message);
    }
}
