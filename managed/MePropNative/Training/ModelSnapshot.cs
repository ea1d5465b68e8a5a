using System.Text.Json.Nodes;
using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.Training;

/// <summary>
/// A copy, on the model's backend, of a model file's contents taken at one evaluation (<see cref="ReportedModel"/> keeps
/// the one of the evaluation a run reports), so the saved model is the one whose accuracy the run reports, not the
/// weights training moved on to. Checkpoints carry it, so a resumed run exports the same model as an uninterrupted one.
/// </summary>
public sealed class ModelSnapshot : IDisposable
{
    private const string HeaderKey = "reported_model";
    private const string TensorPrefix = "reported_model/";

    private ModelSnapshot(ModelFileContents contents) => Contents = contents;

    public ModelFileContents Contents { get; }

    /// <summary>Copies <paramref name="contents"/>' tensors (and its header) so that later training does not change them.</summary>
    public static ModelSnapshot Take(IBackend backend, ModelFileContents contents)
    {
        var copies = new List<(string, Tensor)>();
        foreach (var (name, tensor) in contents.Tensors)
        {
            var copy = backend.Allocate(tensor.Shape.ToArray());
            backend.Copy(tensor, copy);
            copies.Add((name, copy));
        }
        return new ModelSnapshot(new ModelFileContents((JsonObject)contents.Header.DeepClone(), copies));
    }

    /// <summary>Adds the snapshot to a checkpoint being written: its header under "reported_model", its tensors as
    /// "reported_model/NAME".</summary>
    public void AddTo(JsonObject checkpointHeader, List<(string Name, Tensor Tensor)> checkpointTensors)
    {
        checkpointHeader[HeaderKey] = Contents.Header.DeepClone();
        foreach (var (name, tensor) in Contents.Tensors) checkpointTensors.Add((TensorPrefix + name, tensor));
    }

    /// <summary>The snapshot a checkpoint carries, uploaded to <paramref name="backend"/>; null when it has none (a
    /// checkpoint that an earlier version wrote).</summary>
    public static ModelSnapshot? Read(IBackend backend, TensorFileHeader checkpointHeader, IReadOnlyDictionary<string, TensorFile.Entry> checkpointTensors)
    {
        if (checkpointHeader.Json[HeaderKey] is not JsonObject header) return null;
        var tensors = new List<(string, Tensor)>();
        foreach (var (key, entry) in checkpointTensors)
        {
            if (!key.StartsWith(TensorPrefix, StringComparison.Ordinal)) continue;
            var t = backend.Allocate(entry.Shape.Length == 0 ? [1] : entry.Shape);
            if (t.Length != entry.Data.Length)
                throw new InvalidDataException($"{checkpointHeader.Path} is damaged: tensor {key} of shape [{string.Join(", ", entry.Shape)}] holds {entry.Data.Length} values.");
            backend.Upload(entry.Data, t);
            tensors.Add((key[TensorPrefix.Length..], t));
        }
        if (tensors.Count == 0) throw new InvalidDataException($"{checkpointHeader.Path} is damaged: it has a {HeaderKey} header but none of its tensors.");
        return new ModelSnapshot(new ModelFileContents((JsonObject)header.DeepClone(), tensors));
    }

    public void Dispose()
    {
        foreach (var (_, tensor) in Contents.Tensors) tensor.Buffer.Dispose();
    }
}
