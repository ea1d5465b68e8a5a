using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// Everything the layers, meProp strategies and optimizers do to tensor data, as whole-tensor operations. A backend
/// owns its storage: the CPU backend runs libmeprop kernels and vectorized C# over host memory, a CUDA backend would
/// run the same operations as kernels on device memory. Nothing outside a backend touches elements, except through
/// <see cref="Upload(ReadOnlySpan{float}, Tensor)"/> and <see cref="Download(Tensor, Span{float})"/>.
///
/// Conventions: tensors are row-major matrices (views may have a row stride larger than their width); an output may
/// not alias an input unless the operation says so; operations are asynchronous with respect to the host on a device
/// backend, and only those that return a host value (or <see cref="Synchronize"/>) wait.
/// </summary>
public partial interface IBackend : IDisposable
{
    /// <summary>"cpu", "cuda:0", ...</summary>
    string Name { get; }

    /// <summary>Time spent inside the dense GEMM kernel and other counters, for the profile of an epoch.</summary>
    BackendCounters Counters { get; }

    // ---- memory -------------------------------------------------------------------------------------------------

    /// <summary>A float32 buffer of <paramref name="length"/> elements, zeroed.</summary>
    DeviceBuffer AllocateBuffer(long length);

    /// <summary>An int32 buffer of <paramref name="length"/> elements, zeroed.</summary>
    DeviceBuffer AllocateIndexBuffer(long length);

    void Upload(ReadOnlySpan<float> source, Tensor destination);
    void Download(Tensor source, Span<float> destination);
    void Upload(ReadOnlySpan<int> source, IndexTensor destination);
    void Download(IndexTensor source, Span<int> destination);

    /// <summary>Waits until every operation issued so far has finished (a no-op on the CPU).</summary>
    void Synchronize();

    // ---- element-wise and reductions --------------------------------------------------------------------------------

    void Fill(Tensor x, float value);
    /// <summary>destination = source (same shape).</summary>
    void Copy(Tensor source, Tensor destination);
    /// <summary>x *= alpha.</summary>
    void Scale(Tensor x, float alpha);
    /// <summary>y += alpha * x.</summary>
    void Axpy(float alpha, Tensor x, Tensor y);
    /// <summary>c = a + b (c may alias a or b).</summary>
    void Add(Tensor a, Tensor b, Tensor c);
    /// <summary>c = a * b element-wise (c may alias a or b).</summary>
    void Multiply(Tensor a, Tensor b, Tensor c);
    /// <summary>Sum of x^2 over all elements (waits for the result).</summary>
    double SumOfSquares(Tensor x);
    /// <summary>Number of subnormal (denormal) values in x, a diagnostic (waits for the result).</summary>
    long CountSubnormals(Tensor x);

    // ---- dense linear algebra ---------------------------------------------------------------------------------------

    /// <summary>c = alpha * op(a) * op(b) + beta * c; beta = 0 ignores c's contents.</summary>
    void Gemm(bool transposeA, bool transposeB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /// <summary>Prepares op(b) (transposeB as in <see cref="Gemm(bool, bool, float, Tensor, Tensor, float, Tensor)"/>)
    /// for many products: the CPU backend packs it for its kernels once instead of on every call. The default keeps a
    /// reference to b.</summary>
    void PackGemmB(bool transposeB, Tensor b, PackedGemmB packed) => packed.Describe(transposeB, b);

    /// <summary>c = alpha * op(a) * op(b) + beta * c from an op(b) prepared by <see cref="PackGemmB"/>: the same
    /// numbers as the unpacked product.</summary>
    void Gemm(bool transposeA, float alpha, Tensor a, PackedGemmB b, float beta, Tensor c) =>
        Gemm(transposeA, b.TransposeB, alpha, a, b.PackedSource, beta, c);
    /// <summary>x[r, :] += bias for every row (bias is 1 x cols).</summary>
    void AddRowVector(Tensor x, Tensor bias);
    /// <summary>output[c] = (accumulate ? output[c] : 0) + sum_r x[r, c].</summary>
    void ColumnSums(Tensor x, Tensor output, bool accumulate);

    // ---- activations (backward takes the forward output, which is all these need) -----------------------------------

    void Relu(Tensor x, Tensor y);
    /// <summary>dx = dy where y > 0, else 0.</summary>
    void ReluBackward(Tensor y, Tensor dy, Tensor dx);
    void Sigmoid(Tensor x, Tensor y);
    void SigmoidBackward(Tensor y, Tensor dy, Tensor dx);
    void Tanh(Tensor x, Tensor y);
    void TanhBackward(Tensor y, Tensor dy, Tensor dx);

    /// <summary>Inverted dropout: mask = 0 with probability <paramref name="rate"/>, else 1 / (1 - rate); y = x * mask.
    /// The draw of element i is a pure function of (seed, stream, i), so every backend draws the same mask.</summary>
    void DropoutForward(Tensor x, Tensor mask, Tensor y, float rate, ulong seed, ulong stream);

    /// <summary>ReLU followed by <see cref="DropoutForward"/> (the same mask), in one pass: y = x &gt; 0 ? x * mask : 0, and
    /// factor = x &gt; 0 ? mask : 0, which <see cref="ReluDropoutBackward"/> needs instead of the two layers' saved tensors.
    /// y may be x; factor must not overlap x.</summary>
    void ReluDropoutForward(Tensor x, Tensor factor, Tensor y, float rate, ulong seed, ulong stream);
    /// <summary>dx = factor &gt; 0 ? dy * factor : 0: the backward of ReLU and dropout together (a dropped or
    /// non-positive unit gets +0 whatever dy holds).</summary>
    void ReluDropoutBackward(Tensor factor, Tensor dy, Tensor dx);

    // ---- loss ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Softmax cross-entropy of each row of logits against labels (1 x rows). Adds the summed loss to stats[0] and the
    /// number of rows whose arg-max (as <see cref="ArgmaxRows"/> finds it) equals the label to stats[1] (stats is 1 x 2, on
    /// the backend, read when needed).
    /// When gradient is not null it receives (softmax - onehot) * gradientScale.
    /// </summary>
    void SoftmaxCrossEntropy(Tensor logits, IndexTensor labels, Tensor? gradient, float gradientScale, Tensor stats);

    /// <summary>output[0, r] = index of the largest value of row r (lower index on ties). A NaN is larger than nothing and
    /// nothing is larger than it: a NaN in column 0 stays the answer, one elsewhere is skipped.</summary>
    void ArgmaxRows(Tensor x, IndexTensor output);

    // ---- meProp selection -----------------------------------------------------------------------------------------------

    /// <summary>Per row of x, the k indices of largest |x| (ascending) into indices (rows x k), and their signed values
    /// into values (rows x k) when not null. Ties: lower index; NaN ranks highest.</summary>
    void TopKAbsRows(Tensor x, int k, IndexTensor indices, Tensor? values);
    /// <summary>The k columns with the largest sum of |x| over the rows (ascending), into indices (1 x k).</summary>
    void TopKAbsUnified(Tensor x, int k, IndexTensor indices);
    /// <summary>k distinct random columns per row (ascending) into indices (rows x k); row r depends on (seed, firstRow + r).</summary>
    void RandomKRows(int n, int k, ulong seed, long firstRow, IndexTensor indices);
    /// <summary>k distinct random columns (ascending) into indices (1 x k), a pure function of seed.</summary>
    void RandomKUnified(int n, int k, ulong seed, IndexTensor indices);

    // ---- compaction -------------------------------------------------------------------------------------------------------

    /// <summary>destination[r, j] = source[r, indices[j]] (indices 1 x k).</summary>
    void GatherColumns(Tensor source, IndexTensor indices, Tensor destination);
    /// <summary>destination[r, j] = source[r, indices[r, j]] (indices rows x k).</summary>
    void GatherColumnsPerRow(Tensor source, IndexTensor indices, Tensor destination);
    /// <summary>destination[j, :] = source[indices[j], :] (indices 1 x k).</summary>
    void GatherRows(Tensor source, IndexTensor indices, Tensor destination);
    /// <summary>destination[indices[j], :] += alpha * source[j, :] (indices 1 x k; repeated indices accumulate).</summary>
    void ScatterAddRows(Tensor source, IndexTensor indices, float alpha, Tensor destination);
    /// <summary>destination = 0, then destination[r, indices[j]] = source[r, j] (indices 1 x k).</summary>
    void ScatterColumns(Tensor source, IndexTensor indices, Tensor destination);
    /// <summary>x[r, indices[r, j]] = 0 (perRow, indices rows x k) or x[r, indices[j]] = 0 for every r (indices 1 x k).</summary>
    void ZeroSelected(Tensor x, IndexTensor indices, bool perRow);
    /// <summary>target[indices[i]] += scale * (values is null ? 1 : values[i]) over all elements i of indices, in order
    /// (target is 1 x n; values has the shape of indices). Bias gradients of a sparse backward, meSimp counts.</summary>
    void IndexAdd(IndexTensor indices, Tensor? values, float scale, Tensor target);

    // ---- sparse backward of y = x W^T + b (W: n x m) ---------------------------------------------------------------------

    /// <summary>dx[b, :] = sum_t values[b, t] * W[indices[b, t], :] (overwrites dx, batch x m).</summary>
    void SparseBackwardDx(IndexTensor indices, Tensor values, Tensor w, Tensor dx);
    /// <summary>dW[indices[b, t], :] += values[b, t] * x[b, :] (accumulates into dW, n x m).</summary>
    void SparseBackwardDw(IndexTensor indices, Tensor values, Tensor x, Tensor dw);
    /// <summary>Both: <see cref="SparseBackwardDw"/>, then <see cref="SparseBackwardDx"/> when <paramref name="dx"/> is
    /// not null (a backend may run them together).</summary>
    void SparseBackward(IndexTensor indices, Tensor values, Tensor x, Tensor dw, Tensor w, Tensor? dx)
    {
        SparseBackwardDw(indices, values, x, dw);
        if (dx is not null) SparseBackwardDx(indices, values, w, dx);
    }

    // ---- optimizer steps (each consumes the gradient: it is zero afterwards) ----------------------------------------------

    void AdamStep(Tensor weights, Tensor gradient, Tensor firstMoment, Tensor secondMoment, in AdamStepArguments args);
    void AdaGradStep(Tensor weights, Tensor gradient, Tensor squaredSum, in AdaGradStepArguments args);
    /// <summary>SGD; with momentum > 0 velocity = momentum * velocity + g and w -= lr * velocity.</summary>
    void SgdStep(Tensor weights, Tensor gradient, Tensor? velocity, in SgdStepArguments args);
}

/// <summary>Tensor allocation on any backend.</summary>
public static class BackendAllocation
{
    /// <summary>A zeroed tensor of the given shape (rank 1 is one row).</summary>
    public static Tensor Allocate(this IBackend backend, params int[] shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        return Tensor.Create(backend.AllocateBuffer(Math.Max(1, n)), shape);
    }

    /// <summary>A zeroed rows x cols index tensor.</summary>
    public static IndexTensor AllocateIndices(this IBackend backend, int rows, int cols) =>
        new(backend.AllocateIndexBuffer(Math.Max(1, (long)rows * cols)), rows, cols);
}
