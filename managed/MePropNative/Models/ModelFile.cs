using System.Text.Json.Nodes;
using MePropNative.Backends;
using MePropNative.MeProp;
using MePropNative.Training;

namespace MePropNative.Models;

/// <summary>Saves an MLP's weights (at their current, possibly meSimp-pruned, sizes) and loads them as an inference model.</summary>
public static class ModelFile
{
    public static void Save(Mlp model, string path) => Contents(model).Write(path);

    /// <summary>The header and the weights (not copied) that <see cref="Save"/> writes.</summary>
    public static ModelFileContents Contents(Mlp model) => new(new JsonObject
    {
        ["format"] = "meprop-mlp",
        ["sizes"] = new JsonArray(model.Sizes.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
        ["activation"] = "relu",
    }, [.. model.Parameters.Select(p => (p.Name, p.Value))]);

    /// <summary>A dense-backprop MLP with the saved sizes and weights.</summary>
    public static Mlp Load(IBackend backend, string path)
    {
        var (header, tensors) = TensorFile.Read(path);
        return Load(backend, header, tensors);
    }

    /// <summary>The MLP of a file already read (<see cref="TensorFile.Read"/>).</summary>
    public static Mlp Load(IBackend backend, TensorFileHeader header, IReadOnlyDictionary<string, TensorFile.Entry> tensors)
    {
        string path = header.Path;
        if (header.Tag("format") != "meprop-mlp") throw new InvalidDataException($"{path} is not a saved MLP.");
        int[] sizes = header.IntArray("sizes", min: 1);
        if (sizes.Length < 3) throw header.Invalid("sizes", "a list of at least 3 layer sizes");
        var model = new Mlp(backend, new MlpOptions
        {
            Inputs = sizes[0],
            Hidden = sizes[1..^1],
            Classes = sizes[^1],
            Strategy = StrategyKind.Dense,
        });
        foreach (var p in model.Parameters)
        {
            if (!tensors.TryGetValue(p.Name, out var e) || e.Data.Length != p.Length)
                throw new InvalidDataException($"{path}: tensor {p.Name} is missing or has the wrong size.");
            backend.Upload(e.Data, p.Value);
        }
        return model;
    }
}
