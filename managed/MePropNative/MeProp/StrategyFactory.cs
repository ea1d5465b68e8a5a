using MePropNative.Backends;

namespace MePropNative.MeProp;

/// <summary>Creates the strategy instance of one linear layer.</summary>
public static class StrategyFactory
{
    /// <param name="k">k for this layer; null or >= the layer width means dense for the selection strategies.</param>
    /// <param name="seed">seed of this layer's random draws (random-k).</param>
    public static IMePropStrategy Create(IBackend backend, StrategyKind kind, int? k, ulong seed, float memoryRatio)
    {
        if (kind == StrategyKind.Dense || k is null) return new DenseStrategy();
        return kind switch
        {
            StrategyKind.TopK => new TopKStrategy(backend, k.Value),
            StrategyKind.Unified => new UnifiedTopKStrategy(backend, k.Value),
            StrategyKind.Random => new RandomKStrategy(backend, k.Value, seed),
            StrategyKind.RandomUnified => new RandomKStrategy(backend, k.Value, seed, unified: true),
            StrategyKind.Msbp => new MemorizedTopKStrategy(backend, k.Value, memoryRatio),
            StrategyKind.Auto => new AutoStrategy(backend, k.Value, AutoStrategyOptions.Default),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }
}
