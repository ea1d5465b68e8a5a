using MePropNative.Bindings;
using MePropNative.Bindings.Cuda;

namespace MePropNative.Tests.Bindings;

/// <summary>A <see cref="ConvShape"/> whose sizes do not fit together is refused by the bindings' conv kernels before
/// native code runs (libmeprop reads windows outside the input as padding, so an output too large came back as zeros),
/// naming the bad property and its value.</summary>
public class ConvShapeTests
{
    private static readonly ConvShape Fits = new(4, 4, 1, 3, 3, 1, 0, 0, 2, 2);

    public static TheoryData<ConvShape, string, string> BadShapes => new()
    {
        { Fits with { OutputHeight = 100, OutputWidth = 100 }, "OutputHeight", "a 3 x 3 kernel at stride 1 with padding (0, 0) gives 1 to 4 x 4 outputs over a 4 x 4 input, not 100 x 100." },
        { Fits with { OutputWidth = 5 }, "OutputWidth", "gives 1 to 4 x 4 outputs over a 4 x 4 input, not 2 x 5." },
        { Fits with { Stride = 2, OutputHeight = 3 }, "OutputHeight", "at stride 2 with padding (0, 0) gives 1 to 2 x 2 outputs over a 4 x 4 input, not 3 x 2." },
        { Fits with { OutputHeight = 0 }, "OutputHeight", "not 0 x 2." },
        { Fits with { InputChannels = 0 }, "InputChannels", "input 4 x 4 x 0 is empty." },
        { Fits with { Stride = 0 }, "Stride", "kernel 3 x 3 and stride 0 must be >= 1." },
        { Fits with { PadLeft = 3 }, "PadLeft", "padding (0, 3) must be >= 0 and less than the 3 x 3 kernel." },
        { Fits with { PadTop = -1 }, "PadTop", "padding (-1, 0) must be >= 0 and less than the 3 x 3 kernel." },
    };

    [Theory]
    [MemberData(nameof(BadShapes))]
    public void AShapeThatDoesNotFitNamesTheProperty(ConvShape shape, string property, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => shape.Check("geometry"));
        Assert.Equal($"geometry.{property}", e.ParamName);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ShapesThatFitPass()
    {
        Fits.Check("geometry");
        (Fits with { OutputHeight = 4, OutputWidth = 4 }).Check("geometry");            // the last window starts at the last pixel
        new ConvShape(5, 5, 2, 3, 3, 2, 1, 1, 3, 3).Check("geometry");                   // same padding at stride 2
        new ConvShape(28, 28, 1, 5, 5, 1, 2, 2, 28, 28).Check("geometry");
    }

    [Theory]
    [MemberData(nameof(BadShapes))]
    public void TheCpuConvKernelsRefuseItBeforeNativeCode(ConvShape shape, string property, string message)
    {
        // buffers large enough for any of the shapes, so only the geometry is wrong
        int batch = 1, channels = 2, k = 1, nk = batch * k;
        int[] idx = new int[channels * nk];
        float[] val = new float[channels * nk], x = new float[1000], w = new float[1000], dw = new float[1000], dx = new float[1000];
        int image = (int)Math.Max(1, Fits.InputSize), K = (int)Math.Max(1, Fits.PatchSize);
        foreach (Action call in new Action[]
        {
            () => Kernels.ConvSparseWeightGradient(shape, batch, channels, k, idx, nk, val, nk, x, image, dw, K, accumulate: false),
            () => Kernels.ConvSparseInputGradient(shape, batch, channels, k, idx, nk, val, nk, w, K, dx, image),
        })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(call);
            Assert.Equal($"geometry.{property}", e.ParamName);
            Assert.Contains(message, e.Message);
        }
    }

    [Fact]
    public void TheCudaConvLaunchersRefuseItBeforeTouchingTheStream()
    {
        // the geometry is checked first: with no stream (and no GPU) the call fails on the geometry, not on the stream
        var shape = Fits with { OutputHeight = 100, OutputWidth = 100 };
        foreach (Action call in new Action[]
        {
            () => CudaLaunch.Im2Col(shape, 1, 0, 16, 0, 9, null!),
            () => CudaLaunch.Col2Im(shape, 1, 0, 9, 0, 16, null!),
            () => CudaLaunch.ConvSparseWeightGradient(shape, 1, 2, 1, 0, 1, 0, 1, 0, 16, 0, 9, false, null!),
            () => CudaLaunch.ConvSparseInputGradient(shape, 1, 2, 1, 0, 1, 0, 1, 0, 9, 0, 16, null!),
        })
            Assert.Equal("geometry.OutputHeight", Assert.Throws<ArgumentOutOfRangeException>(call).ParamName);
    }
}
