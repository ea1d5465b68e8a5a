using MePropNative.Bindings.Cuda;

namespace MePropNative.Tests.Cuda;

public class CudaShapeCheckTests
{
    [Fact]
    public void AMatrixFitsWhenItsLastRowEndsInside()
    {
        CudaShapeCheck.Fits(length: 2 * 10 + 7, rows: 3, cols: 7, ld: 10, "x");
        var e = Assert.Throws<ArgumentException>(() => CudaShapeCheck.Fits(26, 3, 7, 10, "x"));
        Assert.Contains("x has 26 elements", e.Message);
        Assert.Contains("needs 27", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaShapeCheck.Fits(100, 3, 7, 6, "x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaShapeCheck.Fits(100, 0, 7, 7, "x"));
    }

    [Fact]
    public void OffsetsCount()
    {
        CudaShapeCheck.FitsAt(length: 40, offset: 13, rows: 3, cols: 7, ld: 10, "c");
        var e = Assert.Throws<ArgumentException>(() => CudaShapeCheck.FitsAt(40, 14, 3, 7, 10, "c"));
        Assert.Contains("at offset 14", e.Message);
    }

    [Fact]
    public void KMustBeInRangeAndWorkspaceMustBeThereWhenNeeded()
    {
        CudaShapeCheck.K(1, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaShapeCheck.K(0, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaShapeCheck.K(6, 5));
        CudaShapeCheck.Workspace(null, 0, "TopK");
        var missing = Assert.Throws<ArgumentException>(() => CudaShapeCheck.Workspace(null, 512, "SparseBackwardDw"));
        Assert.Contains("512 bytes", missing.Message);
        Assert.Throws<ArgumentException>(() => CudaShapeCheck.Workspace(511, 512, "SparseBackwardDw"));
        CudaShapeCheck.Workspace(512, 512, "SparseBackwardDw");
    }
}
