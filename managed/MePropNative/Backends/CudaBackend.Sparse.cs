using MePropNative.Bindings.Cuda;
using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// The per-example sparse backward of the CUDA backend, three ways (<see cref="SparseAlgorithm"/>):
/// libmeprop's ELL kernels with the sorted (deterministic) or atomic dW, or cuSPARSE SpMM on the pattern seen as CSR
/// (<see cref="EllCsr"/>: row offsets b * k, the indices as columns, the values): dx = A W (batch x n CSR times the
/// n x m weights) and dW += A^T x (transposed CSR times the batch x m input). cuSPARSE needs the pattern contiguous
/// (ldi = ldv = k, as every strategy allocates it); a strided one falls back to the ELL kernels.
/// </summary>
public sealed partial class CudaBackend
{
    private CudaDeviceVariable<int>? csrOffsets;
    private int csrBatch = -1, csrK = -1;

    public void SparseBackwardDx(IndexTensor indices, Tensor values, Tensor w, Tensor dx)
    {
        int batch = indices.Rows, k = indices.Cols;
        if (values.Rows != batch || values.Cols != k || dx.Rows != batch || dx.Cols != w.Cols)
            throw new ArgumentException("sparse backward dx: values must match indices and dx must be batch x m.");
        if (batch == 0 || w.Cols == 0) return;
        if (k == 0) { Fill(dx, 0); return; }
        int mark = clock.Start();
        if (UseCuSparse(values))
        {
            using var a = Csr(batch, w.Rows, k, indices, values);
            using var b = new DenseMatrix(Context, w.Rows, w.Cols, w.Stride, P(w));
            using var c = new DenseMatrix(Context, batch, dx.Cols, dx.Stride, P(dx));
            SpMM(SparseOperation.NonTranspose, a, b, 0f, c);
        }
        else
        {
            CudaLaunch.SparseBackwardDx(batch, w.Rows, w.Cols, k, P(indices), k, P(values), values.Stride, P(w), w.Stride, P(dx),
                dx.Stride, Stream);
        }
        clock.Stop(mark, KernelClock.Kind.Sparse);
    }

    public void SparseBackwardDw(IndexTensor indices, Tensor values, Tensor x, Tensor dw)
    {
        int batch = indices.Rows, k = indices.Cols;
        if (values.Rows != batch || values.Cols != k || x.Rows != batch || x.Cols != dw.Cols)
            throw new ArgumentException("sparse backward dW: values must match indices and x must be batch x m.");
        if (batch == 0 || k == 0 || dw.Cols == 0) return;
        int mark = clock.Start();
        if (UseCuSparse(values))
        {
            using var a = Csr(batch, dw.Rows, k, indices, values);
            using var b = new DenseMatrix(Context, batch, x.Cols, x.Stride, P(x));
            using var c = new DenseMatrix(Context, dw.Rows, dw.Cols, dw.Stride, P(dw));
            SpMM(SparseOperation.Transpose, a, b, 1f, c);
        }
        else
        {
            var algorithm = SparseAlgorithm == SparseBackwardAlgorithm.EllAtomic ? CudaDwAlgorithm.Atomic : CudaDwAlgorithm.Sorted;
            long bytes = CudaLaunch.SparseBackwardDwWorkspaceSize(batch, dw.Rows, k, algorithm);
            CudaLaunch.SparseBackwardDw(batch, dw.Rows, dw.Cols, k, P(indices), k, P(values), values.Stride, P(x), x.Stride, P(dw),
                dw.Stride, algorithm, Workspace(bytes), bytes, Stream);
        }
        clock.Stop(mark, KernelClock.Kind.Sparse);
    }

    private bool UseCuSparse(Tensor values) => SparseAlgorithm == SparseBackwardAlgorithm.CuSparse && values.IsContiguous;

    /// <summary>The batch x n CSR view of a contiguous batch x k pattern; the row offsets b * k are kept on the device
    /// for the last (batch, k).</summary>
    private SparseCsrMatrix Csr(int batch, int n, int k, IndexTensor indices, Tensor values)
    {
        if (csrOffsets is null || csrBatch != batch || csrK != k)
        {
            if (csrOffsets is null || csrOffsets.Length < batch + 1)
            {
                if (csrOffsets is not null) { Stream.Synchronize(); csrOffsets.Dispose(); }
                csrOffsets = new CudaDeviceVariable<int>(Context, batch + 1);
            }
            CudaLaunch.Iota(csrOffsets.DevicePointer, batch + 1, 0, k, Stream);
            csrBatch = batch;
            csrK = k;
        }
        return new SparseCsrMatrix(Context, batch, n, (long)batch * k, csrOffsets.DevicePointer, P(indices), P(values));
    }

    private void SpMM(SparseOperation opA, SparseCsrMatrix a, DenseMatrix b, float beta, DenseMatrix c)
    {
        var s = SparseHandle;
        long bytes = s.SpMMBufferSize(opA, SparseOperation.NonTranspose, 1f, a, b, beta, c);
        s.SpMM(opA, SparseOperation.NonTranspose, 1f, a, b, beta, c, Workspace(bytes));
    }

    private void DisposeSparseState()
    {
        csrOffsets?.Dispose();
        csrOffsets = null;
    }
}
