using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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

    /// <summary>A dropout rate outside [0, 1) is an <see cref="ArgumentOutOfRangeException"/>.</summary>
    public static void CheckDropoutRate(float rate)
    {
        if (rate is not (>= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "the dropout rate must be in [0, 1).");
    }

    /// <summary>The value of a kept element in a dropout mask, 1 / (1 - rate), for a checked rate.</summary>
    public static float DropoutKeep(float rate)
    {
        CheckDropoutRate(rate);
        return 1f / (1f - rate);
    }

    /// <summary>
    /// A dropout mask: mask[i] = 0 where Uniform(seed, stream, first + i) &lt; rate, else keep; eight draws at a time with
    /// 64-bit vector arithmetic, the same values as the scalar draws (u &lt; rate exactly when the draw's 24 bits are below
    /// ceil(rate * 2^24), since u is those bits times 2^-24).
    /// </summary>
    public static void DropoutMask(ulong seed, ulong stream, ulong first, float rate, float keep, Span<float> mask)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var threshold = Vector256.Create((uint)Math.Ceiling((double)rate * (1 << 24)));
            var keepValue = Vector256.Create(keep);
            var streamPart = Vector256.Create(seed + 0x9E3779B97F4A7C15UL * (stream + 1));
            var indexFactor = Vector256.Create(0xD1B54A32D192ED03UL);
            var plusOne = Vector256.Create(1UL, 2UL, 3UL, 4UL);
            ref float m = ref MemoryMarshal.GetReference(mask);
            for (; i <= mask.Length - 8; i += 8)
            {
                var index = Vector256.Create(first + (ulong)i) + plusOne;
                var low = TopBits(streamPart + indexFactor * index);
                var high = TopBits(streamPart + indexFactor * (index + Vector256.Create(4UL)));
                var drop = Vector256.LessThan(Vector256.Narrow(low, high), threshold);
                Vector256.ConditionalSelect(drop.AsSingle(), Vector256<float>.Zero, keepValue).StoreUnsafe(ref m, (nuint)i);
            }
        }
        for (; i < mask.Length; i++) mask[i] = Uniform(seed, stream, first + (ulong)i) < rate ? 0f : keep;
    }

    /// <summary>The 24 bits <see cref="Uniform"/> uses, of four hashes at once (z: the mixer's input).</summary>
    private static Vector256<ulong> TopBits(Vector256<ulong> z)
    {
        z = (z ^ (z >> 30)) * Vector256.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ (z >> 27)) * Vector256.Create(0x94D049BB133111EBUL);
        return (z ^ (z >> 31)) >> 40;
    }

    /// <summary>Derives a seed for a named purpose (layer, epoch) from a run seed.</summary>
    public static ulong Derive(ulong seed, ulong purpose, ulong item = 0) => Hash(seed, purpose, item);
}
