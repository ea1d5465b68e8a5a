using System.Runtime.InteropServices;

namespace MePropNative.Bindings;

/// <summary>
/// A convolution over channels-last images, as libmeprop's mp_conv_geometry (native/include/meprop.h): input
/// H x W x C, a KH x KW kernel, stride, top and left zero padding, and the output size. Every kernel taking one
/// calls <see cref="Check"/> before native code runs.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct ConvShape(
    int InputHeight, int InputWidth, int InputChannels,
    int KernelHeight, int KernelWidth,
    int Stride, int PadTop, int PadLeft,
    int OutputHeight, int OutputWidth)
{
    public long Positions => (long)OutputHeight * OutputWidth;
    public long PatchSize => (long)KernelHeight * KernelWidth * InputChannels;
    public long InputSize => (long)InputHeight * InputWidth * InputChannels;

    /// <summary>
    /// Throws an <see cref="ArgumentOutOfRangeException"/> whose parameter is <paramref name="name"/>.Property (the
    /// first bad one) when the sizes do not fit together: an empty input, a kernel or stride below 1, a padding outside
    /// [0, kernel), or an output outside 1 to the number of windows over the padded input (the last window must start
    /// inside the input: (output - 1) * stride - padding &lt; input). libmeprop reads window pixels outside the input as
    /// padding, so an output too large would be computed from zeros rather than refused there.
    /// </summary>
    public void Check(string name)
    {
        if (InputHeight < 1 || InputWidth < 1 || InputChannels < 1)
            throw Bad(name, InputHeight < 1 ? nameof(InputHeight) : InputWidth < 1 ? nameof(InputWidth) : nameof(InputChannels),
                $"input {InputHeight} x {InputWidth} x {InputChannels} is empty.");
        if (KernelHeight < 1 || KernelWidth < 1 || Stride < 1)
            throw Bad(name, KernelHeight < 1 ? nameof(KernelHeight) : KernelWidth < 1 ? nameof(KernelWidth) : nameof(Stride),
                $"kernel {KernelHeight} x {KernelWidth} and stride {Stride} must be >= 1.");
        if (PadTop < 0 || PadLeft < 0 || PadTop >= KernelHeight || PadLeft >= KernelWidth)
            throw Bad(name, PadTop < 0 || PadTop >= KernelHeight ? nameof(PadTop) : nameof(PadLeft),
                $"padding ({PadTop}, {PadLeft}) must be >= 0 and less than the {KernelHeight} x {KernelWidth} kernel.");
        long maxHeight = ((long)InputHeight + PadTop + Stride - 1) / Stride, maxWidth = ((long)InputWidth + PadLeft + Stride - 1) / Stride;
        if (OutputHeight < 1 || OutputWidth < 1 || OutputHeight > maxHeight || OutputWidth > maxWidth)
            throw Bad(name, OutputHeight < 1 || OutputHeight > maxHeight ? nameof(OutputHeight) : nameof(OutputWidth),
                $"a {KernelHeight} x {KernelWidth} kernel at stride {Stride} with padding ({PadTop}, {PadLeft}) gives 1 to {maxHeight} x {maxWidth} " +
                $"outputs over a {InputHeight} x {InputWidth} input, not {OutputHeight} x {OutputWidth}.");
    }

    private static ArgumentOutOfRangeException Bad(string name, string property, string message) => new($"{name}.{property}", message);
}
