// Uses MePropNative as a library user would, from its NuGet packages only, through the README's C# examples (compiled
// here beside this file): the kernel example against a plain C# reference, then the own-loop example training an MLP
// with meProp. Exit code 0 and "package check: ok" when both hold.
using MePropNative.Bindings;
using MePropNative.Tests.Docs;

const int batch = 16, n = 40, m = 24, k = 6;
var random = new Random(3);
float[] Random(int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
float[] dy = Random(batch * n), w = Random(n * m), x = Random(batch * m);

var (indices, dx, dw) = ReadmeExamples.SparseBackwardOfOneLayer(dy, w, x, batch, n, m, k);

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

// Training: class = sign of the first feature (chance is 50%); the last epoch's training accuracy must reach 90%.
const int examples = 1000;
float[] images = Random(examples * m);
int[] labels = Enumerable.Range(0, examples).Select(e => images[e * m] > 0 ? 1 : 0).ToArray();
double accuracy = ReadmeExamples.TrainInOwnLoop(images, labels, m, epochs: 6);
if (!(accuracy >= 0.9)) return Fail($"meProp training did not learn: training accuracy {accuracy:P1} in the last epoch, expected >= 90%");

Console.WriteLine($"package check: ok ({MePropLibrary.BuildInfo}; the README examples compile, top-k and sparse backward match " +
                  $"the reference, training accuracy {accuracy:P1})");
return 0;

static int Fail(string why)
{
    Console.Error.WriteLine($"package check: FAILED: {why}");
    return 1;
}
