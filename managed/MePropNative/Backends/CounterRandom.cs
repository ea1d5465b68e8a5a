namespace MePropNative.Backends;

/// <summary>
/// Counter-based random numbers: each draw is a pure function of (seed, stream, index), so a draw does not depend on
/// the order or the thread that computes it, and a GPU backend can reproduce the CPU's draws exactly.
/// The mixer is SplitMix64's finalizer (Steele, Lea and Flood, 2014).
/// </summary>
public static class CounterRandom
{
    public static ulong Hash(ulong seed, ulong stream, ulong index)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (stream + 1) + 0xD1B54A32D192ED03UL * (index + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    public static float Uniform(ulong seed, ulong stream, ulong index) => (Hash(seed, stream, index) >> 40) * (1.0f / (1 << 24));

    /// <summary>Derives a seed for a named purpose (layer, epoch) from a run seed.</summary>
    public static ulong Derive(ulong seed, ulong purpose, ulong item = 0) => Hash(seed, purpose, item);
}
