using System.CommandLine;
using MePropNative.Cli;

var root = new RootCommand("meprop: meProp (sparsified back propagation, Sun et al. 2017) on libmeprop's CPU kernels.");
var train = new Command("train", "Train a model.");
train.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(train);
root.Subcommands.Add(ExperimentCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
return root.Parse(args).Invoke();
