using System.Text.Json.Nodes;
using MePropNative.Backends;
using MePropNative.Tensors;
using MePropNative.Training;

namespace MePropNative.Models;

/// <summary>Saves a CNN's weights and BatchNorm running estimates with its shape, and loads them as an inference model
/// (dense back propagation, no dropout).</summary>
public static class CnnModelFile
{
    public static void Save(Cnn model, string path) => Contents(model).Write(path);

    /// <summary>The header and the tensors (not copied) that <see cref="Save"/> writes: the parameters and, per
    /// BatchNorm, "NAME.running_mean" and "NAME.running_variance".</summary>
    public static ModelFileContents Contents(Cnn model)
    {
        var o = model.Options;
        var header = new JsonObject
        {
            ["format"] = "meprop-cnn",
            ["height"] = o.Height,
            ["width"] = o.Width,
            ["input_channels"] = o.InputChannels,
            ["conv_channels"] = Ints(o.ConvChannels),
            ["kernel"] = o.Kernel,
            ["hidden"] = Ints(o.Hidden),
            ["classes"] = o.Classes,
            ["batchnorm"] = o.BatchNorm,
            ["batchnorm_epsilon"] = o.BatchNormEpsilon,
        };
        var tensors = model.Parameters.Select(p => (p.Name, p.Value)).ToList();
        foreach (var bn in model.BatchNorms)
        {
            tensors.Add(($"{bn.Name}.running_mean", bn.RunningMean));
            tensors.Add(($"{bn.Name}.running_variance", bn.RunningVariance));
        }
        return new ModelFileContents(header, tensors);
    }

    public static Cnn Load(IBackend backend, string path)
    {
        var (header, tensors) = TensorFile.Read(path);
        return Load(backend, header, tensors);
    }

    /// <summary>The CNN of a file already read (<see cref="TensorFile.Read"/>).</summary>
    public static Cnn Load(IBackend backend, TensorFileHeader h, IReadOnlyDictionary<string, TensorFile.Entry> tensors)
    {
        string path = h.Path;
        if (h.Tag("format") != "meprop-cnn") throw new InvalidDataException($"{path} is not a saved CNN (meprop train cnn --out DIR writes DIR/model.bin).");
        var options = new CnnOptions
        {
            Height = h.Int("height", min: 1),
            Width = h.Int("width", min: 1),
            InputChannels = h.Int("input_channels", min: 1),
            ConvChannels = h.IntArray("conv_channels", min: 1),
            Kernel = h.Int("kernel", min: 1),
            Hidden = h.IntArray("hidden", min: 1),
            Classes = h.Int("classes", min: 1),
            BatchNorm = h.Bool("batchnorm"),
            BatchNormEpsilon = h.PositiveFloat("batchnorm_epsilon"),
        };
        Cnn model;
        try
        {
            model = new Cnn(backend, options);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: the saved shape is not a CNN this program can build ({e.Message}).");
        }
        foreach (var (name, tensor) in Contents(model).Tensors)
        {
            if (!tensors.TryGetValue(name, out var e) || e.Data.Length != tensor.Length)
                throw new InvalidDataException($"{path}: tensor {name} is missing or has the wrong size.");
            backend.Upload(e.Data, tensor);
        }
        return model;
    }

    private static JsonArray Ints(int[] values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
