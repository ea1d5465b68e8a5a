using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using MePropNative.Data;
using MePropNative.Experiments;
using MePropNative.Training;

namespace MePropNative.Cli;

/// <summary>`meprop train cnn`, `meprop experiment cnn` and `meprop bench cnn`: meProp-CNN on MNIST.</summary>
internal static class CnnCommands
{
    private static readonly Dictionary<string, string> Help = new()
    {
        ["data_dir"] = "MNIST folder (scripts/fetch-data.sh installs it into data/mnist)",
        ["dev_size"] = "the first N training images are the dev set",
        ["train_limit"] = "use only N training examples (0: all)",
        ["conv_channels"] = "output channels of the conv layers",
        ["kernel"] = "conv kernel size (same padding, stride 1)",
        ["hidden"] = "hidden fully connected layer sizes",
        ["batchnorm"] = "BatchNorm after every conv and hidden fc layer (batch statistics in training, running estimates at inference)",
        ["batchnorm_momentum"] = "weight of the batch statistic in the running estimates",
        ["dropout"] = "dropout rate after the hidden fc layers",
        ["topk_ratio"] = "fraction of each feature map's (and each sparsified fc layer's) gradient that is propagated; 1 = dense",
        ["decay"] = "decay selection: top-k on decay * run_grad + (1 - decay) * |dy| (0 = plain top-k)",
        ["sparse_layers"] = "layers meProp sparsifies",
        ["lr"] = "Adam learning rate",
        ["beta1"] = "Adam beta1",
        ["beta2"] = "Adam beta2",
        ["adam_epsilon"] = "Adam epsilon",
        ["lr_decay"] = "multiply the learning rate by this per epoch, continuously (1: constant)",
        ["batch_size"] = "mini-batch size",
        ["epochs"] = "training epochs",
        ["evals_per_epoch"] = "dev/test evaluations per epoch",
        ["eval_batch_size"] = "batch size of the evaluations",
        ["select_by"] = "report the test accuracy of the best dev evaluation (dev) or of the last (last)",
        ["seed"] = "run seed (initialization, shuffling, dropout)",
        ["threads"] = "libmeprop threads (0: its default)",
        ["device"] = "where to train: cpu, cuda (device 0) or cuda:N",
        ["out"] = "folder for results.json, results.csv and checkpoint.bin",
        ["resume"] = "continue from OUT/checkpoint.bin when it exists",
    };

    // ---- train cnn -----------------------------------------------------------------------------------------------------

    public static Command Train()
    {
        var cmd = new Command("cnn", "Train the meProp-CNN paper's MNIST network (conv 5x5x32 - pool - conv 5x5x64 - pool - fc 1024 - fc 10, " +
            "Adam 0.001, batch 10) with dense back propagation or per-feature-map top-k (--topk-ratio), decay selection (--decay) and BatchNorm (--batchnorm).");
        var config = new Option<FileInfo?>("--config") { Description = "JSON config (the snake_case names of the flags below); flags override it", HelpName = "file.json" };
        var noProgress = new Option<bool>("--no-progress") { Description = "one line per evaluation instead of a progress bar" };
        cmd.Options.Add(config);
        cmd.Options.Add(noProgress);
        var flags = new List<(PropertyInfo Property, string Key, Option Option)>();
        var defaults = new CnnConfig().ToJson();
        foreach (var p in CnnConfig.Properties)
        {
            string key = CnnConfig.KeyOf(p);
            string flag = "--" + key.Replace('_', '-');
            string? shown = defaults[key] switch { null => null, JsonArray a => string.Join(",", a.Select(n => n!.ToString())), var v => v.ToString() };
            string help = Help.GetValueOrDefault(key, key) + (shown is null || p.PropertyType == typeof(bool) ? "" : $" (default {shown})");
            Option option = p.PropertyType == typeof(bool)
                ? new Option<bool>(flag) { Description = help }
                : new Option<string>(flag) { Description = help, HelpName = HelpName(p.PropertyType) };
            flags.Add((p, key, option));
            cmd.Options.Add(option);
        }
        cmd.SetAction(parse =>
        {
            var file = parse.GetValue(config);
            var c = file is null ? new CnnConfig() : CnnConfig.Load(file.FullName);
            var json = c.ToJson();
            bool any = false;
            foreach (var (p, key, option) in flags)
            {
                var result = parse.GetResult(option);
                if (result is null || result.Implicit) continue;
                any = true;
                json[key] = option is Option<bool> b ? JsonValue.Create(parse.GetValue(b)) : ParseFlag(p.PropertyType, key, parse.GetValue((Option<string>)option)!);
            }
            var merged = System.Text.Json.JsonSerializer.Deserialize<CnnConfig>(json, CnnConfig.Json)!;
            merged.Source = file is null ? (any ? "flags" : "defaults") : file.FullName + (any ? " + flags" : "");
            merged.Validate();
            var r = Run(merged, parse.GetValue(noProgress));
            Summary.Print(r);
            PrintLayerTimes(r);
            if (merged.Out is not null) Console.WriteLine($"results: {Path.Combine(merged.Out, "results.json")} and results.csv");
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

    private static JsonNode ParseFlag(Type type, string key, string value)
    {
        try
        {
            var inv = CultureInfo.InvariantCulture;
            string[] Items() => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (type == typeof(int)) return JsonValue.Create(int.Parse(value, inv));
            if (type == typeof(long)) return JsonValue.Create(long.Parse(value, inv));
            if (type == typeof(float)) return JsonValue.Create((float)OptionCatalog.FiniteNumber(value));
            if (type == typeof(int[])) return new JsonArray(Items().Select(s => (JsonNode?)JsonValue.Create(int.Parse(s, inv))).ToArray());
            if (type == typeof(string[])) return new JsonArray(Items().Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
            return JsonValue.Create(value);
        }
        catch (FormatException) { throw new ConfigException($"--{key.Replace('_', '-')} {value}: " + (type == typeof(float) ? "not a finite number." : $"not a valid {type.Name}.")); }
        catch (OverflowException) { throw new ConfigException($"--{key.Replace('_', '-')} {value}: out of range."); }
    }

    private static string HelpName(Type t) =>
        t == typeof(int) || t == typeof(long) ? "N" : t == typeof(float) ? "X" : t == typeof(int[]) ? "N[,N...]" : t == typeof(string[]) ? "NAME[,NAME...]" : "VALUE";

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
            using var backend = DeviceOptions.CreateBackend(parse.GetValue(device)!, parse.GetValue(threads));
            var files = MnistFiles.InDirectory(parse.GetValue(dataDir)!);
            var images = File.Exists(files.TrainImages) && File.Exists(files.TrainLabels) ? LabeledImages.FromIdx(files.TrainImages, files.TrainLabels) : null;
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
