using System.Globalization;
using System.Text;
using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Optimizers;

namespace MePropNative.GpuBench;

/// <summary>
/// One end-to-end training step of an MNIST-shaped MLP 784-H-H-10 (ReLU, no dropout, softmax cross-entropy, Adam):
/// forward, loss, backward and update, dense and with unified meProp in the two hidden layers (k = 4% of H; the output
/// layer dense, as in the paper), on synthetic inputs. bench/gpu/torch_meprop.py times the same steps in PyTorch and
/// bench/gpu/report.py puts the two side by side.
/// </summary>
public static class MlpStep
{
    public sealed record Row(int Hidden, int Batch, string Strategy, int K, double MedianSeconds, double MinSeconds);

    public static List<Row> Run(IBackend backend, BenchOptions o, BenchEnvironment env)
    {
        var rows = new List<Row>();
        var timer = StopwatchTimer.For(backend);
        var random = new Random(7);
        foreach (int hidden in o.MlpHidden)
            foreach (int batch in o.MlpBatches)
            {
                int k = Math.Max(1, (int)Math.Round(o.MlpKFraction * hidden));
                var xHost = new float[batch * 784];
                for (int i = 0; i < xHost.Length; i++) xHost[i] = (float)random.NextDouble();
                var labelsHost = Enumerable.Range(0, batch).Select(_ => random.Next(10)).ToArray();
                var x = backend.Allocate(batch, 784);
                backend.Upload(xHost, x);
                var labels = backend.AllocateIndices(batch, 1);
                backend.Upload(labelsHost, labels);
                foreach (var (name, kind) in new[] { ("dense", StrategyKind.Dense), ("unified", StrategyKind.Unified) })
                {
                    Console.Error.WriteLine($"[gpubench] mlp step: 784-{hidden}-{hidden}-10, batch {batch}, {name}");
                    var model = new Mlp(backend, new MlpOptions
                    {
                        Inputs = 784, Hidden = [hidden, hidden], Classes = 10, Dropout = 0, Strategy = kind,
                        HiddenK = kind == StrategyKind.Dense ? [] : [k], Seed = 1,
                    });
                    var loss = new SoftmaxCrossEntropyLoss(backend);
                    var optimizer = OptimizerBase.Create(new OptimizerOptions { Kind = OptimizerKind.Adam, LearningRate = 1e-4f });
                    long step = 0;
                    void Step()
                    {
                        var context = StepContext.TrainingStep(step++, 0);
                        var logits = model.Forward(x, context);
                        var gradient = loss.Forward(logits, labels, computeGradient: true)!;
                        model.Backward(gradient);
                        optimizer.Step(model.Parameters);
                    }
                    for (int i = 0; i < o.Warmup; i++) Step();
                    var samples = new List<double>();
                    for (int r = 0; r < o.Rounds; r++) samples.Add(timer.SecondsPerRun(Step, o.Repetitions));
                    samples.Sort();
                    rows.Add(new Row(hidden, batch, name, kind == StrategyKind.Dense ? hidden : k, samples[samples.Count / 2], samples[0]));
                    backend.Synchronize();
                    foreach (var p in model.Parameters)
                    {
                        p.Value.Buffer.Dispose();
                        p.Gradient.Buffer.Dispose();
                        foreach (var s in p.OptimizerState) s.Buffer.Dispose();
                    }
                }
                x.Buffer.Dispose();
                labels.Buffer.Dispose();
            }
        Write(rows, o, env, backend);
        return rows;
    }

    private static string F(double v, int d) => v.ToString("F" + d, CultureInfo.InvariantCulture);

    private static void Write(List<Row> rows, BenchOptions o, BenchEnvironment env, IBackend backend)
    {
        var csv = new StringBuilder("device,hidden,batch,strategy,k,step_ms,min_ms\n");
        var json = new StringBuilder("{\n  \"device\": \"" + env.Device.Replace("\"", "'") + "\",\n  \"dry_run\": " + (o.DryRun ? "true" : "false") +
                                     ",\n  \"rows\": [\n");
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            csv.AppendLine($"\"{env.Device.Replace("\"", "'")}\",{r.Hidden},{r.Batch},{r.Strategy},{r.K},{F(r.MedianSeconds * 1e3, 5)},{F(r.MinSeconds * 1e3, 5)}");
            json.Append($"    {{\"hidden\": {r.Hidden}, \"batch\": {r.Batch}, \"strategy\": \"{r.Strategy}\", \"k\": {r.K}, " +
                        $"\"step_ms\": {F(r.MedianSeconds * 1e3, 5)}, \"min_ms\": {F(r.MinSeconds * 1e3, 5)}}}{(i + 1 < rows.Count ? "," : "")}\n");
        }
        json.Append("  ]\n}\n");
        File.WriteAllText(Path.Combine(o.Out, "mlp_step.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(o.Out, "mlp_step.json"), json.ToString());
        var md = new StringBuilder("# MLP training step (784-H-H-10, Adam): dense vs unified meProp\n\n");
        md.AppendLine($"- Device: {env.Device}{(o.DryRun ? " — DRY RUN on the CPU backend: not a GPU result" : "")}; {env.Date}");
        md.AppendLine($"- One step = forward + softmax cross-entropy + backward + Adam update, synthetic inputs, no dropout; median over {o.Rounds} " +
                      $"rounds of {o.Repetitions} steps ({(backend is CudaBackend ? "CUDA events" : "stopwatch")}). unified: k = {F(100 * o.MlpKFraction, 0)}% of H in both hidden layers, output layer dense.");
        md.AppendLine();
        md.AppendLine("| model | batch | dense step ms | unified step ms | unified speedup |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var g in rows.GroupBy(r => (r.Hidden, r.Batch)))
        {
            var d = g.First(r => r.Strategy == "dense");
            var u = g.First(r => r.Strategy == "unified");
            md.AppendLine($"| 784-{g.Key.Hidden}-{g.Key.Hidden}-10 | {g.Key.Batch} | {F(d.MedianSeconds * 1e3, 3)} | {F(u.MedianSeconds * 1e3, 3)} (k {u.K}) | " +
                          $"{F(d.MedianSeconds / u.MedianSeconds, 2)}x |");
        }
        File.WriteAllText(Path.Combine(o.Out, "mlp_step.md"), md.ToString());
        Console.Error.WriteLine($"[gpubench] wrote {Path.Combine(o.Out, "mlp_step.csv")}, mlp_step.json and mlp_step.md");
    }
}
