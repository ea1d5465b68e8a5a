namespace MePropNative.MeProp;

/// <summary>The back propagation strategies a run can select (config "strategy", CLI --strategy).</summary>
public enum StrategyKind
{
    /// <summary>Ordinary back propagation.</summary>
    Dense,
    /// <summary>meProp: top-k of |dy| per example.</summary>
    TopK,
    /// <summary>meProp, unified: one top-k pattern per mini-batch.</summary>
    Unified,
    /// <summary>k random entries per example.</summary>
    Random,
    /// <summary>k random columns per mini-batch.</summary>
    RandomUnified,
    /// <summary>Memorized sparse back propagation over per-example top-k.</summary>
    Msbp,
    /// <summary>The fastest of several candidates, measured once per layer shape (<see cref="AutoStrategy"/>).</summary>
    Auto,
}

public static class StrategyKinds
{
    public static readonly IReadOnlyDictionary<string, StrategyKind> ByName = new Dictionary<string, StrategyKind>(StringComparer.OrdinalIgnoreCase)
    {
        ["dense"] = StrategyKind.Dense,
        ["topk"] = StrategyKind.TopK,
        ["unified"] = StrategyKind.Unified,
        ["random"] = StrategyKind.Random,
        ["random-unified"] = StrategyKind.RandomUnified,
        ["msbp"] = StrategyKind.Msbp,
        ["auto"] = StrategyKind.Auto,
    };

    public static string ToName(this StrategyKind kind) => ByName.First(p => p.Value == kind).Key;

    public static StrategyKind Parse(string name) => ByName.TryGetValue(name, out var k) ? k
        : throw new ArgumentException($"unknown strategy '{name}'; valid: {string.Join(", ", ByName.Keys)}.");
}
