using MePropNative.Bindings.Cuda;
using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>The sequence-model operations of the CUDA backend: the fused LSTM cell (libmeprop's lstm.cu), the cube
/// activation, and the grouped top-k as one row top-k per group written straight into the group's columns, then the
/// group's column offset added in place.</summary>
public sealed partial class CudaBackend
{
    public void LstmCellForward(Tensor gates, Tensor? cPrev, Tensor c, Tensor tanhC, Tensor h)
    {
        int n = gates.Rows, hidden = c.Cols;
        if (gates.Cols != 4 * hidden) throw new ArgumentException($"LSTM: gates have {gates.Cols} columns, 4 x hidden is {4 * hidden}.");
        CheckRows(n, hidden, c, nameof(c)); CheckRows(n, hidden, tanhC, nameof(tanhC)); CheckRows(n, hidden, h, nameof(h));
        if (cPrev is not null) CheckRows(n, hidden, cPrev, nameof(cPrev));
        if (n == 0 || hidden == 0) return;
        CudaLaunch.LstmCellForward(P(gates), n, hidden, gates.Stride, cPrev is null ? 0 : P(cPrev), cPrev?.Stride ?? hidden,
            P(c), c.Stride, P(tanhC), tanhC.Stride, P(h), h.Stride, Stream);
    }

    public void LstmCellBackward(Tensor gates, Tensor? cPrev, Tensor tanhC, Tensor dh, Tensor? dhCarry, int carriedRows, Tensor dc, Tensor dGates)
    {
        int n = gates.Rows, hidden = tanhC.Cols;
        if (gates.Cols != 4 * hidden || !gates.SameShape(dGates)) throw new ArgumentException("LSTM backward: gates and dGates must be n x 4H.");
        CheckRows(n, hidden, tanhC, nameof(tanhC)); CheckRows(n, hidden, dh, nameof(dh)); CheckRows(n, hidden, dc, nameof(dc));
        if (cPrev is not null) CheckRows(n, hidden, cPrev, nameof(cPrev));
        if (carriedRows < 0 || carriedRows > n) throw new ArgumentOutOfRangeException(nameof(carriedRows), carriedRows, $"must be in [0, {n}].");
        if (dhCarry is not null && (dhCarry.Rows < carriedRows || dhCarry.Cols != hidden))
            throw new ArgumentException($"dhCarry must have >= {carriedRows} rows of {hidden}.");
        if (n == 0 || hidden == 0) return;
        bool carry = dhCarry is not null && carriedRows > 0;
        CudaLaunch.LstmCellBackward(P(gates), n, hidden, gates.Stride, cPrev is null ? 0 : P(cPrev), cPrev?.Stride ?? hidden,
            P(tanhC), tanhC.Stride, P(dh), dh.Stride, carry ? P(dhCarry!) : 0, carry ? dhCarry!.Stride : hidden, carriedRows,
            P(dc), dc.Stride, P(dGates), dGates.Stride, Stream);
    }

    public void Cube(Tensor x, Tensor y) => Activation(CudaActivation.Cube, x, y);

    public void CubeBackward(Tensor x, Tensor dy, Tensor dx) => ActivationBackward(CudaActivation.Cube, x, dy, dx);

    public void TopKAbsRowsGrouped(Tensor x, int groups, int k, IndexTensor indices, Tensor? values)
    {
        if (groups < 1 || x.Cols % groups != 0) throw new ArgumentException($"{x.Cols} columns do not split into {groups} equal groups.");
        int width = x.Cols / groups, kk = groups * k;
        SelectionCheck.K(k, width, "the group width");
        if (indices.Rows != x.Rows || indices.Cols != kk) throw new ArgumentException($"indices must be {x.Rows} x {kk}, not {indices.Rows} x {indices.Cols}.");
        if (values is not null && (values.Rows != x.Rows || values.Cols != kk)) throw new ArgumentException($"values must be {x.Rows} x {kk}.");
        if (x.Rows == 0) return;
        long bytes = CudaLaunch.TopKAbsRowsWorkspaceSize(x.Rows, width, k);
        int mark = clock.Start();
        for (int g = 0; g < groups; g++)
        {
            ulong idx = P(indices) + (ulong)(g * k) * sizeof(int);
            CudaLaunch.TopKAbsRows(P(x) + (ulong)(g * width) * sizeof(float), x.Rows, width, x.Stride, k, idx, kk,
                values is null ? 0 : P(values) + (ulong)(g * k) * sizeof(float), values?.Stride ?? kk, Workspace(bytes), bytes, Stream);
            if (g > 0) CudaLaunch.PlaceIndexColumns(idx, x.Rows, k, kk, idx, kk, g * width, Stream);
        }
        clock.Stop(mark, KernelClock.Kind.Selection);
    }

    /// <summary>On the GPU the grouping buys nothing (the CPU does it for cache locality): the grouped pattern holds
    /// column numbers of the full dy, i.e. rows of dW, so it is one <see cref="SparseBackwardDw"/> over all groups.</summary>
    public void SparseBackwardDwGrouped(IndexTensor indices, Tensor values, int groups, Tensor x, Tensor dw)
    {
        int kk = indices.Cols;
        if (groups < 1 || kk % groups != 0 || dw.Rows % groups != 0)
            throw new ArgumentException($"{kk} selected columns or {dw.Rows} rows do not split into {groups} groups.");
        SparseBackwardDw(indices, values, x, dw);
    }

    public void PlaceIndexColumns(IndexTensor source, IndexTensor destination, int firstColumn, int offset)
    {
        if (source.Rows != destination.Rows) throw new ArgumentException($"source has {source.Rows} rows, destination {destination.Rows}.");
        if (firstColumn < 0 || firstColumn + source.Cols > destination.Cols)
            throw new ArgumentOutOfRangeException(nameof(firstColumn), firstColumn, $"columns [{firstColumn}, {firstColumn + source.Cols}) do not fit in {destination.Cols}.");
        if (source.Rows == 0 || source.Cols == 0) return;
        CudaLaunch.PlaceIndexColumns(P(source), source.Rows, source.Cols, source.Cols,
            P(destination) + (ulong)firstColumn * sizeof(int), destination.Cols, offset, Stream);
    }

    private static void CheckRows(int rows, int cols, Tensor t, string name)
    {
        if (t.Rows != rows || t.Cols != cols) throw new ArgumentException($"{name} must be {rows} x {cols}, not {t.Rows} x {t.Cols}.");
    }
}
