namespace MePropNative.Backends;

/// <summary>The check every backend's selection (top-k, random-k) makes first, so that a k out of range is reported
/// as such, not as the shape of the output it implies.</summary>
internal static class SelectionCheck
{
    public static void K(int k, int n, string nName = "n")
    {
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k = {k} is out of range [1, {nName} = {n}].");
    }
}
