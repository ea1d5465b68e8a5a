using System.CommandLine;
using MePropNative.Cli;

var root = new RootCommand("meprop: meProp (sparsified back propagation, Sun et al. 2017) on libmeprop's CPU kernels.");
var train = new Command("train", "Train a model.");
train.Subcommands.Add(TrainCommand.Create());
train.Subcommands.Add(CnnCommands.Train());
train.Subcommands.Add(NlpCommands.Train("tagger"));
train.Subcommands.Add(NlpCommands.Train("parser"));
root.Subcommands.Add(train);
var experiment = ExperimentCommand.Create();
experiment.Subcommands.Add(CnnCommands.Experiment());
experiment.Subcommands.Add(NlpCommands.Experiment());
root.Subcommands.Add(experiment);
var bench = CnnCommands.Bench();
bench.Subcommands.Add(MlpBenchCommand.Create());
root.Subcommands.Add(bench);
root.Subcommands.Add(NlpCommands.Tag());
root.Subcommands.Add(NlpCommands.Parse());
root.Subcommands.Add(ClassifyCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
try
{
    var parsed = root.Parse(args);
    int code = parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    return parsed.Errors.Count > 0 ? CliErrors.BadConfiguration : code; // System.CommandLine exits 1 after a parse error
}
catch (Exception e) when (CliErrors.ExitCode(e) is { } code)
{
    Console.Error.WriteLine($"meprop: {CliErrors.Message(e)}");
    return code;
}
catch (Exception e)
{
    Console.Error.WriteLine($"meprop: internal error (a bug in meprop; please report it with what follows):\n{e}");
    return CliErrors.Bug;
}
