using System.CommandLine;
using MePropNative.Training;

namespace MePropNative.Cli;

/// <summary>`meprop train mlp`: trains the MLP on MNIST and prints a summary table.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var cmd = new Command("mlp", "Train an MLP (default 784-500-500-10, ReLU, Adam 0.001) on MNIST with meProp or dense back propagation. " +
            "The first dev_size training images are the dev set; the test accuracy of the best dev evaluation is reported.");
        var options = new TrainOptions();
        options.AddTo(cmd);
        cmd.SetAction(parse => Run(() => options.Read(parse), parse.GetValue(options.NoProgress)));
        return cmd;
    }

    public static int Run(Func<TrainConfig> readConfig, bool noProgress)
    {
        var config = readConfig();
        config.Validate();
        var result = Train(config, noProgress);
        Summary.Print(result);
        if (config.Out is not null) Console.WriteLine($"results: {Path.Combine(config.Out, "results.json")} and results.csv");
        return 0;
    }

    public static RunResult Train(TrainConfig config, bool noProgress, string? label = null)
    {
        using var backend = DeviceOptions.CreateBackend(config); // first: a missing GPU is reported before the data loads
        var data = config.DataFiles().Load(config.DevSize, config.TrainLimit, config.Classes);
        return ProgressReporter.Run(label ?? config.RunName(), noProgress, observer => new Trainer(config, backend, data, observer).Run());
    }
}
