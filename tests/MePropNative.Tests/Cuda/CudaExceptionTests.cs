using MePropNative.Bindings.Cuda;

namespace MePropNative.Tests.Cuda;

public class CudaExceptionTests
{
    [Fact]
    public void TheMessageNamesTheCallTheErrorAndTheLibrary()
    {
        var e = new CudaException("CUDA driver", "cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory");
        Assert.Equal("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2, CUDA driver): out of memory", e.Message);
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", e.ErrorName);
        Assert.Equal(2, e.Code);
        Assert.Equal("cuMemAlloc_v2", e.Call);
        Assert.Equal("cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE (7, cuBLAS)",
            new CudaException("cuBLAS", "cublasSgemm_v2", 7, CudaBlas.StatusName(7)).Message);
    }

    [Theory]
    [InlineData(0, "CUBLAS_STATUS_SUCCESS")]
    [InlineData(1, "CUBLAS_STATUS_NOT_INITIALIZED")]
    [InlineData(3, "CUBLAS_STATUS_ALLOC_FAILED")]
    [InlineData(7, "CUBLAS_STATUS_INVALID_VALUE")]
    [InlineData(13, "CUBLAS_STATUS_EXECUTION_FAILED")]
    [InlineData(15, "CUBLAS_STATUS_NOT_SUPPORTED")]
    [InlineData(42, "CUBLAS_STATUS_42")]
    public void CublasStatusNamesFollowTheHeader(int status, string name) => Assert.Equal(name, CudaBlas.StatusName(status));

    [Theory]
    [InlineData(0, "CUSPARSE_STATUS_SUCCESS")]
    [InlineData(3, "CUSPARSE_STATUS_INVALID_VALUE")]
    [InlineData(10, "CUSPARSE_STATUS_NOT_SUPPORTED")]
    [InlineData(11, "CUSPARSE_STATUS_INSUFFICIENT_RESOURCES")]
    public void CusparseStatusNamesFollowTheHeader(int status, string name) => Assert.Equal(name, CudaSparse.StatusName(status));

    [Theory]
    [InlineData(100, "CUDA_ERROR_NO_DEVICE")]
    [InlineData(35, "CUDA_ERROR_INSUFFICIENT_DRIVER")]
    [InlineData(2, "CUDA_ERROR_OUT_OF_MEMORY")]
    [InlineData(700, "CUDA_ERROR_ILLEGAL_ADDRESS")]
    public void DriverErrorsAreNamedWithOrWithoutTheDriver(int status, string name)
    {
        Assert.Equal(name, CudaDriver.FallbackErrorName(status));
        Assert.Equal(name, CudaDriver.ErrorName(status)); // cuGetErrorName when a driver library is there
    }

    [Fact]
    public void CheckThrowsOnlyOnFailure()
    {
        CudaDriver.Check(0, "cuNothing");
        var e = Assert.Throws<CudaException>(() => CudaDriver.Check(100, "cuDeviceGet"));
        Assert.StartsWith("cuDeviceGet failed: CUDA_ERROR_NO_DEVICE (100, CUDA driver)", e.Message);
    }

    [Fact]
    public void VersionsAreFormatted()
    {
        Assert.Equal("12.4", CudaDriver.FormatVersion(12040));
        Assert.Equal("11.8", CudaDriver.FormatVersion(11080));
        Assert.Equal("13.0", CudaDriver.FormatVersion(13000));
        Assert.Equal("none", CudaDriver.FormatVersion(0));
    }
}
