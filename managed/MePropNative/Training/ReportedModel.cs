using System.Text.Json.Nodes;
using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.Training;

/// <summary>
/// The model of a run's reported evaluation (the best on dev, or the last with select_by = last): a
/// <see cref="ModelSnapshot"/> taken when an evaluation becomes the reported one, kept only when the run writes files
/// (<paramref name="keep"/>: an output folder or a checkpoint), carried by the checkpoints and exported as model.bin.
/// </summary>
public sealed class ReportedModel(IBackend backend, string selectBy, bool keep)
{
    private ModelSnapshot? snapshot;

    /// <summary>After an evaluation: copies <paramref name="model"/> when the evaluation becomes the reported one
    /// (<paramref name="bestOnDev"/>, or any evaluation with select_by = last).</summary>
    public void Evaluated(bool bestOnDev, Func<ModelFileContents> model)
    {
        if (!keep || !(bestOnDev || selectBy == "last")) return;
        snapshot?.Dispose();
        snapshot = ModelSnapshot.Take(backend, model());
    }

    /// <summary>Adds the copy to a checkpoint being written.</summary>
    public void AddTo(JsonObject checkpointHeader, List<(string Name, Tensor Tensor)> checkpointTensors) => snapshot?.AddTo(checkpointHeader, checkpointTensors);

    /// <summary>Takes the copy a resumed checkpoint carries.</summary>
    public void Restore(TensorFileHeader checkpointHeader, IReadOnlyDictionary<string, TensorFile.Entry> checkpointTensors)
    {
        snapshot?.Dispose();
        snapshot = ModelSnapshot.Read(backend, checkpointHeader, checkpointTensors);
    }

    /// <summary>Writes the reported evaluation's model as <paramref name="folder"/>/model.bin and returns that path;
    /// without a copy (a run resumed from a checkpoint that an earlier version wrote) the <paramref name="final"/>
    /// model, which <paramref name="log"/> is told.</summary>
    public string Export(string folder, Func<ModelFileContents> final, Action<string> log)
    {
        if (snapshot is null)
            log("the checkpoint this run resumed from holds no copy of the reported evaluation's weights (an earlier version wrote it): model.bin holds the final weights");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "model.bin");
        (snapshot?.Contents ?? final()).Write(path);
        return path;
    }
}
