namespace MePropNative.Backends;

/// <summary>
/// How a backend runs <see cref="IBackend.SparseBackwardDx"/> and <see cref="IBackend.SparseBackwardDw"/> on a
/// per-example (ELL: k (index, value) pairs per row of dy) pattern. The strategies (top-k, random-k, MSBP) do not
/// change: the choice is a capability of the backend (<see cref="ISparseBackwardAlgorithms"/>), set from the config
/// key <c>sparse_algorithm</c> or tried one by one by <c>--strategy auto</c>.
/// </summary>
public enum SparseBackwardAlgorithm
{
    /// <summary>The backend's own kernels: libmeprop's AVX2 kernels on the CPU; ELL with sorted dW on CUDA.</summary>
    Default,
    /// <summary>CUDA: libmeprop's ELL kernels, dW by a counting sort of the pattern (deterministic).</summary>
    EllSorted,
    /// <summary>CUDA: libmeprop's ELL kernels, dW by atomicAdd per entry (last bits vary run to run).</summary>
    EllAtomic,
    /// <summary>CUDA: cuSPARSE SpMM on the pattern as CSR (row offsets b * k, columns = indices, values): dx = A W,
    /// dW += A^T x.</summary>
    CuSparse,
}

public static class SparseBackwardAlgorithms
{
    public static readonly IReadOnlyDictionary<string, SparseBackwardAlgorithm> ByName =
        new Dictionary<string, SparseBackwardAlgorithm>(StringComparer.OrdinalIgnoreCase)
        {
            ["default"] = SparseBackwardAlgorithm.Default,
            ["ell"] = SparseBackwardAlgorithm.EllSorted,
            ["ell-atomic"] = SparseBackwardAlgorithm.EllAtomic,
            ["cusparse"] = SparseBackwardAlgorithm.CuSparse,
        };

    public static string ToName(this SparseBackwardAlgorithm a) => ByName.First(p => p.Value == a).Key;

    public static SparseBackwardAlgorithm Parse(string name) => ByName.TryGetValue(name, out var a) ? a
        : throw new ArgumentException($"unknown sparse algorithm '{name}'; valid: {string.Join(", ", ByName.Keys)}.");
}

/// <summary>A backend with more than one way to run the per-example sparse backward.</summary>
public interface ISparseBackwardAlgorithms
{
    /// <summary>The algorithms this backend can run (Default excluded).</summary>
    IReadOnlyList<SparseBackwardAlgorithm> SupportedSparseAlgorithms { get; }

    /// <summary>The one SparseBackwardDx/Dw use now (settable at any time between operations).</summary>
    SparseBackwardAlgorithm SparseAlgorithm { get; set; }
}
