using System.CommandLine;
using MePropNative.Training;

namespace MePropNative.Cli;

/// <summary>The command-line flags of the training options, generated from <see cref="ConfigOptions.All"/> so that
/// every JSON config key has its --flag and the other way round.</summary>
internal sealed class TrainOptions
{
    public Option<FileInfo?> Config { get; } = new("--config") { Description = "JSON config file: this program's keys (see below) or the original meProp/meSimp program's (HiddenSize, NetType, ...). Flags override it.", HelpName = "file.json" };
    public Option<bool> NoProgress { get; } = new("--no-progress") { Description = "print one line per evaluation instead of a progress bar" };
    public Dictionary<ConfigOption<TrainConfig>, Option> ByConfig { get; } = [];

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(NoProgress);
        foreach (var o in ConfigOptions.All)
        {
            Option option = o.Type == OptionType.Bool
                ? new Option<bool>(o.Flag) { Description = o.Help }
                : new Option<string>(o.Flag) { Description = o.Help, HelpName = o.ValueName };
            if (o.Choices is { } choices && option is Option<string> s) s.AcceptOnlyFromAmong([.. choices]);
            ByConfig[o] = option;
            command.Options.Add(option);
        }
    }

    /// <summary>Defaults, then the config file, then the flags that were given.</summary>
    public TrainConfig Read(ParseResult parse, TrainConfig? defaults = null)
    {
        var file = parse.GetValue(Config);
        var config = file is null ? defaults?.Clone() ?? new TrainConfig() : ConfigLoader.Load(file.FullName, defaults);
        bool flags = false;
        foreach (var (o, option) in ByConfig)
        {
            var result = parse.GetResult(option);
            if (result is null || result.Implicit) continue;
            flags = true;
            var value = option is Option<bool> b ? (parse.GetValue(b) ? "true" : "false") : parse.GetValue((Option<string>)option)!;
            try { o.Set(config, ConfigOptions.ParseFlagValue(o, value)); }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or InvalidOperationException)
            {
                throw new ConfigException($"{o.Flag} {value}: {e.Message}");
            }
        }
        if (file is null) config.Source = flags ? "flags" : "defaults";
        else if (flags) config.Source += " + flags";
        return config;
    }
}
