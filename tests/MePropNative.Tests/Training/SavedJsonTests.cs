using MePropNative.Experiments;
using MePropNative.Training;

namespace MePropNative.Tests.Training;

/// <summary>Damaged results and benchmark reports (the experiments' caches) are refused with a message naming the file.</summary>
public class SavedJsonTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("meprop-savedjson-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("{\"config\": ")]
    [InlineData("[1, 2]")]
    [InlineData("null")]
    public void ADamagedFileIsRefusedWithItsName(string text)
    {
        string path = Path.Combine(dir, "damaged.json");
        File.WriteAllText(path, text);
        foreach (Action read in new Action[] { () => ResultsWriter.Read(path), () => MlpBackwardBenchmark.Report.Read(path) })
        {
            var e = Assert.Throws<InvalidDataException>(read);
            Assert.StartsWith(path, e.Message);
            Assert.Contains("delete it to produce it again", e.Message);
        }
    }

    [Fact]
    public void AWrittenResultReadsBack()
    {
        var result = new RunResult { Config = ConfigOptions.ToJson(new TrainConfig()), TestAccuracy = 97.5, BestEpoch = 3 };
        ResultsWriter.Write(result, dir);
        var back = ResultsWriter.Read(Path.Combine(dir, "results.json"));
        Assert.Equal(97.5, back.TestAccuracy);
        Assert.Equal(3, back.BestEpoch);
    }
}
