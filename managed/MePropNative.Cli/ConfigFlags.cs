using System.CommandLine;
using MePropNative.Training;

namespace MePropNative.Cli;

/// <summary>The command-line flags of an option catalog, one per option, so that every config key has its --flag and
/// the other way round: a bool is a switch, a choice accepts only its choices. The flags that were given are applied
/// over a config (after its file), each through <see cref="ConfigOption{TConfig}.SetFromFlag"/>.</summary>
internal sealed class ConfigFlags<TConfig>
{
    private readonly List<(ConfigOption<TConfig> Config, Option Flag)> flags = [];

    public ConfigFlags(Command command, IEnumerable<ConfigOption<TConfig>> options)
    {
        foreach (var o in options)
        {
            Option flag = o.Type == OptionType.Bool
                ? new Option<bool>(o.Flag) { Description = o.Help }
                : new Option<string>(o.Flag) { Description = o.Help, HelpName = o.ValueName };
            if (o.Choices is { } choices && flag is Option<string> s) s.AcceptOnlyFromAmong([.. choices]);
            flags.Add((o, flag));
            command.Options.Add(flag);
        }
    }

    /// <summary>Sets the options whose flags the command line gave; returns whether it gave any.</summary>
    public bool Apply(ParseResult parse, TConfig config)
    {
        bool any = false;
        foreach (var (o, flag) in flags)
        {
            if (parse.GetResult(flag) is not { Implicit: false }) continue;
            any = true;
            o.SetFromFlag(config, flag is Option<bool> b ? (parse.GetValue(b) ? "true" : "false") : parse.GetValue((Option<string>)flag)!);
        }
        return any;
    }
}
