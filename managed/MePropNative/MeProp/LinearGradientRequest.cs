using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Tensors;

namespace MePropNative.MeProp;

/// <summary>
/// One backward pass of y = x W^T + b handed to a strategy: x (batch x m), dy (batch x n), dx (batch x m, to be
/// overwritten) or null when the input needs no gradient, and the parameters whose gradients to accumulate.
/// </summary>
public readonly record struct LinearGradientRequest(
    IBackend Backend,
    Tensor X,
    Tensor Dy,
    Tensor? Dx,
    Parameter Weight,
    Parameter? Bias,
    SelectionStatistics Statistics,
    StepContext Context)
{
    public int Batch => Dy.Rows;
    public int Outputs => Dy.Cols;
}
