namespace MePropNative.Optimizers;

public enum OptimizerKind { Adam, AdaGrad, Sgd }

public static class OptimizerKinds
{
    public static readonly IReadOnlyDictionary<string, OptimizerKind> ByName = new Dictionary<string, OptimizerKind>(StringComparer.OrdinalIgnoreCase)
    {
        ["adam"] = OptimizerKind.Adam,
        ["adagrad"] = OptimizerKind.AdaGrad,
        ["sgd"] = OptimizerKind.Sgd,
    };

    public static string ToName(this OptimizerKind kind) => ByName.First(p => p.Value == kind).Key;

    public static OptimizerKind Parse(string name) => ByName.TryGetValue(name, out var k) ? k
        : throw new ArgumentException($"unknown optimizer '{name}'; valid: {string.Join(", ", ByName.Keys)}.");
}
