using System.Text;
using System.Text.Json.Nodes;
using MePropNative.Tensors;

namespace MePropNative.Training;

/// <summary>
/// A file of named float32 tensors with a JSON header: "MEPROPTF", int32 version, int32 header length, UTF-8 JSON
/// (the caller's header plus a "tensors" directory of names and shapes), then each tensor's elements, little-endian.
/// Writes are atomic: the file is written beside the target and renamed over it, so a crash leaves the old file intact.
/// </summary>
public static class TensorFile
{
    private const string Magic = "MEPROPTF";
    private const int Version = 1;

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
        using (var w = new BinaryWriter(fs))
        {
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write(Version);
            w.Write(json.Length);
            w.Write(json);
            foreach (var (_, t) in list)
            {
                var data = new float[t.Length];
                t.Backend.Download(t, data);
                var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan());
                w.Write(bytes);
            }
            w.Flush();
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    public static (JsonObject Header, Dictionary<string, Entry> Tensors) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"file not found: {path}", path);
        using var fs = File.OpenRead(path);
        using var r = new BinaryReader(fs);
        try
        {
            string magic = Encoding.ASCII.GetString(r.ReadBytes(Magic.Length));
            if (magic != Magic) throw new InvalidDataException($"{path} is not a MePropNative tensor file (magic '{magic}').");
            int version = r.ReadInt32();
            if (version != Version) throw new InvalidDataException($"{path}: version {version}, this program reads {Version}.");
            int len = r.ReadInt32();
            var header = JsonNode.Parse(Encoding.UTF8.GetString(r.ReadBytes(len)))!.AsObject();
            var result = new Dictionary<string, Entry>();
            foreach (var node in header["tensors"]!.AsArray())
            {
                string name = node!["name"]!.GetValue<string>();
                int[] shape = node["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
                long count = shape.Aggregate(1L, (a, d) => a * d);
                var data = new float[count];
                var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan());
                if (r.Read(bytes) != bytes.Length) throw new EndOfStreamException();
                result[name] = new Entry(name, shape, data);
            }
            return (header, result);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path} is truncated.");
        }
    }
}
