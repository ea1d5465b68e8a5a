using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MePropNative.Backends;
using MePropNative.Training;

namespace MePropNative.Tests.Training;

/// <summary>The tensor file container (models and checkpoints): what it reads back, and that a truncated, extended or
/// damaged file is refused with an <see cref="InvalidDataException"/> naming the file and what is wrong.</summary>
public class TensorFileTests : IDisposable
{
    private readonly CpuBackend backend = new();
    private readonly string dir = Directory.CreateTempSubdirectory("meprop-tensorfile-").FullName;

    public void Dispose()
    {
        backend.Dispose();
        Directory.Delete(dir, recursive: true);
    }

    private string Sample()
    {
        var a = backend.Allocate(2, 3);
        backend.Upload([1f, -2f, 3.5f, 4f, 5f, float.MaxValue], a);
        var b = backend.Allocate(5);
        backend.Upload([0f, 1e-30f, -7f, 8f, 9f], b);
        string path = Path.Combine(dir, "sample.bin");
        TensorFile.Write(path, new JsonObject { ["format"] = "test", ["sizes"] = new JsonArray(2, 3) }, [("a", a), ("b", b)]);
        return path;
    }

    /// <summary>A file with the right magic, the given header bytes and <paramref name="dataBytes"/> zero bytes after
    /// them, and a correct checksum (version 2) or none (version 1); <paramref name="headerLength"/> overrides the
    /// length field.</summary>
    private string Raw(string header, int dataBytes, int? headerLength = null, int version = 2)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[16 + json.Length + dataBytes];
        Encoding.ASCII.GetBytes("MEPROPTF").CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), headerLength ?? json.Length);
        json.CopyTo(bytes, 16);
        string path = Path.Combine(dir, "raw.bin");
        File.WriteAllBytes(path, version == 2 ? Sealed(bytes) : bytes);
        return path;
    }

    /// <summary>The bytes with their SHA-256 appended, as version 2 files end.</summary>
    internal static byte[] Sealed(byte[] content) => [.. content, .. SHA256.HashData(content)];

    private static InvalidDataException Refused(string path)
    {
        var e = Assert.Throws<InvalidDataException>(() => TensorFile.Read(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void WhatIsWrittenReadsBack()
    {
        var (header, tensors) = TensorFile.Read(Sample());
        Assert.Equal("test", header.Tag("format"));
        Assert.Equal([2, 3], header.IntArray("sizes", min: 1));
        Assert.Equal([2, 3], tensors["a"].Shape);
        Assert.Equal([1f, -2f, 3.5f, 4f, 5f, float.MaxValue], tensors["a"].Data);
        Assert.Equal([5], tensors["b"].Shape);
        Assert.Equal([0f, 1e-30f, -7f, 8f, 9f], tensors["b"].Data);
    }

    [Fact]
    public void EveryTruncationIsRefused()
    {
        string path = Sample();
        byte[] whole = File.ReadAllBytes(path);
        string cut = Path.Combine(dir, "cut.bin");
        for (int length = 0; length < whole.Length; length++)
        {
            File.WriteAllBytes(cut, whole[..length]);
            var e = Refused(cut);
            Assert.True(e.Message.Contains("truncated") || e.Message.Contains("not a MePropNative tensor file"), $"{length} bytes: {e.Message}");
        }
    }

    [Fact]
    public void BytesAfterTheLastTensorAreRefused()
    {
        string path = Sample();
        File.AppendAllText(path, "x");
        Assert.Contains("checksum does not match", Refused(path).Message);
        Assert.Contains("the file holds 45", Refused(Raw("{\"tensors\": [{\"name\": \"a\", \"shape\": [11]}]}", dataBytes: 45)).Message);
    }

    [Fact]
    public void AnyChangedBitIsRefused()
    {
        string path = Sample();
        byte[] whole = File.ReadAllBytes(path);
        string changed = Path.Combine(dir, "changed.bin");
        for (int at = 0; at < whole.Length; at++)
        {
            var bytes = (byte[])whole.Clone();
            bytes[at] ^= (byte)(1 << (at % 8));
            File.WriteAllBytes(changed, bytes);
            Refused(changed);
        }
        whole[^1] ^= 1;
        File.WriteAllBytes(changed, whole);
        Assert.Contains("SHA-256 checksum does not match", Refused(changed).Message);
    }

    [Fact]
    public void VersionOneFilesWithoutAChecksumAreStillRead()
    {
        var (_, tensors) = TensorFile.Read(Raw("{\"tensors\": [{\"name\": \"a\", \"shape\": [2]}]}", dataBytes: 8, version: 1));
        Assert.Equal([0f, 0f], tensors["a"].Data);
        Assert.Contains("version 3, this program reads versions 1 and 2", Refused(Raw("{\"tensors\": []}", dataBytes: 0, version: 3)).Message);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("{\"format\": \"test\"}", "'tensors'")]
    [InlineData("{\"tensors\": 5}", "'tensors'")]
    [InlineData("{\"tensors\": [5]}", "'tensors'")]
    [InlineData("{\"tensors\": [{\"shape\": [1]}]}", "'name'")]
    [InlineData("{\"tensors\": [{\"name\": \"a\", \"shape\": [2, -3]}]}", "'shape'")]
    [InlineData("{\"tensors\": [{\"name\": \"a\", \"shape\": [2, 1.5]}]}", "'shape'")]
    [InlineData("{\"tensors\": [{\"name\": \"a\", \"shape\": \"2\"}]}", "'shape'")]
    [InlineData("{\"tensors\": [{\"name\": \"a\", \"shape\": [65536, 65536]}]}", "too large")]
    [InlineData("{\"tensors\": [{\"name\": \"a\", \"shape\": [2147483647, 2147483647, 2147483647, 2147483647]}]}", "too large")]
    [InlineData("{\"tensors\": [{\"name\": \"a\", \"shape\": [1]}, {\"name\": \"a\", \"shape\": [1]}]}", "listed twice")]
    [InlineData("{\"tensors\": [], \"tensors\": []}", "not valid JSON")]
    [InlineData("{\"tensors\": [{\"name\": \"a\", \"shape\": [3]}]}", "truncated")]
    public void ADamagedHeaderIsRefused(string header, string expected)
    {
        Assert.Contains(expected, Refused(Raw(header, dataBytes: 4)).Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(int.MaxValue)]
    public void AHeaderLengthThatDoesNotFitIsRefused(int length)
    {
        Assert.Contains("header length", Refused(Raw("{\"tensors\": []}", dataBytes: 0, headerLength: length)).Message);
    }

    [Fact]
    public void AnEmptyShapeIsOneElement()
    {
        var (_, tensors) = TensorFile.Read(Raw("{\"tensors\": [{\"name\": \"s\", \"shape\": []}, {\"name\": \"z\", \"shape\": [0, 4]}]}", dataBytes: 4));
        Assert.Single(tensors["s"].Data);
        Assert.Empty(tensors["z"].Data);
    }

    [Fact]
    public void HeaderReadsNameTheKeyAndTheFile()
    {
        var header = new TensorFileHeader("f.bin", new JsonObject
        {
            ["n"] = -2, ["s"] = "x", ["b"] = 1, ["list"] = new JsonArray(1, 2, 3), ["big"] = 5_000_000_000L, ["obj"] = new JsonObject(),
        });
        Assert.Equal(-2, header.Int("n"));
        Assert.Contains("f.bin: header key 'n' is missing or is not an integer >= 0", Assert.Throws<InvalidDataException>(() => header.Int("n", min: 0)).Message);
        Assert.Throws<InvalidDataException>(() => header.Int("big"));
        Assert.Equal(5_000_000_000L, header.Long("big"));
        Assert.Throws<InvalidDataException>(() => header.Int("missing"));
        Assert.Null(header.OptionalInt("missing"));
        Assert.Throws<InvalidDataException>(() => header.OptionalInt("s"));
        Assert.Null(header.Tag("n"));
        Assert.Equal("x", header.String("s"));
        Assert.Throws<InvalidDataException>(() => header.String("n"));
        Assert.Equal("x", header.Choice("s", "x", "y"));
        Assert.Contains("cube or relu", Assert.Throws<InvalidDataException>(() => header.Choice("s", "cube", "relu")).Message);
        Assert.Throws<InvalidDataException>(() => header.Bool("b"));
        Assert.Equal([1, 2, 3], header.IntArray("list", min: 1, length: 3));
        Assert.Contains("a list of 2 integers", Assert.Throws<InvalidDataException>(() => header.IntArray("list", min: 1, length: 2)).Message);
        Assert.Throws<InvalidDataException>(() => header.IntArray("list", min: 2));
        Assert.Throws<InvalidDataException>(() => header.StringArray("list"));
        Assert.Empty(header.Object("obj"));
        Assert.Throws<InvalidDataException>(() => header.Object("list"));
        Assert.Null(header.Deserialize<List<string>>("missing", optional: true));
        Assert.Throws<InvalidDataException>(() => header.Deserialize<List<string>>("missing"));
        Assert.Contains("does not hold a List`1", Assert.Throws<InvalidDataException>(() => header.Deserialize<List<string>>("list")).Message);
    }
}
