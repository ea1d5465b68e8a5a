using MePropNative.Bindings;
using MePropNative.Bindings.Cuda;

namespace MePropNative.Tests.Cuda;

/// <summary>The driver-API layer, cuBLAS and cuSPARSE on a real device (skipped without one).</summary>
public class CudaDriverGpuTests(CudaFixture fixture) : IClassFixture<CudaFixture>
{
    [Fact]
    public void TheContextDescribesTheDevice()
    {
        CudaContext gpu = fixture.Gpu();
        Assert.False(string.IsNullOrWhiteSpace(gpu.DeviceName));
        Assert.True(gpu.ComputeCapability >= new Version(7, 0), gpu.ToString());
        Assert.True(gpu.MultiprocessorCount > 0);
        (long free, long total) = gpu.MemoryInfo;
        Assert.True(total > 0 && free > 0 && free <= total);
        Assert.Contains("sm_", gpu.ToString());
        Assert.True(CudaDriver.DriverVersion >= 11000);
    }

    [Fact]
    public void DeviceVariablesRoundTripCopyAndMemset()
    {
        CudaContext gpu = fixture.Gpu();
        float[] host = GpuCheck.Random(new Random(1), 1000);
        using var a = gpu.Upload<float>(host);
        Assert.Equal(1000, a.Length);
        Assert.Equal(4000, a.SizeInBytes);
        Assert.Equal(host, a.ToArray());

        var part = new float[10];
        a.CopyToHost(part, offset: 990);
        Assert.Equal(host[990..], part);
        a.CopyToDevice([1f, 2f], offset: 5);
        Assert.Equal(2f, a.ToArray()[6]);
        Assert.Throws<ArgumentException>(() => a.CopyToDevice(new float[2], offset: 999));

        using var b = new CudaDeviceVariable<float>(gpu, 1000);
        b.CopyFrom(a);
        Assert.Equal(a.ToArray(), b.ToArray());
        using var c = new CudaDeviceVariable<float>(gpu, 20);
        c.Memset(0);
        c.CopyFrom(a, sourceOffset: 100, offset: 5, count: 10);
        float[] hc = c.ToArray();
        Assert.Equal(host[100..110], hc[5..15]);
        Assert.Equal(0f, hc[4]);
        Assert.Throws<ArgumentException>(() => c.CopyFrom(a, 0, 15, 10));
        b.Memset(BitConverter.SingleToUInt32Bits(-2.5f));
        Assert.All(b.ToArray(), v => Assert.Equal(-2.5f, v));

        using var stream = new CudaStream(gpu);
        b.CopyToDeviceAsync(host, stream);
        var back = new float[1000];
        b.CopyToHostAsync(back, stream);
        stream.Synchronize();
        Assert.Equal(host, back);
        b.Memset(0, stream);
        stream.Synchronize();
        Assert.All(b.ToArray(), v => Assert.Equal(0f, v));

        b.Dispose();
        b.Dispose(); // twice is fine
        Assert.Throws<ObjectDisposedException>(() => b.DevicePointer);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CudaDeviceVariable<float>(gpu, 0));
    }

    [Fact]
    public void EventsTimeWorkOnAStream()
    {
        CudaContext gpu = fixture.Gpu();
        using var stream = new CudaStream(gpu);
        using var start = new CudaEvent(gpu);
        using var end = new CudaEvent(gpu);
        using var big = new CudaDeviceVariable<float>(gpu, 1 << 24);
        start.Record(stream);
        for (int i = 0; i < 10; i++) big.Memset((uint)i, stream);
        end.Record(stream);
        end.Synchronize();
        float ms = CudaEvent.ElapsedMilliseconds(start, end);
        Assert.True(ms > 0 && ms < 10_000, $"{ms} ms");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void CublasRowMajorSgemmMatchesTheReference(bool transA, bool transB)
    {
        CudaContext gpu = fixture.Gpu();
        const int m = 67, n = 45, k = 129;
        var random = new Random(7 + (transA ? 1 : 0) + (transB ? 2 : 0));
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + 3, ldb = bCols + 1, ldc = n + 2;
        float[] a = GpuCheck.Random(random, aRows * lda), b = GpuCheck.Random(random, bRows * ldb), c0 = GpuCheck.Random(random, m * ldc);
        using var da = gpu.Upload<float>(a);
        using var db = gpu.Upload<float>(b);
        using var dc = gpu.Upload<float>(c0);
        using var stream = new CudaStream(gpu);
        using var blas = new CudaBlas(gpu, stream) { MathMode = BlasMathMode.Default };
        Assert.True(blas.Version > 0);
        blas.RowMajorSgemm(transA ? Transpose.Yes : Transpose.No, transB ? Transpose.Yes : Transpose.No, m, n, k, 2f,
            da, lda, db, ldb, 0.5f, dc, ldc);
        stream.Synchronize();
        float[] c = dc.ToArray();
        var want = new double[m * ldc];
        var scale = new double[m * ldc];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                if (j >= n) { want[i * ldc + j] = c0[i * ldc + j]; scale[i * ldc + j] = Math.Abs(c0[i * ldc + j]); continue; }
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double t = (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                    sum += t;
                    abs += Math.Abs(t);
                }
                want[i * ldc + j] = 2 * sum + 0.5 * c0[i * ldc + j];
                scale[i * ldc + j] = 2 * abs + 0.5 * Math.Abs(c0[i * ldc + j]);
            }
        GpuCheck.Close(c, want, scale, "C");
        Assert.Throws<ArgumentException>(() => blas.RowMajorSgemm(Transpose.No, Transpose.No, m, n, k, 1f,
            da, lda, db, ldb, 0f, new CudaDeviceVariable<float>(gpu, 10), ldc));
    }

    [Fact]
    public void CublasStridedBatchedRowMajorMatchesOneGemmPerBatch()
    {
        CudaContext gpu = fixture.Gpu();
        const int m = 8, n = 9, k = 10, batches = 3;
        var random = new Random(3);
        float[] a = GpuCheck.Random(random, batches * m * k), b = GpuCheck.Random(random, batches * k * n);
        using var da = gpu.Upload<float>(a);
        using var db = gpu.Upload<float>(b);
        using var dc = new CudaDeviceVariable<float>(gpu, batches * m * n);
        using var blas = new CudaBlas(gpu);
        blas.RowMajorSgemmStridedBatched(Transpose.No, Transpose.No, m, n, k, 1f, da, k, m * k, db, n, k * n, 0f, dc, n, m * n, batches);
        float[] c = dc.ToArray();
        for (int t = 0; t < batches; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = 0, abs = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double v = (double)a[t * m * k + i * k + p] * b[t * k * n + p * n + j];
                        sum += v;
                        abs += Math.Abs(v);
                    }
                    Assert.True(Math.Abs(c[t * m * n + i * n + j] - sum) <= 1e-4 * abs + 1e-7);
                }
    }

    [Fact]
    public void CusparseSpMMOfAnEllPatternIsTheSparseDx()
    {
        CudaContext gpu = fixture.Gpu();
        const int batch = 16, n = 300, m = 70, k = 12;
        var random = new Random(11);
        var idx = new int[batch * k];
        for (int b = 0; b < batch; b++)
        {
            int[] pick = Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(k).Order().ToArray();
            pick.CopyTo(idx, b * k);
        }
        float[] val = GpuCheck.Random(random, batch * k), w = GpuCheck.Random(random, n * m);
        int[] offsets = Enumerable.Range(0, batch + 1).Select(b => b * k).ToArray(); // ELL with ldi == k is CSR
        using var dOffsets = gpu.Upload<int>(offsets);
        using var dIdx = gpu.Upload<int>(idx);
        using var dVal = gpu.Upload<float>(val);
        using var dW = gpu.Upload<float>(w);
        using var dDx = GpuCheck.Poisoned(gpu, batch * m, float.NaN);
        using var sparse = new CudaSparse(gpu);
        using var a = new SparseCsrMatrix(batch, n, batch * k, dOffsets, dIdx, dVal);
        using var bMat = new DenseMatrix(n, m, m, dW);
        using var cMat = new DenseMatrix(batch, m, m, dDx);
        long bytes = sparse.SpMMBufferSize(SparseOperation.NonTranspose, SparseOperation.NonTranspose, 1f, a, bMat, 0f, cMat);
        using var buffer = new CudaDeviceVariable<byte>(gpu, Math.Max(bytes, 1));
        sparse.SpMM(SparseOperation.NonTranspose, SparseOperation.NonTranspose, 1f, a, bMat, 0f, cMat, buffer);
        gpu.Synchronize();
        float[] dx = dDx.ToArray();
        var want = new double[batch * m];
        var scale = new double[batch * m];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < k; t++)
                for (int j = 0; j < m; j++)
                {
                    double v = (double)val[b * k + t] * w[idx[b * k + t] * m + j];
                    want[b * m + j] += v;
                    scale[b * m + j] += Math.Abs(v);
                }
        GpuCheck.Close(dx, want, scale, "SpMM dx");
    }
}

/// <summary>libmeprop's mp_cuda_* kernels through <see cref="CudaKernels"/> against C# references (skipped without
/// a device or in a CPU-only build of libmeprop).</summary>
public class CudaKernelsGpuTests(CudaFixture fixture) : IClassFixture<CudaFixture>
{
    [Theory]
    [InlineData(8, 500, 20)]
    [InlineData(3, 4000, 1)]
    [InlineData(2, 30000, 700)]
    [InlineData(64, 784, 784)]
    public void TopKRowsFusedAndUnfusedMatchTheContract(int rows, int n, int k)
    {
        CudaContext gpu = fixture.Kernels();
        var random = new Random(rows * 31 + n + k);
        int ldx = n + 1, ldi = k + 2, ldv = k + 1;
        float[] x = GpuCheck.Random(random, rows * ldx);
        for (int i = 0; i < x.Length; i += 17) x[i] = MathF.Round(x[i] * 4) / 4; // ties
        x[Math.Min(5, n - 1)] = float.NaN;
        x[ldx * (rows - 1)] = float.NegativeInfinity;
        using var dx = gpu.Upload<float>(x);
        using var idx = GpuCheck.Poisoned(gpu, rows * ldi, -7);
        using var val = GpuCheck.Poisoned(gpu, rows * ldv, float.NaN);
        using var gathered = GpuCheck.Poisoned(gpu, rows * ldv, float.NaN);
        using var stream = new CudaStream(gpu);
        CudaKernels.TopKAbsRows(dx, rows, n, ldx, k, idx, ldi, val, ldv, stream: stream);
        CudaKernels.GatherColumnsPerRow(dx, rows, n, ldx, idx, ldi, k, gathered, ldv, stream); // the unfused path
        stream.Synchronize();
        int[] hIdx = idx.ToArray();
        float[] hVal = val.ToArray(), hGathered = gathered.ToArray();
        for (int r = 0; r < rows; r++)
        {
            int[] want = GpuCheck.TopK(x.AsSpan(r * ldx, n), k);
            Assert.Equal(want, hIdx.AsSpan(r * ldi, k).ToArray());
            Assert.Equal(-7, hIdx[r * ldi + k]);
            for (int j = 0; j < k; j++)
            {
                float expected = x[r * ldx + want[j]];
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(hVal[r * ldv + j]));
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(hGathered[r * ldv + j]));
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaKernels.TopKAbsRows(dx, rows, n, ldx, n + 1, idx, n + 1));
    }

    [Fact]
    public void UnifiedTopKSelectsByColumnAbsSums()
    {
        CudaContext gpu = fixture.Kernels();
        const int rows = 40, n = 900, k = 50;
        float[] x = GpuCheck.Random(new Random(5), rows * n);
        using var dx = gpu.Upload<float>(x);
        using var idx = GpuCheck.Poisoned(gpu, k, -7);
        using var sums = GpuCheck.Poisoned(gpu, n, float.NaN);
        CudaKernels.TopKAbsUnified(dx, rows, n, n, k, idx, sums);
        using var ws = new CudaDeviceVariable<byte>(gpu, CudaKernels.TopKAbsUnifiedWorkspaceSize(rows, n, k));
        using var idx2 = GpuCheck.Poisoned(gpu, k, -7);
        CudaKernels.TopKAbsUnified(dx, rows, n, n, k, idx2, workspace: ws);
        Assert.Throws<ArgumentException>(() => CudaKernels.TopKAbsUnified(dx, rows, n, n, k, idx2));
        float[] hSums = sums.ToArray();
        var want = new double[n];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < n; c++) want[c] += Math.Abs(x[r * n + c]);
        GpuCheck.Close(hSums, want, want, "column |x| sums");
        Assert.Equal(GpuCheck.TopK(hSums, k), idx.ToArray());
        Assert.Equal(idx.ToArray(), idx2.ToArray());
    }

    [Fact]
    public void RandomKIsDistinctAscendingAndReproducible()
    {
        CudaContext gpu = fixture.Kernels();
        const int rows = 50, n = 600, k = 30;
        using var a = new CudaDeviceVariable<int>(gpu, rows * k);
        using var b = new CudaDeviceVariable<int>(gpu, rows * k);
        CudaKernels.RandomKRows(rows, n, k, 99, 0, a, k);
        CudaKernels.RandomKRows(rows, n, k, 99, 0, b, k);
        int[] ha = a.ToArray();
        Assert.Equal(ha, b.ToArray());
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++)
            {
                Assert.InRange(ha[r * k + j], 0, n - 1);
                if (j > 0) Assert.True(ha[r * k + j - 1] < ha[r * k + j]);
            }
        using var u = new CudaDeviceVariable<int>(gpu, k);
        CudaKernels.RandomKUnified(n, k, 99, u);
        int[] hu = u.ToArray();
        Assert.Equal(hu.Order().Distinct().ToArray(), hu);
    }

    [Fact]
    public void MsbpAppliesTheMemoryAndKeepsTheDroppedMass()
    {
        CudaContext gpu = fixture.Kernels();
        const int rows = 6, n = 100, k = 7;
        const float ratio = 0.5f;
        var random = new Random(2);
        float[] dy = GpuCheck.Random(random, rows * n), mem = GpuCheck.Random(random, rows * n);
        using var dDy = gpu.Upload<float>(dy);
        using var dMem = gpu.Upload<float>(mem);
        using var idx = new CudaDeviceVariable<int>(gpu, rows * k);
        CudaKernels.MsbpApply(dDy, rows, n, n, dMem, n);
        CudaKernels.TopKAbsRows(dDy, rows, n, n, k, idx, k);
        CudaKernels.MsbpUpdate(dDy, rows, n, n, idx, k, k, ratio, dMem, n);
        float[] g = dDy.ToArray(), newMem = dMem.ToArray();
        int[] hIdx = idx.ToArray();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < n; c++)
            {
                int i = r * n + c;
                Assert.Equal(dy[i] + mem[i], g[i]);
                bool kept = hIdx.AsSpan(r * k, k).Contains(c);
                Assert.Equal(kept ? 0f : ratio * g[i], newMem[i]);
            }
    }

    [Fact]
    public void CompactionGathersAndScatters()
    {
        CudaContext gpu = fixture.Kernels();
        const int rows = 5, cols = 80, k = 6;
        float[] src = GpuCheck.Random(new Random(4), rows * cols);
        int[] pattern = [1, 7, 20, 21, 50, 79];
        using var dSrc = gpu.Upload<float>(src);
        using var dIdx = gpu.Upload<int>(pattern);
        using var packed = GpuCheck.Poisoned(gpu, rows * k, float.NaN);
        CudaKernels.GatherColumns(dSrc, rows, cols, cols, dIdx, k, packed, k);
        using var dense = GpuCheck.Poisoned(gpu, rows * cols, float.NaN);
        CudaKernels.ScatterColumns(packed, rows, k, k, dIdx, dense, cols, cols);
        float[] hDense = dense.ToArray();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                Assert.Equal(pattern.Contains(c) ? src[r * cols + c] : 0f, hDense[r * cols + c]);

        int[] rowPick = [4, 0, 2];
        using var dRows = gpu.Upload<int>(rowPick);
        using var picked = GpuCheck.Poisoned(gpu, 3 * cols, float.NaN);
        CudaKernels.GatherRows(dSrc, rows, cols, cols, dRows, 3, picked, cols);
        using var acc = new CudaDeviceVariable<float>(gpu, rows * cols);
        acc.Memset(0);
        CudaKernels.ScatterAddRows(picked, 3, cols, cols, dRows, 2f, acc, rows, cols);
        float[] hAcc = acc.ToArray();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                Assert.Equal(rowPick.Contains(r) ? 2f * src[r * cols + c] : 0f, hAcc[r * cols + c]);
    }

    [Fact]
    public void FillAndColumnSums()
    {
        CudaContext gpu = fixture.Kernels();
        const int rows = 300, cols = 77;
        float[] x = GpuCheck.Random(new Random(6), rows * cols);
        using var dx = gpu.Upload<float>(x);
        using var sums = GpuCheck.Poisoned(gpu, cols, float.NaN);
        CudaKernels.ColumnSums(dx, rows, cols, cols, sums);
        var want = new double[cols];
        var scale = new double[cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) { want[c] += x[r * cols + c]; scale[c] += Math.Abs(x[r * cols + c]); }
        GpuCheck.Close(sums.ToArray(), want, scale, "column sums");
        CudaKernels.Fill(dx, rows, cols, cols, 3f);
        Assert.All(dx.ToArray(), v => Assert.Equal(3f, v));
    }

    [Theory]
    [InlineData(32, 500, 300, 20)]
    [InlineData(7, 2000, 33, 100)]
    public void SparseBackwardDxAndBothDwAlgorithmsMatchTheReference(int batch, int n, int m, int k)
    {
        CudaContext gpu = fixture.Kernels();
        var random = new Random(batch + n + m + k);
        var idx = new int[batch * k];
        for (int b = 0; b < batch; b++)
            Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(k).Order().ToArray().CopyTo(idx, b * k);
        float[] val = GpuCheck.Random(random, batch * k), w = GpuCheck.Random(random, n * m),
            x = GpuCheck.Random(random, batch * m), dw0 = GpuCheck.Random(random, n * m);
        using var dIdx = gpu.Upload<int>(idx);
        using var dVal = gpu.Upload<float>(val);
        using var dW = gpu.Upload<float>(w);
        using var dX = gpu.Upload<float>(x);
        using var dDx = GpuCheck.Poisoned(gpu, batch * m, float.NaN);
        using var stream = new CudaStream(gpu);
        CudaKernels.SparseBackwardDx(batch, n, m, k, dIdx, k, dVal, k, dW, m, dDx, m, stream);
        stream.Synchronize();
        var want = new double[batch * m];
        var scale = new double[batch * m];
        var wantW = dw0.Select(v => (double)v).ToArray();
        var scaleW = dw0.Select(v => (double)Math.Abs(v)).ToArray();
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < k; t++)
            {
                int i = idx[b * k + t];
                for (int j = 0; j < m; j++)
                {
                    double v = (double)val[b * k + t] * w[i * m + j];
                    want[b * m + j] += v;
                    scale[b * m + j] += Math.Abs(v);
                    double u = (double)val[b * k + t] * x[b * m + j];
                    wantW[i * m + j] += u;
                    scaleW[i * m + j] += Math.Abs(u);
                }
            }
        GpuCheck.Close(dDx.ToArray(), want, scale, "dx");

        float[]? firstSorted = null;
        foreach (CudaDwAlgorithm algorithm in new[] { CudaDwAlgorithm.Sorted, CudaDwAlgorithm.Atomic, CudaDwAlgorithm.Sorted })
        {
            long bytes = CudaKernels.SparseBackwardDwWorkspaceSize(batch, n, k, algorithm);
            using var ws = bytes > 0 ? new CudaDeviceVariable<byte>(gpu, bytes) : null;
            using var dDw = gpu.Upload<float>(dw0);
            CudaKernels.SparseBackwardDw(batch, n, m, k, dIdx, k, dVal, k, dX, m, dDw, m, algorithm, ws, stream);
            stream.Synchronize();
            float[] got = dDw.ToArray();
            GpuCheck.Close(got, wantW, scaleW, $"dW ({algorithm})");
            if (algorithm == CudaDwAlgorithm.Sorted)
            {
                if (firstSorted is null) firstSorted = got;
                else Assert.Equal(firstSorted, got); // bitwise: the sorted algorithm is deterministic
            }
        }
        Assert.Throws<ArgumentException>(() => CudaKernels.SparseBackwardDw(batch, n, m, k, dIdx, k, dVal, k, dX, m,
            new CudaDeviceVariable<float>(gpu, n * m), m, CudaDwAlgorithm.Sorted, workspace: null));
    }
}
