using MePropNative.Bindings;

namespace MePropNative.Backends;

/// <summary>
/// The shape of a 2-D convolution over channels-last (NHWC) images: each example is a row of H * W * C floats, pixel
/// (h, w) at (h * W + w) * C. The filter bank is a Cout x K matrix, K = KernelHeight * KernelWidth * InputChannels,
/// each filter row ordered (kh, kw, ci), so a convolution is exactly the linear layer y = cols W^T over the im2col
/// matrix cols ((N * P) x K, one row per output position, P = OutputHeight * OutputWidth) and its output
/// ((N * P) x Cout) is again channels-last. A geometry whose sizes do not fit together (an output larger than the
/// kernel's windows over the padded input give, padding a whole kernel wide) is an <see cref="ArgumentException"/>
/// (<see cref="ConvShape.Check"/>, the check of the bindings' conv kernels).
/// </summary>
public readonly record struct ConvGeometry
{
    public ConvGeometry(int inputHeight, int inputWidth, int inputChannels, int kernelHeight, int kernelWidth, int stride, int padTop, int padLeft,
        int outputHeight, int outputWidth)
    {
        new ConvShape(inputHeight, inputWidth, inputChannels, kernelHeight, kernelWidth, stride, padTop, padLeft, outputHeight, outputWidth).Check(nameof(ConvGeometry));
        (InputHeight, InputWidth, InputChannels, KernelHeight, KernelWidth) = (inputHeight, inputWidth, inputChannels, kernelHeight, kernelWidth);
        (Stride, PadTop, PadLeft, OutputHeight, OutputWidth) = (stride, padTop, padLeft, outputHeight, outputWidth);
    }

    public int InputHeight { get; }
    public int InputWidth { get; }
    public int InputChannels { get; }
    public int KernelHeight { get; }
    public int KernelWidth { get; }
    public int Stride { get; }
    public int PadTop { get; }
    public int PadLeft { get; }
    public int OutputHeight { get; }
    public int OutputWidth { get; }

    /// <summary>"Same" padding (TensorFlow's rule): output = ceil(input / stride), the padding split with the smaller
    /// half before (top, left). For stride 1 and a 5 x 5 kernel: 2 on every side.</summary>
    public static ConvGeometry Same(int height, int width, int channels, int kernel, int stride = 1)
    {
        if (height < 1 || width < 1 || channels < 1) throw new ArgumentOutOfRangeException(nameof(height), $"image {height} x {width} x {channels} is empty.");
        if (kernel < 1 || stride < 1) throw new ArgumentOutOfRangeException(nameof(kernel), "kernel and stride must be >= 1.");
        int oh = (height + stride - 1) / stride, ow = (width + stride - 1) / stride;
        int padH = Math.Max(0, (oh - 1) * stride + kernel - height), padW = Math.Max(0, (ow - 1) * stride + kernel - width);
        return new ConvGeometry(height, width, channels, kernel, kernel, stride, padH / 2, padW / 2, oh, ow);
    }

    /// <summary>No padding: output = (input - kernel) / stride + 1.</summary>
    public static ConvGeometry Valid(int height, int width, int channels, int kernel, int stride = 1)
    {
        if (kernel > height || kernel > width) throw new ArgumentOutOfRangeException(nameof(kernel), $"a {kernel} x {kernel} kernel does not fit a {height} x {width} image.");
        return new ConvGeometry(height, width, channels, kernel, kernel, stride, 0, 0, (height - kernel) / stride + 1, (width - kernel) / stride + 1);
    }

    /// <summary>Output positions per example (P).</summary>
    public int Positions => OutputHeight * OutputWidth;

    /// <summary>Columns of the im2col matrix and of the filter bank (K).</summary>
    public int PatchSize => KernelHeight * KernelWidth * InputChannels;

    /// <summary>Floats per input example (H * W * Cin).</summary>
    public int InputSize => InputHeight * InputWidth * InputChannels;

    /// <summary>The same geometry as libmeprop's mp_conv_geometry.</summary>
    internal ConvShape Native => new(InputHeight, InputWidth, InputChannels, KernelHeight, KernelWidth, Stride, PadTop, PadLeft,
        OutputHeight, OutputWidth);

    public override string ToString() =>
        $"{InputHeight}x{InputWidth}x{InputChannels} * {KernelHeight}x{KernelWidth} s{Stride} p({PadTop},{PadLeft}) -> {OutputHeight}x{OutputWidth}";
}
