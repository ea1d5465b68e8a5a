using System.Buffers.Binary;
using System.IO.Compression;

namespace MePropNative.Data;

/// <summary>
/// Reads IDX files (LeCun's MNIST format): a big-endian magic 0x00000800 | rank, with 0x08 = unsigned byte, then one
/// big-endian int32 per dimension, then the data. Plain or gzip-compressed (detected from the content). Every problem
/// is an <see cref="IdxFormatException"/> naming the file: wrong magic, unsupported type, truncated header or data,
/// trailing bytes.
/// </summary>
public static class IdxReader
{
    public const int UnsignedByteType = 0x08;

    /// <param name="expectedRank">3 for images, 1 for labels; 0 accepts any rank.</param>
    public static IdxFile Read(string path, int expectedRank = 0)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        byte[] bytes = ReadAllMaybeGzip(path, out bool gzipped);
        return Parse(gzipped ? path + " (after gzip decompression)" : path, bytes, expectedRank);
    }

    public static IdxFile Parse(string path, byte[] bytes, int expectedRank = 0)
    {
        if (bytes.Length < 4) throw new IdxFormatException($"{path}: truncated IDX file ({bytes.Length} bytes, no magic number).");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        int rank = (int)(magic & 0xFF), type = (int)((magic >> 8) & 0xFF);
        if ((magic >> 16) != 0 || rank == 0)
            throw new IdxFormatException($"{path}: wrong magic number 0x{magic:X8}; an IDX file starts with 0x000008NN " +
                $"(0x00000803 for images, 0x00000801 for labels). Is it an IDX file (or gzip of one)?");
        if (type != UnsignedByteType)
            throw new IdxFormatException($"{path}: IDX element type 0x{type:X2} is not supported (only 0x08, unsigned byte).");
        if (expectedRank != 0 && rank != expectedRank)
            throw new IdxFormatException($"{path}: magic 0x{magic:X8} says {rank} dimension(s), expected {expectedRank} " +
                $"({(expectedRank == 3 ? "images: count, rows, columns" : "labels: count")}).");
        int header = 4 + 4 * rank;
        if (bytes.Length < header)
            throw new IdxFormatException($"{path}: truncated IDX header: {bytes.Length} bytes, the {rank} dimensions need {header}.");
        var dims = new int[rank];
        long items = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] < 0) throw new IdxFormatException($"{path}: dimension {i} is negative ({dims[i]}).");
            items *= dims[i];
        }
        long available = bytes.Length - header;
        if (available < items)
            throw new IdxFormatException($"{path}: truncated: the header promises {items} bytes of data " +
                $"({string.Join(" x ", dims)}) but the file has {available}.");
        if (available > items)
            throw new IdxFormatException($"{path}: {available - items} unexpected trailing bytes after the {items} bytes of data.");
        return new IdxFile(path, dims, bytes.AsSpan(header).ToArray());
    }

    private static byte[] ReadAllMaybeGzip(string path, out bool gzipped)
    {
        byte[] raw = File.ReadAllBytes(path);
        gzipped = raw.Length >= 2 && raw[0] == 0x1F && raw[1] == 0x8B;
        if (gzipped)
        {
            try
            {
                using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                return ms.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new IdxFormatException($"{path}: corrupt gzip data ({e.Message}).");
            }
        }
        return raw;
    }
}
