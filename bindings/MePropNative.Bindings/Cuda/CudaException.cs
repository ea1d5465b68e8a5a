namespace MePropNative.Bindings.Cuda;

/// <summary>
/// A CUDA driver, cuBLAS or cuSPARSE call failed, or a CUDA library could not be loaded. <see cref="ErrorName"/>
/// is the library's own name for the status (cuGetErrorName: <c>CUDA_ERROR_OUT_OF_MEMORY</c>, cuBLAS:
/// <c>CUBLAS_STATUS_INVALID_VALUE</c>, cuSPARSE: <c>CUSPARSE_STATUS_NOT_SUPPORTED</c>), <see cref="Code"/> its number.
/// </summary>
public sealed class CudaException : Exception
{
    public CudaException(string library, string call, int code, string errorName, string? description = null)
        : base(Format(library, call, code, errorName, description))
    {
        Library = library;
        Call = call;
        Code = code;
        ErrorName = errorName;
        Description = description ?? "";
    }

    /// <summary>"CUDA driver", "cuBLAS", "cuSPARSE" or "CUDA libraries".</summary>
    public string Library { get; }

    /// <summary>The failed entry point, e.g. <c>cuMemAlloc_v2</c>.</summary>
    public string Call { get; }

    public int Code { get; }
    public string ErrorName { get; }
    public string Description { get; }

    /// <summary>"cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2, CUDA driver): out of memory".</summary>
    public static string Format(string library, string call, int code, string errorName, string? description) =>
        $"{call} failed: {errorName} ({code}, {library})" + (string.IsNullOrEmpty(description) ? "" : $": {description}");
}
