using System.Runtime.InteropServices;

namespace MePropNative.Bindings;

/// <summary>
/// A convolution over channels-last images, as libmeprop's mp_conv_geometry (native/include/meprop.h): input
/// H x W x C, a KH x KW kernel, stride, top and left zero padding, and the output size.
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
}
