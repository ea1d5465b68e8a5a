using System.CommandLine;
using MePropNative.Experiments;

namespace MePropNative.Cli;

/// <summary>`meprop experiment mnist`: regenerates the paper's MNIST tables and figures as a markdown report.</summary>
internal static class ExperimentCommand
{
    public static Command Create()
    {
        var cmd = new Command("experiment", "Run the paper's experiments and write a markdown report with plots.");
        var mnist = new Command("mnist", "MNIST: accuracy and backprop time vs k, top-k vs random-k, meProp vs a dense net of hidden size k, dropout, depth, MSBP, meSimp.");
        var outDir = new Option<string>("--out") { Description = "report folder (runs are cached under OUT/runs, so a stopped experiment continues)", DefaultValueFactory = _ => "docs/results/mnist" };
        var epochs = new Option<int>("--epochs") { Description = "epochs of the main runs (dense, top-80, top-20, meSimp)", DefaultValueFactory = _ => 20 };
        var sweepEpochs = new Option<int>("--sweep-epochs") { Description = "epochs of the comparison runs (k sweep, random-k, dropout, depth, MSBP)", DefaultValueFactory = _ => 10 };
        var dataDir = new Option<string>("--data-dir") { Description = "MNIST folder", DefaultValueFactory = _ => "data/mnist" };
        var only = new Option<string?>("--only") { Description = "comma-separated groups to run: " + string.Join(", ", ExperimentPlan.Groups) + ", bench" };
        var trainLimit = new Option<int>("--train-limit") { Description = "use only N training examples (a quick smoke run)", DefaultValueFactory = _ => 0 };
        var force = new Option<bool>("--force") { Description = "rerun runs whose results are cached" };
        var reportOnly = new Option<bool>("--report-only") { Description = "only rebuild report.md and the plots from the cached runs" };
        foreach (var o in new Option[] { outDir, epochs, sweepEpochs, dataDir, only, trainLimit, force, reportOnly }) mnist.Options.Add(o);
        mnist.SetAction(parse =>
        {
            var settings = new ExperimentSettings
            {
                OutDir = parse.GetValue(outDir)!,
                MainEpochs = parse.GetValue(epochs),
                SweepEpochs = parse.GetValue(sweepEpochs),
                DataDir = parse.GetValue(dataDir)!,
                TrainLimit = parse.GetValue(trainLimit),
                Groups = ExperimentGroups.Parse(parse.GetValue(only), [.. ExperimentPlan.Groups, "bench"]),
            };
            var plan = ExperimentPlan.Mnist(settings);
            var runner = new ExperimentRunner(settings, (config, label) => TrainCommand.Train(config, noProgress: true, label));
            if (!parse.GetValue(reportOnly))
            {
                string benchJson = Path.Combine(settings.OutDir, "bench.json");
                bool bench = (settings.Groups is null || settings.Groups.Contains("bench")) && (parse.GetValue(force) || !File.Exists(benchJson));
                // the benchmark's images are read and checked (after the runs' settings) before the first run, not after hours of training
                ExperimentRunner.Check(plan);
                var benchImages = bench ? BenchmarkImages.Load(settings.DataDir, minimumCount: settings.SpeedBatchSize) : null;
                runner.RunAll(plan, parse.GetValue(force), Console.WriteLine);
                if (bench)
                {
                    Console.WriteLine("bench: backward time, dense vs meProp, in one process");
                    using var backend = new MePropNative.Backends.CpuBackend();
                    var benchReport = MlpBackwardBenchmark.Run(backend, new MlpBackwardBenchmark.Settings { BatchSize = settings.SpeedBatchSize },
                        benchImages, Console.WriteLine);
                    Directory.CreateDirectory(settings.OutDir);
                    File.WriteAllText(benchJson, benchReport.ToJson());
                }
            }
            // the report shows every cached run, not only the groups this command ran
            var everyRun = ExperimentPlan.Mnist(settings with { Groups = null });
            string report = ReportWriter.Write(settings, runner.LoadCached(everyRun));
            Console.WriteLine($"report: {report}");
            return 0;
        });
        cmd.Subcommands.Add(mnist);
        return cmd;
    }
}
