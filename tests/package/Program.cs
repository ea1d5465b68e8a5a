// Uses MePropNative as a library user would, from its NuGet packages only: the kernels on spans against a plain C#
// reference (and the README's kernel example, compiled here beside this file), then a few meProp training steps of
// an MLP. Exit code 0 and "package check: ok" when all hold.
using MePropNative.Backends;
using MePropNative.Bindings;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Optimizers;

const int batch = 16, n = 40, m = 24, k = 6;
var random = new Random(3);
float[] Random(int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
float[] dy = Random(batch * n), w = Random(n * m), x = Random(batch * m);

var indices = new int[batch * k];
var values = new float[batch * k];
Kernels.TopKAbsRows(dy, batch, n, n, k, indices, k, values, k);
var dx = new float[batch * m];
var dw = new float[n * m];
Kernels.SparseBackward(batch, n, m, k, indices, k, values, k, w, m, dx, m, x, m, dw, m);

var expectedDx = new double[batch * m];
var expectedDw = new double[n * m];
for (int b = 0; b < batch; b++)
{
    var top = Enumerable.Range(0, n).OrderByDescending(j => MathF.Abs(dy[b * n + j])).ThenBy(j => j).Take(k).Order().ToArray();
    if (!top.SequenceEqual(indices.Skip(b * k).Take(k))) return Fail($"top-k of row {b}: [{string.Join(", ", indices.Skip(b * k).Take(k))}], expected [{string.Join(", ", top)}]");
    foreach (int j in top)
        for (int c = 0; c < m; c++)
        {
            expectedDx[b * m + c] += (double)dy[b * n + j] * w[j * m + c];
            expectedDw[j * m + c] += (double)dy[b * n + j] * x[b * m + c];
        }
}
double dxError = expectedDx.Select((e, i) => Math.Abs(e - dx[i])).Max(), dwError = expectedDw.Select((e, i) => Math.Abs(e - dw[i])).Max();
if (dxError > 1e-4 || dwError > 1e-4) return Fail($"sparse backward differs from the reference by {dxError:g3} (dx) and {dwError:g3} (dW)");
var fromReadme = MePropNative.Tests.Docs.ReadmeExamples.RunKernels(dy, w, x, batch, n, m, k);
if (!fromReadme.Indices.SequenceEqual(indices) || !fromReadme.Dx.SequenceEqual(dx) || !fromReadme.Dw.SequenceEqual(dw))
    return Fail("the README's kernel example gives other results than the same calls here");

// Training: class = sign of the first feature; the loss of the last steps must fall well below the first ones'.
using var backend = new CpuBackend();
var model = new Mlp(backend, new MlpOptions { Inputs = m, Hidden = [64, 64], Classes = 2, Strategy = StrategyKind.TopK, HiddenK = [8] });
var optimizer = new Adam(new OptimizerOptions { LearningRate = 0.01f });
var loss = new SoftmaxCrossEntropyLoss(backend);
var xs = backend.Allocate(batch, m);
var ys = backend.AllocateIndices(batch, 1);
double firstLoss = 0, lastLoss = 0;
for (int step = 0; step < 100; step++)
{
    float[] features = Random(batch * m);
    backend.Upload(features, xs);
    backend.Upload(Enumerable.Range(0, batch).Select(b => features[b * m] > 0 ? 1 : 0).ToArray(), ys);
    model.Backward(loss.Forward(model.Forward(xs, StepContext.TrainingStep(step, (long)step * batch)), ys, computeGradient: true)!);
    optimizer.Step(model.Parameters);
    if (step == 9) firstLoss = loss.ReadAndReset().MeanLoss;
    if (step == 79) loss.ReadAndReset();
    if (step == 99) lastLoss = loss.ReadAndReset().MeanLoss;
}
if (!(lastLoss < 0.5 * firstLoss)) return Fail($"meProp training did not learn: mean loss {firstLoss:F3} over the first 10 steps, {lastLoss:F3} over the last 20");

Console.WriteLine($"package check: ok ({MePropLibrary.BuildInfo}; top-k and sparse backward match the reference, the README examples compile, " +
                  $"loss {firstLoss:F3} -> {lastLoss:F3})");
return 0;

static int Fail(string why)
{
    Console.Error.WriteLine($"package check: FAILED: {why}");
    return 1;
}
