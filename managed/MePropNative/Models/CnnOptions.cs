namespace MePropNative.Models;

/// <summary>
/// The shape and back propagation of a <see cref="Cnn"/>. The default is the meProp-CNN paper's MNIST network (its
/// Table 1): conv 5x5x32 - pool - conv 5x5x64 - pool - fc 1024 - fc 10, same padding, 2 x 2 max pooling.
/// Layers are named conv1, conv2, ..., fc1, ..., and the last fully connected layer (the classifier) fc{hidden + 1}.
/// </summary>
public sealed record CnnOptions
{
    public int Height { get; init; } = 28;
    public int Width { get; init; } = 28;
    public int InputChannels { get; init; } = 1;
    public int[] ConvChannels { get; init; } = [32, 64];
    public int Kernel { get; init; } = 5;
    public int[] Hidden { get; init; } = [1024];
    public int Classes { get; init; } = 10;

    /// <summary>BatchNorm after every conv and hidden fully connected layer (before the ReLU); those layers then have no bias.</summary>
    public bool BatchNorm { get; init; }
    public float BatchNormMomentum { get; init; } = 0.01f;
    public float BatchNormEpsilon { get; init; } = 1e-5f;

    /// <summary>Dropout rate after each hidden fully connected layer's ReLU (0: none).</summary>
    public float Dropout { get; init; }

    /// <summary>Fraction of each conv feature map's positions (and of each sparsified fc layer's outputs) that back
    /// propagation keeps; >= 1 means dense back propagation everywhere.</summary>
    public float TopKRatio { get; init; } = 1f;

    /// <summary>Decay of decay selection for the conv layers (0: plain top-k).</summary>
    public float Decay { get; init; }

    /// <summary>Which layers meProp sparsifies: by default the conv layers (meProp-CNN's per-map top-k); fc layers listed
    /// here use per-example top-k (docs/cnn.md: without BatchNorm a sparsified fc1 destabilizes Adam training).</summary>
    public string[] SparseLayers { get; init; } = ["conv1", "conv2"];

    public ulong Seed { get; init; } = 1;

    public bool IsDense => TopKRatio >= 1f;

    /// <summary>Names of the layers, input to output.</summary>
    public IEnumerable<string> LayerNames =>
        Enumerable.Range(1, ConvChannels.Length).Select(i => $"conv{i}").Concat(Enumerable.Range(1, Hidden.Length + 1).Select(i => $"fc{i}"));

    /// <summary>The widest per-example work tensor: the input images, a conv layer's im2col rows (positions x kernel
    /// x input channels) or outputs, or a fully connected layer's outputs (pooling only shrinks). Needs valid sizes.</summary>
    public WidestRow WidestRow()
    {
        var rows = new List<WidestRow> { new("the input images", (long)Height * Width * InputChannels) };
        int h = Height, w = Width, c = InputChannels;
        for (int i = 0; i < ConvChannels.Length; i++)
        {
            var g = Backends.ConvGeometry.Same(h, w, c, Kernel);
            rows.Add(new($"conv{i + 1}'s im2col rows", (long)g.Positions * g.KernelHeight * g.KernelWidth * c));
            rows.Add(new($"conv{i + 1}'s outputs", (long)g.Positions * ConvChannels[i]));
            (h, w, c) = (g.OutputHeight / 2, g.OutputWidth / 2, ConvChannels[i]);
        }
        rows.AddRange(Hidden.Append(Classes).Select((n, i) => new WidestRow($"fc{i + 1}'s outputs", n)));
        return Models.WidestRow.Of(rows);
    }

    public bool Sparsifies(string layer) => !IsDense && SparseLayers.Contains(layer, StringComparer.OrdinalIgnoreCase);
}
