using System.Text.Json.Nodes;
using MePropNative.Tensors;

namespace MePropNative.Training;

/// <summary>What a model file holds: its JSON header (format, sizes, vocabularies) and its named weight tensors, still on
/// the model's backend. <see cref="Write"/> saves them as a <see cref="TensorFile"/>.</summary>
public sealed record ModelFileContents(JsonObject Header, IReadOnlyList<(string Name, Tensor Tensor)> Tensors)
{
    public void Write(string path) => TensorFile.Write(path, Header, Tensors);
}
