namespace MePropNative.Data;

/// <summary>Where the MNIST IDX files are (defaults: data/mnist as installed by scripts/fetch-data.sh).</summary>
public sealed record MnistFiles(string TrainImages, string TrainLabels, string TestImages, string TestLabels)
{
    public static readonly string[] Names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>The four files in <paramref name="directory"/>, each also accepted with a .gz suffix.</summary>
    public static MnistFiles InDirectory(string directory)
    {
        string Find(string name)
        {
            string plain = Path.Combine(directory, name);
            if (File.Exists(plain)) return plain;
            if (File.Exists(plain + ".gz")) return plain + ".gz";
            // the original program's names: train-images.idx3-ubyte
            string dotted = Path.Combine(directory, name.Replace("-idx", ".idx"));
            return File.Exists(dotted) ? dotted : plain;
        }
        return new MnistFiles(Find(Names[0]), Find(Names[1]), Find(Names[2]), Find(Names[3]));
    }

    /// <summary>The error for a missing MNIST file: how to install MNIST, or else <paramref name="otherwise"/>.</summary>
    public static FileNotFoundException NotFound(string file, string otherwise) =>
        new($"MNIST file not found: {file}. Run ./build.sh data (or scripts/fetch-data.sh) to install MNIST into data/mnist, or {otherwise}.", file);

    /// <summary>Loads and splits (see <see cref="DatasetSplits.FromTrainAndTest"/>); a missing file says how to get it.</summary>
    public DatasetSplits Load(int devSize, int trainLimit = 0, int classes = 10)
    {
        foreach (var f in new[] { TrainImages, TrainLabels, TestImages, TestLabels })
            if (!File.Exists(f)) throw NotFound(f, "point --data-dir / the *_images/*_labels options at the files");
        var train = LabeledImages.FromIdx(TrainImages, TrainLabels, classes);
        var test = LabeledImages.FromIdx(TestImages, TestLabels, classes);
        return DatasetSplits.FromTrainAndTest(train, test, devSize, trainLimit);
    }
}
