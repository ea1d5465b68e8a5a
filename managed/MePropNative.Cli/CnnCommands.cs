using System.CommandLine;
using System.Globalization;
using MePropNative.Data;
using MePropNative.Experiments;
using MePropNative.Training;

namespace MePropNative.Cli;

/// <summary>`meprop train cnn`, `meprop experiment cnn` and `meprop bench cnn`: meProp-CNN on MNIST.</summary>
internal static class CnnCommands
{
    // ---- train cnn -----------------------------------------------------------------------------------------------------

    public static Command Train()
    {
        var cmd = new Command("cnn", "Train the meProp-CNN paper's MNIST network (conv 5x5x32 - pool - conv 5x5x64 - pool - fc 1024 - fc 10, " +
            "Adam 0.001, batch 10) with dense back propagation or per-feature-map top-k (--topk-ratio), decay selection (--decay) and BatchNorm (--batchnorm).");
        var config = new Option<FileInfo?>("--config") { Description = "JSON config (the snake_case names of the flags below); flags override it", HelpName = "file.json" };
        var noProgress = new Option<bool>("--no-progress") { Description = "one line per evaluation instead of a progress bar" };
        cmd.Options.Add(config);
        cmd.Options.Add(noProgress);
        var flags = new ConfigFlags<CnnConfig>(cmd, CnnConfig.Options);
        cmd.SetAction(parse =>
        {
            var file = parse.GetValue(config);
            var cnnConfig = file is null ? new CnnConfig() : CnnConfig.Load(file.FullName);
            bool any = flags.Apply(parse, cnnConfig);
            cnnConfig.Source = file is null ? (any ? "flags" : "defaults") : file.FullName + (any ? " + flags" : "");
            cnnConfig.Validate();
            var r = Run(cnnConfig, parse.GetValue(noProgress));
            Summary.Print(r);
            PrintLayerTimes(r);
            if (cnnConfig.Out is not null) Console.WriteLine($"results: {Path.Combine(cnnConfig.Out, "results.json")} and results.csv");
            return 0;
        });
        return cmd;
    }

    public static RunResult Run(CnnConfig config, bool noProgress, string? label = null)
    {
        using var backend = DeviceOptions.CreateBackend(config.Device, config.Threads); // first: a missing GPU is reported before the data loads
        var data = MnistFiles.InDirectory(config.DataDir).Load(config.DevSize, config.TrainLimit);
        return ProgressReporter.Run(label ?? config.RunName(), noProgress, observer => new CnnTrainer(config, backend, data, observer).Run());
    }

    private static void PrintLayerTimes(RunResult r)
    {
        foreach (var e in r.Epochs)
            if (e.LayerBackwardSeconds is { } l)
            {
                var inv = CultureInfo.InvariantCulture;
                Console.WriteLine($"epoch {e.Epoch}: backward per layer " + string.Join(", ", l.Select(p => string.Create(inv, $"{p.Key} {p.Value:F2}s"))) +
                    string.Create(inv, $"; conv layers {CnnTrainer.ConvBackwardSeconds(e):F2}s; per-layer backprop ratios [") +
                    string.Join(", ", e.LayerBackpropRatios.Select(x => x.ToString("0.###", inv))) + "]");
            }
    }

    // ---- experiment cnn ------------------------------------------------------------------------------------------------

    public static Command Experiment()
    {
        var cmd = new Command("cnn", "meProp-CNN on MNIST: the paper's Tables 2 and 3 (dense, per-map top 5/8/10% with decay 0 and 0.6, " +
            "without and with BatchNorm) with backward-time columns, the accuracy-target runs at batch 10, and the conv backward benchmark, into OUT/report.md.");
        var s = new CnnExperimentSettings();
        var outDir = new Option<string>("--out") { Description = "report folder (runs are cached under OUT/runs)", DefaultValueFactory = _ => s.OutDir };
        var epochs = new Option<int>("--epochs") { Description = "epochs of the accuracy-target runs (batch 10)", DefaultValueFactory = _ => s.TargetEpochs };
        var constantLrEpochs = new Option<int>("--constant-lr-epochs") { Description = "epochs of the accuracy-target runs at the paper's constant learning rate", DefaultValueFactory = _ => s.ConstantLrEpochs };
        var lrDecay = new Option<float>("--lr-decay") { Description = "per-epoch learning-rate decay of the target and table runs (the constant-lr target runs use 1)", DefaultValueFactory = _ => s.LrDecay };
        var sweepEpochs = new Option<int>("--sweep-epochs") { Description = "epochs of the table runs", DefaultValueFactory = _ => s.SweepEpochs };
        var sweepBatch = new Option<int>("--sweep-batch-size") { Description = "batch size of the table runs", DefaultValueFactory = _ => s.SweepBatchSize };
        var dataDir = new Option<string>("--data-dir") { Description = "MNIST folder", DefaultValueFactory = _ => s.DataDir };
        var only = new Option<string?>("--only") { Description = "comma-separated groups: " + string.Join(", ", CnnExperiment.Groups) };
        var trainLimit = new Option<int>("--train-limit") { Description = "use only N training examples (a smoke run)", DefaultValueFactory = _ => 0 };
        var reps = new Option<int>("--bench-repetitions") { Description = "repetitions of the backward benchmark", DefaultValueFactory = _ => s.BenchRepetitions };
        var force = new Option<bool>("--force") { Description = "rerun runs whose results are cached" };
        var reportOnly = new Option<bool>("--report-only") { Description = "only rebuild report.md from the cached runs and benchmark" };
        foreach (var o in new Option[] { outDir, epochs, constantLrEpochs, lrDecay, sweepEpochs, sweepBatch, dataDir, only, trainLimit, reps, force, reportOnly }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var settings = new CnnExperimentSettings
            {
                OutDir = parse.GetValue(outDir)!,
                TargetEpochs = parse.GetValue(epochs),
                ConstantLrEpochs = parse.GetValue(constantLrEpochs),
                LrDecay = parse.GetValue(lrDecay),
                SweepEpochs = parse.GetValue(sweepEpochs),
                SweepBatchSize = parse.GetValue(sweepBatch),
                DataDir = parse.GetValue(dataDir)!,
                TrainLimit = parse.GetValue(trainLimit),
                BenchRepetitions = parse.GetValue(reps),
                Groups = ExperimentGroups.Parse(parse.GetValue(only), CnnExperiment.Groups),
            };
            var experiment = new CnnExperiment(settings, (config, label) => Run(config, noProgress: true, label));
            if (!parse.GetValue(reportOnly)) experiment.RunAll(parse.GetValue(force), Console.WriteLine);
            Console.WriteLine($"report: {experiment.WriteReport(Console.WriteLine)}");
            return 0;
        });
        return cmd;
    }

    // ---- bench cnn -------------------------------------------------------------------------------------------------------

    public static Command Bench()
    {
        var bench = new Command("bench", "Timing reports measured in one process.");
        var cmd = new Command("cnn", "Backward time per layer of the meProp-CNN network at batch 10: dense vs per-map top-k (5/8/10%, decay 0 and 0.6), same weights and batches, medians.");
        var batch = new Option<int>("--batch-size") { Description = "batch size", DefaultValueFactory = _ => 10 };
        var reps = new Option<int>("--repetitions") { Description = "measured repetitions", DefaultValueFactory = _ => 100 };
        var bn = new Option<bool>("--batchnorm") { Description = "with BatchNorm" };
        var dataDir = new Option<string>("--data-dir") { Description = "MNIST folder (random images when missing)", DefaultValueFactory = _ => "data/mnist" };
        var threads = new Option<int>("--threads") { Description = "libmeprop threads (0: its default)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu, cuda (device 0) or cuda:N", DefaultValueFactory = _ => "cpu" };
        var output = new Option<string?>("--markdown") { Description = "also write the table to this file" };
        foreach (var o in new Option[] { batch, reps, bn, dataDir, threads, device, output }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            OutputFolders.PrepareFile("--markdown", parse.GetValue(output));
            if (parse.GetValue(bn) && parse.GetValue(batch) < 2) throw new ConfigException("--batchnorm needs --batch-size >= 2 (as train cnn's batchnorm does).");
            using var backend = DeviceOptions.CreateBackend(parse.GetValue(device)!, parse.GetValue(threads));
            var images = BenchmarkImages.Load(parse.GetValue(dataDir)!, minimumCount: 1);
            var report = ConvBackwardBenchmark.Run(backend, new ConvBackwardBenchmark.Settings
            {
                BatchSize = parse.GetValue(batch),
                Repetitions = parse.GetValue(reps),
                BatchNorm = parse.GetValue(bn),
            }, images, Console.WriteLine);
            string md = report.ToMarkdown();
            Console.WriteLine(md);
            if (parse.GetValue(output) is { } path) File.WriteAllText(path, md);
            return 0;
        });
        bench.Subcommands.Add(cmd);
        return bench;
    }
}
