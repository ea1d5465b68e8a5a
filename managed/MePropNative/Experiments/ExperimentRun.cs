using MePropNative.Training;

namespace MePropNative.Experiments;

/// <summary>One training run of an experiment: its group (a table of the report), a unique name (its folder), its config.</summary>
public sealed record ExperimentRun(string Group, string Name, TrainConfig Config);
