using System.CommandLine;
using MePropNative.Training;

namespace MePropNative.Cli;

/// <summary>The options of `train mlp`: --config, --no-progress and a flag for every key of <see cref="ConfigOptions.All"/>.</summary>
internal sealed class TrainOptions
{
    public Option<FileInfo?> Config { get; } = new("--config") { Description = "JSON config file: this program's keys (see below) or the original meProp/meSimp program's (HiddenSize, NetType, ...). Flags override it.", HelpName = "file.json" };
    public Option<bool> NoProgress { get; } = new("--no-progress") { Description = "print one line per evaluation instead of a progress bar" };
    private ConfigFlags<TrainConfig>? flags;

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(NoProgress);
        flags = new ConfigFlags<TrainConfig>(command, ConfigOptions.All);
    }

    /// <summary>Defaults, then the config file, then the flags that were given.</summary>
    public TrainConfig Read(ParseResult parse, TrainConfig? defaults = null)
    {
        var file = parse.GetValue(Config);
        var config = file is null ? defaults?.Clone() ?? new TrainConfig() : ConfigLoader.Load(file.FullName, defaults);
        bool given = flags?.Apply(parse, config) ?? throw new InvalidOperationException("AddTo was not called.");
        if (file is null) config.Source = given ? "flags" : "defaults";
        else if (given) config.Source += " + flags";
        return config;
    }
}
