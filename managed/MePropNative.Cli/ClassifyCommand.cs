using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MePropNative.Backends;
using MePropNative.Data;
using MePropNative.Models;
using MePropNative.Training;

namespace MePropNative.Cli;

/// <summary>`meprop classify`: applies a saved MLP or CNN to IDX images; with labels, prints its accuracy.</summary>
internal static class ClassifyCommand
{
    private const string DefaultDirectory = "data/mnist";

    public static Command Create()
    {
        var cmd = new Command("classify", "Classify IDX images with a trained MLP or CNN (OUT/model.bin of meprop train mlp|cnn); with labels, print the accuracy.");
        var model = new Option<FileInfo>("--model") { Description = "model.bin of meprop train mlp or meprop train cnn", Required = true, HelpName = "model.bin" };
        var images = new Option<FileInfo?>("--images") { Description = $"IDX image file, plain or .gz (default: the MNIST test images in {DefaultDirectory})", HelpName = "file" };
        var labels = new Option<FileInfo?>("--labels") { Description = $"IDX label file: report the accuracy (default with the default images: the MNIST test labels in {DefaultDirectory})", HelpName = "file" };
        var output = new Option<FileInfo?>("--output") { Description = "write the predictions as CSV: index,predicted[,label]", HelpName = "file.csv" };
        var batchSize = new Option<int>("--batch-size") { Description = "images per forward pass", DefaultValueFactory = _ => 1000 };
        var threads = new Option<int>("--threads") { Description = "libmeprop threads (0: its default)", DefaultValueFactory = _ => 0 };
        foreach (var o in new Option[] { model, images, labels, output, batchSize, threads }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            int batch = parse.GetValue(batchSize);
            if (batch < 1) throw new ConfigException($"--batch-size {batch} must be >= 1.");
            string? outputPath = parse.GetValue(output)?.FullName;
            OutputFolders.PrepareFile("--output", outputPath);
            var mnist = MnistFiles.InDirectory(DefaultDirectory);
            string imagesPath = parse.GetValue(images)?.FullName ?? Installed(mnist.TestImages);
            string? labelsPath = parse.GetValue(labels)?.FullName ?? (parse.GetValue(images) is null ? Installed(mnist.TestLabels) : null);

            using var backend = new CpuBackend(parse.GetValue(threads));
            var sw = Stopwatch.StartNew();
            var classifier = SavedClassifier.Load(backend, parse.GetValue(model)!.FullName);
            var (pixels, features, count, gold) = Read(imagesPath, labelsPath, classifier.Classes);
            if (features != classifier.Inputs)
                throw new InvalidDataException($"{imagesPath}: the images have {features} pixels, the model takes {classifier.Inputs} inputs.");
            var predicted = SavedClassifier.Predict(backend, classifier, pixels, count, batch);
            if (outputPath is not null) WriteCsv(outputPath, predicted, gold);
            string what = $"{count} images of {imagesPath} with {classifier.Description}";
            if (gold is null) Console.WriteLine($"classified {what} in {sw.Elapsed.TotalSeconds:F1}s");
            else
            {
                int correct = predicted.Where((p, i) => p == gold[i]).Count();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"accuracy {100.0 * correct / count:F2}% ({correct} of {what}) in {sw.Elapsed.TotalSeconds:F1}s"));
            }
            return 0;
        });
        return cmd;
    }

    private static string Installed(string defaultFile) =>
        File.Exists(defaultFile) ? defaultFile : throw MnistFiles.NotFound(defaultFile, "give --images (and --labels)");

    private static (float[] Pixels, int Features, int Count, int[]? Labels) Read(string imagesPath, string? labelsPath, int classes)
    {
        if (labelsPath is null)
        {
            var (pixels, features, count) = LabeledImages.ReadImages(imagesPath);
            return (pixels, features, count, null);
        }
        var set = LabeledImages.FromIdx(imagesPath, labelsPath, classes);
        return (set.Features, set.FeatureCount, set.Count, set.Labels);
    }

    private static void WriteCsv(string path, int[] predicted, int[]? gold)
    {
        var csv = new StringBuilder(gold is null ? "index,predicted\n" : "index,predicted,label\n");
        for (int i = 0; i < predicted.Length; i++)
            csv.Append(i).Append(',').Append(predicted[i]).Append(gold is null ? "\n" : $",{gold[i]}\n");
        File.WriteAllText(path, csv.ToString());
    }
}
