using MePropNative.Data;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Data;

public class IdxReaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("meprop-idx-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string File_(string name, byte[] bytes)
    {
        string p = Path.Combine(dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    [Fact]
    public void ReadsDimensionsAndData()
    {
        var f = IdxReader.Read(File_("img", TinyMnist.Idx([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])), expectedRank: 3);
        Assert.Equal([2, 2, 3], f.Dimensions);
        Assert.Equal(2, f.Count);
        Assert.Equal(6, f.ItemSize);
        Assert.Equal(12, f.Data[11]);
    }

    [Fact]
    public void ReadsGzippedFiles()
    {
        string p = Path.Combine(dir, "labels.gz");
        TinyMnist.WriteIdx(p, [3], [7, 8, 9], gzip: true);
        Assert.Equal(new byte[] { 7, 8, 9 }, IdxReader.Read(p, expectedRank: 1).Data);
    }

    [Fact]
    public void AWrongMagicNumberIsAClearError()
    {
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(File_("bad", TinyMnist.Idx([3], [1, 2, 3], magic: 0x12345678))));
        Assert.Contains("wrong magic number 0x12345678", e.Message);
        Assert.Contains("bad", e.Message);
    }

    [Fact]
    public void AnUnsupportedElementTypeIsAClearError()
    {
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(File_("float", TinyMnist.Idx([3], [1, 2, 3], magic: 0x00000D01))));
        Assert.Contains("element type 0x0D", e.Message);
    }

    [Fact]
    public void ARankOtherThanExpectedIsAClearError()
    {
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(File_("lab", TinyMnist.Idx([3], [1, 2, 3])), expectedRank: 3));
        Assert.Contains("expected 3", e.Message);
    }

    [Fact]
    public void ATruncatedFileIsAClearError()
    {
        var bytes = TinyMnist.Idx([4, 2, 2], new byte[16]);
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(File_("trunc", bytes[..^5])));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("16 bytes", e.Message);
        Assert.Contains("has 11", e.Message);
        var header = Assert.Throws<IdxFormatException>(() => IdxReader.Read(File_("short", bytes[..6])));
        Assert.Contains("truncated IDX header", header.Message);
    }

    [Fact]
    public void AFileMissingPartOrAllOfItsLastImageIsTruncated()
    {
        // four 2 x 2 images: one byte short, and exactly the last image short
        var bytes = TinyMnist.Idx([4, 2, 2], new byte[16]);
        foreach (int missing in new[] { 1, 4 })
        {
            var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(File_("trunc" + missing, bytes[..^missing]), expectedRank: 3));
            Assert.Contains("truncated", e.Message);
            Assert.Contains($"has {16 - missing}", e.Message);
        }
    }

    [Fact]
    public void ALabelFileWithAnImageFilesMagicIsAClearError()
    {
        // 0x00000803 (three dimensions) where the labels' 0x00000801 belongs, even with as many items as there are images
        string images = File_("i", TinyMnist.Idx([3, 2, 2], new byte[12]));
        string labels = File_("l", TinyMnist.Idx([3, 1, 1], [1, 2, 3]));
        var e = Assert.Throws<IdxFormatException>(() => LabeledImages.FromIdx(images, labels));
        Assert.Contains("magic 0x00000803 says 3 dimension(s), expected 1", e.Message);
        Assert.Contains(labels, e.Message);
    }

    [Fact]
    public void CorruptGzipIsAClearError()
    {
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(File_("x.gz", [0x1F, 0x8B, 8, 0, 1, 2, 3])));
        Assert.Contains("gzip", e.Message);
    }

    [Fact]
    public void AnImageLabelCountMismatchIsAClearError()
    {
        string images = File_("i", TinyMnist.Idx([3, 2, 2], new byte[12]));
        string labels = File_("l", TinyMnist.Idx([2], [1, 2]));
        var e = Assert.Throws<IdxFormatException>(() => LabeledImages.FromIdx(images, labels));
        Assert.Contains("count mismatch", e.Message);
        Assert.Contains("3 images", e.Message);
        Assert.Contains("2 labels", e.Message);
    }

    [Fact]
    public void PixelsAreScaledToTheUnitInterval()
    {
        string images = File_("i", TinyMnist.Idx([1, 1, 3], [0, 255, 51]));
        string labels = File_("l", TinyMnist.Idx([1], [4]));
        var set = LabeledImages.FromIdx(images, labels);
        Assert.Equal(new[] { 0f, 1f, 0.2f }, set.Features);
        Assert.Equal(4, set.Labels[0]);
    }

    [Fact]
    public void TheFirstDevSizeTrainingExamplesAreTheDevSet()
    {
        using var tiny = new TinyMnist(train: 50, test: 10);
        var splits = MnistFiles.InDirectory(tiny.Directory).Load(devSize: 20);
        Assert.Equal(20, splits.Dev.Count);
        Assert.Equal(30, splits.Train.Count);
        var all = LabeledImages.FromIdx(Path.Combine(tiny.Directory, "train-images-idx3-ubyte"), Path.Combine(tiny.Directory, "train-labels-idx1-ubyte"));
        Assert.Equal(all.Labels[..20], splits.Dev.Labels);
        Assert.Equal(all.Labels[20..], splits.Train.Labels);
    }

    [Fact]
    public void MissingMnistFilesSayHowToGetThem()
    {
        var e = Assert.Throws<FileNotFoundException>(() => MnistFiles.InDirectory(dir).Load(devSize: 1));
        Assert.Contains("fetch-data.sh", e.Message);
    }

    [Fact]
    public void AnImageFileWithoutImagesOrPixelsIsAClearErrorNamingIt()
    {
        string labels = File_("l", TinyMnist.Idx([0], []));
        string none = File_("none", TinyMnist.Idx([0, 28, 28], []));
        Assert.Equal($"{none} holds no images.", Assert.Throws<IdxFormatException>(() => LabeledImages.FromIdx(none, labels)).Message);
        string empty = File_("empty", TinyMnist.Idx([3, 0, 0], []));
        Assert.Equal($"{empty}: the images are 0 x 0 pixels; an image needs at least one.",
            Assert.Throws<IdxFormatException>(() => LabeledImages.FromIdx(empty, File_("l3", TinyMnist.Idx([3], [0, 1, 2])))).Message);
    }
}
