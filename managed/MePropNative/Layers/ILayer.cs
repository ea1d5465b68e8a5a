using MePropNative.Tensors;

namespace MePropNative.Layers;

/// <summary>
/// A differentiable stage: Forward keeps what Backward needs (the input or output views it was given or produced);
/// Backward takes dL/d(output) and returns dL/d(input), or null when the layer was told its input needs no gradient
/// (the first layer of a network). Gradients of parameters accumulate into <see cref="Parameter.Gradient"/>.
///
/// Layers that are applied many times per step (an LSTM cell over time, a parser's hidden layer over transitions)
/// use the functional forms of the layers they hold (e.g. <see cref="Linear.Forward(Tensor, Tensor)"/> and
/// <see cref="Linear.Backward(Tensor, Tensor, Tensor?, in StepContext)"/>), which take every tensor explicitly.
/// Returned tensors are views into the layer's reusable buffers: valid until the layer's next call.
/// </summary>
public interface ILayer
{
    string Name { get; }
    IReadOnlyList<Parameter> Parameters { get; }
    Tensor Forward(Tensor input, in StepContext context);
    Tensor? Backward(Tensor outputGradient);
}
