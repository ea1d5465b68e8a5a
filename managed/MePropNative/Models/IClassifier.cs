using MePropNative.Layers;
using MePropNative.Tensors;

namespace MePropNative.Models;

/// <summary>A model that maps a batch of feature rows to class logits: what <see cref="Training.Trainer"/> trains.</summary>
public interface IClassifier
{
    string Description { get; }
    int Inputs { get; }
    int Classes { get; }
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The model's linear layers, for the backprop ratio and meSimp.</summary>
    IReadOnlyList<Linear> LinearLayers { get; }

    /// <summary>Logits (batch x classes) for input rows (batch x inputs); a view valid until the next Forward.</summary>
    Tensor Forward(Tensor input, in StepContext context);

    /// <summary>Back propagates dL/dlogits through the model, accumulating parameter gradients.</summary>
    void Backward(Tensor logitsGradient);
}
