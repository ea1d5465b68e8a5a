using System.Buffers.Binary;
using System.IO.Compression;

namespace MePropNative.Tests.Support;

/// <summary>Writes tiny synthetic MNIST-like IDX files into a temp folder: 4x4 images whose label is the quadrant of a
/// bright blob, so an MLP learns them in a few steps.</summary>
internal sealed class TinyMnist : IDisposable
{
    public TinyMnist(int train = 240, int test = 80, int side = 4, bool gzip = false)
    {
        Directory = Path.Combine(Path.GetTempPath(), "meprop-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Side = side;
        Write("train", train, 1, gzip);
        Write("t10k", test, 2, gzip);
    }

    public string Directory { get; }
    public int Side { get; }
    public int Features => Side * Side;

    public string Path_(string name) => Path.Combine(Directory, name);

    private void Write(string prefix, int count, int seed, bool gzip)
    {
        var rng = new Random(seed);
        var images = new byte[count * Side * Side];
        var labels = new byte[count];
        int half = Side / 2;
        for (int i = 0; i < count; i++)
        {
            int label = rng.Next(4);
            labels[i] = (byte)label;
            int r0 = label / 2 * half, c0 = label % 2 * half;
            for (int r = 0; r < Side; r++)
                for (int c = 0; c < Side; c++)
                {
                    bool inBlob = r >= r0 && r < r0 + half && c >= c0 && c < c0 + half;
                    images[i * Side * Side + r * Side + c] = (byte)(inBlob ? 160 + rng.Next(96) : rng.Next(60));
                }
        }
        WriteIdx(Path.Combine(Directory, $"{prefix}-images-idx3-ubyte" + (gzip ? ".gz" : "")), [count, Side, Side], images, gzip);
        WriteIdx(Path.Combine(Directory, $"{prefix}-labels-idx1-ubyte" + (gzip ? ".gz" : "")), [count], labels, gzip);
    }

    public static byte[] Idx(int[] dims, byte[] data, uint? magic = null)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic ?? (0x0800u | (uint)dims.Length));
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static void WriteIdx(string path, int[] dims, byte[] data, bool gzip = false)
    {
        var bytes = Idx(dims, data);
        if (!gzip) { File.WriteAllBytes(path, bytes); return; }
        using var fs = File.Create(path);
        using var gz = new GZipStream(fs, CompressionLevel.Fastest);
        gz.Write(bytes);
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
