using System.Globalization;
using System.Text;
using MePropNative.Bindings;
using MePropNative.Training;

namespace MePropNative.Experiments;

/// <summary>Writes OUT/report.md (tables) and OUT/*.png|svg (plots) from the cached runs of an experiment plan.</summary>
public static class ReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <param name="results">The cached runs of the whole plan (not only the groups a command ran), by run name.</param>
    public static string Write(ExperimentSettings s, IReadOnlyDictionary<string, RunResult> results, Action<string>? log = null)
    {
        Directory.CreateDirectory(s.OutDir);
        RunResult? R(string baseName, bool main = false) =>
            results.GetValueOrDefault(ExperimentPlan.RunName(baseName, main ? s.MainEpochs : s.SweepEpochs, s.TrainLimit));
        RunResult? Speed(string baseName) => results.GetValueOrDefault(ExperimentPlan.RunName(baseName, s.SpeedEpochs, s.TrainLimit));
        var md = new StringBuilder();
        md.AppendLine("# meProp on MNIST: the paper's tables and figures, regenerated");
        md.AppendLine();
        md.AppendLine($"Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC by `meprop experiment mnist --epochs {s.MainEpochs} --sweep-epochs {s.SweepEpochs}` " +
                      "(runs are cached under `runs/`; the same command continues or regenerates everything, `--report-only` redraws this file).");
        md.AppendLine();
        md.AppendLine($"Machine: {Environment.ProcessorCount} cores ({CpuName()}), CPU backend; libmeprop: `{Safe(() => MePropLibrary.BuildInfo)}`.");
        md.AppendLine($"Model: MLP 784-500-500-10 (unless stated), ReLU, dropout {s.Dropout} after each hidden layer, softmax cross-entropy averaged over the batch, Adam (lr 0.001), " +
                      $"batch {s.BatchSize} (batch and dropout as in the paper's reference PyTorch code), Glorot-uniform init, seed {s.Seed}. Data: the first 5,000 MNIST training images are the dev set, " +
                      "the other 55,000 train; the test accuracy reported is the one at the best dev evaluation.");
        md.AppendLine($"Main runs (the accuracy targets) and meSimp train {s.MainEpochs} epochs; the comparison runs (k sweep, random-k, " +
                      $"dense of size k, dropout, depth, MSBP) train {s.SweepEpochs} epochs to keep the whole report to about an hour on 2 cores." +
                      (s.TrainLimit > 0 ? $" **Smoke run: only {s.TrainLimit} training examples.**" : ""));
        md.AppendLine("Times are seconds per epoch, measured on a 2-core machine shared with other work: absolute times are noisy, " +
                      "ratios taken within one run are the numbers to compare. `backward` is the whole backward pass (loss gradient excluded, " +
                      "ReLU backward included); `linear bwd` is the part inside the linear layers (what meProp sparsifies); `update` is the optimizer step " +
                      "(dense Adam over all weights for every strategy). The backprop ratio is the fraction of the weight-gradient work (rows of W times their width) a run did.");
        md.AppendLine();

        // ---- targets ---------------------------------------------------------------------------------------------------------
        var dense = R("dense", true);
        var top80 = R("topk-k80", true);
        var top20 = R("topk-k20", true);
        md.AppendLine("## Targets");
        md.AppendLine();
        md.AppendLine("| target | measured | met |");
        md.AppendLine("|---|---|---|");
        Target(md, "dense test accuracy >= 98.0% (paper 98.20)", dense?.TestAccuracy, v => v >= 98.0, v => $"{v:F2}%");
        Target(md, "meProp top-80 test accuracy >= 98.0% (paper 98.27)", top80?.TestAccuracy, v => v >= 98.0, v => $"{v:F2}%");
        Target(md, "meProp top-20 test accuracy >= 97.8%", top20?.TestAccuracy, v => v >= 97.8, v => $"{v:F2}%");
        var speedDense = Speed($"dense-b{s.SpeedBatchSize}");
        var speedTop20 = Speed($"topk-k20-b{s.SpeedBatchSize}");
        double? Ratio(RunResult? a, RunResult? b, Func<EpochRecord, double> f) => a is not null && b is not null ? Per(a, f) / Per(b, f) : null;
        var bench = MlpBackwardBenchmark.Report.Read(Path.Combine(s.OutDir, "bench.json"));
        Target(md, $"backward time, dense / top-20 >= 8x (one process, same batches, batch {bench?.BatchSize})", bench?.Find("top-20")?.BackwardSpeedup, v => v >= 8,
            v => $"{v:F1}x (linear layers only: {bench!.Find("top-20")!.LinearBackwardSpeedup:F1}x)");
        Target(md, $"share of a dense training step inside GEMM >= 70% (one process, batch {bench?.BatchSize})", bench?.DenseStepGemmShare, v => v >= 0.70, v => $"{100 * v:F0}%");
        Target(md, $"backward time, dense / top-20 (speed runs, batch {s.SpeedBatchSize})", Ratio(speedDense, speedTop20, e => e.BackwardSeconds), v => v >= 8,
            v => $"{v:F1}x (linear layers only: {Ratio(speedDense, speedTop20, e => e.LinearBackwardSeconds):F1}x)");
        Target(md, $"backward time, dense / top-20 (main runs, batch {s.BatchSize})", Ratio(dense, top20, e => e.BackwardSeconds), v => v >= 8,
            v => $"{v:F1}x (linear layers only: {Ratio(dense, top20, e => e.LinearBackwardSeconds):F1}x)");
        Target(md, $"share of a dense epoch's wall time inside GEMM >= 70% (speed run, batch {s.SpeedBatchSize})", speedDense?.Sums.GemmFraction, v => v >= 0.70, v => $"{100 * v:F0}%");
        Target(md, $"share of a dense epoch's wall time inside GEMM (main run, batch {s.BatchSize})", dense?.Sums.GemmFraction, v => v >= 0.70, v => $"{100 * v:F0}%");
        md.AppendLine();

        // ---- main ---------------------------------------------------------------------------------------------------------------
        md.AppendLine($"## Main runs ({s.MainEpochs} epochs)");
        md.AppendLine();
        RunTable(md, [("dense", dense), ("meProp top-80", top80), ("meProp top-20", top20), ("meProp unified top-20", R("unified-k20", true))], dense);
        var curves = new List<Series>();
        foreach (var (title, r) in new[] { ("dense", dense), ("top-80", top80), ("top-20", top20) })
            if (r is not null) curves.Add(new Series(title, r.Epochs.Select(e => ((double)e.Epoch, e.DevAccuracy)).ToList()));
        Figure(md, new Plot("main_dev_accuracy", "Dev accuracy per epoch", "epoch", "dev accuracy (%)", curves), s, log);

        // ---- bench ---------------------------------------------------------------------------------------------------------------------
        if (bench is not null)
        {
            md.AppendLine("## Backward time in one process (`meprop bench mlp`)");
            md.AppendLine();
            md.AppendLine(bench.ToMarkdown());
            if (bench.Find("dense") is { } d && bench.Find("top-20") is { } t20)
            {
                // multiply-adds of the backward of 784-500-500-10: dense GEMMs vs the per-example sparse kernels at k = 20
                double denseFma = (double)bench.BatchSize * (500 * 784 + 500 * 500 + 500 * 500 + 10 * 500 * 2);
                double sparseFma = (double)bench.BatchSize * 20 * (784 + 500 + 500);
                string F(double v, int digits) => v.ToString("F" + digits, Inv);
                md.AppendLine($"Where the top-20 time goes: the dense backward does {F(denseFma / 1e6, 0)}M multiply-adds in SGEMM " +
                    $"({F(denseFma / d.GemmInBackwardMs / 1e6, 1)} GFMA/s); top-20 needs {F(sparseFma / 1e6, 1)}M ({F(denseFma / sparseFma, 0)}x fewer) in the sparse " +
                    $"dW/dx kernels, which take {F(t20.SparseKernelsMs, 3)} ms ({F(sparseFma / t20.SparseKernelsMs / 1e6, 1)} GFMA/s: read-modify-write of scattered dW rows " +
                    $"instead of register-blocked tiles); the rest of the top-20 backward ({F(t20.BackwardMs - t20.SparseKernelsMs, 3)} ms) is the top-k selection " +
                    (t20.SelectionMs > 0 ? $"({F(t20.SelectionMs, 3)} ms), " : "") +
                    $"the dense output layer ({F(t20.GemmInBackwardMs, 3)} ms of GEMM), the bias sums and the ReLU backward. " + Budget() +
                    " Unified top-20 turns the same work into two small dense GEMMs.");
                string Budget()
                {
                    double budget = d.BackwardMs / 8, rest = t20.BackwardMs - t20.SparseKernelsMs;
                    double atGemmSpeed = sparseFma / (denseFma / d.GemmInBackwardMs);
                    string ifAsFastAsGemm = $" Were they as fast per multiply-add as SGEMM ({F(atGemmSpeed, 3)} ms), the top-20 backward would be " +
                                            $"{F(d.BackwardMs / (rest + atGemmSpeed), 1)}x faster than dense.";
                    return rest >= budget
                        ? $"An 8x faster backward ({F(budget, 3)} ms) is out of reach even with free sparse kernels: the rest alone takes {F(rest, 3)} ms."
                        : $"An 8x faster backward ({F(budget, 3)} ms) needs the sparse kernels {F(t20.SparseKernelsMs / (budget - rest), 1)}x faster." + ifAsFastAsGemm;
                }
                md.AppendLine();
            }
        }

        // ---- speed -------------------------------------------------------------------------------------------------------------------
        md.AppendLine($"## Speed runs (batch {s.SpeedBatchSize}, no dropout, {s.SpeedEpochs} epochs)");
        md.AppendLine();
        md.AppendLine("The same kernels and framework for every strategy; the dense baseline runs two GEMMs per layer (no dx for the first layer), " +
                      "meProp the sparse kernels. The update is the same dense Adam step for all.");
        md.AppendLine();
        RunTable(md, [("dense", speedDense), ("meProp top-20", speedTop20), ("meProp unified top-20", Speed($"unified-k20-b{s.SpeedBatchSize}"))], speedDense);
        md.AppendLine("Where the time goes (seconds per epoch): `GEMM` is all SGEMM calls of the training steps (forward and backward), " +
                      "`sparse kernels` the libmeprop sparse dx/dW calls; the rest of `linear bwd` is the top-k selection, the dense output layer and bookkeeping.");
        md.AppendLine();
        md.AppendLine("| run | forward | backward | linear bwd | sparse kernels | GEMM (all) | update | wall |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (title, r) in new[] { ("dense", speedDense), ("meProp top-20", speedTop20), ("meProp unified top-20", Speed($"unified-k20-b{s.SpeedBatchSize}")) })
            if (r is not null)
                md.AppendLine(string.Create(Inv, $"| {title} | {Per(r, e => e.ForwardSeconds):F2} | {Per(r, e => e.BackwardSeconds):F2} | {Per(r, e => e.LinearBackwardSeconds):F2} | " +
                    $"{Per(r, e => e.SparseKernelSeconds):F2} | {Per(r, e => e.GemmSeconds):F2} | {Per(r, e => e.UpdateSeconds):F2} | {Per(r, e => e.TrainWallSeconds):F2} |"));
        md.AppendLine();

        // ---- k sweep ---------------------------------------------------------------------------------------------------------------
        md.AppendLine($"## Accuracy and backprop time vs k ({s.SweepEpochs} epochs)");
        md.AppendLine();
        var sweepDense = R("dense");
        var sweep = ExperimentPlan.SweepK.Select(k => ($"top-{k}", R($"topk-k{k}"))).Append(("dense (k = 500)", sweepDense)).ToList();
        RunTable(md, sweep, sweepDense);
        var accK = ExperimentPlan.SweepK.Select(k => (k, r: R($"topk-k{k}"))).Where(p => p.r is not null).Select(p => ((double)p.k, p.r!.TestAccuracy)).ToList();
        var bwK = ExperimentPlan.SweepK.Select(k => (k, r: R($"topk-k{k}"))).Where(p => p.r is not null).Select(p => ((double)p.k, Per(p.r!, e => e.BackwardSeconds))).ToList();
        var linK = ExperimentPlan.SweepK.Select(k => (k, r: R($"topk-k{k}"))).Where(p => p.r is not null).Select(p => ((double)p.k, Per(p.r!, e => e.LinearBackwardSeconds))).ToList();
        if (sweepDense is not null)
        {
            accK.Add((500, sweepDense.TestAccuracy));
            bwK.Add((500, Per(sweepDense, e => e.BackwardSeconds)));
            linK.Add((500, Per(sweepDense, e => e.LinearBackwardSeconds)));
        }
        Figure(md, new Plot("accuracy_vs_k", "Test accuracy vs k (k = 500 is dense)", "k", "test accuracy (%)", [new Series("meProp top-k", accK)], LogX: true), s, log);
        Figure(md, new Plot("backward_time_vs_k", "Backward time per epoch vs k (k = 500 is dense)", "k", "seconds per epoch",
            [new Series("backward", bwK), new Series("linear layers", linK)], LogX: true), s, log);

        // ---- random ------------------------------------------------------------------------------------------------------------------
        md.AppendLine($"## Top-k vs random-k ({s.SweepEpochs} epochs)");
        md.AppendLine();
        md.AppendLine("| k | top-k test % | random-k test % |");
        md.AppendLine("|---:|---:|---:|");
        var topSeries = new List<(double, double)>();
        var randSeries = new List<(double, double)>();
        foreach (int k in ExperimentPlan.RandomK)
        {
            var t = R($"topk-k{k}"); var rr = R($"random-k{k}");
            md.AppendLine($"| {k} | {Acc(t)} | {Acc(rr)} |");
            if (t is not null) topSeries.Add((k, t.TestAccuracy));
            if (rr is not null) randSeries.Add((k, rr.TestAccuracy));
        }
        md.AppendLine();
        Figure(md, new Plot("topk_vs_random", "Top-k vs random-k", "k", "test accuracy (%)", [new Series("top-k", topSeries), new Series("random-k", randSeries)], LogX: true), s, log);

        // ---- dense of size k ----------------------------------------------------------------------------------------------------------
        md.AppendLine($"## meProp top-k vs a dense network whose hidden layers have k units ({s.SweepEpochs} epochs)");
        md.AppendLine();
        md.AppendLine("| k | meProp top-k (500 hidden) test % | dense 784-k-k-10 test % |");
        md.AppendLine("|---:|---:|---:|");
        foreach (int k in ExperimentPlan.DenseK) md.AppendLine($"| {k} | {Acc(R($"topk-k{k}"))} | {Acc(R($"dense-h{k}"))} |");
        md.AppendLine();

        // ---- dropout -------------------------------------------------------------------------------------------------------------------
        md.AppendLine($"## With and without dropout (rate {s.Dropout}, {s.SweepEpochs} epochs)");
        md.AppendLine();
        md.AppendLine("| | no dropout test % | dropout test % |");
        md.AppendLine("|---|---:|---:|");
        md.AppendLine($"| dense | {Acc(R("dense-nodropout"))} | {Acc(sweepDense)} |");
        md.AppendLine($"| meProp top-20 | {Acc(R("topk-k20-nodropout"))} | {Acc(R("topk-k20"))} |");
        md.AppendLine();

        // ---- depth ----------------------------------------------------------------------------------------------------------------------
        md.AppendLine($"## 2, 3 and 5 hidden layers of 500 ({s.SweepEpochs} epochs)");
        md.AppendLine();
        md.AppendLine("| hidden layers | dense test % | top-20 test % | dense backward s/epoch | top-20 backward s/epoch | ratio |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|");
        foreach (int depth in ExperimentPlan.Depths)
        {
            var d = depth == 2 ? sweepDense : R($"dense-depth{depth}");
            var t = depth == 2 ? R("topk-k20") : R($"topk-k20-depth{depth}");
            string ratio = d is not null && t is not null ? $"{Per(d, e => e.BackwardSeconds) / Per(t, e => e.BackwardSeconds):F1}x" : "—";
            md.AppendLine($"| {depth} | {Acc(d)} | {Acc(t)} | {Sec(d, e => e.BackwardSeconds)} | {Sec(t, e => e.BackwardSeconds)} | {ratio} |");
        }
        md.AppendLine();

        // ---- MSBP -----------------------------------------------------------------------------------------------------------------------
        md.AppendLine($"## MSBP (memory ratio 0.8) vs plain top-k ({s.SweepEpochs} epochs)");
        md.AppendLine();
        md.AppendLine("MSBP rule implemented (see docs/design.md): g = dy + M; select top-k of |g| per example; propagate g on the selection; M = 0.8 (g - g on the selection).");
        md.AppendLine();
        md.AppendLine("| k | top-k test % | MSBP test % | top-k backward s/epoch | MSBP backward s/epoch |");
        md.AppendLine("|---:|---:|---:|---:|---:|");
        var msbpCurves = new List<Series>();
        foreach (int k in new[] { 5, 20 })
        {
            var t = R($"topk-k{k}"); var m = R($"msbp-k{k}");
            md.AppendLine($"| {k} | {Acc(t)} | {Acc(m)} | {Sec(t, e => e.BackwardSeconds)} | {Sec(m, e => e.BackwardSeconds)} |");
            if (t is not null) msbpCurves.Add(new Series($"top-{k}", t.Epochs.Select(e => ((double)e.Epoch, e.DevAccuracy)).ToList()));
            if (m is not null) msbpCurves.Add(new Series($"MSBP top-{k}", m.Epochs.Select(e => ((double)e.Epoch, e.DevAccuracy)).ToList()));
        }
        md.AppendLine();
        {
            var t = R($"topk-k20-b{s.SpeedBatchSize}-nodropout"); var m = R($"msbp-k20-b{s.SpeedBatchSize}-nodropout");
            md.AppendLine($"At batch {s.SpeedBatchSize} without dropout, where plain per-example top-k is unstable with Adam (training loss above ln 10 early on):");
            md.AppendLine();
            md.AppendLine("| k = 20, batch 100, no dropout | first-epoch train loss | max train loss | test % |");
            md.AppendLine("|---|---:|---:|---:|");
            foreach (var (title, r) in new[] { ("top-k", t), ("MSBP", m) })
                md.AppendLine(r is null ? $"| {title} | — | — | — |"
                    : string.Create(Inv, $"| {title} | {r.Epochs[0].TrainLoss:F3} | {r.Epochs.Max(e => e.TrainLoss):F3} | {r.TestAccuracy:F2} |"));
            md.AppendLine();
            if (t is not null) msbpCurves.Add(new Series("top-20, batch 100, no dropout", t.Epochs.Select(e => ((double)e.Epoch, e.DevAccuracy)).ToList()));
            if (m is not null) msbpCurves.Add(new Series("MSBP top-20, batch 100, no dropout", m.Epochs.Select(e => ((double)e.Epoch, e.DevAccuracy)).ToList()));
        }
        Figure(md, new Plot("msbp_vs_topk", "MSBP vs top-k: dev accuracy per epoch", "epoch", "dev accuracy (%)", msbpCurves), s, log);

        // ---- meSimp ---------------------------------------------------------------------------------------------------------------------
        md.AppendLine($"## meSimp (prune threshold 0.1, cycles of 5 epochs, 8 pruning points per epoch, {s.MainEpochs} epochs)");
        md.AppendLine();
        md.AppendLine("| run | layer sizes at best dev | dev % | test % (best dev) | exported model.bin test % | final layer sizes | final model test % |");
        md.AppendLine("|---|---|---:|---:|---:|---|---:|");
        var sizeSeries = new List<Series>();
        foreach (int k in new[] { 160 })
        {
            var r = R($"mesimp-topk-k{k}", true);
            md.AppendLine(r is null ? $"| meSimp top-{k} | — | — | — | — | — | — |"
                : $"| meSimp top-{k} | {string.Join("-", r.ReportedLayerSizes)} | {r.DevAccuracy:F2} | {r.TestAccuracy:F2} | {r.ExportedModelTestAccuracy:F2} | {string.Join("-", r.FinalLayerSizes)} | {r.FinalTestAccuracy:F2} |");
            if (r is not null)
                sizeSeries.Add(new Series($"top-{k}: hidden units (sum)", r.Epochs.Select(e => ((double)e.Epoch, (double)e.LayerSizes[1..^1].Sum())).ToList()));
        }
        md.AppendLine();
        md.AppendLine("The exported model.bin holds the network of the best dev evaluation as a genuinely smaller network (the pruned units' rows and columns removed); its test accuracy equals the one reported at that evaluation. Pruning goes on after it, to the final sizes.");
        md.AppendLine();
        Figure(md, new Plot("mesimp_sizes", "meSimp: hidden units left after each epoch", "epoch", "hidden units (both layers)", sizeSeries), s, log);

        string path = Path.Combine(s.OutDir, "report.md");
        File.WriteAllText(path, md.ToString());
        return path;
    }

    private static void RunTable(StringBuilder md, IEnumerable<(string Title, RunResult? Run)> rows, RunResult? reference)
    {
        md.AppendLine("| run | dev % | test % | best epoch | forward s | backward s | linear bwd s | update s | wall s | GEMM % | bp ratio | backward speed-up vs dense |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (title, r) in rows)
        {
            if (r is null) { md.AppendLine($"| {title} | — | — | — | | | | | | | | |"); continue; }
            string speed = reference is null ? "—" : $"{Per(reference, e => e.BackwardSeconds) / Per(r, e => e.BackwardSeconds):F1}x";
            md.AppendLine(string.Create(Inv, $"| {title} | {r.DevAccuracy:F2} | {r.TestAccuracy:F2} | {r.BestEpoch} | {Per(r, e => e.ForwardSeconds):F2} | " +
                $"{Per(r, e => e.BackwardSeconds):F2} | {Per(r, e => e.LinearBackwardSeconds):F2} | {Per(r, e => e.UpdateSeconds):F2} | " +
                $"{Per(r, e => e.TrainWallSeconds):F2} | {100 * r.Sums.GemmFraction:F0} | {r.Sums.BackpropRatio:F3} | {speed} |"));
        }
        md.AppendLine();
    }

    private static void Target(StringBuilder md, string what, double? value, Func<double, bool> ok, Func<double, string> format) =>
        md.AppendLine(value is null ? $"| {what} | not run | — |" : $"| {what} | {format(value.Value)} | {(ok(value.Value) ? "yes" : "**no**")} |");

    private static void Figure(StringBuilder md, Plot plot, ExperimentSettings s, Action<string>? log)
    {
        if (plot.Series.All(x => x.Points.Count == 0)) return;
        if (plot.Render(s.OutDir, log))
            md.AppendLine($"![{plot.Title}]({plot.FileStem}.png) ([SVG]({plot.FileStem}.svg))").AppendLine();
        else
            md.AppendLine($"(plot {plot.FileStem}: gnuplot unavailable; data in {plot.FileStem}.dat)").AppendLine();
    }

    /// <summary>Mean per epoch of a timing.</summary>
    private static double Per(RunResult r, Func<EpochRecord, double> f) => r.Epochs.Count == 0 ? 0 : r.Epochs.Average(f);
    private static string Acc(RunResult? r) => r is null ? "—" : r.TestAccuracy.ToString("F2", Inv);
    private static string Sec(RunResult? r, Func<EpochRecord, double> f) => r is null ? "—" : Per(r, f).ToString("F2", Inv);

    private static string CpuName()
    {
        try { return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU"; }
        catch (IOException) { return "unknown CPU"; }
    }

    private static string Safe(Func<string> f)
    {
        try { return f(); }
        catch (Exception e) { return e.Message; }
    }
}
