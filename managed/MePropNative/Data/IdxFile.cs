namespace MePropNative.Data;

/// <summary>The content of an unsigned-byte IDX file: its dimensions (items first) and the raw bytes.</summary>
public sealed record IdxFile(string Path, int[] Dimensions, byte[] Data)
{
    public int Count => Dimensions[0];

    /// <summary>Bytes per item (the product of the dimensions after the first).</summary>
    public int ItemSize => Dimensions.Skip(1).Aggregate(1, (a, d) => a * d);
}
