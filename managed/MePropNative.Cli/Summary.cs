using System.Globalization;
using MePropNative.Training;
using Spectre.Console;

namespace MePropNative.Cli;

/// <summary>The final summary table of a run.</summary>
internal static class Summary
{
    public static void Print(RunResult r)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{r.Name}: {r.Model}"));
        foreach (var h in new[] { "epoch", "train loss", "dev %", "test %", "forward s", "backward s", "linear bwd s", "update s", "wall s", "GEMM %", "bp ratio", "sizes" })
            table.AddColumn(new TableColumn(h).RightAligned());
        foreach (var e in r.Epochs)
        {
            bool isBest = e.Epoch == r.BestEpoch;
            string Mark(string s) => isBest ? $"[bold green]{s}[/]" : s;
            table.AddRow(Mark(e.Epoch.ToString(CultureInfo.InvariantCulture)), F(e.TrainLoss, 4), Mark(F(e.DevAccuracy, 2)), Mark(F(e.TestAccuracy, 2)),
                F(e.ForwardSeconds, 2), F(e.BackwardSeconds, 2), F(e.LinearBackwardSeconds, 2), F(e.UpdateSeconds, 2), F(e.TrainWallSeconds, 2),
                F(100 * e.GemmSeconds / Math.Max(e.TrainWallSeconds, 1e-9), 0), F(e.BackpropRatio, 3), string.Join("-", e.LayerSizes));
        }
        var t = r.Sums;
        table.AddRow("[bold]total[/]", "", "", "", F(t.ForwardSeconds, 2), F(t.BackwardSeconds, 2), F(t.LinearBackwardSeconds, 2), F(t.UpdateSeconds, 2),
            F(t.TrainWallSeconds, 2), F(100 * t.GemmFraction, 0), F(t.BackpropRatio, 3), "");
        if (AnsiConsole.Profile.Capabilities.Interactive) AnsiConsole.Write(table);
        else
        {
            // a plain console (a log file, CI) gets a table it can render without ANSI codes
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(Console.Out) });
            console.Profile.Width = 160;
            console.Write(table);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Reported(r)} -> test {r.TestAccuracy:F2}%{Sizes(r)}; " +
            $"train wall {t.TrainWallSeconds:F1}s, GEMM {100 * t.GemmFraction:F0}% of it"));
        foreach (var choice in r.AutoChoices ?? []) Console.WriteLine($"auto: {choice}");
    }

    /// <summary>Which evaluation the test accuracy is from: the best on dev, or (select_by last) the last one.</summary>
    private static string Reported(RunResult r)
    {
        string at = $"epoch {r.BestEpoch} (evaluation {r.BestPoint})";
        if (r.Config["select_by"]?.GetValue<string>() != "last") return string.Create(CultureInfo.InvariantCulture, $"best dev {r.DevAccuracy:F2}% at {at}");
        return r.DevExamples == 0 ? $"last evaluation, {at}, no dev set" : string.Create(CultureInfo.InvariantCulture, $"last evaluation, {at}, dev {r.DevAccuracy:F2}%");
    }

    /// <summary>The final layer sizes, and the reported evaluation's (the exported model's) when meSimp pruned after it.</summary>
    private static string Sizes(RunResult r) =>
        r.ReportedLayerSizes.SequenceEqual(r.FinalLayerSizes) ? $"; final layer sizes {string.Join("-", r.FinalLayerSizes)}"
            : $" with layer sizes {string.Join("-", r.ReportedLayerSizes)}{(r.ExportedModel is null ? "" : " (model.bin)")}; final layer sizes {string.Join("-", r.FinalLayerSizes)}";

    private static string F(double v, int decimals) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
