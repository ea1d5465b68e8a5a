using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using MePropNative.Bindings;
using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// The sequence-model operations of the CPU backend: the fused LSTM cell (forward and backward) and the cube
/// activation as <see cref="Vector{T}"/> C#, the grouped top-k through libmeprop's row top-k (one call per group,
/// writing straight into the group's columns of the result).
/// </summary>
public sealed partial class CpuBackend
{
    // ---- LSTM cell ------------------------------------------------------------------------------------------------------

    public void LstmCellForward(Tensor gates, Tensor? cPrev, Tensor c, Tensor tanhC, Tensor h)
    {
        int n = gates.Rows, hidden = c.Cols;
        if (gates.Cols != 4 * hidden) throw new ArgumentException($"LSTM: gates have {gates.Cols} columns, 4 x hidden is {4 * hidden}.");
        CheckRows(n, hidden, c, nameof(c)); CheckRows(n, hidden, tanhC, nameof(tanhC)); CheckRows(n, hidden, h, nameof(h));
        if (cPrev is not null) CheckRows(n, hidden, cPrev, nameof(cPrev));
        for (int r = 0; r < n; r++)
        {
            var z = Row(gates, r);
            var zi = z[..hidden]; var zf = z.Slice(hidden, hidden); var zg = z.Slice(2 * hidden, hidden); var zo = z.Slice(3 * hidden, hidden);
            SigmoidInPlace(zi); SigmoidInPlace(zf); TanhInPlace(zg); SigmoidInPlace(zo);
            var cr = Row(c, r); var tr = Row(tanhC, r); var hr = Row(h, r);
            var pr = cPrev is null ? Span<float>.Empty : Row(cPrev, r);
            int j = 0, w = Vector<float>.Count;
            for (; j <= hidden - w; j += w)
            {
                var cv = VectorSpan.LoadAt(zi, j) * VectorSpan.LoadAt(zg, j);
                if (cPrev is not null) cv += VectorSpan.LoadAt(zf, j) * VectorSpan.LoadAt(pr, j);
                cv.StoreAt(cr, j);
            }
            for (; j < hidden; j++) cr[j] = zi[j] * zg[j] + (cPrev is null ? 0f : zf[j] * pr[j]);
            cr.CopyTo(tr);
            TanhInPlace(tr);
            for (j = 0; j <= hidden - w; j += w)
                (VectorSpan.LoadAt(zo, j) * VectorSpan.LoadAt(tr, j)).StoreAt(hr, j);
            for (; j < hidden; j++) hr[j] = zo[j] * tr[j];
        }
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
        int w = Vector<float>.Count;
        var one = Vector<float>.One;
        for (int r = 0; r < n; r++)
        {
            var a = Row(gates, r);
            var ai = a[..hidden]; var af = a.Slice(hidden, hidden); var ag = a.Slice(2 * hidden, hidden); var ao = a.Slice(3 * hidden, hidden);
            var d = Row(dGates, r);
            var di = d[..hidden]; var df = d.Slice(hidden, hidden); var dg = d.Slice(2 * hidden, hidden); var dout = d.Slice(3 * hidden, hidden);
            var tc = Row(tanhC, r); var dhr = Row(dh, r); var dcr = Row(dc, r);
            bool carried = r < carriedRows;
            var dhc = carried && dhCarry is not null ? Row(dhCarry, r) : Span<float>.Empty;
            var pr = cPrev is null ? Span<float>.Empty : Row(cPrev, r);
            int j = 0;
            for (; j <= hidden - w; j += w)
            {
                var vh = VectorSpan.LoadAt(dhr, j);
                if (!dhc.IsEmpty) vh += VectorSpan.LoadAt(dhc, j);
                var vt = VectorSpan.LoadAt(tc, j);
                var vo = VectorSpan.LoadAt(ao, j);
                var vc = vh * vo * (one - vt * vt);
                if (carried) vc += VectorSpan.LoadAt(dcr, j);
                var vi = VectorSpan.LoadAt(ai, j);
                var vg = VectorSpan.LoadAt(ag, j);
                var vf = VectorSpan.LoadAt(af, j);
                (vc * vg * vi * (one - vi)).StoreAt(di, j);
                (vc * vi * (one - vg * vg)).StoreAt(dg, j);
                (vh * vt * vo * (one - vo)).StoreAt(dout, j);
                if (cPrev is null) Vector<float>.Zero.StoreAt(df, j);
                else (vc * VectorSpan.LoadAt(pr, j) * vf * (one - vf)).StoreAt(df, j);
                (vc * vf).StoreAt(dcr, j);
            }
            for (; j < hidden; j++)
            {
                float vh = dhr[j] + (dhc.IsEmpty ? 0f : dhc[j]);
                float vt = tc[j], vo = ao[j], vi = ai[j], vg = ag[j], vf = af[j];
                float vc = vh * vo * (1 - vt * vt) + (carried ? dcr[j] : 0f);
                di[j] = vc * vg * vi * (1 - vi);
                dg[j] = vc * vi * (1 - vg * vg);
                dout[j] = vh * vt * vo * (1 - vo);
                df[j] = cPrev is null ? 0f : vc * pr[j] * vf * (1 - vf);
                dcr[j] = vc * vf;
            }
        }
    }

    /// <summary>x = 1 / (1 + exp(-x)), with the argument clamped to [-30, 30] (exp stays finite and normal).</summary>
    private static void SigmoidInPlace(Span<float> x)
    {
        int j = 0, w = Vector<float>.Count;
        var lo = new Vector<float>(-30f); var hi = new Vector<float>(30f);
        for (; j <= x.Length - w; j += w)
        {
            var v = Vector.Min(Vector.Max(VectorSpan.LoadAt(x, j), lo), hi);
            (Vector<float>.One / (Vector<float>.One + Vector.Exp(-v))).StoreAt(x, j);
        }
        for (; j < x.Length; j++) x[j] = 1f / (1f + MathF.Exp(-Math.Clamp(x[j], -30f, 30f)));
    }

    /// <summary>x = tanh(x) as 1 - 2 / (exp(2x) + 1), argument clamped to [-15, 15]; small |x| use the odd Taylor
    /// polynomial (x - x^3/3 + 2x^5/15), where the exp form would lose relative precision.</summary>
    private static void TanhInPlace(Span<float> x)
    {
        int j = 0, w = Vector<float>.Count;
        var lo = new Vector<float>(-15f); var hi = new Vector<float>(15f); var two = new Vector<float>(2f);
        var small = new Vector<float>(0.01f); var third = new Vector<float>(1f / 3f); var c5 = new Vector<float>(2f / 15f);
        for (; j <= x.Length - w; j += w)
        {
            var v = Vector.Min(Vector.Max(VectorSpan.LoadAt(x, j), lo), hi);
            var t = Vector<float>.One - two / (Vector.Exp(two * v) + Vector<float>.One);
            var v2 = v * v;
            var p = v * (Vector<float>.One - v2 * (third - c5 * v2));
            Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(v), small), p, t).StoreAt(x, j);
        }
        for (; j < x.Length; j++) x[j] = MathF.Tanh(x[j]);
    }

    private static void CheckRows(int rows, int cols, Tensor t, string name)
    {
        if (t.Rows != rows || t.Cols != cols) throw new ArgumentException($"{name} must be {rows} x {cols}, not {t.Rows} x {t.Cols}.");
    }

    // ---- cube ------------------------------------------------------------------------------------------------------------------

    public void Cube(Tensor x, Tensor y)
    {
        SameShape(x, y);
        for (int r = 0, nb = RowBlocks(x, y); r < nb; r++)
        {
            var sx = Block(x, r, nb); var sy = Block(y, r, nb);
            int i = 0;
            for (; i <= sx.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = VectorSpan.LoadAt(sx, i);
                (v * v * v).StoreAt(sy, i);
            }
            for (; i < sx.Length; i++) sy[i] = sx[i] * sx[i] * sx[i];
        }
    }

    public void CubeBackward(Tensor x, Tensor dy, Tensor dx)
    {
        SameShape(x, dy); SameShape(x, dx);
        var three = new Vector<float>(3f);
        for (int r = 0, nb = RowBlocks(x, dy, dx); r < nb; r++)
        {
            var sx = Block(x, r, nb); var sdy = Block(dy, r, nb); var sdx = Block(dx, r, nb);
            int i = 0;
            for (; i <= sx.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = VectorSpan.LoadAt(sx, i);
                (three * v * v * VectorSpan.LoadAt(sdy, i)).StoreAt(sdx, i);
            }
            for (; i < sx.Length; i++) sdx[i] = 3f * sx[i] * sx[i] * sdy[i];
        }
    }

    // ---- grouped selection ------------------------------------------------------------------------------------------------------

    public void TopKAbsRowsGrouped(Tensor x, int groups, int k, IndexTensor indices, Tensor? values)
    {
        if (groups < 1 || x.Cols % groups != 0) throw new ArgumentException($"{x.Cols} columns do not split into {groups} equal groups.");
        int width = x.Cols / groups, kk = groups * k;
        SelectionCheck.K(k, width, "the group width");
        if (indices.Rows != x.Rows || indices.Cols != kk) throw new ArgumentException($"indices must be {x.Rows} x {kk}, not {indices.Rows} x {indices.Cols}.");
        if (values is not null && (values.Rows != x.Rows || values.Cols != kk)) throw new ArgumentException($"values must be {x.Rows} x {kk}.");
        if (x.Rows == 0) return;
        long t0 = Stopwatch.GetTimestamp();
        SelectGrouped(x, groups, k, indices, values);
        CountSelection(t0);
    }

    private void SelectGrouped(Tensor x, int groups, int k, IndexTensor indices, Tensor? values)
    {
        int width = x.Cols / groups, kk = groups * k;
        var all = Floats(x);
        var idx = Ints(indices);
        var val = values is null ? Span<float>.Empty : Floats(values);
        int ldv = values?.Stride ?? kk;
        if (x.IsContiguous && ldv == kk)
        {
            // rows x (groups * width) contiguous is (rows * groups) x width: one top-k call selects in every group,
            // and its (rows * groups) x k result is exactly the rows x (groups * k) layout; then add the group offsets
            Kernels.TopKAbsRows(all, x.Rows * groups, width, width, k, idx, k, val, k);
            for (int r = 0; r < x.Rows; r++)
                for (int g = 1; g < groups; g++)
                {
                    var row = idx.Slice(r * kk + g * k, k);
                    int offset = g * width;
                    for (int j = 0; j < k; j++) row[j] += offset;
                }
            return;
        }
        for (int g = 0; g < groups; g++)
        {
            // group g of x is the column range [g*width, (g+1)*width): a strided view starting g*width floats in
            var xg = all[(g * width)..];
            Kernels.TopKAbsRows(xg, x.Rows, width, x.Stride, k, idx[(g * k)..], kk,
                values is null ? Span<float>.Empty : val[(g * k)..], ldv);
            if (g == 0) continue;
            int offset = g * width;
            for (int r = 0; r < x.Rows; r++)
            {
                var row = idx.Slice(r * kk + g * k, k);
                for (int j = 0; j < k; j++) row[j] += offset;
            }
        }
    }

    private int[] groupIndexScratch = [];

    public void SparseBackwardDwGrouped(IndexTensor indices, Tensor values, int groups, Tensor x, Tensor dw)
    {
        int batch = indices.Rows, kk = indices.Cols;
        if (groups < 1 || kk % groups != 0 || dw.Rows % groups != 0) throw new ArgumentException($"{kk} selected columns or {dw.Rows} rows do not split into {groups} groups.");
        if (values.Rows != batch || values.Cols != kk || x.Rows != batch || x.Cols != dw.Cols)
            throw new ArgumentException("sparse backward dW (grouped): values must match indices and x must be batch x m.");
        if (batch == 0) return;
        int k = kk / groups, width = dw.Rows / groups;
        if (groupIndexScratch.Length < batch * kk) groupIndexScratch = new int[batch * kk];
        var local = groupIndexScratch.AsSpan(0, batch * kk);
        var idx = Ints(indices);
        for (int r = 0; r < batch; r++)
            for (int g = 0; g < groups; g++)
            {
                int o = r * kk + g * k, offset = g * width;
                for (int j = 0; j < k; j++)
                {
                    int v = idx[o + j] - offset;
                    if ((uint)v >= (uint)width) throw new ArgumentOutOfRangeException(nameof(indices), idx[o + j], $"index of row {r} is not in group {g}'s columns [{offset}, {offset + width}).");
                    local[o + j] = v;
                }
            }
        var val = Floats(values);
        var all = Floats(dw);
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int g = 0; g < groups; g++)
            Kernels.SparseBackwardDw(batch, width, dw.Cols, k, local[(g * k)..], kk, val[(g * k)..], values.Stride, Floats(x), x.Stride,
                all.Slice(g * width * dw.Stride, (width - 1) * dw.Stride + dw.Cols), dw.Stride);
        Counters.SparseTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
        Counters.SparseCalls += groups;
    }

    public void PlaceIndexColumns(IndexTensor source, IndexTensor destination, int firstColumn, int offset)
    {
        if (source.Rows != destination.Rows) throw new ArgumentException($"source has {source.Rows} rows, destination {destination.Rows}.");
        if (firstColumn < 0 || firstColumn + source.Cols > destination.Cols)
            throw new ArgumentOutOfRangeException(nameof(firstColumn), firstColumn, $"columns [{firstColumn}, {firstColumn + source.Cols}) do not fit in {destination.Cols}.");
        var s = Ints(source); var d = Ints(destination);
        int k = source.Cols, ld = destination.Cols;
        for (int r = 0; r < source.Rows; r++)
        {
            var sr = s.Slice(r * k, k); var dr = d.Slice(r * ld + firstColumn, k);
            for (int j = 0; j < k; j++) dr[j] = sr[j] + offset;
        }
    }
}
