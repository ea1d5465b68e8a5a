using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MePropNative.Tensors;

namespace MePropNative.Training;

/// <summary>
/// A file of named float32 tensors with a JSON header: "MEPROPTF", int32 version, int32 header length, UTF-8 JSON
/// (the caller's header plus a "tensors" directory of names and shapes), each tensor's elements, little-endian, and
/// (since version 2) the SHA-256 of every byte before it, so that damage anywhere, a flipped bit in a weight included,
/// is refused instead of loaded. Version 1 files (no checksum) are still read.
/// Writes are atomic: the file is written beside the target and renamed over it, so a crash leaves the old file intact.
/// </summary>
public static class TensorFile
{
    private const string Magic = "MEPROPTF";
    private const int Version = 2;
    private const int UncheckedVersion = 1;
    private const int ChecksumBytes = SHA256.HashSizeInBytes;

    public sealed record Entry(string Name, int[] Shape, float[] Data);

    public static void Write(string path, JsonObject header, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var list = tensors.ToList();
        var dir = new JsonArray();
        foreach (var (name, t) in list)
            dir.Add(new JsonObject { ["name"] = name, ["shape"] = new JsonArray(t.Shape.ToArray().Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()) });
        var full = (JsonObject)header.DeepClone();
        full["tensors"] = dir;
        byte[] json = Encoding.UTF8.GetBytes(full.ToJsonString());

        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var checksum = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            void Put(ReadOnlySpan<byte> bytes)
            {
                checksum.AppendData(bytes);
                fs.Write(bytes);
            }
            Span<byte> number = stackalloc byte[sizeof(int)];
            Put(Encoding.ASCII.GetBytes(Magic));
            BinaryPrimitives.WriteInt32LittleEndian(number, Version);
            Put(number);
            BinaryPrimitives.WriteInt32LittleEndian(number, json.Length);
            Put(number);
            Put(json);
            foreach (var (_, t) in list)
            {
                var data = new float[t.Length];
                t.Backend.Download(t, data);
                Put(MemoryMarshal.AsBytes(data.AsSpan()));
            }
            fs.Write(checksum.GetHashAndReset());
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// Reads a file written by <see cref="Write"/>. Anything that does not add up (a wrong magic or version, a checksum
    /// that does not match the bytes, a header that is cut short, not JSON or without a valid "tensors" directory, data
    /// shorter or longer than the directory says) is an <see cref="InvalidDataException"/> that names the file and what
    /// is wrong; nothing is allocated before the sizes have been checked against the file's length.
    /// </summary>
    public static (TensorFileHeader Header, Dictionary<string, Entry> Tensors) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"file not found: {path}", path);
        using var fs = File.OpenRead(path);
        using var r = new BinaryReader(fs);
        try
        {
            string magic = Encoding.ASCII.GetString(r.ReadBytes(Magic.Length));
            if (magic != Magic) throw new InvalidDataException($"{path} is not a MePropNative tensor file (magic '{magic}').");
            int version = r.ReadInt32();
            if (version != Version && version != UncheckedVersion)
                throw new InvalidDataException($"{path}: version {version}, this program reads versions {UncheckedVersion} and {Version}.");
            long trailer = version == Version ? ChecksumBytes : 0;
            if (version == Version) VerifyChecksum(path, fs);
            int length = r.ReadInt32();
            long rest = fs.Length - trailer - fs.Position;
            if (length < 2 || length > rest)
                throw new InvalidDataException($"{path} is damaged or truncated: its header length {length} does not fit the {rest} bytes that follow.");
            var header = new TensorFileHeader(path, ParseHeader(path, r.ReadBytes(length)));
            var directory = ReadDirectory(header);
            long expected = directory.Sum(d => (long)d.Count * sizeof(float));
            rest = fs.Length - trailer - fs.Position;
            if (rest != expected)
                throw new InvalidDataException($"{path} is " + (rest < expected ? "truncated" : "damaged") +
                    $": its header lists {expected} bytes of tensor data, the file holds {rest}.");
            var result = new Dictionary<string, Entry>();
            foreach (var (name, shape, count) in directory)
            {
                var data = new float[count];
                fs.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
                result[name] = new Entry(name, shape, data);
            }
            return (header, result);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path} is truncated.");
        }
    }

    /// <summary>Checks the last <see cref="ChecksumBytes"/> bytes against the SHA-256 of all before them, then puts the
    /// stream back where it was.</summary>
    private static void VerifyChecksum(string path, FileStream fs)
    {
        long position = fs.Position;
        long content = fs.Length - ChecksumBytes;
        if (content < position)
            throw new InvalidDataException($"{path} is truncated: {fs.Length} bytes, too short to hold its checksum.");
        fs.Position = 0;
        using var checksum = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long left = content; left > 0;)
        {
            int n = (int)Math.Min(buffer.Length, left);
            fs.ReadExactly(buffer, 0, n);
            checksum.AppendData(buffer, 0, n);
            left -= n;
        }
        Span<byte> stored = stackalloc byte[ChecksumBytes];
        fs.ReadExactly(stored);
        if (!checksum.GetHashAndReset().AsSpan().SequenceEqual(stored))
            throw new InvalidDataException($"{path} is damaged or truncated: its SHA-256 checksum does not match its contents.");
        fs.Position = position;
    }

    private static JsonObject ParseHeader(string path, byte[] utf8)
    {
        try
        {
            return JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                ?? throw new InvalidDataException($"{path} is damaged: its header is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is damaged: its header is not valid JSON ({e.Message}).");
        }
    }

    /// <summary>The "tensors" directory: distinct names, shapes of non-negative dimensions whose element count fits an array.</summary>
    private static List<(string Name, int[] Shape, int Count)> ReadDirectory(TensorFileHeader header)
    {
        if (header.Json["tensors"] is not JsonArray entries) throw header.Invalid("tensors", "a list of tensors");
        var directory = new List<(string, int[], int)>();
        var names = new HashSet<string>();
        foreach (var entry in entries)
        {
            var item = entry is JsonObject o ? new TensorFileHeader(header.Path, o) : throw header.Invalid("tensors", "a list of {name, shape} objects");
            string name = item.String("name");
            int[] shape = item.IntArray("shape", min: 0);
            long count = shape.Aggregate(1L, (a, d) => Math.Min(a * d, long.MaxValue / int.MaxValue));
            if (count > Array.MaxLength)
                throw new InvalidDataException($"{header.Path} is damaged: tensor {name} has shape [{string.Join(", ", shape)}], too large for one array.");
            if (!names.Add(name)) throw new InvalidDataException($"{header.Path} is damaged: tensor {name} is listed twice.");
            directory.Add((name, shape, (int)count));
        }
        return directory;
    }
}
