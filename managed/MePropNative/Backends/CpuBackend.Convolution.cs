using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MePropNative.Bindings;
using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// The convolutional operations of the CPU backend. The GEMMs of a conv layer go through libmeprop's SGEMM (the layer
/// calls <see cref="Gemm"/>); the sparse backward — per-map top-k, sparse dW (from the input images or the im2col
/// rows) and sparse dx — through libmeprop's meProp-CNN kernels on its thread pool. What is here is im2col, col2im,
/// pooling and BatchNorm, as Vector256 C#, split over examples or channels on <see cref="ManagedKernelThreads"/>
/// threads; every example or channel is computed by one thread in a fixed order, so results do not depend on the
/// thread count.
/// </summary>
public sealed partial class CpuBackend
{
    private const long ParallelMinElements = 1 << 15;
    private double[] reduceA = [], reduceB = [];
    private float[] channelA = [], channelB = [];

    // ---- im2col / col2im ------------------------------------------------------------------------------------------------

    public unsafe void Im2Col(Tensor input, in ConvGeometry geometry, Tensor columns)
    {
        var g = geometry;
        int n = input.Rows, P = g.Positions, K = g.PatchSize;
        ConvolutionShapes.Im2Col("im2col", input, g, columns);
        if (n == 0) return;
        nint x = (nint)Ptr(input), c = (nint)Ptr(columns);
        int ldx = input.Stride, ldc = columns.Stride;
        ForEachExample(n, (long)P * K, e => Im2ColExample((float*)x + (long)e * ldx, (float*)c + (long)e * P * ldc, ldc, g));
    }

    private static unsafe void Im2ColExample(float* x, float* cols, int ldc, in ConvGeometry g)
    {
        int W = g.InputWidth, H = g.InputHeight, C = g.InputChannels, KW = g.KernelWidth, run = KW * C;
        for (int oh = 0; oh < g.OutputHeight; oh++)
            for (int ow = 0; ow < g.OutputWidth; ow++)
            {
                float* row = cols + (long)(oh * g.OutputWidth + ow) * ldc;
                int iw0 = ow * g.Stride - g.PadLeft;
                int kwLo = Math.Max(0, -iw0), kwHi = Math.Min(KW, W - iw0);
                for (int kh = 0; kh < g.KernelHeight; kh++)
                {
                    float* d = row + kh * run;
                    int ih = oh * g.Stride - g.PadTop + kh;
                    if (ih < 0 || ih >= H || kwLo >= kwHi) { new Span<float>(d, run).Clear(); continue; }
                    if (kwLo > 0) new Span<float>(d, kwLo * C).Clear();
                    new ReadOnlySpan<float>(x + ((long)ih * W + iw0 + kwLo) * C, (kwHi - kwLo) * C).CopyTo(new Span<float>(d + kwLo * C, (kwHi - kwLo) * C));
                    if (kwHi < KW) new Span<float>(d + kwHi * C, (KW - kwHi) * C).Clear();
                }
            }
    }

    public unsafe void Col2Im(Tensor columns, in ConvGeometry geometry, Tensor input)
    {
        var g = geometry;
        int n = input.Rows, P = g.Positions, K = g.PatchSize;
        ConvolutionShapes.Im2Col("col2im", input, g, columns);
        if (n == 0) return;
        nint x = (nint)Ptr(input), c = (nint)Ptr(columns);
        int ldx = input.Stride, ldc = columns.Stride;
        ForEachExample(n, (long)P * K, e => Col2ImExample((float*)c + (long)e * P * ldc, ldc, (float*)x + (long)e * ldx, g));
    }

    private static unsafe void Col2ImExample(float* cols, int ldc, float* x, in ConvGeometry g)
    {
        int W = g.InputWidth, H = g.InputHeight, C = g.InputChannels, KW = g.KernelWidth, run = KW * C;
        new Span<float>(x, g.InputSize).Clear();
        for (int oh = 0; oh < g.OutputHeight; oh++)
            for (int ow = 0; ow < g.OutputWidth; ow++)
            {
                float* row = cols + (long)(oh * g.OutputWidth + ow) * ldc;
                int iw0 = ow * g.Stride - g.PadLeft;
                int kwLo = Math.Max(0, -iw0), kwHi = Math.Min(KW, W - iw0);
                if (kwLo >= kwHi) continue;
                for (int kh = 0; kh < g.KernelHeight; kh++)
                {
                    int ih = oh * g.Stride - g.PadTop + kh;
                    if (ih < 0 || ih >= H) continue;
                    AddTo(row + kh * run + kwLo * C, x + ((long)ih * W + iw0 + kwLo) * C, (kwHi - kwLo) * C);
                }
            }
    }

    // ---- per-map top-k ----------------------------------------------------------------------------------------------------

    public unsafe void TopKPerMap(Tensor dy, int channels, int k, Tensor? running, float decay, Tensor scores, IndexTensor mapIndices,
        IndexTensor indices, Tensor values)
    {
        int N = dy.Rows, C = channels;
        int P = ConvolutionShapes.TopKPerMap(dy, channels, k, running, decay, scores, mapIndices, indices, values);
        if (N == 0) return;

        bool useDecay = running is not null && decay > 0;
        // libmeprop's per-map kernel (on its thread pool): per example the maps as rows (8 x 8 transposes, or the decay
        // score), per map the row top-k (plain selection: of the non-zero keys, packed), the channel-major regrouping, and the
        // running-gradient update (the sum over the examples in order)
        int ldd = dy.Stride, ldv = values.Stride, nk = N * k;
        var dyView = new ReadOnlySpan<float>(Ptr(dy), (N - 1) * ldd + C * P);
        var runView = useDecay ? new Span<float>(Ptr(running!), C * P) : default;
        var idxView = new Span<int>(IntPtr(indices), C * nk);
        var valView = new Span<float>(Ptr(values), (C - 1) * ldv + nk);
        Kernels.TopKAbsPerMap(dyView, N, P, C, ldd, k, runView, useDecay ? decay : 0f, idxView, nk, valView, ldv);
    }

    public unsafe void ConvSparseBackwardInput(IndexTensor indices, Tensor values, int k, Tensor weights, in ConvGeometry geometry, Tensor input)
    {
        var g = geometry;
        int N = input.Rows, C = weights.Rows, nk = N * k;
        ConvolutionShapes.SparseInput(indices, values, k, weights, g, input);
        if (N == 0) return;
        // libmeprop (its thread pool, one example per task): each selected entry adds v * W[c, window] onto its window's
        // input pixels (the example's dx stays in L1); the indices are checked there before anything is written
        int ldv = values.Stride, ldw = weights.Stride, ldx = input.Stride;
        Kernels.ConvSparseInputGradient(Shape(g), N, C, k, new ReadOnlySpan<int>(IntPtr(indices), C * nk), nk,
            new ReadOnlySpan<float>(Ptr(values), (C - 1) * ldv + nk), ldv, new ReadOnlySpan<float>(Ptr(weights), (C - 1) * ldw + g.PatchSize), ldw,
            new Span<float>(Ptr(input), (N - 1) * ldx + g.InputSize), ldx);
    }

    private static ConvShape Shape(in ConvGeometry g) => g.Native;

    public unsafe void ConvSparseBackwardWeights(IndexTensor indices, Tensor values, int k, Tensor input, in ConvGeometry geometry, Tensor weightGradient, bool accumulate)
    {
        var g = geometry;
        int N = input.Rows, C = weightGradient.Rows, nk = N * k;
        ConvolutionShapes.SparseWeights(indices, values, k, input, g, weightGradient);
        if (N == 0 || C == 0) return;
        // libmeprop (its thread pool, one output channel per task): the channel's dW row gathers its entries' windows
        // straight from the input images, register-blocked 64 floats at a time, masked at borders and row ends
        int ldv = values.Stride, ldx = input.Stride, ldw = weightGradient.Stride;
        Kernels.ConvSparseWeightGradient(Shape(g), N, C, k, new ReadOnlySpan<int>(IntPtr(indices), C * nk), nk,
            new ReadOnlySpan<float>(Ptr(values), (C - 1) * ldv + nk), ldv, new ReadOnlySpan<float>(Ptr(input), (N - 1) * ldx + g.InputSize), ldx,
            new Span<float>(Ptr(weightGradient), (C - 1) * ldw + g.PatchSize), ldw, accumulate);
    }

    public unsafe void ConvSparseBackwardWeightsFromColumns(IndexTensor indices, Tensor values, Tensor columns, Tensor weightGradient, bool accumulate)
    {
        int C = weightGradient.Rows, K = columns.Cols, nk = indices.Cols;
        if (weightGradient.Cols != K) throw new ArgumentException($"sparse conv dW: the gradient must have {K} columns, not {weightGradient.Cols}.");
        if (indices.Rows != C || values.Rows != C || values.Cols != nk) throw new ArgumentException($"sparse conv dW: indices and values must be {C} x {nk}.");
        if (C == 0 || nk == 0) return;
        if (columns.Stride == K && weightGradient.Stride >= K && (long)columns.Rows * K <= int.MaxValue)
        {
            // libmeprop's sparse conv dW, the im2col matrix seen as one image of a single row of N * P pixels with K
            // channels under a 1 x 1 kernel: every entry adds its whole im2col row, in entry order, one channel per
            // task on libmeprop's pool (no .NET fork-join next to the pool's spinning workers)
            int rows = columns.Rows, ldvals = values.Stride, ldgrad = weightGradient.Stride;
            var shape = new ConvShape(1, rows, K, 1, 1, 1, 0, 0, 1, rows);
            Kernels.ConvSparseWeightGradient(shape, 1, C, nk, new ReadOnlySpan<int>(IntPtr(indices), C * nk), nk,
                new ReadOnlySpan<float>(Ptr(values), (C - 1) * ldvals + nk), ldvals, new ReadOnlySpan<float>(Ptr(columns), rows * K), rows * K,
                new Span<float>(Ptr(weightGradient), (C - 1) * ldgrad + K), ldgrad, accumulate);
            return;
        }
        if (K > 64)
        {
            // wide rows: libmeprop's sparse kernel (channels as its batch rows, the im2col rows as its weight rows)
            if (accumulate) throw new ArgumentException("sparse conv dW from columns accumulates only for rows of up to 64 floats.");
            SparseBackwardDx(indices, values, columns, weightGradient);
            return;
        }
        var ir0 = Ints(indices);
        foreach (int j in ir0) if ((uint)j >= (uint)columns.Rows) throw new ArgumentOutOfRangeException(nameof(indices), j, $"index {j} is outside [0, {columns.Rows}).");
        nint ppc = (nint)Ptr(columns), ppv = (nint)Ptr(values), ppw = (nint)Ptr(weightGradient), ppi = (nint)IntPtr(indices);
        int ldc = columns.Stride, ldv = values.Stride, ldw = weightGradient.Stride, full = K / 8;
        ForEachExample(C, (long)nk * K, c =>
        {
            // the channel's dW row (at most 64 floats) lives in eight vector accumulators and a scalar tail
            float* pc = (float*)ppc, pv = (float*)ppv;
            int* pi = (int*)ppi;
            float* dw = (float*)ppw + (long)c * ldw;
            Span<float> tail = stackalloc float[8];
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            int* rows = pi + (long)c * nk;
            float* vals = pv + (long)c * ldv;
            for (int j = 0; j < nk; j++)
            {
                float v = vals[j];
                if (v == 0f) continue;
                float* r = pc + (long)rows[j] * ldc;
                var vv = Vector256.Create(v);
                if (full > 0) a0 = Vector256.FusedMultiplyAdd(vv, Vector256.Load(r), a0);
                if (full > 1) a1 = Vector256.FusedMultiplyAdd(vv, Vector256.Load(r + 8), a1);
                if (full > 2) a2 = Vector256.FusedMultiplyAdd(vv, Vector256.Load(r + 16), a2);
                if (full > 3) a3 = Vector256.FusedMultiplyAdd(vv, Vector256.Load(r + 24), a3);
                if (full > 4) a4 = Vector256.FusedMultiplyAdd(vv, Vector256.Load(r + 32), a4);
                if (full > 5) a5 = Vector256.FusedMultiplyAdd(vv, Vector256.Load(r + 40), a5);
                if (full > 6) a6 = Vector256.FusedMultiplyAdd(vv, Vector256.Load(r + 48), a6);
                if (full > 7) a7 = Vector256.FusedMultiplyAdd(vv, Vector256.Load(r + 56), a7);
                for (int i = full * 8; i < K; i++) tail[i - full * 8] = MathF.FusedMultiplyAdd(v, r[i], tail[i - full * 8]);
            }
            Span<Vector256<float>> acc = [a0, a1, a2, a3, a4, a5, a6, a7];
            for (int b = 0; b < full; b++)
                Vector256.Store(accumulate ? acc[b] + Vector256.Load(dw + 8 * b) : acc[b], dw + 8 * b);
            for (int i = full * 8; i < K; i++) dw[i] = accumulate ? dw[i] + tail[i - full * 8] : tail[i - full * 8];
        });
    }

    public unsafe void RowSums(Tensor x, Tensor output, bool accumulate)
    {
        if (output.Length != x.Rows) throw new ArgumentException($"row sums: output has {output.Length} elements for {x.Rows} rows.");
        var o = Floats(output);
        float* p = Ptr(x);
        for (int r = 0; r < x.Rows; r++)
        {
            float* row = p + (long)r * x.Stride;
            var acc = Vector256<float>.Zero;
            int j = 0;
            for (; j <= x.Cols - 8; j += 8) acc += Vector256.Load(row + j);
            float sum = Vector256.Sum(acc);
            for (; j < x.Cols; j++) sum += row[j];
            o[r] = accumulate ? o[r] + sum : sum;
        }
    }

    // ---- max pooling ------------------------------------------------------------------------------------------------------------

    public unsafe void MaxPool2x2(Tensor x, int height, int width, int channels, Tensor y)
    {
        int oh = height / 2, ow = width / 2, C = channels;
        ConvolutionShapes.Pool(x, y, height, width, channels);
        if (x.Rows == 0) return;
        nint px = (nint)Ptr(x), py = (nint)Ptr(y);
        int ldx = x.Stride, ldy = y.Stride;
        ForEachExample(x.Rows, (long)height * width * C, n =>
        {
            float* xn = (float*)px + (long)n * ldx, yn = (float*)py + (long)n * ldy;
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    float* a = xn + ((long)(2 * i) * width + 2 * j) * C, b = a + C, c2 = a + (long)width * C, d = c2 + C;
                    float* o = yn + ((long)i * ow + j) * C;
                    int ch = 0;
                    for (; ch <= C - 8; ch += 8)
                        Vector256.Store(Vector256.Max(Vector256.Max(Vector256.Load(a + ch), Vector256.Load(b + ch)),
                            Vector256.Max(Vector256.Load(c2 + ch), Vector256.Load(d + ch))), o + ch);
                    for (; ch < C; ch++) o[ch] = MathF.Max(MathF.Max(a[ch], b[ch]), MathF.Max(c2[ch], d[ch]));
                }
        });
    }

    public unsafe void MaxPool2x2Backward(Tensor x, Tensor y, Tensor dy, int height, int width, int channels, Tensor dx)
    {
        int oh = height / 2, ow = width / 2, C = channels;
        ConvolutionShapes.PoolBackward(x, y, dy, height, width, channels, dx);
        if (x.Rows == 0) return;
        nint px = (nint)Ptr(x), py = (nint)Ptr(y), pg = (nint)Ptr(dy), pd = (nint)Ptr(dx);
        int ldx = x.Stride, ldy = y.Stride, ldg = dy.Stride, ldd = dx.Stride;
        bool odd = height % 2 != 0 || width % 2 != 0;
        ForEachExample(x.Rows, (long)height * width * C, n =>
        {
            float* xn = (float*)px + (long)n * ldx, yn = (float*)py + (long)n * ldy, gn = (float*)pg + (long)n * ldg, dn = (float*)pd + (long)n * ldd;
            if (odd) new Span<float>(dn, height * width * C).Clear();
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    long o0 = ((long)(2 * i) * width + 2 * j) * C, o1 = o0 + C, o2 = o0 + (long)width * C, o3 = o2 + C;
                    float* o = yn + ((long)i * ow + j) * C;
                    float* gr = gn + ((long)i * ow + j) * C;
                    int ch = 0;
                    for (; ch <= C - 8; ch += 8)
                    {
                        var vy = Vector256.Load(o + ch);
                        var vg = Vector256.Load(gr + ch);
                        var m0 = Vector256.Equals(Vector256.Load(xn + o0 + ch), vy);
                        var m1 = Vector256.AndNot(Vector256.Equals(Vector256.Load(xn + o1 + ch), vy), m0);
                        var taken = m0 | m1;
                        var m2 = Vector256.AndNot(Vector256.Equals(Vector256.Load(xn + o2 + ch), vy), taken);
                        taken |= m2;
                        Vector256.Store(vg & m0, dn + o0 + ch);
                        Vector256.Store(vg & m1, dn + o1 + ch);
                        Vector256.Store(vg & m2, dn + o2 + ch);
                        Vector256.Store(Vector256.AndNot(vg, taken), dn + o3 + ch);
                    }
                    for (; ch < C; ch++)
                    {
                        float m = o[ch], gv = gr[ch];
                        int arg = xn[o0 + ch] == m ? 0 : xn[o1 + ch] == m ? 1 : xn[o2 + ch] == m ? 2 : 3;
                        dn[o0 + ch] = arg == 0 ? gv : 0f;
                        dn[o1 + ch] = arg == 1 ? gv : 0f;
                        dn[o2 + ch] = arg == 2 ? gv : 0f;
                        dn[o3 + ch] = arg == 3 ? gv : 0f;
                    }
                }
        });
    }

    // ---- batch normalization ------------------------------------------------------------------------------------------------------

    public unsafe void BatchNormForwardTraining(Tensor x, int channels, Tensor gamma, Tensor beta, float epsilon, float momentum,
        Tensor runningMean, Tensor runningVariance, Tensor xhat, Tensor invStd, Tensor y)
    {
        int C = channels;
        long m = ConvolutionShapes.BatchNormTraining(x, C, gamma, beta, runningMean, runningVariance, xhat, invStd, y);
        _ = FloatBuffer(x);
        float* px = Ptr(x), pxh = Ptr(xhat), py = Ptr(y);
        var mean = Channels(ref channelA, C);

        ColumnSumsDouble(px, m, C, null, ref reduceA);
        for (int c = 0; c < C; c++) mean[c] = (float)(reduceA[c] / m);
        // variance as the mean of squared deviations (two passes: no cancellation)
        fixed (float* pm = mean)
        {
            for (long r = 0; r < m; r++) SubtractInto(px + r * C, pm, pxh + r * C, C);
        }
        ColumnSumsDouble(pxh, m, C, pxh, ref reduceB);
        var g = Floats(gamma); var b = Floats(beta); var rm = Floats(runningMean); var rv = Floats(runningVariance); var inv = Floats(invStd);
        double unbias = m > 1 ? (double)m / (m - 1) : 1.0;
        for (int c = 0; c < C; c++)
        {
            double variance = reduceB[c] / m;
            inv[c] = (float)(1.0 / Math.Sqrt(variance + epsilon));
            rm[c] = (1 - momentum) * rm[c] + momentum * mean[c];
            rv[c] = (float)((1 - momentum) * rv[c] + momentum * variance * unbias);
        }
        fixed (float* pinv = inv) fixed (float* pg = g) fixed (float* pb = b)
        {
            for (long r = 0; r < m; r++)
            {
                float* xr = pxh + r * C, yr = py + r * C;
                int c = 0;
                for (; c <= C - 8; c += 8)
                {
                    var xh = Vector256.Load(xr + c) * Vector256.Load(pinv + c);
                    Vector256.Store(xh, xr + c);
                    Vector256.Store(Vector256.FusedMultiplyAdd(xh, Vector256.Load(pg + c), Vector256.Load(pb + c)), yr + c);
                }
                for (; c < C; c++)
                {
                    float xh = xr[c] * pinv[c];
                    xr[c] = xh;
                    yr[c] = MathF.FusedMultiplyAdd(xh, pg[c], pb[c]);
                }
            }
        }
    }

    public unsafe void BatchNormForwardInference(Tensor x, int channels, Tensor gamma, Tensor beta, float epsilon,
        Tensor runningMean, Tensor runningVariance, Tensor y)
    {
        int C = channels;
        long m = ConvolutionShapes.BatchNormInference(x, C, gamma, beta, runningMean, runningVariance, y);
        _ = FloatBuffer(x);
        var scale = Channels(ref channelA, C);
        var shift = Channels(ref channelB, C);
        var g = Floats(gamma); var b = Floats(beta); var rm = Floats(runningMean); var rv = Floats(runningVariance);
        for (int c = 0; c < C; c++)
        {
            scale[c] = (float)(g[c] / Math.Sqrt(rv[c] + (double)epsilon));
            shift[c] = b[c] - rm[c] * scale[c];
        }
        float* px = Ptr(x), py = Ptr(y);
        fixed (float* ps = scale) fixed (float* pt = shift)
        {
            for (long r = 0; r < m; r++)
            {
                float* xr = px + r * C, yr = py + r * C;
                int c = 0;
                for (; c <= C - 8; c += 8)
                    Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(xr + c), Vector256.Load(ps + c), Vector256.Load(pt + c)), yr + c);
                for (; c < C; c++) yr[c] = MathF.FusedMultiplyAdd(xr[c], ps[c], pt[c]);
            }
        }
    }

    public unsafe void BatchNormBackward(Tensor dy, Tensor xhat, int channels, Tensor gamma, Tensor invStd, Tensor dgamma, Tensor dbeta,
        bool accumulate, Tensor dx)
    {
        int C = channels;
        long m = ConvolutionShapes.BatchNormBackward(dy, xhat, C, gamma, invStd, dgamma, dbeta, dx);
        if (m == 0) return;
        float* pg = Ptr(dy), pxh = Ptr(xhat), pdx = Ptr(dx);
        ColumnSumsDouble(pg, m, C, null, ref reduceA);
        ColumnSumsDouble(pg, m, C, pxh, ref reduceB);
        var sdy = Channels(ref channelA, C);
        var sdyx = Channels(ref channelB, C);
        var dG = Floats(dgamma); var dB = Floats(dbeta); var g = Floats(gamma); var inv = Floats(invStd);
        for (int c = 0; c < C; c++)
        {
            dB[c] = accumulate ? dB[c] + (float)reduceA[c] : (float)reduceA[c];
            dG[c] = accumulate ? dG[c] + (float)reduceB[c] : (float)reduceB[c];
            sdy[c] = (float)(reduceA[c] / m);   // mean of dy
            sdyx[c] = (float)(reduceB[c] / m);  // mean of dy * xhat
        }
        fixed (float* pa = sdy) fixed (float* pb = sdyx)
        {
            float* scale = (float*)NativeMemory.Alloc((nuint)C, sizeof(float));
            try
            {
                for (int c = 0; c < C; c++) scale[c] = g[c] * inv[c];
                for (long r = 0; r < m; r++)
                {
                    float* gr = pg + r * C, xr = pxh + r * C, dr = pdx + r * C;
                    int c = 0;
                    for (; c <= C - 8; c += 8)
                    {
                        var v = Vector256.Load(gr + c) - Vector256.Load(pa + c) - Vector256.Load(xr + c) * Vector256.Load(pb + c);
                        Vector256.Store(v * Vector256.Load(scale + c), dr + c);
                    }
                    for (; c < C; c++) dr[c] = (gr[c] - pa[c] - xr[c] * pb[c]) * scale[c];
                }
            }
            finally { NativeMemory.Free(scale); }
        }
    }

    /// <summary>sums[c] = sum_r a[r, c] (* b[r, c] when b is not null), rows of C contiguous floats: float vectors over
    /// blocks of 64 rows, added up in double.</summary>
    private static unsafe void ColumnSumsDouble(float* a, long rows, int C, float* b, ref double[] sums)
    {
        if (sums.Length < C) sums = new double[C];
        Array.Clear(sums, 0, C);
        float* part = (float*)NativeMemory.Alloc((nuint)C, sizeof(float));
        try
        {
            for (long r0 = 0; r0 < rows; r0 += 64)
            {
                long r1 = Math.Min(rows, r0 + 64);
                new Span<float>(part, C).Clear();
                for (long r = r0; r < r1; r++)
                {
                    float* ar = a + r * C;
                    float* br = b == null ? null : b + r * C;
                    int c = 0;
                    if (br == null)
                    {
                        for (; c <= C - 8; c += 8) Vector256.Store(Vector256.Load(part + c) + Vector256.Load(ar + c), part + c);
                        for (; c < C; c++) part[c] += ar[c];
                    }
                    else
                    {
                        for (; c <= C - 8; c += 8) Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(ar + c), Vector256.Load(br + c), Vector256.Load(part + c)), part + c);
                        for (; c < C; c++) part[c] += ar[c] * br[c];
                    }
                }
                for (int c = 0; c < C; c++) sums[c] += part[c];
            }
        }
        finally { NativeMemory.Free(part); }
    }

    private static unsafe void SubtractInto(float* x, float* mean, float* dst, int C)
    {
        int c = 0;
        for (; c <= C - 8; c += 8) Vector256.Store(Vector256.Load(x + c) - Vector256.Load(mean + c), dst + c);
        for (; c < C; c++) dst[c] = x[c] - mean[c];
    }

    private static Span<float> Channels(ref float[] scratch, int C)
    {
        if (scratch.Length < C) scratch = new float[C];
        return scratch.AsSpan(0, C);
    }

    // ---- helpers --------------------------------------------------------------------------------------------------------------------

    /// <summary>The address of a tensor view's first element (CPU buffers are pinned arrays, so it stays valid).</summary>
    private unsafe float* Ptr(Tensor t) => FloatBuffer(t).Pointer(t.Offset);

    private unsafe int* IntPtr(IndexTensor t)
    {
        if (t.Buffer is not CpuBuffer<int> b || !ReferenceEquals(b.Backend, this))
            throw new ArgumentException($"{t} does not live on this CPU backend.");
        return b.Pointer(t.Offset);
    }

    /// <summary>
    /// Threads of the managed convolution kernels (im2col, col2im, pooling, BatchNorm; the sparse backward runs on
    /// libmeprop's pool): 0 (the default) uses as many as libmeprop (<see cref="MePropLibrary.NumThreads"/>). On a machine crowded with other jobs a fork-join waits for its slowest (descheduled)
    /// thread, and 1 can be faster.
    /// </summary>
    public static int ManagedKernelThreads { get; set; }

    /// <summary>Runs body(e) for e in [0, count), on up to <see cref="ManagedKernelThreads"/> threads when the work is
    /// large; each e runs on one thread, so results do not depend on the thread count.</summary>
    private static void ForEachExample(int count, long elementsPerExample, Action<int> body)
    {
        int threads = ManagedKernelThreads > 0 ? ManagedKernelThreads : MePropLibrary.NumThreads;
        if (threads <= 1 || count <= 1 || elementsPerExample * count < ParallelMinElements)
        {
            for (int e = 0; e < count; e++) body(e);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddTo(float* x, float* y, int n)
    {
        int i = 0;
        for (; i <= n - 8; i += 8) Vector256.Store(Vector256.Load(y + i) + Vector256.Load(x + i), y + i);
        for (; i < n; i++) y[i] += x[i];
    }
}
