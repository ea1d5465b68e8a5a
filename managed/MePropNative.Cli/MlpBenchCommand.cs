using System.CommandLine;
using MePropNative.Backends;
using MePropNative.Experiments;
using MePropNative.Training;

namespace MePropNative.Cli;

/// <summary>`meprop bench mlp`: backward time of the MNIST MLP, dense vs the meProp strategies, in one process.</summary>
internal static class MlpBenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("mlp", "Backward time of the 784-500-500-10 MLP: dense vs top-80/20/5, unified top-20 and MSBP, same weights and batches, medians; and the GEMM share of a dense training step.");
        var batch = new Option<int>("--batch-size") { Description = "batch size", DefaultValueFactory = _ => 100 };
        var reps = new Option<int>("--repetitions") { Description = "measured repetitions", DefaultValueFactory = _ => 100 };
        var dataDir = new Option<string>("--data-dir") { Description = "MNIST folder (random images when missing)", DefaultValueFactory = _ => "data/mnist" };
        var threads = new Option<int>("--threads") { Description = "libmeprop threads (0: its default)", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--markdown") { Description = "also write the table to this file" };
        foreach (var o in new Option[] { batch, reps, dataDir, threads, output }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            OutputFolders.PrepareFile("--markdown", parse.GetValue(output));
            using var backend = new CpuBackend(parse.GetValue(threads));
            int batchSize = parse.GetValue(batch);
            var report = MlpBackwardBenchmark.Run(backend, new MlpBackwardBenchmark.Settings
            {
                BatchSize = batchSize,
                Repetitions = parse.GetValue(reps),
            }, BenchmarkImages.Load(parse.GetValue(dataDir)!, minimumCount: batchSize));
            string md = report.ToMarkdown();
            Console.WriteLine(md);
            if (parse.GetValue(output) is { } path) File.WriteAllText(path, md);
            return 0;
        });
        return cmd;
    }
}
