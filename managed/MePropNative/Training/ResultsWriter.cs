using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MePropNative.Training;

/// <summary>Writes results.json (the whole <see cref="RunResult"/>) and results.csv (one row per epoch).</summary>
public static class ResultsWriter
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Write(RunResult result, string folder)
    {
        Directory.CreateDirectory(folder);
        WriteAtomic(Path.Combine(folder, "results.json"), JsonSerializer.Serialize(result, Json));
        WriteAtomic(Path.Combine(folder, "results.csv"), Csv(result));
    }

    public static RunResult Read(string path) => SavedJson.Read<RunResult>(path, "results file");

    public static string Csv(RunResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("epoch,train_loss,train_accuracy,dev_accuracy,test_accuracy,forward_s,backward_s,linear_backward_s,update_s,train_wall_s,gemm_s,eval_s,backprop_ratio,layer_sizes");
        foreach (var e in r.Epochs)
            sb.AppendLine(string.Join(",", new object[] { e.Epoch, F(e.TrainLoss), F(e.TrainAccuracy), F(e.DevAccuracy), F(e.TestAccuracy),
                F(e.ForwardSeconds), F(e.BackwardSeconds), F(e.LinearBackwardSeconds), F(e.UpdateSeconds), F(e.TrainWallSeconds),
                F(e.GemmSeconds), F(e.EvalSeconds), F(e.BackpropRatio), string.Join("-", e.LayerSizes) }.Select(o => Convert.ToString(o, CultureInfo.InvariantCulture))));
        return sb.ToString();
    }

    private static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);

    private static void WriteAtomic(string path, string text)
    {
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
